"""Replay real Manila's recorded answers against the reference target.

Every recorded request is sent to a fresh reference target with equivalent
fixtures; it must answer with real Manila's status code and body shape,
except where reference-differences.yaml cites a deliberate deviation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from manila_ssm.realmanila import cassette as cassettes
from manila_ssm.realmanila.fixtures import ROLES
from manila_ssm.realmanila.replay import Bindings, replay, shape
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
        elif not (answer.same_status and answer.same_shape):
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
