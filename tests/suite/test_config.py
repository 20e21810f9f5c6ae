"""Settings: flag > environment > ini, values parsed, bad values named with their source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from manila_ssm.suite.client import REDACTED, Endpoint
from manila_ssm.suite.config import ConfigError, load_servers_file, resolve

TARGET = {"base_url": "http://127.0.0.1:8786/v2/ad01", "admin_token": "admin:ad01"}


@pytest.mark.parametrize(
    ("flags", "env", "ini", "expected"),
    [
        ({"contract": "documented"}, {"SSM_CONTRACT": "effective"}, {}, "documented"),
        ({}, {"SSM_CONTRACT": "documented"}, {"contract": "effective"}, "documented"),
        ({}, {}, {"contract": "documented"}, "documented"),
        ({}, {}, {}, "effective"),
    ],
)
def test_precedence(flags, env, ini, expected) -> None:
    assert resolve(flags, ini, env).contract == expected


@pytest.mark.parametrize(
    ("flags", "env", "message"),
    [
        ({"contract": "strict"}, {}, "--ssm-contract: bad value 'strict' from --ssm-contract"),
        ({}, {"SSM_WAIT_TIMEOUT": "-1"}, "from SSM_WAIT_TIMEOUT: must be a positive"),
        ({}, {"SSM_MICROVERSIONS": "2.x"}, "'2.x' is not MAJOR.MINOR"),
        ({"base_url": "ftp://x"}, {}, "not an http(s) URL"),
        ({"base_url": "http://h:1/v2"}, {}, "needs admin credentials"),
        ({"server_ids": "a,b"}, {}, "without a target"),
        ({"microversions": "2.50"}, {}, "2.50 is below 2.57"),
        ({}, {"SSM_MICROVERSIONS": "max,2.9"}, "from SSM_MICROVERSIONS: 2.9 is below 2.57"),
        ({"dest_hosts": "nohost"}, {}, "--ssm-dest-hosts: bad value 'nohost' from --ssm-dest-hosts: 'nohost' is not host@backend"),
        ({"dest_hosts": "a@b,h@b#pool"}, {}, "'h@b#pool' is not host@backend"),
    ],
)
def test_bad_values_name_their_source(flags, env, message) -> None:
    with pytest.raises(ConfigError, match=None) as error:
        resolve(flags, {}, env)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("url", "root", "project"),
    [
        ("http://h:1/v2/ad01", "http://h:1", "ad01"),
        ("http://h:1/v2/", "http://h:1", None),
        ("http://h:1", "http://h:1", None),
        ("http://h:1/share/v2/ad01", "http://h:1/share", "ad01"),
    ],
)
def test_endpoint_forms(url, root, project) -> None:
    endpoint = Endpoint.parse(url)
    assert (endpoint.root, endpoint.project_id) == (root, project)
    assert endpoint.v2("/x") == f"{root}/v2{'/' + project if project else ''}/x"


@pytest.mark.parametrize(
    ("document", "ids"),
    [
        (["a", "b"], ("a", "b")),
        ({"share_server_ids": ["a"]}, ("a",)),
        ({"fixtures": {"migrate": {"share_server_id": "a"}, "cancel": {"share_server_id": "b"}}}, ("a", "b")),
        ({"share_servers": {"cancel": {"share_server_id": "c"}, "idle": {"share_server_id": "i"},
                            "migrate": {"share_server_id": "m"}, "spare": {"share_server_id": "s"}}},
         ("m", "c", "s", "i")),
        ([{"id": "a"}, {"share_server_id": "b"}], ("a", "b")),
    ],
)
def test_servers_file_shapes(tmp_path: Path, document, ids) -> None:
    path = tmp_path / "servers.json"
    path.write_text(json.dumps(document))
    assert load_servers_file(path) == ids
    assert resolve({**TARGET, "servers_file": str(path)}, {}, {}).server_ids == ids


def test_servers_file_without_servers_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "servers.json"
    path.write_text("{}")
    with pytest.raises(ConfigError, match="names no share servers"):
        load_servers_file(path)


def test_redacted_configuration_hides_tokens() -> None:
    config = resolve({**TARGET, "member_token": "demo:de02"}, {}, {})
    shown = json.dumps(config.redacted())
    assert "admin:ad01" not in shown and "demo:de02" not in shown
    assert config.redacted()["admin_token"] == REDACTED


@pytest.mark.filterwarnings("ignore:Support for InfluxDB")
def test_credentials_from_clouds_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # keystoneauth's admin_token plugin needs no identity service, so this runs offline.
    (tmp_path / "clouds.yaml").write_text(
        "clouds:\n"
        "  ops:\n"
        "    auth_type: admin_token\n"
        "    auth: {token: 'cloud-admin-token', endpoint: 'http://127.0.0.1:8786/v2/ad01'}\n"
        "    sharev2_endpoint_override: http://127.0.0.1:8786/v2/ad01\n"
    )
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "clouds.yaml"))
    config = resolve({"cloud": "ops"}, {}, {})
    assert config.admin_token == "cloud-admin-token"
    assert config.base_url == "http://127.0.0.1:8786/v2/ad01"
    assert config.sources["admin_token"] == "clouds.yaml cloud ops"
    assert "cloud-admin-token" not in json.dumps(config.redacted())


def test_unknown_cloud_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "clouds.yaml").write_text("clouds: {}\n")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "clouds.yaml"))
    with pytest.raises(ConfigError, match="--ssm-cloud nowhere: cannot get a token"):
        resolve({"cloud": "nowhere"}, {}, {})


SECRET_ADMIN = "admin-secret-0123456789abcdef"
SECRET_MEMBER = "member-secret-0123456789abcdef"


def test_tokens_never_shown_in_tracebacks_with_locals(pytester: pytest.Pytester,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``pytest -l`` prints every frame's locals, the resolved settings among them."""
    monkeypatch.setenv("SSM_ADMIN_TOKEN", SECRET_ADMIN)  # from the environment, so no source line shows them
    monkeypatch.setenv("SSM_MEMBER_TOKEN", SECRET_MEMBER)
    pytester.makepyfile("""
        import pytest
        from manila_ssm.suite.config import resolve

        @pytest.fixture
        def settings():
            config = resolve({"base_url": "http://127.0.0.1:9/v2"}, {})
            raise RuntimeError("the fixture failed")

        def test_uses(settings):
            pass
    """)
    result = pytester.runpytest_inprocess("-l", "-p", "no:randomly")
    shown = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "config" in shown and "SuiteConfig(" in shown  # the locals were shown
    assert SECRET_ADMIN not in shown and SECRET_MEMBER not in shown
    assert SECRET_ADMIN not in repr(resolve({"base_url": "http://h:1/v2", "admin_token": SECRET_ADMIN}, {}, {}))
