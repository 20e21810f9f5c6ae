"""Checks on single exchanges: each case is an answer and the requirement it must pass or fail."""

from __future__ import annotations

import json
from typing import Any

import pytest

from manila_ssm.suite import catalogue as cat
from manila_ssm.suite.checks import Verifier
from manila_ssm.suite.outcomes import Exchange, Outcome, RecordSink, RequirementFailure, worst
from manila_ssm.suite.waits import Poller, WaitClock


def exchange(status: int | None, body: Any = None, content_type: str = "application/json",
             headers: dict[str, str] | None = None, request: Any = None) -> Exchange:
    text = "" if body is None else body if isinstance(body, str) else json.dumps(body)
    try:
        parsed, ok = (json.loads(text), True) if text else (None, False)
    except ValueError:
        parsed, ok = None, False
    return Exchange("POST", "http://t/v2/p/share-servers/s/action", {"X-Auth-Token": "<redacted>"},
                    json.dumps({} if request is None else request), status,
                    {"Content-Type": content_type, **(headers or {})}, text, parsed, ok,
                    None if status else "no answer within the 1 s request timeout")


@pytest.fixture
def verifier(fixture_contract) -> Verifier:
    return Verifier(cat.build(fixture_contract), fixture_contract, RecordSink("t"))


FAULT_CASES = [
    ("manila-400", exchange(400, {"badRequest": {"code": 400, "message": "no"}}), True),
    ("manila-404", exchange(404, {"itemNotFound": {"code": 404, "message": "no"}}), True),
    ("manila-406-computefault", exchange(406, {"computeFault": {"code": 406, "message": "no"}}), True),
    ("wrong-name", exchange(404, {"badRequest": {"code": 404, "message": "no"}}), False),
    ("code-as-string", exchange(400, {"badRequest": {"code": "400", "message": "no"}}), False),
    ("keystone-shape", exchange(400, {"error": {"code": 400, "message": "no"}}), False),
    ("not-json", exchange(400, "<html>oops</html>"), False),
    ("html-content-type", exchange(400, {"badRequest": {"code": 400, "message": "no"}}, "text/html"), False),
    ("two-keys", exchange(400, {"badRequest": {"code": 400, "message": "no"}, "x": 1}), False),
]


@pytest.mark.parametrize(("name", "answer", "holds"), FAULT_CASES, ids=[c[0] for c in FAULT_CASES])
def test_fault_shape(verifier: Verifier, name: str, answer: Exchange, holds: bool) -> None:
    if holds:
        verifier.fault(answer)
    else:
        with pytest.raises(RequirementFailure) as failure:
            verifier.fault(answer)
        assert failure.value.requirement in ("SSM-FAULT-SHAPE", "SSM-HEADER-CONTENT-TYPE-JSON")


ECHOED = {"X-OpenStack-Manila-API-Version": "2.57", "X-OpenStack-Manila-API-Experimental": "True",
          "Vary": "X-OpenStack-Manila-API-Version", "x-compute-request-id": "req-1"}

HEADER_CASES = [
    ("all-present", ECHOED, None),
    ("vary-lists-others-too", {**ECHOED, "Vary": "Accept, x-openstack-manila-api-version"}, None),
    ("no-version-echo", {k: v for k, v in ECHOED.items() if k != "X-OpenStack-Manila-API-Version"},
     "SSM-HEADER-VERSION-ECHO"),
    ("no-vary", {k: v for k, v in ECHOED.items() if k != "Vary"}, "SSM-HEADER-VARY"),
    ("vary-on-something-else", {**ECHOED, "Vary": "Accept"}, "SSM-HEADER-VARY"),
    ("no-request-id", {k: v for k, v in ECHOED.items() if k != "x-compute-request-id"}, "SSM-HEADER-REQUEST-ID"),
    ("empty-request-id", {**ECHOED, "x-compute-request-id": " "}, "SSM-HEADER-REQUEST-ID"),
]


@pytest.mark.parametrize(("name", "headers", "fails"), HEADER_CASES, ids=[c[0] for c in HEADER_CASES])
def test_dispatched_answer_headers(verifier: Verifier, name: str, headers: dict[str, str], fails: str | None) -> None:
    answer = exchange(400, {"badRequest": {"code": 400, "message": "no"}}, headers=headers)
    if fails is None:
        verifier.error("SSM-COMPLETE-IDLE-400", None, answer, 400)
        assert {r.requirement for r in verifier.sink.records} >= {"SSM-HEADER-VARY", "SSM-HEADER-REQUEST-ID"}
    else:
        with pytest.raises(RequirementFailure) as failure:
            verifier.error("SSM-COMPLETE-IDLE-400", None, answer, 400)
        assert failure.value.requirement == fails


PROGRESS_CASES = [
    ("valid", {"total_progress": 50, "task_state": "migration_driver_in_progress",
               "destination_share_server_id": "d"}, None),
    ("missing-field", {"total_progress": 50, "task_state": ""}, "SSM-PROGRESS-RESPONSE-SCHEMA"),
    ("progress-string", {"total_progress": "50", "task_state": "", "destination_share_server_id": ""},
     "SSM-PROGRESS-RESPONSE-SCHEMA"),
    ("unknown-state", {"total_progress": 5, "task_state": "migration_phase_1_done", "destination_share_server_id": ""},
     "SSM-PROGRESS-RESPONSE-SCHEMA"),
]


