"""The soak summary, drift rules that name causes, and `drift` with nothing to judge."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import yaml

from manila_ssm import paths
from manila_ssm.cli import run
from manila_ssm.realmanila import drift, soak

TITLES = drift.errata_titles(yaml.safe_load((paths.spec_dir() / "errata.overlay.yaml").read_text()))


def _entry(seed: int, failures: list, unexplained: list, undecided: list | None = None) -> dict:
    verdict = "does-not-conform" if failures else "incomplete" if undecided else "conforms"
    return {"seed": seed,
            "effective": {"verdict": verdict, "counts": {"pass": 70}, "seconds": 60.0,
                          "reproduce": f"ssm-conformance run --seed {seed}", "failures": failures,
                          "undecided": undecided or []},
            "documented": {"verdict": "fail", "counts": {"fail": 8}, "seconds": 60.0, "divergences": 12,
                           "reproduce": f"ssm-conformance run --contract documented --seed {seed}",
                           "failures": [], "unexplained": unexplained}}


def test_summary_counts_every_false_failure_and_unexplained_divergence(tmp_path: Path) -> None:
    failure = {"requirement": "SSM-START-FUZZ-NEGATIVE", "outcome": "fail", "message": "server error 500", "test": "t"}
    odd = {"requirement": "SSM-CHECK-FUZZ-NEGATIVE", "message": "answered 418", "seen_in": "live t"}
    summary = soak.summarise([_entry(1, [], []), _entry(2, [failure], [odd])], ["ssm-conformance", "x"], {"manila": "v"})
    assert summary["effective"] == {"conform": 1, "incomplete": 0, "false_failures": 1}
    assert summary["documented"] == {"unexplained_divergences": 1}
    assert not summary["holds"]
    json_path, md_path = soak.write(tmp_path, summary)
    text = md_path.read_text()
    assert "ssm-conformance run --seed 2" in text and "answered 418" in text and "`ssm-conformance x`" in text
    assert soak.summarise([_entry(1, [], [])], ["c"], {})["holds"]
    assert json_path.is_file()


def test_an_incomplete_seed_is_no_false_failure_but_the_soak_does_not_hold(tmp_path: Path) -> None:
    gap = {"requirement": "SSM-AFTER-SUCCESS-REFUSES[migration_get_progress]", "reason": "removed too soon"}
    summary = soak.summarise([_entry(1, [], []), _entry(2, [], [], [gap])], ["c"], {})
    assert summary["effective"] == {"conform": 1, "incomplete": 1, "false_failures": 0}
    assert summary["undecided_seeds"] == [2] and not summary["holds"]
    _, md_path = soak.write(tmp_path, summary)
    assert "1 of 2 conform, 1 incomplete, 0 false failures" in md_path.read_text()
    assert "seed 2, effective, undecided SSM-AFTER-SUCCESS-REFUSES[migration_get_progress]: removed too soon" \
        in md_path.read_text()


def test_fresh_seeds_are_distinct() -> None:
    seeds = soak.fresh_seeds(50, random.Random(1))
    assert len(set(seeds)) == 50 and all(0 < s < 2**31 for s in seeds)


def test_status_errata_match_any_generated_request_that_shows_the_cause() -> None:
    # seed 1498116112 on 2026-12-02: a negative case upstream takes, judged as a positive one
    message = ("3 of 25 generated requests: a well-formed request was answered 200, neither 202 nor a "
               "documented error (400, 401, 403, 404, 409)")
    failures = [drift.Failure(f"SSM-{action}-FUZZ-{mode}", message, "live t")
                for action in ("CHECK", "COMPLETE", "PROGRESS") for mode in ("POSITIVE", "NEGATIVE")]
    document = drift.build(failures, [], TITLES, {})
    assert document["unexplained"] == []
    assert {d["erratum"] for d in document["divergences"]} == {"SSM-E02", "SSM-E03", "SSM-E04"}
    other = drift.build([drift.Failure("SSM-CHECK-FUZZ-NEGATIVE", "a schema-invalid request was answered 200, "
                                       "not a documented 4xx (400)", "live t")], [], TITLES, {})
    assert len(other["unexplained"]) == 1, "an accepted request the oracle calls malformed is not a status erratum"


def test_drift_without_cassettes_is_an_error(tmp_path: Path, capsys) -> None:
    code = run(["real-manila", "drift", "--cassettes", str(tmp_path / "none"), "--out", str(tmp_path / "out")],
               sys.stdout, sys.stderr)
    assert code == 2
    assert "no cassettes to judge" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
