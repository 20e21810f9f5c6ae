"""Replay real Manila's recorded answers against the reference target.

Every recorded request is sent to a fresh reference target with equivalent
fixtures; it must answer with real Manila's status code and body shape,
except where reference-differences.yaml cites a deliberate deviation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from manila_ssm.realmanila import cassette as cassettes
from manila_ssm.realmanila.fixtures import ROLES
from manila_ssm.realmanila.replay import Bindings, ReplayError, replay, shape
from manila_ssm.reference.config import ADMIN_PROJECT, ADMIN_TOKEN, DEMO_PROJECT, DEMO_TOKEN
from manila_ssm.reference.deviations import DEVIATIONS
from manila_ssm.reference.server import ReferenceTarget

HERE = Path(__file__).parent
CASSETTES = HERE.parent / "cassettes"
DIFFERENCES = yaml.safe_load((HERE / "reference-differences.yaml").read_text())["differences"]
EXPECTED = {(d["scenario"], d["interaction"]): d for d in DIFFERENCES}
ALL = cassettes.load_all(CASSETTES)


def _fixture(target: ReferenceTarget, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = requests.post(f"{target.base_url}/_reference/{path}", json=body,
                           headers={"X-Auth-Token": ADMIN_TOKEN}, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()


def bindings_for(target: ReferenceTarget) -> Bindings:
    """The reference target's equivalents of every fixture placeholder."""
    values = {
        "{token:admin}": ADMIN_TOKEN, "{token:non_admin}": DEMO_TOKEN,
        "{project:admin}": ADMIN_PROJECT, "{project:non_admin}": DEMO_PROJECT,
        "{host:bare}": "ref", "{api:root}": target.base_url,
    }
    for backend in ("alpha", "beta", "gamma"):
        values[f"{{host:{backend}}}"] = f"ref@{backend}"
    for role, (source, _) in ROLES.items():
        created = _fixture(target, "share-servers", {"host": f"ref@{source}", "shares": 1})
        server = created["share_server"]
        values[f"{{server:{role}}}"] = server["id"]
        values[f"{{share_network:{role}}}"] = server["share_network_id"]
        values[f"{{share:{role}}}"] = created["shares"][0]
    values["{share_network:new}"] = _fixture(target, "share-networks", {})["share_network"]["id"]
    return Bindings(values)


@pytest.fixture(scope="module")
def answers() -> dict[str, list]:
    replayed = {}
    for recorded in ALL:
        with ReferenceTarget.start() as target:
            replayed[recorded.scenario] = replay(recorded, target.base_url, bindings_for(target))
    return replayed


def test_cassettes_cover_the_scenarios() -> None:
    assert {c.scenario for c in ALL} >= {"happy-path", "cancel", "unknown-ids", "non-admin",
                                         "idle-errors", "bad-bodies", "headers-versions-urls",
                                         "new-share-network"}


@pytest.mark.parametrize("recorded", ALL, ids=lambda c: c.scenario)
def test_reference_answers_like_real_manila(recorded: cassettes.Cassette, answers: dict[str, list]) -> None:
    mismatches = []
    for answer in answers[recorded.scenario]:
        expected = EXPECTED.get((recorded.scenario, answer.name))
        if expected is not None:
            if (answer.recorded_status, answer.status) != (expected["upstream"], expected["reference"]):
                mismatches.append(f"{answer.describe()} (expected {expected['upstream']} -> "
                                  f"{expected['reference']} per {expected['deviation']})")
        elif not (answer.same_status and answer.same_shape and answer.same_values):
            mismatches.append(answer.describe())
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("difference", DIFFERENCES, ids=lambda d: d["interaction"])
def test_each_difference_cites_a_reference_deviation(difference: dict[str, Any]) -> None:
    assert difference["deviation"] in {d.id for d in DEVIATIONS}
    recorded = next(c for c in ALL if c.scenario == difference["scenario"])
    names = [item["name"] for item in recorded.interactions]
    assert difference["interaction"] in names, f"{difference['interaction']!r} is not in {recorded.scenario}"


def test_shape_ignores_values_but_not_keys() -> None:
    assert shape({"a": 1, "b": ["x"]}) == shape({"b": ["y", "z"], "a": 2})
    assert shape({"badRequest": {"code": 400}}) != shape({"itemNotFound": {"code": 404}})


def _tampered(recorded: cassettes.Cassette, name: str, change) -> cassettes.Cassette:
    items = json.loads(json.dumps(list(recorded.interactions)))
    change(next(item for item in items if item["name"] == name))
    return cassettes.Cassette(recorded.scenario, recorded.description, recorded.recorded_with, tuple(items))


def _phase1(item: dict[str, Any]) -> None:
    item["response"]["json"]["total_progress"] = 99
    item["response"]["json"]["task_state"] = "migration_driver_in_progress"


def _seen_order(item: dict[str, Any]) -> None:
    item["poll"]["seen"] = list(reversed(item["poll"]["seen"]))


@pytest.mark.parametrize(("name", "change", "message"), [
    ("progress at phase 1 done", _phase1, "total_progress 100, recorded 99"),
    ("progress until phase 1 is done", _seen_order, "recorded: 'migration_driver_in_progress'/50 cannot follow"),
])
def test_a_changed_task_state_or_progress_value_fails_the_replay(name, change, message) -> None:
    recorded = next(c for c in ALL if c.scenario == "happy-path")
    with ReferenceTarget.start() as target:
        answers = replay(_tampered(recorded, name, change), target.base_url, bindings_for(target))
    answer = next(a for a in answers if a.name == name)
    assert not answer.same_values
    assert message in answer.describe()


def test_a_poll_that_never_ends_fails_with_what_it_last_saw() -> None:
    recorded = next(c for c in ALL if c.scenario == "happy-path")
    never = _tampered(recorded, "progress until phase 1 is done",
                      lambda item: item["poll"]["until"].update(task_state="no_such_state"))
    with ReferenceTarget.start() as target, pytest.raises(ReplayError, match="last answered 200 .*phase1_done"):
        replay(never, target.base_url, bindings_for(target), poll_timeout=1)


@pytest.mark.parametrize(("seen", "problem"), [
    ([{"status": 200, "task_state": "migration_driver_in_progress", "total_progress": 150}], "no get_progress answer"),
    ([{"status": 200, "task_state": "migration_driver_phase1_done", "total_progress": 100},
      {"status": 200, "task_state": "migration_driver_starting", "total_progress": 0}], "cannot follow"),
    ([{"status": 200, "task_state": "", "total_progress": 0},
      {"status": 500},
      {"status": 200, "task_state": "migration_driver_phase1_done", "total_progress": 100}], None),
])
def test_poll_sequences_are_held_to_the_state_model(seen, problem) -> None:
    from manila_ssm.realmanila.replay import sequence_problems

    found = sequence_problems(seen)
    assert (not found) if problem is None else any(problem in p for p in found)
