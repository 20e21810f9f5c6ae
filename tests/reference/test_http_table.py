"""The reference target against the request -> expected response tables in ``cases/``.

``cases/state_table.yaml`` is §4.6 of ``shared/manila-behaviour.md`` (each
action in each source state); ``cases/requests.yaml`` holds the §1-§3 and §6
rules (microversions, routing, bodies, policy, validation, preconditions,
driver faults, the reset actions). A case names a ``state`` (built here by
driving the fixture API and the real actions), a request, and the expected
status, fault key, message fragment, exact body and headers. ``$source``,
``$dest``, ``$network`` and ``$other_network`` stand for ids made per case.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from manila_ssm.reference import ADMIN_TOKEN, DEMO_TOKEN

Api = Any  # tests/reference/conftest.py's HTTP driver, reached through fixtures
ADMIN_PROJECT = ADMIN_TOKEN.partition(":")[2]
DEMO_PROJECT = DEMO_TOKEN.partition(":")[2]
VALID_PARAMS = {"host": "ref@beta", "writable": True, "nondisruptive": False, "preserve_snapshots": True,
                "new_share_network_id": None}

CASES_DIR = Path(__file__).parent / "cases"
def load_cases() -> list[dict[str, Any]]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            cases.append(case)
    return cases


CASES = load_cases()


def test_case_files_are_well_formed() -> None:
    validator = Draft202012Validator(json.loads((CASES_DIR / "case.schema.json").read_text(encoding="utf-8")))
    ids = [c.get("id") for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    for case in CASES:
        problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(case)]
        assert not problems, (case.get("id"), problems)
        assert case.get("state", "idle") in STATES, (case["id"], case.get("state"))
        if "fault" in case["expect"]:
            assert case["expect"]["status"] >= 400, case["id"]


def test_state_table_covers_every_action_in_every_state() -> None:
    """§4.6: each state of the table answers all five actions on the source."""
    table = [c for c in CASES if c["id"].split("--")[0] in STATES and c.get("target", "source") == "source"]
    actions = {"migration_check", "migration_start", "migration_complete", "migration_cancel",
               "migration_get_progress"}
    for state in STATES:
        seen = {c["action"] for c in table if c.get("state", "idle") == state and "--" in c["id"]
                and c["id"].split("--")[0] == state}
        assert seen == actions, (state, actions - seen)


class Scenario:
    """The servers and ids one case works on."""

    def __init__(self, api: Api, case: dict[str, Any]) -> None:
        self.api = api
        self.case = case
        self.names: dict[str, str] = {}
        server = api.new_server(**case.get("server", {}))
        self.names["source"] = server["share_server"]["id"]
        self.names["current_network"] = server["share_server"]["share_network_id"]
        self.shares = server["shares"]
        self.snapshots = server["snapshots"]
        self.names["base"] = api.base_url
        self.names["unknown"] = str(uuid.uuid4())
        if self.shares:
            self.names["share"] = self.shares[0]
        if self.snapshots:
            self.names["snapshot"] = self.snapshots[0]

    @property
    def source(self) -> str:
        return self.names["source"]

    def migrate(self, host: str = "ref@beta", steps: int = 0, **params: Any) -> None:
        response = self.api.action(self.source, "migration_start", {**VALID_PARAMS, "host": host, **params})
        assert response.status_code == 202, response.text
        if steps:
            self.api.advance(self.source, steps)

    def finish_phase1(self, host: str = "ref@beta") -> None:
        self.migrate(host, 9)

    def request_then_step(self, action: str, steps: int) -> None:
        response = self.api.action(self.source, action)
        assert response.status_code in (200, 202), response.text
        self.api.advance(self.source, steps)

    def run_setup(self, steps: list[dict[str, Any]]) -> None:
        for step in steps:
            (kind, arg), = step.items()
            if kind == "start":
                self.migrate(**arg)
            elif kind == "advance":
                self.api.advance(self.source, arg)
            elif kind in ("migration_complete", "migration_cancel"):
                self.request_then_step(kind, arg)
            elif kind in ("reset_status", "reset_task_state"):
                attr = "status" if kind == "reset_status" else "task_state"
                response = self.api.action(self.names[arg.get("target", "source")], kind, {attr: arg[attr]})
                assert response.status_code == 202, response.text
            elif kind == "backend":
                self.api.backend(**arg)
            elif kind in ("share_status", "snapshot_status"):
                table, items = ("shares", self.shares) if kind == "share_status" else ("snapshots", self.snapshots)
                assert self.api.call("PUT", f"/_reference/{table}/{items[0]}", json={"status": arg}).ok
            elif kind == "network":
                response = self.api.call("POST", "/_reference/share-networks", json=arg.get("body", {}))
                assert response.status_code == 201, response.text
                self.names[arg["name"]] = response.json()["share_network"]["id"]
            else:
                raise AssertionError(f"unknown setup step {kind!r}")
        dest = self.api.destination_of(self.source)
        self.names["dest"] = dest["id"] if dest else "no-destination"

    def observe(self, what: str) -> dict[str, Any]:
        """The current view of a server (``source``, ``dest``), or of the first ``share``/``snapshot``."""
        if what in ("share", "snapshot"):
            item = (self.shares if what == "share" else self.snapshots)[0]
            response = self.api.call("GET", f"/v2/{ADMIN_PROJECT}/{what}s/{item}",
                                     headers={"X-OpenStack-Manila-API-Version": "2.57"})
            assert response.status_code == 200, response.text
            return dict(response.json()[what])
        server = self.api.server(self.names[what])
        assert server is not None, (self.case["id"], what)
        return server

    def substitute(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("$") and value[1:] in self.names:
            return self.names[value[1:]]
        if isinstance(value, str) and "$" in value:
            for name, real in sorted(self.names.items(), key=lambda kv: -len(kv[0])):
                value = value.replace(f"${name}", real)
            return value
        if isinstance(value, dict):
            return {k: self.substitute(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.substitute(v) for v in value]
        return value


def _steps(*steps: dict[str, Any]) -> Callable[[Scenario], None]:
    return lambda scenario: scenario.run_setup(list(steps))


PHASE1 = ({"start": {}}, {"advance": 9})
STATES: dict[str, Callable[[Scenario], None]] = {
    "idle": _steps(),
    "error": _steps({"reset_status": {"status": "error"}}),
    "inactive": _steps({"reset_status": {"status": "inactive"}}),
    "starting": _steps({"start": {}}),
    "in_progress": _steps({"start": {}}, {"advance": 1}),
    "in_progress_creating": _steps({"start": {}}, {"advance": 2}),
    "in_progress_linked": _steps({"start": {}}, {"advance": 3}),
    "driver_starting": _steps({"start": {}}, {"advance": 4}),
    "driver_in_progress": _steps({"start": {}}, {"advance": 5}),
    "driver_in_progress_50": _steps({"start": {}}, {"advance": 7}),
    "phase1_done": _steps(*PHASE1),
    "completing": _steps(*PHASE1, {"migration_complete": 1}),
    "cancel_in_progress": _steps(*PHASE1, {"migration_cancel": 1}),
    "success_window": _steps(*PHASE1, {"migration_complete": 2}),
    "deleted_window": _steps(*PHASE1, {"migration_complete": 3}),
    "after_success": _steps(*PHASE1, {"migration_complete": 4}),
    "after_cancel": _steps(*PHASE1, {"migration_cancel": 2}),
    "after_error": _steps({"start": {"host": "ref@incompatible"}}, {"advance": 2}),
}


def _target_id(scenario: Scenario, case: dict[str, Any]) -> str:
    on = case.get("target", "source")
    return str(uuid.uuid4()) if on == "unknown" else scenario.substitute(f"${on}") if f"{on}" in scenario.names \
        else str(on)


def _send(api: Api, scenario: Scenario, case: dict[str, Any]) -> Any:
    server_id = _target_id(scenario, case)
    project = {"project": ADMIN_PROJECT, "demo": DEMO_PROJECT, "none": None}.get(case.get("url", "project"),
                                                                                 case.get("url"))
    path = case.get("path") or (f"/v2/{project}/share-servers/{server_id}/action" if project
                                else f"/v2/share-servers/{server_id}/action")
    path = scenario.substitute(path.replace("$target", server_id))
    headers: dict[str, str | None] = {"Content-Type": "application/json", "Accept": "application/json",
                                      **{k: v for k, v in {**_default_headers(), **case.get("headers", {})}.items()}}
    token = {"admin": ADMIN_TOKEN, "demo": DEMO_TOKEN, "none": None}[case.get("token", "admin")]
    if "raw" in case:
        data: bytes | None = case["raw"].encode() if case["raw"] is not None else b""
    elif case.get("method", "POST") == "GET":
        data = None
    else:
        action = case.get("action", "migration_check")
        value = case.get("value", _default_value(action))
        data = json.dumps({action: scenario.substitute(value)}).encode()
    return api.call(case.get("method", "POST"), path, token=token, headers=headers, data=data)


def _default_headers() -> dict[str, str]:
    return {"X-OpenStack-Manila-API-Version": "2.57", "X-OpenStack-Manila-API-Experimental": "True"}


def _default_value(action: str) -> Any:
    return dict(VALID_PARAMS) if action in ("migration_check", "migration_start") else None


def _within(expected: Any, actual: Any) -> bool:
    """``expected`` matches ``actual`` with objects compared on ``expected``'s keys only."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and _within(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(
            _within(e, a) for e, a in zip(expected, actual, strict=True))
    return type(expected) is type(actual) and expected == actual


