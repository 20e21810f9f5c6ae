"""The upstream Manila api-ref: the migration page's known defects, the committed report, the seed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lint.sarif_schema import validate_sarif

from manila_ssm import paths
from manila_ssm.lint import LintReport, lint, render
from manila_ssm.lint import artifacts

TREE = artifacts.upstream_tree()
pytestmark = pytest.mark.skipif(TREE is None, reason="../shared/upstream/manila-api-ref (test data) is not beside this checkout")
PAGE = "share-server-migration.inc"

# (rule, line on share-server-migration.inc): manila-behaviour.md §7 rows in the comments.
MIGRATION_DEFECTS = {
    # rows 2-4: check, complete and get_progress answer 200; the page lists 202
    ("status-contradicted-by-erratum", 57),
    ("status-contradicted-by-erratum", 162),
    ("status-contradicted-by-erratum", 216),
    # row 6: get_progress may answer 404 and 500, unlisted
    ("status-missing-per-erratum", 220),
    # row 8: the check and start samples send "True"/"False" strings for booleans
    ("sample-type-mismatch", 92),
    ("sample-type-mismatch", 143),
    # row 13: the action wrappers appear only in the samples
    ("action-wrapper-undeclared", 92),
    ("action-wrapper-undeclared", 143),
    ("action-wrapper-undeclared", 191),
    ("action-wrapper-undeclared", 245),
    ("action-wrapper-undeclared", 287),
    # row 5: complete's parameter list names fields its sample (and Manila) do not return
    ("sample-missing-parameter", 197),
}


@pytest.fixture(scope="module")
def report() -> LintReport:
    assert TREE is not None
    return artifacts.report_of(TREE)


def test_migration_page_lists_its_known_defects(report: LintReport) -> None:
    found = {(f.rule_id, f.location.line) for f in report.findings if f.location.file == PAGE}
    assert MIGRATION_DEFECTS <= found
    booleans = [f.message for f in report.findings if f.location.file == PAGE and f.rule_id == "sample-type-mismatch"]
    assert len(booleans) == 6 and all("a boolean written as a string" in m for m in booleans)


def test_report_paths_are_relative(report: LintReport) -> None:
    assert report.findings and not any(f.location.file.startswith("/") for f in report.findings)


def test_committed_report_is_not_stale(report: LintReport) -> None:
    folder = paths.spec_dir() / "lint"
    for name, fmt in artifacts.FILES.items():
        committed = folder / name
        assert committed.is_file(), f"spec/lint/{name} is missing: run `{artifacts.REGENERATE}`"
        assert committed.read_text(encoding="utf-8") == render(report, fmt), (
            f"spec/lint/{name} is stale: run `{artifacts.REGENERATE}` and commit the result"
        )


def test_upstream_sarif_is_structurally_valid(report: LintReport) -> None:
    log = json.loads(render(report, "sarif"))
    validate_sarif(log)
    assert len(log["runs"][0]["results"]) == len(report.findings)


def test_seed_reports_flattened_directives_and_body_path_parameters(tmp_path: Path) -> None:
    assert TREE is not None
    shared = paths.shared_dir()
    assert shared is not None
    page = tmp_path / "share-server-migration.seed.txt"
    shutil.copy(shared / "seeds" / page.name, page)
    for name in ("parameters.yaml", "status.yaml"):
        shutil.copy(TREE / name, tmp_path / name)
    shutil.copytree(TREE / "samples", tmp_path / "samples")
    findings = lint(page).findings
    flattened = {f.location.line for f in findings if f.rule_id == "directive-flattened"}
    assert {35, 38, 54, 56, 64, 74, 80, 84} <= flattened
    in_body = [f for f in findings if f.rule_id == "path-param-not-declared"]
    assert len(in_body) == 10 and all("`in: body`" in f.message for f in in_body)
    assert {m for f in in_body for m in ("{project_id}", "{share_server_id}") if m in f.message} == {
        "{project_id}", "{share_server_id}",
    }
