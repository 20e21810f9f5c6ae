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
    """The first compared mainline commit with breaking changes and the first without (a mainline
    commit that is no merge reports exactly its pair's breaking changes)."""
    plain = [r for r in rows if "skipped" not in r and "merges" not in r and "merged_by" not in r]
    with_changes = next(r for r in plain if r["breaking"])
    without = next(r for r in plain if not r["breaking"])
    return [with_changes, without]


def test_every_revision_is_in_the_report_with_its_predecessor(repo: Path, rows: list[dict]) -> None:
    commits = _git.log(repo)
    assert [r["commit"] for r in rows] == [sha[:10] for sha, _, _ in commits]
    shas = [sha for sha, _, _ in commits]
    lines = history.lineage([subject for _, _, subject in commits])
    for index in (1, len(shas) // 2, len(shas) - 1, *list(lines.merged_by)[:2]):
        assert rows[index]["compared_with"] == history.predecessor(repo, shas, index, lines)[:10]


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


def test_a_change_and_its_merge_report_it_once(repo: Path, rows: list[dict]) -> None:
    """c60129d697 (share network subnets) landed through merge e1b499c87b: both pairs show its
    ceilings; the change reports them and the merge does not report them again."""
    by_commit = {r["commit"]: r for r in rows}
    change, merge = by_commit["c60129d697"], by_commit["e1b499c87b"]
    assert change["merged_by"] == merge["commit"] and merge["merges"] == change["commit"]
    merged = history.pair_report(built_at(repo, _full(repo, merge["compared_with"])), built_at(repo, _full(repo, merge["commit"])))
    reported = [(c["rule"], c["location"]) for c in change["breaking"]]
    assert reported and set(reported) <= {(c.rule, c.location) for c in merged}
    assert not set(reported) & {(c["rule"], c["location"]) for c in merge["breaking"]}


def test_commits_that_change_nothing_normative_report_nothing(rows: list[dict]) -> None:
    """Commits whose subjects say they only fix samples, wording or layout (read in the bundle)."""
    quiet = {"8681a65f5a": "Correct json format in api-ref", "8e42a1792a": 'Merge "Correct json format in api-ref"',
             "5eab22d973": "[doc] remove project_id from api endpoints",
             "4198db8929": "Api-ref: Add min_version in the API parameters"}
    by_commit = {r["commit"]: r for r in rows}
    for commit, subject in quiet.items():
        assert by_commit[commit]["subject"] == subject and "skipped" not in by_commit[commit]
        assert by_commit[commit]["breaking"] == [], commit


def test_at_least_90_percent_of_reported_breaking_changes_are_genuine(rows: list[dict]) -> None:
    changes = [c for r in rows for c in r["breaking"]]
    assert sum(c["genuine"] for c in changes) / len(changes) >= 0.9