def _check(scenario: Scenario, case: dict[str, Any], response: Any, expect: dict[str, Any]) -> None:
    where = f"{case['id']}: {response.status_code} {response.text[:400]}"
    assert response.status_code == expect["status"], where
    body = response.json() if response.content and "json" in response.headers.get("Content-Type", "") else None
    if "fault" in expect:
        assert isinstance(body, dict) and list(body) == [expect["fault"]], where
        assert body[expect["fault"]]["code"] == expect["status"], where
    if "message" in expect:
        fault = next(iter(body.values())) if isinstance(body, dict) else {}
        message = fault.get("message", "") if isinstance(fault, dict) else ""
        assert scenario.substitute(expect["message"]) in message, where
    if "body" in expect:
        assert body == scenario.substitute(expect["body"]), where
    if "body_subset" in expect:
        assert _within(scenario.substitute(expect["body_subset"]), body), where
    for key, value in expect.get("headers", {}).items():  # "*": present, null: absent
        seen = response.headers.get(key)
        assert (seen is not None) if value == "*" else seen == value, (where, key, dict(response.headers))
    if "content_type" in expect:
        assert response.headers.get("Content-Type") == expect["content_type"], where


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(manual_api: Api, case: dict[str, Any]) -> None:
    scenario = Scenario(manual_api, case)
    try:
        STATES[case.get("state", "idle")](scenario)
        scenario.run_setup(case.get("setup", []))
        response = _send(manual_api, scenario, case)
        _check(scenario, case, response, case["expect"])
        for then in case["expect"].get("then", []):
            seen = scenario.observe(then.get("target", "source"))
            for key, value in then.items():
                if key != "target":
                    assert seen[key] == scenario.substitute(value), (case["id"], key, seen)
    finally:
        for name, values in case.get("finally", {}).items():
            manual_api.backend(name, **values)