@pytest.mark.parametrize(("name", "body", "fails"), PROGRESS_CASES, ids=[c[0] for c in PROGRESS_CASES])
def test_progress_success_answers(verifier: Verifier, name: str, body: Any, fails: str | None) -> None:
    answer = exchange(200, body, headers=ECHOED)
    if fails is None:
        verifier.success("migration_get_progress", answer, "2.57")
        assert {r.outcome for r in verifier.sink.records} == {Outcome.PASS}
    else:  # the action succeeded, so the failure is deferred: recorded, and the test fails at its end
        verifier.success("migration_get_progress", answer, "2.57")
        assert [f.requirement for f in verifier.sink.deferred] == [fails]
        assert [r.requirement for r in verifier.sink.records if r.outcome is Outcome.FAIL] == [fails]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [(exchange(None), "no answer within"), (exchange(500, {"computeFault": {"code": 500, "message": "x"}}), "got 500")],
)
def test_status_failures_say_what_happened(verifier: Verifier, answer: Exchange, expected: str) -> None:
    with pytest.raises(RequirementFailure, match=expected):
        verifier.status("SSM-CANCEL-IDLE-400", answer, 400)


CHECK = {"host": "h@b", "writable": True, "nondisruptive": False, "preserve_snapshots": True}
COMPUTE_FAULT = {"computeFault": {"code": 500, "message": "The server has either erred"}}
# (name, requirement, request, status, answer, the defect it is filed under or None for a failure)
DEFECT_CASES = [
    ("no-network-500", "SSM-CHECK-NETWORK-OPTIONAL", {"migration_check": CHECK}, 500, COMPUTE_FAULT,
     "SSM-DEFECT-CHECK-NO-NETWORK-500"),
    ("no-network-503", "SSM-CHECK-NETWORK-OPTIONAL", {"migration_check": CHECK}, 503,
     {"serviceUnavailable": {"code": 503, "message": "x"}}, None),
    ("no-network-500-other-body", "SSM-CHECK-NETWORK-OPTIONAL", {"migration_check": CHECK}, 500,
     "<html>Internal Server Error</html>", None),
    ("with-network-500", "SSM-CHECK-NETWORK-OPTIONAL",
     {"migration_check": {**CHECK, "new_share_network_id": None}}, 500, COMPUTE_FAULT, None),
    ("host-no-at-500", "SSM-HOST-NO-BACKEND-400", {"migration_start": {**CHECK, "host": "h"}}, 500,
     COMPUTE_FAULT, "SSM-DEFECT-HOST-NO-AT-500"),
    ("host-with-at-500", "SSM-HOST-NO-BACKEND-400", {"migration_start": CHECK}, 500, COMPUTE_FAULT, None),
    ("host-no-at-502", "SSM-HOST-NO-BACKEND-400", {"migration_start": {**CHECK, "host": "h"}}, 502,
     {"computeFault": {"code": 502, "message": "x"}}, None),
]


@pytest.mark.parametrize(("name", "requirement", "request_body", "status", "answer", "defect"), DEFECT_CASES,
                         ids=[c[0] for c in DEFECT_CASES])
def test_only_the_defects_own_answer_is_filed_under_it(verifier: Verifier, name: str, requirement: str,
                                                      request_body: Any, status: int, answer: Any,
                                                      defect: str | None) -> None:
    sent = exchange(status, answer, request=request_body)
    expected = 200 if requirement == "SSM-CHECK-NETWORK-OPTIONAL" else 400
    if defect is not None:
        with pytest.raises(pytest.xfail.Exception, match=defect):
            verifier.status(requirement, sent, expected)
        record = verifier.sink.records[-1]
        assert (record.outcome, record.defect) == (Outcome.KNOWN_DEFECT, defect)
    else:
        with pytest.raises(RequirementFailure, match=f"got {status}"):
            verifier.status(requirement, sent, expected)
        assert verifier.sink.records[-1].outcome is Outcome.FAIL


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ((Outcome.PASS, Outcome.FAIL), Outcome.FAIL),
        ((Outcome.PASS, Outcome.KNOWN_DEFECT), Outcome.KNOWN_DEFECT),
        ((Outcome.SKIP, Outcome.PASS), Outcome.PASS),
        ((Outcome.SKIP,), Outcome.SKIP),
        ((), Outcome.NOT_RUN),
        ((Outcome.ERROR, Outcome.PASS), Outcome.ERROR),
    ],
)
def test_worst_outcome_decides(outcomes, expected) -> None:
    assert worst(outcomes) is expected


def test_waits_are_bounded_and_adaptive() -> None:
    seen: list[str] = []
    answers = iter([None, None, None, "done"])
    clock = WaitClock()
    result = Poller(timeout=5, clock=clock, progress=seen.append).wait("x", lambda: (next(answers), "note"))
    assert result.done and result.value == "done" and result.polls == 4
    assert 0.02 + 0.03 + 0.045 <= clock.waited < 0.2
    assert len(seen) == 5 and seen[0].startswith("waiting for x: note") and seen[-1] == ""
    never = Poller(timeout=0.1).wait("y", lambda: (None, "still"))
    assert not never.done and never.elapsed < 0.5 and never.last_note == "still"


def test_catalogue_ids_are_unique_and_every_listed_one_has_a_source(fixture_contract) -> None:
    catalogue = cat.build(fixture_contract)
    ids = [r.id for r in catalogue]
    assert len(ids) == len(set(ids))
    assert all(r.statement and r.source and r.id.startswith("SSM-") for r in catalogue)
    assert "SSM-CHECK-STATUS-200" in catalogue and "SSM-PROGRESS-UNKNOWN-400" in catalogue
