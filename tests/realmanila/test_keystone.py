"""Keystone mode's configuration, clouds.yaml and CLI, without Keystone or Manila."""

from __future__ import annotations

import configparser
import sys
from pathlib import Path

import pytest
import yaml

from manila_ssm.cli import run
from manila_ssm.realmanila import keystone
from manila_ssm.realmanila.config import from_environment, render_all
from manila_ssm.realmanila.services import daemons


def _conf(text: str) -> configparser.ConfigParser:
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(text)
    return conf


@pytest.fixture
def config(tmp_path: Path):
    return from_environment({}, base=tmp_path, auth="keystone", keystone_port=15000, api_port=18786)


def test_manila_checks_tokens_with_keystone_and_keeps_in_code_policy(config) -> None:
    files = render_all(config)
    manila = _conf(files[config.etc_dir / "manila.conf"])
    assert manila["DEFAULT"]["auth_strategy"] == "keystone"
    token = manila["keystone_authtoken"]
    assert token["auth_url"] == token["www_authenticate_uri"] == "http://127.0.0.1:15000/v3"
    assert (token["username"], token["project_name"]) == (keystone.SERVICE.user, keystone.SERVICE.project)
    # the noauth override (context_is_admin narrowed to a user id) would lock out Keystone's admin
    assert "user_id" not in files[config.etc_dir / "policy.yaml"]
    assert yaml.safe_load(files[config.etc_dir / "policy.yaml"]) == {}
    assert manila["oslo_policy"]["enforce_new_defaults"] == "True"
    for backend in config.backends:  # tempest's replication settings need a replication domain
        assert manila[backend]["replication_domain"] == keystone.REPLICATION_DOMAIN


def test_keystone_gets_fernet_tokens_its_own_database_and_connection_close(config) -> None:
    files = render_all(config)
    conf = _conf(files[config.etc_dir / "keystone" / "keystone.conf"])
    assert conf["token"]["provider"] == "fernet"
    assert conf["database"]["connection"].endswith(f":{config.db_port}/keystone?charset=utf8")
    assert conf["fernet_tokens"]["key_repository"].startswith(str(config.base))
    ini = files[config.etc_dir / "keystone-uwsgi.ini"]
    assert "http-socket = 127.0.0.1:15000" in ini
    assert "add-header = Connection: close" in ini
    assert f"OS_KEYSTONE_CONFIG_DIR={config.etc_dir / 'keystone'}" in ini


def test_noauth_stays_the_default(tmp_path: Path) -> None:
    config = from_environment({}, base=tmp_path)
    files = render_all(config)
    assert config.auth == "noauth"
    assert _conf(files[config.etc_dir / "manila.conf"])["DEFAULT"]["auth_strategy"] == "noauth"
    assert not any("keystone" in path.name for path in files)
    assert "keystone" not in daemons(config)
    assert keystone.credentials(config).admin_token.startswith("admin:")


def test_keystone_starts_before_manila_and_stops_after_it(config) -> None:
    names = list(daemons(config))
    assert names.index("rabbitmq") < names.index("keystone") < names.index("manila-scheduler")
    assert names.index("keystone") < names.index("manila-api")


def test_a_template_without_the_noauth_line_is_named(config) -> None:
    with pytest.raises(ValueError, match="auth_strategy = noauth"):
        keystone.adapt_manila_conf("[DEFAULT]\nauth_strategy = keystone\n", config)


def test_clouds_yaml_names_an_admin_and_a_member_cloud(config) -> None:
    clouds = keystone.clouds_yaml(config)["clouds"]
    admin, member = clouds[keystone.ADMIN_CLOUD], clouds[keystone.MEMBER_CLOUD]
    assert admin["auth"]["auth_url"] == member["auth"]["auth_url"] == "http://127.0.0.1:15000/v3"
    assert (admin["auth"]["username"], admin["auth"]["project_name"]) == ("admin", "admin")
    assert member["auth"]["project_name"] != admin["auth"]["project_name"]
    assert keystone.MEMBER.role == "member" and keystone.ADMIN.role == "admin"
    assert admin["region_name"] == keystone.REGION and admin["identity_api_version"] == 3


def test_suite_arguments_use_the_clouds(config, monkeypatch) -> None:
    monkeypatch.delenv("OS_CLIENT_CONFIG_FILE", raising=False)
    arguments = keystone.suite_auth_arguments(config)
    assert arguments == ["--cloud", keystone.ADMIN_CLOUD, "--member-cloud", keystone.MEMBER_CLOUD]
    import os

    assert os.environ["OS_CLIENT_CONFIG_FILE"] == str(config.base / "clouds.yaml")


def test_share_endpoints_carry_the_project_id_template() -> None:
    assert keystone.share_endpoint_template("http://127.0.0.1:8786/", "v2") == \
        "http://127.0.0.1:8786/v2/$(project_id)s"


@pytest.mark.parametrize(
    ("environ", "overrides", "message"),
    [
        ({}, {"auth": "oauth"}, "auth 'oauth' is not one of noauth, keystone"),
        ({"SSM_REAL_MANILA_KEYSTONE_PORT": "five"}, {}, "SSM_REAL_MANILA_KEYSTONE_PORT='five' is not a number"),
    ],
)
def test_bad_auth_settings_are_named(environ, overrides, message) -> None:
    with pytest.raises(ValueError, match=message):
        from_environment(environ, **{"base": Path("/tmp/x"), **overrides})


def test_cli_takes_auth_and_keystone_port(capsys, tmp_path: Path) -> None:
    code = run(["real-manila", "status", "--base", str(tmp_path), "--auth", "keystone",
                "--keystone-port", "15001"], sys.stdout, sys.stderr)
    out = capsys.readouterr().out
    assert code != 0  # nothing runs
    assert "keystone" in out and "stopped" in out
    with pytest.raises(SystemExit) as exit_:
        run(["real-manila", "status", "--auth", "ldap"], sys.stdout, sys.stderr)
    assert exit_.value.code == 2
    assert "--auth" in capsys.readouterr().err
