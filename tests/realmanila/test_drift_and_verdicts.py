"""The suite's requirements on real Manila's recorded answers, and the drift report.

Under the effective contract every recorded answer meets the suite's
per-action requirements, except the listed upstream defects; under the
documented contract every failure is explained by an erratum, and the
committed spec/drift/ report says exactly that.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from manila_ssm import paths
from manila_ssm.realmanila import cassette as cassettes
from manila_ssm.realmanila import drift
from manila_ssm.realmanila.verdicts import KNOWN_DEFECTS, decide
from manila_ssm.suite.catalogue import build
from manila_ssm.suite.contract import load

ROOT = Path(__file__).parent.parent.parent
ALL = cassettes.load_all(ROOT / "tests" / "cassettes")
COMMITTED = json.loads((ROOT / "spec" / "drift" / "drift.json").read_text())
TITLES = drift.errata_titles(yaml.safe_load((paths.spec_dir() / "errata.overlay.yaml").read_text()))


@pytest.mark.parametrize("recorded", ALL, ids=lambda c: c.scenario)
def test_recorded_answers_meet_the_effective_contract(recorded: cassettes.Cassette) -> None:
    verdicts = list(decide(recorded, load("effective")))
    failed = [f"{v.interaction}: {v.requirement}: {v.message}" for v in verdicts if v.outcome == "fail"]
    assert not failed, "\n".join(failed)
    defects = {v.interaction: v.requirement for v in verdicts if v.outcome == "known-defect"}
    assert defects == {k: v[0] for k, v in KNOWN_DEFECTS.items() if k in defects}
    assert all(v.defect for v in verdicts if v.outcome == "known-defect")


def test_every_known_defect_is_one_the_suite_reports() -> None:
    catalogue = build(load("effective"))
    assert all(catalogue[requirement].defect is not None for requirement, _ in KNOWN_DEFECTS.values())
    recorded = {item["name"] for c in ALL for item in c.interactions if item["response"]["status"] >= 500}
    assert recorded == set(KNOWN_DEFECTS), "every recorded 500 must be a listed known defect"


def test_documented_contract_failures_all_map_to_errata() -> None:
    failures, _ = drift.from_cassettes(ALL, load("documented"))
    assert failures, "the upstream page is known to diverge; no failure means the check is broken"
    document = drift.build(failures, [], TITLES, {})
    assert document["unexplained"] == []
    assert {"SSM-E01", "SSM-E02", "SSM-E03", "SSM-E04", "SSM-E05", "SSM-E08", "SSM-E09", "SSM-E11"} <= set(
        document["errata_observed"])


def test_committed_drift_report_is_current_and_fully_explained() -> None:
    assert COMMITTED["unexplained"] == []
    assert {d["erratum"] for d in COMMITTED["divergences"]} <= set(TITLES)
    fresh = drift.build(drift.from_cassettes(ALL, load("documented"))[0], [], TITLES, {})
    from_cassettes = {(d["erratum"], d["requirement"]) for d in fresh["divergences"]}
    committed = {(d["erratum"], d["requirement"]) for d in COMMITTED["divergences"] if "cassette" in d["sources"]}
    assert committed == from_cassettes, "re-run `ssm-conformance real-manila drift` and commit spec/drift/"
    assert (ROOT / "spec" / "drift" / "drift.md").read_text() == drift.markdown(COMMITTED)


@pytest.mark.parametrize(
    ("requirement", "message", "erratum"),
    [
        ("contract-path", "anything", "SSM-E01"),
        ("SSM-CHECK-STATUS-202", "expected 202, got 200", "SSM-E02"),
        ("SSM-CHECK-FUZZ-NEGATIVE", "accepted: migration_check/writable: 'yes' is not of type 'boolean'", "SSM-E08"),
        ("SSM-CHECK-STATUS-202", "expected 202, got 500", None),
        # the state model's words for the same status errata, seen live on Manila 23.0.1
        ("SSM-CHECK-STATUS-202", "migration_check on server s (may be idle) answered 200; the model allows 202 or "
                                 "400 or 404 or 409 [§2.1; §4.6 row 'active'; state-model.yaml:49]", "SSM-E02"),
        ("SSM-PROGRESS-AFTER-SUCCESS", "migration_get_progress on server s (may be migrated, removed) answered 200; "
                                       "the model allows 202 or 400 [§2.4 step 1]", "SSM-E04"),
        ("SSM-COMPLETE-STATUS-202", "migration_complete on server s (may be phase1_done) answered 200; the model "
                                    "allows 202 [§2.3 steps 2-7]", "SSM-E03"),
        ("SSM-COMPLETE-STATUS-202", "migration_complete on server s (may be phase1_done) answered 500; the model "
                                    "allows 202 [§2.3 steps 2-7]", None),
        ("SSM-STATE-TRANSITIONS", "server s shows server_migrating/migration_completing (completing), which the "
                                  "model does not reach from phase1_done", "SSM-E03"),
        ("SSM-STATE-TRANSITIONS", "server s shows active/None (idle), which the model does not reach from "
                                  "phase1_done", None),
        # the random sequences, seen live (seed 1256150449): the broken requirement and its message
        ("SSM-STATEFUL-SEQUENCES", "the model's prediction failed (SSM-CHECK-STATUS-202: migration_check on server s "
                                   "(may be idle) answered 200; the model allows 202 or 400 [§2.1]); shortest "
                                   "sequence:\nstate.check(flags='default')", "SSM-E02"),
        ("SSM-STATEFUL-SEQUENCES", "the model's prediction failed (SSM-PROGRESS-STATUS-202: expected 202, got 200); "
                                   "shortest sequence:\nstate.get_progress()", "SSM-E04"),
        ("SSM-STATEFUL-SEQUENCES", "the model's prediction failed (SSM-CHECK-STATUS-202: migration_check on server s "
                                   "(may be idle) answered 500; the model allows 202 [§2.1]); shortest sequence:", None),
        ("SSM-STATEFUL-SEQUENCES", "the model's prediction failed (SSM-CHECK-STATUS-202); shortest sequence:", None),
    ],
)
def test_rules_match_on_requirement_and_message(requirement: str, message: str, erratum: str | None) -> None:
    assert drift._match(drift.Failure(requirement, message, "x"), drift.rules()) == erratum
