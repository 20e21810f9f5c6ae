"""Baselines of accepted findings, os-api-ref conventions, and the committed precision samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from manila_ssm import cli, paths
from manila_ssm.errors import Finding, Location, Severity
from manila_ssm.lint import baseline, precision
from manila_ssm.lint._conventions import is_json_patch, is_json_schema, template_pattern
from ssm_testing import run_cli as run

CASES = Path(__file__).parent / "cases"


def test_a_baseline_accepts_known_findings_and_fails_on_new_ones(tmp_path: Path) -> None:
    accepted = tmp_path / "baseline.json"
    code, _, err = run("spec", "lint", CASES / "param-order", "--write-baseline", accepted)
    assert code == cli.EXIT_OK and "accepted findings" in err
    code, out, _ = run("spec", "lint", CASES / "param-order", "--fail-on", "warning", "--baseline", accepted)
    assert code == cli.EXIT_OK and "accepted by the baseline" in out
    # a baseline of another tree accepts nothing here
    code, _, _ = run("spec", "lint", CASES / "sample-type-mismatch", "--baseline", accepted)
    assert code == cli.EXIT_FINDINGS


def test_sarif_marks_baseline_state(tmp_path: Path) -> None:
    accepted = tmp_path / "baseline.json"
    baseline.write(accepted, [])
    _, out, _ = run("spec", "lint", CASES / "param-order", "--format", "sarif", "--baseline", accepted)
    results = json.loads(out)["runs"][0]["results"]
    assert results and {r["baselineState"] for r in results} == {"new"}
    assert all(r["partialFingerprints"]["ssmLint/v1"] for r in results)


def test_fingerprints_ignore_line_numbers() -> None:
    one = Finding("r", Severity.WARNING, Location("a.inc", 3), "declared at parameters.yaml:10")
    two = Finding("r", Severity.WARNING, Location("a.inc", 9), "declared at parameters.yaml:12")
    assert baseline.fingerprint(one) == baseline.fingerprint(two)
    new, known = baseline.split([one, two], baseline.Counter([baseline.fingerprint(one)]))
    assert (new, known) == ([two], [one])  # accepted once, so the second copy is new


@pytest.mark.parametrize("text", ['{"version": 1, "findings": [', '[]', '{"version": 1, "findings": [{"rule": 1}]}'])
def test_a_bad_baseline_is_a_usage_error(tmp_path: Path, text: str) -> None:
    bad = tmp_path / "baseline.json"
    bad.write_text(text, encoding="utf-8")
    code, _, err = run("spec", "lint", CASES / "clean", "--baseline", bad)
    assert code == cli.EXIT_USAGE and str(bad) in err and "Traceback" not in err


@pytest.mark.parametrize(("name", "key", "matches"), [
    ("snapshots_{volume_type}", "snapshots_ceph", True),
    ("snapshots_{volume_type}", "gigabytes", False),
    ("<key>", "anything", True),
    ("plain", "plain", None),
])
def test_templated_keys(name: str, key: str, matches: bool | None) -> None:
    pattern = template_pattern(name)
    assert (None if pattern is None else bool(pattern.match(key))) == matches


def test_sample_shapes() -> None:
    assert is_json_schema({"name": "image", "properties": {"id": {"type": "string"}}})
    assert not is_json_schema({"share": {"properties": {"a": 1}}})
    assert is_json_patch([{"op": "replace", "path": "/name", "value": "x"}])
    assert not is_json_patch([{"path": "/name"}])


def test_precision_samples_are_fresh_labelled_and_precise() -> None:
    """The committed samples match a fresh lint of each tree, every entry is labelled, precision >= 95%."""
    shared = paths.shared_dir()
    if shared is None or not (shared / "upstream").is_dir():
        pytest.skip("../shared/upstream (test data) is not beside this checkout")
    results, files = precision.expected(shared)
    base = paths.spec_dir() / "lint"
    stale = [n for n, text in files.items() if not (base / n).is_file() or (base / n).read_text(encoding="utf-8") != text]
    assert not stale, f"stale: {stale}; run `{precision.REGENERATE}` and label the new entries"
    for result in results:
        if result.failure is not None:
            continue  # recorded in precision.md as not linting; the build work makes it lint
        assert result.unlabelled == 0, f"{result.name}: label every sampled finding"
        assert result.precision is not None and result.precision >= precision.GOAL, result.name
        assert result.explained > 0  # the conventions (project_id segment, wrappers, ...) are in use
