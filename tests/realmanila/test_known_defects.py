"""The known-defect predicates against real Manila's recorded answers, in both directions.

tests/cassettes/probes/known-defects.json holds one probe per input class of
every upstream 500 and its 4xx near misses, recorded on manila 23.0.1
(``ssm-conformance real-manila record --only known-defects --out
tests/cassettes/probes``). A predicate that explains a request real Manila
answered below 500, or misses one it answered 500, fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from manila_ssm.realmanila import cassette as cassettes
from manila_ssm.realmanila.verdicts import concrete
from manila_ssm.suite import known_defects

PROBES_DIR = Path(__file__).parent.parent / "cassettes" / "probes"
PROBES = cassettes.load(PROBES_DIR / "known-defects.json")
_TAG = re.compile(r"\[(?P<tag>[A-Z0-9-]+|none)\]$")


def _request(item: dict[str, Any]) -> tuple[str, Any]:
    request = item["request"]
    body = request["json"] if "json" in request else json.loads(request["text"])
    body = concrete(body)
    return next(iter(body)), body


@pytest.mark.parametrize("item", PROBES.interactions, ids=lambda item: item["name"])
def test_predicates_agree_with_real_manila(item: dict[str, Any]) -> None:
    action, body = _request(item)
    status = item["response"]["status"]
    found = known_defects.cause(action, body)
    tag = _TAG.search(item["name"]).group("tag")
    assert (found.id if found else "none") == tag, "the probe's label and the predicate disagree"
    answer = item["response"].get("json") or {}
    if status >= 500:
        assert found is not None, f"real Manila answered {status}; no predicate explains it"
        assert "computeFault" in answer
    elif found is not None:
        # only what the request cannot show may stop upstream first: an unknown network or service
        message = json.dumps(answer)
        assert (status, "not found" in message) == (400, True) or (status, "ServiceNotFound" in message) == (
            404, True), f"real Manila answered {status} {message}, the predicate says {found.id}"


def test_every_defect_is_confirmed_for_both_actions_and_several_input_classes() -> None:
    confirmed: dict[tuple[str, str], int] = {}
    for item in PROBES.interactions:
        action, body = _request(item)
        found = known_defects.cause(action, body)
        if found and item["response"]["status"] == 500:
            confirmed[(found.id, action)] = confirmed.get((found.id, action), 0) + 1
    for defect in known_defects.DEFECTS:
        actions = ("migration_check",) if defect is known_defects.CHECK_WITHOUT_NETWORK else (
            "migration_check", "migration_start")
        for action in actions:
            assert confirmed.get((defect.id, action), 0) >= 1, f"{defect.id} unconfirmed for {action}"
    assert confirmed[(known_defects.HOST_NOT_STRING.id, "migration_check")] >= 5
    assert confirmed[(known_defects.NETWORK_NOT_ONE_VALUE.id, "migration_check")] >= 5


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ({"migration_check": {"host": [{}], "writable": 1, "nondisruptive": "no", "preserve_snapshots": "t"}},
         500, "SSM-DEFECT-HOST-NOT-STRING-500"),
        ({"migration_check": {"host": [{}], "writable": 1, "nondisruptive": "no", "preserve_snapshots": "t"}},
         400, None),
        ({"migration_start": {"host": "a@b", "writable": True, "nondisruptive": False, "preserve_snapshots": True,
                              "new_share_network_id": [{"id": "x"}, {"id": "y"}]}}, 500,
         "SSM-DEFECT-NETWORK-ID-OBJECT-500"),
        ({"migration_start": {"host": "a@b", "writable": True, "nondisruptive": False, "preserve_snapshots": True,
                              "new_share_network_id": ["x"]}}, 500, None),
        ({"migration_check": {"host": "a@b", "writable": "maybe", "nondisruptive": False,
                              "preserve_snapshots": True, "new_share_network_id": {"a": 1}}}, 500, None),
        ({"migration_check": {"host": "a@b", "writable": True, "nondisruptive": False, "preserve_snapshots": True,
                              "new_share_network_id": None}, "extra": 1}, 500, None),
        ({"migration_complete": {"host": None}}, 500, None),
    ],
)
def test_explain_only_5xx_with_a_cause(body: Any, status: int, expected: str | None) -> None:
    action = next(iter(body))
    assert known_defects.explain(action, body, status) == expected


@pytest.mark.parametrize(("status", "last", "race"), [
    (500, "migration_driver_in_progress", True),
    (500, "migration_driver_starting", True),
    (500, "migration_driver_phase1_done", False),
    (500, None, False),
    (400, "migration_driver_in_progress", False),
])
def test_the_progress_race_needs_a_500_right_after_the_driver_ran(status, last, race) -> None:
    assert known_defects.progress_race(status, last) is race


def test_the_progress_race_is_in_the_recorded_polls() -> None:
    """Real Manila's 500 between migration_driver_in_progress and phase1_done, as the recorder saw it."""
    polls = [item["poll"]["seen"] for c in cassettes.load_all(PROBES_DIR.parent) for item in c.interactions
             if "seen" in item.get("poll", {})]
    raced = [seen for seen in polls
             if any(s["status"] == 500 and known_defects.progress_race(500, seen[i - 1].get("task_state"))
                    for i, s in enumerate(seen) if i)]
    assert raced, "no recorded poll shows the race; re-record or drop PROGRESS_RACE"
