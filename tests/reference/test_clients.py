"""Real clients against a started target: OpenStack's python-manilaclient and curl.

If the official client can drive a whole migration, the target speaks
Manila's wire format (URLs, microversion and experimental headers, bodies)
the way real deployments do.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from typing import Any

import pytest
from manilaclient import api_versions, exceptions
from manilaclient.v2 import client as manila_v2

from manila_ssm.reference import ADMIN_TOKEN, DEMO_TOKEN

ADMIN_PROJECT = ADMIN_TOKEN.partition(":")[2]
DEMO_PROJECT = DEMO_TOKEN.partition(":")[2]


def _client(base_url: str, token: str = ADMIN_TOKEN) -> manila_v2.Client:
    # token + endpoint is manilaclient's "no keystone" path (HTTPClient with X-Auth-Token)
    project = token.partition(":")[2]
    return manila_v2.Client(input_auth_token=token, service_catalog_url=f"{base_url}/v2/{project}",
                            api_version=api_versions.APIVersion("2.57"), timeout=30)


def _wait(manila: manila_v2.Client, server_id: str, **wanted: Any) -> Any:
    deadline = time.monotonic() + 15
    while True:
        server = manila.share_servers.get(server_id)
        if all(getattr(server, k) == v for k, v in wanted.items()):
            return server
        assert time.monotonic() < deadline, f"{server_id} never reached {wanted}"
        time.sleep(0.02)


def test_manilaclient_checks_migrates_and_completes(fast_api: Any) -> None:
    manila = _client(fast_api.base_url)
    source = fast_api.new_server("ref@alpha")["share_server"]["id"]
    check = manila.share_servers.migration_check(source, "ref@beta", True, False, True, None)
    assert check["compatible"] is True
    assert check["requested_capabilities"]["host"] == "ref@beta"
    manila.share_servers.migration_start(source, "ref@beta", True, False, True)
    assert manila.share_servers.get(source).status == "server_migrating"
    _wait(manila, source, task_state="migration_driver_phase1_done")
    progress = manila.share_servers.migration_get_progress(source)
    assert progress["total_progress"] == 100
    completed = manila.share_servers.migration_complete(source)
    assert completed == {"destination_share_server_id": progress["destination_share_server_id"]}
    dest = _wait(manila, completed["destination_share_server_id"], status="active")
    assert dest.task_state == "migration_success"
    listed = manila.share_servers.list(search_opts={"source_share_server_id": source})
    assert [s.id for s in listed] == [dest.id]


def test_manilaclient_cancels(fast_api: Any) -> None:
    manila = _client(fast_api.base_url)
    source = fast_api.new_server("ref@alpha")["share_server"]["id"]
    manila.share_servers.migration_start(source, "ref@gamma", False, False, False)
    _wait(manila, source, task_state="migration_driver_phase1_done")
    manila.share_servers.migration_cancel(source)
    _wait(manila, source, status="active", task_state="migration_cancelled")
    with pytest.raises(exceptions.BadRequest):
        manila.share_servers.migration_get_progress(source)


def test_manilaclient_sees_upstream_errors(fast_api: Any) -> None:
    manila = _client(fast_api.base_url)
    with pytest.raises(exceptions.NotFound):
        manila.share_servers.migration_complete("no-such-server")
    with pytest.raises(exceptions.BadRequest):  # get_progress: 400 for an unknown id, as upstream
        manila.share_servers.migration_get_progress("no-such-server")
    with pytest.raises(exceptions.Forbidden):
        _client(fast_api.base_url, DEMO_TOKEN).share_servers.migration_get_progress("no-such-server")


CURL = shutil.which("curl")


def _curl(*args: str) -> tuple[int, dict[str, str], str]:
    assert CURL is not None
    result = subprocess.run([CURL, "-s", "-i", "--max-time", "20", *args], capture_output=True, text=True,
                            timeout=30, check=True)
    head, _, body = result.stdout.replace("\r\n", "\n").partition("\n\n")
    status_line, *header_lines = head.split("\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.skipif(CURL is None, reason="curl is not installed on this machine")
def test_curl_check_and_versions(fast_api: Any) -> None:
    source = fast_api.new_server("ref@alpha")["share_server"]["id"]
    body = json.dumps({"migration_check": {"host": "ref@beta", "writable": "true", "nondisruptive": "false",
                                           "preserve_snapshots": "true", "new_share_network_id": None}})
    status, headers, text = _curl(
        "-X", "POST", f"{fast_api.base_url}/v2/{ADMIN_PROJECT}/share-servers/{source}/action",
        "-H", f"X-Auth-Token: {ADMIN_TOKEN}", "-H", "X-OpenStack-Manila-API-Version: 2.57",
        "-H", "X-OpenStack-Manila-API-Experimental: True", "-H", "Content-Type: application/json", "-d", body)
    assert status == 200, text
    assert json.loads(text)["requested_capabilities"]["writable"] == "true"
    assert headers["x-openstack-manila-api-version"] == "2.57"
    assert headers["vary"] == "X-OpenStack-Manila-API-Version"
    assert headers["x-compute-request-id"].startswith("req-")
    status, headers, text = _curl(f"{fast_api.base_url}/")
    assert status == 300 and json.loads(text)["versions"][0]["version"] == "2.99"
    assert "x-openstack-manila-api-version" not in headers
    # curl's default form content type: the body is ignored, as by Manila's WSGI layer
    status, _, text = _curl("-X", "POST", f"{fast_api.base_url}/v2/share-servers/{source}/action",
                            "-H", f"X-Auth-Token: {ADMIN_TOKEN}", "-H", "X-OpenStack-Manila-API-Version: 2.57",
                            "-H", "X-OpenStack-Manila-API-Experimental: True", "-d", body)
    assert status == 400 and "There is no such action: None" in text
