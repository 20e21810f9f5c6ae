"""``spec lint`` on the command line: formats, --fail-on and exit codes, input errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from manila_ssm import cli
from lint.sarif_schema import validate_sarif
from ssm_testing import run_cli as run

HERE = Path(__file__).parent
CASES = HERE / "cases"


@pytest.mark.parametrize(
    ("case", "fail_on", "code"),
    [
        ("clean", "info", 0),  # nothing at all
        ("sample-type-mismatch", "error", 1),  # an error
        ("param-order", "error", 0),  # only a warning: below the default threshold
        ("param-order", "warning", 1),
        ("param-version-before-operation", "warning", 0),  # only info
        ("param-version-before-operation", "info", 1),
    ],
)
def test_exit_code_follows_fail_on(case: str, fail_on: str, code: int) -> None:
    assert run("spec", "lint", CASES / case, "--fail-on", fail_on)[0] == code


def test_text_names_place_rule_and_hint() -> None:
    code, out, _ = run("spec", "lint", CASES / "sample-type-mismatch")
    assert code == cli.EXIT_FINDINGS
    first, hint, summary = out.splitlines()
    assert first.startswith("index.rst:41: error: sample `samples/widget-show-response.json` sends `enabled`")
    assert first.endswith("[sample-type-mismatch]") and hint.startswith("  hint: ")
    assert summary.endswith("1 finding (1 errors, 0 warnings, 0 info); 0 more explained by os-api-ref conventions")


def test_json_carries_every_field() -> None:
    code, out, _ = run("spec", "lint", CASES / "errata-status", "--format", "json",
                       "--errata", CASES / "errata-status" / "errata.yaml")
    report = json.loads(out)
    assert code == cli.EXIT_FINDINGS
    assert report["summary"] == {"error": 1, "warning": 1, "info": 0}
    first = report["findings"][0]
    assert set(first) == {"rule", "severity", "file", "line", "message", "hint", "accepted"}
    assert (first["rule"], first["severity"], first["file"], first["line"]) == (
        "status-contradicted-by-erratum", "error", "index.rst", 16,
    )
    assert "W-E01" in first["message"] and first["hint"]


def test_sarif_is_structurally_valid_and_self_consistent(tmp_path: Path) -> None:
    target = tmp_path / "lint.sarif"
    code, out, _ = run("spec", "lint", CASES / "directive-flattened", "--format", "sarif", "-o", target)
    assert code == cli.EXIT_FINDINGS and out == ""
    log = json.loads(target.read_text(encoding="utf-8"))
    validate_sarif(log)
    (sarif_run,) = log["runs"]
    rules = sarif_run["tool"]["driver"]["rules"]
    assert len(sarif_run["results"]) == 5
    for result in sarif_run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == "directive-flattened"
        assert result["level"] == "error"
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": "index.rst", "uriBaseId": "SRCROOT"}
        assert location["region"]["startLine"] >= 1


def test_sarif_uris_of_files_outside_the_tree_are_absolute_file_uris() -> None:
    from manila_ssm.errors import Finding, Location, Severity
    from manila_ssm.lint import LintReport, render

    outside = Finding("sample-type-mismatch", Severity.ERROR, Location("/srv/api ref/x.json", 3), "m", "h")
    inside = Finding("param-order", Severity.WARNING, Location("v2/my params.yaml", 4), "m", "h")
    log = json.loads(render(LintReport("tree", (outside, inside)), "sarif"))
    validate_sarif(log)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in log["runs"][0]["results"]]
    assert uris == [{"uri": "file:///srv/api%20ref/x.json"}, {"uri": "v2/my%20params.yaml", "uriBaseId": "SRCROOT"}]


def test_sarif_maps_info_to_note() -> None:
    _, out, _ = run("spec", "lint", CASES / "param-version-before-operation", "--format", "sarif")
    assert [r["level"] for r in json.loads(out)["runs"][0]["results"]] == ["note"]


def test_missing_tree_is_a_usage_error() -> None:
    code, out, err = run("spec", "lint", HERE / "no-such-tree")
    assert code == cli.EXIT_USAGE and out == ""
    assert "no-such-tree: no such page, tree or folder" in err


@pytest.mark.parametrize(
    ("broken", "text", "where"),
    [
        ("parameters.yaml", "enabled:\n  in: body\n  type: [boolean\n", "parameters.yaml:4"),
        ("samples/widget-show-response.json", '{"enabled": true,\n "name": }\n', "samples/widget-show-response.json:2"),
    ],
)
def test_unreadable_file_is_a_finding_at_its_place(tmp_path: Path, broken: str, text: str, where: str) -> None:
    # As Sphinx: one unreadable file is a located error finding (exit 1), never the end of the run.
    tree = tmp_path / "tree"
    shutil.copytree(CASES / "clean", tree)
    (tree / broken).write_text(text, encoding="utf-8")
    code, out, err = run("spec", "lint", tree)
    assert code == 1 and "Traceback" not in out + err
    assert any(line.startswith(where) and ": error: " in line for line in out.splitlines()), out


def test_malformed_errata_exits_2_with_its_line(tmp_path: Path) -> None:
    errata = tmp_path / "errata.yaml"
    errata.write_text("overlay: 1.0.0\nactions:\n- target: [unclosed\n", encoding="utf-8")
    code, _, err = run("spec", "lint", CASES / "clean", "--errata", errata)
    assert code == cli.EXIT_USAGE
    assert f"{errata.as_posix()}:4" in err and "yaml-syntax" in err and "Traceback" not in err


def test_rules_lists_parser_and_lint_rules() -> None:
    code, out, _ = run("spec", "lint", "--rules")
    ids = {line.split()[0] for line in out.splitlines()}
    assert code == cli.EXIT_OK
    assert {"sample-type-mismatch", "param-unused", "directive-flattened", "param-order"} <= ids


def test_public_api_is_small() -> None:
    import manila_ssm.lint

    assert sorted(manila_ssm.lint.__all__) == ["FORMATS", "LINT_RULES", "LintReport", "lint", "render"]
