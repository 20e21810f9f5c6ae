"""The embedding interface the suite codes against: start/stop, base_url, wrap, and `serve`'s flags."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import requests

from manila_ssm import cli
from manila_ssm.reference import ADMIN_TOKEN, ReferenceTarget

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def teapot(app: WSGIApp) -> WSGIApp:
    """A broken variant: every /v2/ request answers 418."""
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["PATH_INFO"].startswith("/v2/"):
            start_response("418 I'm a teapot", [("Content-Type", "text/plain")])
            return [b"short and stout"]
        return app(environ, start_response)
    return wrapped


def test_wrap_builds_a_broken_variant() -> None:
    with ReferenceTarget.start(wrap=teapot) as target:
        assert target.base_url.startswith("http://127.0.0.1:")
        assert requests.get(f"{target.base_url}/v2/", headers={"X-Auth-Token": ADMIN_TOKEN}, timeout=10).status_code == 418
        assert requests.get(f"{target.base_url}/", timeout=10).status_code == 300  # left alone by the wrapper
        assert target.wsgi_app is not None


def test_stop_releases_the_port_and_the_state() -> None:
    target = ReferenceTarget.start()
    url, database = target.base_url, target.database
    target.stop()
    assert not database.exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/", timeout=2)


@pytest.mark.parametrize(("argv", "fragment"), [
    (["serve", "--port", "70000"], "--port 70000 is not a port number"),
    (["serve", "--config", "/nonexistent/target.yaml"], "cannot read the configuration"),
    (["serve", "--threads", "0"], "--threads 0 must be at least 1"),
    (["serve", "--read-timeout", "-1"], "--read-timeout -1 must be at least 1"),
])
def test_serve_usage_errors_exit_2(argv: list[str], fragment: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert cli.run(argv, out, err) == cli.EXIT_USAGE
    assert fragment in err.getvalue() and "Traceback" not in err.getvalue()


@pytest.mark.parametrize("path", ["/v2/share-servers/x/action", "/_reference/share-servers"])
def test_deeply_nested_json_is_malformed_not_500(fast_api: Any, path: str) -> None:
    """DEV-DEEP-JSON: upstream's parser lets RecursionError escape (500); ours calls it malformed."""
    response = requests.post(f"{fast_api.base_url}{path}", data="[" * 50000, timeout=10, headers={
        "X-Auth-Token": ADMIN_TOKEN, "Content-Type": "application/json",
        "X-OpenStack-Manila-API-Version": "2.57", "X-OpenStack-Manila-API-Experimental": "True"})
    assert response.status_code == 400
    assert next(iter(response.json().values()))["code"] == 400


def test_unpaired_surrogate_is_malformed_not_500(fast_api: Any) -> None:
    """DEV-UNPAIRED-SURROGATE: upstream fails where the string meets its database (500); ours calls it malformed."""
    server = requests.post(f"{fast_api.base_url}/_reference/share-servers", json={"host": "ref@alpha"},
                           headers={"X-Auth-Token": ADMIN_TOKEN}, timeout=10).json()["share_server"]
    body = '{"migration_check": {"host": "ref@be\\ud933ta", "writable": true, "nondisruptive": false, ' \
           '"preserve_snapshots": false, "new_share_network_id": null}}'
    response = requests.post(f"{fast_api.base_url}/v2/share-servers/{server['id']}/action", data=body.encode(),
                             timeout=10, headers={
                                 "X-Auth-Token": ADMIN_TOKEN, "Content-Type": "application/json",
                                 "X-OpenStack-Manila-API-Version": "2.57", "X-OpenStack-Manila-API-Experimental": "True"})
    assert response.json() == {"badRequest": {"code": 400, "message": "Malformed request body"}}


def test_fixture_share_network_status_must_be_text(fast_api: Any) -> None:
    response = requests.post(f"{fast_api.base_url}/_reference/share-networks", json={"status": None},
                             headers={"X-Auth-Token": ADMIN_TOKEN}, timeout=10)
    assert response.status_code == 400 and "'status'" in response.json()["badRequest"]["message"]


def test_public_api_is_pinned() -> None:
    import manila_ssm.reference as target

    assert sorted(target.__all__) == ["ADMIN_TOKEN", "Backend", "Capabilities", "DEMO_TOKEN", "Fault",
                                      "ReferenceTarget", "ShareNetwork", "TargetConfig", "Timings"]
    assert all(hasattr(target, name) for name in target.__all__)
