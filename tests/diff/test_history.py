"""The committed history report (spec/history) against a fresh diff of a sample of its pairs.

The whole history takes long to build (``python -m manila_ssm.diff.history``);
CI checks one pair that reports breaking changes and one whose commit changed
nothing normative, both rebuilt from the bundle.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from manila_ssm import paths
from manila_ssm.diff import _git, history
from manila_ssm.diff.revisions import built_at

REPORT = paths.spec_dir() / "history" / f"{history.NAME}.json"
shared = paths.shared_dir()
pytestmark = pytest.mark.skipif(
    shared is None or not (shared / "upstream" / history.BUNDLE).is_file(),
    reason=f"../shared/upstream/{history.BUNDLE} (test data) is not beside this checkout")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return history.clone_bundle(tmp_path_factory.mktemp("history") / "repo")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return json.loads(REPORT.read_text(encoding="utf-8"))["commits"]


def _full(repo: Path, short: str) -> str:
    return _git.commit_id(repo, short)


def _sample(rows: list[dict]) -> list[dict]:
    """The first compared pair with breaking changes and the first compared pair without."""
    compared = [r for r in rows if "skipped" not in r]
    with_changes = next(r for r in compared if r["breaking"])
    without = next(r for r in compared if not r["breaking"])
    return [with_changes, without]


def test_every_revision_is_in_the_report_with_its_predecessor(repo: Path, rows: list[dict]) -> None:
    commits = _git.log(repo)
    assert [r["commit"] for r in rows] == [sha[:10] for sha, _, _ in commits]
    shas = [sha for sha, _, _ in commits]
    for index in (1, len(shas) // 2, len(shas) - 1):
        assert rows[index]["compared_with"] == history.predecessor(repo, shas, index)[:10]


@pytest.mark.xfail(strict=True, reason=(
    "known gap (issue 13, open): the committed report predates the tolerant parser and the project_id "
    "route rule; regenerated, it lists 817 breaking changes over 293 pairs, 792 of them not yet labelled"))
def test_sampled_pairs_report_what_the_committed_report_says(repo: Path, rows: list[dict]) -> None:
    for row in _sample(rows):
        old = built_at(repo, _full(repo, row["compared_with"]))
        new = built_at(repo, _full(repo, row["commit"]))
        fresh = [(c.rule, c.location) for c in history.pair_report(old, new)]
        assert fresh == [(c["rule"], c["location"]) for c in row["breaking"]], row["commit"]


def test_reported_breaking_changes_are_labelled_and_located(rows: list[dict]) -> None:
    changes = [c for r in rows for c in r["breaking"]]
    assert changes and all(c["genuine"] is not None and c["why"] for c in changes), "label every change"
    for change in changes:  # RST file:line (a removed operation has none on the new side)
        assert change["old"]["source"] or change["new"]["source"]


@pytest.mark.xfail(strict=True, reason="known gap: 22 of 29 genuine (76%); a sibling branch commit nearer than the "
                   "parent in the linear bundle still shows its fix undone (6a1a8c77b4), see spec/history")
def test_at_least_90_percent_of_reported_breaking_changes_are_genuine(rows: list[dict]) -> None:
    changes = [c for r in rows for c in r["breaking"]]
    assert sum(c["genuine"] for c in changes) / len(changes) >= 0.9
