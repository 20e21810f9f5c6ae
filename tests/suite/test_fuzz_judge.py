"""How generated requests are judged: the oracle for well-formed bodies, known defects, schemathesis' checks."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import schemathesis

from manila_ssm.suite import fuzz
from manila_ssm.suite.outcomes import Exchange

PARAMS = {"host": "h@b", "writable": True, "nondisruptive": "no", "preserve_snapshots": 0,
          "new_share_network_id": None}


@pytest.mark.parametrize(
    ("action", "body", "accepted"),
    [
        ("migration_check", {"migration_check": PARAMS}, True),
        ("migration_check", {"migration_check": {**PARAMS, "extra": 1}}, True),
        ("migration_check", {"migration_check": {**PARAMS, "writable": "maybe"}}, False),
        ("migration_check", {"migration_check": {**PARAMS, "host": "h@b#pool"}}, False),
        ("migration_start", {"migration_start": {k: v for k, v in PARAMS.items() if k != "host"}}, False),
        ("migration_complete", {"migration_complete": {"anything": [1]}}, True),
        ("migration_cancel", {"migration_cancel": None, "migration_complete": None}, False),
        ("migration_cancel", b"\x00garbage", False),
    ],
)
def test_upstream_acceptance_oracle(action: str, body: Any, accepted: bool) -> None:
    assert fuzz.upstream_accepts(action, body) is accepted


@pytest.mark.parametrize(
    ("body", "status", "defect"),
    [
        ({"migration_check": {**PARAMS, "host": None}}, 500, "SSM-DEFECT-HOST-NOT-STRING-500"),
        ({"migration_check": {**PARAMS, "host": "nohost"}}, 500, "SSM-DEFECT-HOST-NO-AT-500"),
        ({"migration_check": {k: v for k, v in PARAMS.items() if k != "new_share_network_id"}}, 500,
         "SSM-DEFECT-CHECK-NO-NETWORK-500"),
        ({"migration_check": {**PARAMS, "new_share_network_id": {"a": 1}}}, 500, "SSM-DEFECT-NETWORK-ID-OBJECT-500"),
        ({"migration_check": {**PARAMS, "new_share_network_id": 5}}, 500, None),
        ({"migration_check": {**PARAMS, "host": "h@b\ud933"}}, 500, "SSM-DEFECT-UNPAIRED-SURROGATE-500"),
        ({"migration_check": PARAMS}, 500, None),
        ({"migration_check": {**PARAMS, "host": None}}, 400, None),
    ],
)
def test_known_defects_explain_only_their_own_500s(body: Any, status: int, defect: str | None) -> None:
    assert fuzz.known_defect("migration_check", body, status) == defect


def _exchange(status: int, body: Any, version: str = "2.57") -> Exchange:
    text = json.dumps(body) if body is not None else ""
    return Exchange("POST", "http://t/x", {"X-OpenStack-Manila-API-Version": "2.57"}, "{}", status,
                    {"Content-Type": "application/json", "X-OpenStack-Manila-API-Version": version}, text,
                    body, body is not None)


@pytest.mark.parametrize(
    ("status", "body", "well_formed", "problem"),
    [
        (200, {"compatible": True, "requested_capabilities": {}, "supported_capabilities": {}}, True, None),
        (409, {"conflictingRequest": {"code": 409, "message": "x"}}, True, None),
        (202, None, True, "neither 200 nor a documented error"),
        (500, {"computeFault": {"code": 500, "message": "x"}}, True, "server error 500"),
        (200, {"compatible": True}, False, "not a documented 4xx"),
        (400, {"badRequest": {"code": 400, "message": "x"}}, False, None),
    ],
)
def test_judge_answer(fixture_contract, status: int, body: Any, well_formed: bool, problem: str | None) -> None:
    verdict = fuzz.judge_answer(fixture_contract, "migration_check", {"migration_check": PARAMS},
                                _exchange(status, body), well_formed)
    assert (verdict.problem is None) if problem is None else (problem in (verdict.problem or ""))


def test_schemathesis_checks_give_a_second_opinion(fixture_contract) -> None:
    schema = schemathesis.openapi.from_dict(fixture_contract.action_variant("migration_check"),
                                            config=fuzz.checks_config(fixture_contract, "migration_check"))
    case = schema[fixture_contract.action_path]["POST"].Case(
        path_parameters={"project_id": "p", "share_server_id": "s"}, body={"migration_check": PARAMS})
    response = requests.Response()
    response.status_code, response._content = 500, b'{"computeFault": {"code": 500, "message": "x"}}'
    response.headers["Content-Type"] = "application/json"
    response.request = requests.Request("POST", "http://127.0.0.1:9/v2/p/share-servers/s/action",
                                        json={"migration_check": PARAMS}).prepare()
    response.url, response.elapsed = response.request.url, __import__("datetime").timedelta(0)
    verdict = fuzz.second_opinion(case, response, fuzz.Verdict(_exchange(500, None)))
    assert verdict.problem and verdict.problem.startswith("schemathesis:")


def test_the_same_seed_sends_the_same_requests(fixture_contract, reference_target) -> None:
    from manila_ssm.suite.client import Endpoint, ManilaClient, Redactor

    admin = "admin:ad000000000000000000000000000001"
    client = ManilaClient(Endpoint.parse(f"{reference_target.base_url}/v2/ad000000000000000000000000000001"), admin,
                          timeout=5, redactor=Redactor((admin,)))
    server = requests.post(f"{reference_target.base_url}/_reference/share-servers", headers={"X-Auth-Token": admin},
                           json={"host": "ref@alpha", "shares": 1, "snapshots": 0}, timeout=5).json()["share_server"]
    runs = [
        [v.exchange.request_body for v in fuzz.run(fixture_contract, "migration_start", "negative", client,
                                                   server["id"], "2.57", real_host="ref@beta", max_examples=8,
                                                   seed=11).verdicts]
        for _ in range(2)
    ]
    assert runs[0] == runs[1] and len(runs[0]) == 8
