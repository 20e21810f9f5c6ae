"""Whole migrations on a target that moves by itself (sub-second timings), and atomic starts.

The state table walks the states one step at a time; these tests let the
worker run and watch from outside, as a client of real Manila would.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest
import requests

from manila_ssm.reference import ADMIN_TOKEN

MIGRATION_HEADERS = {"X-OpenStack-Manila-API-Version": "2.57", "X-OpenStack-Manila-API-Experimental": "True"}
VALID = {"host": "ref@beta", "writable": True, "nondisruptive": False, "preserve_snapshots": True,
         "new_share_network_id": None}
TASK_ORDER = ["migration_in_progress", "migration_driver_starting", "migration_driver_in_progress",
              "migration_driver_phase1_done"]


def _progress_until(api: Any, source: str, task_state: str) -> list[dict[str, Any]]:
    """Poll get_progress until the destination reports ``task_state``; every answer must be 200."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        response = api.action(source, "migration_get_progress")
        assert response.status_code == 200, response.text
        seen.append(response.json())
        if seen[-1]["task_state"] == task_state:
            return seen
        time.sleep(0.005)
    raise AssertionError(f"never reached {task_state}: last {seen[-1:]}")


def test_happy_path_moves_shares_and_deletes_the_source(fast_api: Any) -> None:
    created = fast_api.new_server("ref@alpha", shares=2, snapshots=1)
    source = created["share_server"]["id"]
    assert fast_api.action(source, "migration_start", VALID).status_code == 202
    seen = _progress_until(fast_api, source, "migration_driver_phase1_done")
    progress = [s["total_progress"] for s in seen]
    assert progress == sorted(progress) and progress[-1] == 100
    assert all(0 <= p <= 100 and isinstance(p, int) for p in progress)
    states = [s["task_state"] for s in seen if s["task_state"]]
    assert [t for t in TASK_ORDER if t in states] == sorted(set(states), key=TASK_ORDER.index)
    dests = {s["destination_share_server_id"] for s in seen if s["destination_share_server_id"]}
    assert len(dests) == 1
    dest = dests.pop()
    assert fast_api.server(dest)["status"] == "server_migrating_to"
    for share in created["shares"]:
        share_view = fast_api.call("GET", f"/v2/shares/{share}").json()["share"]
        assert share_view["status"] == "server_migrating"

    complete = fast_api.action(source, "migration_complete")
    assert complete.status_code == 200 and complete.json() == {"destination_share_server_id": dest}
    fast_api.wait_for(source, deleted=True)
    final = fast_api.wait_for(dest, status="active", task_state="migration_success")
    assert final["source_share_server_id"] == source and final["host"] == "ref@beta"
    after = fast_api.action(source, "migration_get_progress")
    assert after.json() == {"total_progress": 100, "task_state": "migration_success",
                            "destination_share_server_id": dest}
    for share in created["shares"]:
        share_view = fast_api.call("GET", f"/v2/shares/{share}").json()["share"]
        assert (share_view["status"], share_view["share_server_id"]) == ("available", dest)
        assert share_view["host"].startswith("ref@beta#")
    snapshot = fast_api.call("GET", f"/v2/snapshots/{created['snapshots'][0]}").json()["snapshot"]
    assert snapshot["status"] == "available"


def test_cancel_returns_the_source_and_leaves_the_destination_inactive(fast_api: Any) -> None:
    created = fast_api.new_server("ref@alpha")
    source = created["share_server"]["id"]
    assert fast_api.action(source, "migration_start", {**VALID, "host": "ref@gamma"}).status_code == 202
    dest = _progress_until(fast_api, source, "migration_driver_phase1_done")[-1]["destination_share_server_id"]
    assert fast_api.action(source, "migration_cancel").status_code == 202
    fast_api.wait_for(source, status="active", task_state="migration_cancelled")
    assert fast_api.wait_for(dest, status="inactive", task_state="migration_cancelled")
    share = fast_api.call("GET", f"/v2/shares/{created['shares'][0]}").json()["share"]
    assert (share["status"], share["share_server_id"]) == ("available", source)
    assert fast_api.action(source, "migration_get_progress").status_code == 400


def test_driver_failure_rolls_back_to_active_with_migration_error(fast_api: Any) -> None:
    fast_api.backend("ref@gamma", fail_at="migration_driver_in_progress")
    try:
        source = fast_api.new_server("ref@alpha")["share_server"]["id"]
        assert fast_api.action(source, "migration_start", {**VALID, "host": "ref@gamma"}).status_code == 202
        fast_api.wait_for(source, status="active", task_state="migration_error")
    finally:
        fast_api.backend("ref@gamma", fail_at=None)
    assert fast_api.action(source, "migration_check", {**VALID, "host": "ref@gamma"}).status_code == 200


def test_fifty_concurrent_starts_give_exactly_one_202(fast_api: Any) -> None:
    source = fast_api.new_server("ref@alpha", shares=3)["share_server"]["id"]
    barrier = threading.Barrier(50)
    statuses: list[int] = []
    lock = threading.Lock()

    def start() -> None:
        barrier.wait()
        response = requests.post(f"{fast_api.base_url}/v2/share-servers/{source}/action",
                                 json={"migration_start": VALID}, timeout=60,
                                 headers={"X-Auth-Token": ADMIN_TOKEN, **MIGRATION_HEADERS})
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=start) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Counter(statuses) == Counter({202: 1, 409: 49})
    _progress_until(fast_api, source, "migration_driver_phase1_done")
    listed = fast_api.call("GET", "/v2/share-servers", params={"source_share_server_id": source},
                           headers={"X-OpenStack-Manila-API-Version": "2.57"}).json()["share_servers"]
    assert len(listed) == 1 and listed[0]["status"] == "server_migrating_to"


@pytest.mark.parametrize("version", ["2.57", "2.99"])
def test_share_server_list_filters(fast_api: Any, version: str) -> None:
    created = fast_api.new_server("ref@gamma")
    server_id = created["share_server"]["id"]
    found = fast_api.call("GET", "/v2/share-servers", params={"host": "ref@gamma", "status": "active"},
                          headers={"X-OpenStack-Manila-API-Version": version}).json()["share_servers"]
    assert server_id in [s["id"] for s in found] and all(s["host"] == "ref@gamma" for s in found)
    assert all("task_state" in s and "source_share_server_id" in s for s in found)
    nothing = fast_api.call("GET", "/v2/share-servers", params={"status": "no-such-status"},
                            headers={"X-OpenStack-Manila-API-Version": version}).json()["share_servers"]
    assert nothing == []
