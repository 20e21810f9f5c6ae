"""``spec diff`` on the command line: formats, exit codes, ignore files, input errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from manila_ssm import cli
from lint.sarif_schema import validate_sarif
from ssm_testing import run_cli as run

HERE = Path(__file__).parent
RENAME = HERE / "cases" / "response-field-renamed"
IGNORES = HERE / "ignores"


def test_breaking_change_exits_1_and_text_names_both_places() -> None:
    code, out, _ = run("spec", "diff", RENAME / "old.json", RENAME / "new.json")
    assert code == cli.EXIT_FINDINGS
    assert "[response-field-renamed]" in out and "1 breaking" in out
    assert "old: /components/schemas/ShareServersActionMigrationCheckResponse/properties/compatible" in out
    assert "new: /components/schemas/ShareServersActionMigrationCheckResponse/properties/is_compatible" in out


def test_non_breaking_change_exits_0() -> None:
    case = HERE / "cases" / "request-field-optional"
    code, out, _ = run("spec", "diff", case / "old.json", case / "new.json")
    assert code == cli.EXIT_OK
    assert "0 breaking" in out and "[request-field-optional]" in out


def test_json_output_carries_pointers_and_operation_ids() -> None:
    code, out, _ = run("spec", "diff", RENAME / "old.json", RENAME / "new.json", "--format", "json")
    report = json.loads(out)
    assert code == cli.EXIT_FINDINGS
    assert report["summary"] == {"breaking": 1, "ignored": 0, "non_breaking": 0}
    change = report["breaking"][0]
    assert change["action"] == "migration_check"
    assert change["old"]["operationId"] == change["new"]["operationId"] == "share-servers/id/action:post"


def test_markdown_output_is_a_table_for_a_ci_comment(tmp_path: Path) -> None:
    target = tmp_path / "diff.md"
    code, out, _ = run("spec", "diff", RENAME / "old.json", RENAME / "new.json", "--format", "markdown", "-o", target)
    text = target.read_text(encoding="utf-8")
    assert code == cli.EXIT_FINDINGS and out == ""
    assert text.startswith("### :x: API diff")
    assert "| `response-field-renamed` |" in text


def test_ignore_file_with_reason_lets_the_gate_pass() -> None:
    code, out, _ = run("spec", "diff", RENAME / "old.json", RENAME / "new.json", "--ignore", IGNORES / "accepts-rename.yaml")
    assert code == cli.EXIT_OK
    assert "1 breaking but ignored" in out and "the old name never shipped" in out


def test_unused_ignore_entry_is_reported() -> None:
    code, out, err = run("spec", "diff", RENAME / "old.json", RENAME / "new.json", "--ignore", IGNORES / "unused-entry.yaml")
    assert code == cli.EXIT_OK
    assert "unused-entry.yaml:4: ignore entry matched no breaking change" in out
    assert "unused-entry.yaml:4: unused ignore entry (operation-removed)" in err


@pytest.mark.parametrize(("ignore", "messages"), [
    ("missing-reason.yaml", ["missing-reason.yaml:1: error: ignore entry without a reason",
                             "missing-reason.yaml:3: error: unknown rule 'no-such-rule'"]),
    ("not-a-list.yaml", ["not-a-list.yaml:1: error: the ignore file must be a YAML list"]),
    ("bad-syntax.yaml", ["bad-syntax.yaml:3: error: invalid YAML"]),
])
def test_bad_ignore_file_is_an_input_error(ignore: str, messages: list[str]) -> None:
    code, _, err = run("spec", "diff", RENAME / "old.json", RENAME / "new.json", "--ignore", IGNORES / ignore)
    assert code == cli.EXIT_USAGE
    for message in messages:
        assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("text", "suffix", "message"), [
    ('{"openapi": "3.1.0",\n  "paths": {,}}\n', ".json", "bad.json:2: error: invalid JSON: Expecting property name"),
    ("openapi: 3.1.0\npaths:\n  /x: [\n", ".yaml", "bad.yaml:4: error: invalid YAML"),
    ('{"swagger": "2.0"}', ".json", "bad.json: error: not an OpenAPI document"),
    ('{"openapi": "3.1.0", "paths": {"/x": {"get": {"responses": {"200": {"$ref": "#/nowhere"}}}}}}', ".json",
     "bad.json#/paths/~1x/get/responses/200: error: $ref '#/nowhere' points to nothing"),
    ("not json", ".txt", "not an OpenAPI file (.json, .yaml)"),
    ('{"openapi": "3.1.0", "paths": {"/x": {"get": {"responses": [200]}}}}', ".json",
     "bad.json#/paths/~1x/get/responses: error: expected an object, found list"),
    ('{"openapi": "3.1.0", "paths": {"/x": {"post": {"requestBody": {"content": {"application/json": {"schema": '
     '{"properties": {"a": 1, "b": {"properties": []}}}}}}}}}}', ".json",
     "bad.json#/paths/~1x/post/requestBody/content/application~1json/schema/properties/b/properties: "
     "error: expected an object, found list"),
])
def test_bad_document_is_an_input_error(tmp_path: Path, text: str, suffix: str, message: str) -> None:
    bad = tmp_path / f"bad{suffix}"
    bad.write_text(text, encoding="utf-8")
    code, _, err = run("spec", "diff", bad, bad)  # against itself: every part of it is compared
    assert code == cli.EXIT_USAGE
    assert message in err.replace(str(tmp_path) + "/", "")
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ("spec", "diff", "no-such.json", str(RENAME / "new.json")),
    ("spec", "diff", str(RENAME / "old.json")),
    ("spec", "diff", "HEAD~999:x.json", str(RENAME / "new.json")),
])
def test_usage_errors_exit_2(argv: tuple[str, ...]) -> None:
    code, _, err = run(*argv)
    assert code == cli.EXIT_USAGE
    assert "error:" in err and "Traceback" not in err


def test_rules_lists_every_rule_with_its_class() -> None:
    code, out, _ = run("spec", "diff", "--rules")
    assert code == cli.EXIT_OK
    assert any(line.split()[:2] == ["action-removed", "breaking"] for line in out.splitlines())


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid",
                    "-c", "commit.gpgsign=false", *args], check=True, capture_output=True)


def test_git_revisions_of_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / "spec").mkdir(parents=True)
    _git(repo, "init", "-q")
    for source in ("old.json", "new.json"):
        (repo / "spec" / "api.json").write_bytes((RENAME / source).read_bytes())
        _git(repo, "add", "spec/api.json")
        _git(repo, "commit", "-q", "-m", source)
    monkeypatch.chdir(repo)
    code, out, _ = run("spec", "diff", "HEAD~1:spec/api.json", "HEAD:spec/api.json", "--format", "json")
    assert code == cli.EXIT_FINDINGS
    assert json.loads(out)["breaking"][0]["rule"] == "response-field-renamed"
    code, _, err = run("spec", "diff", "HEAD:spec/missing.json", "HEAD:spec/api.json")
    assert code == cli.EXIT_USAGE and "has no 'spec/missing.json'" in err


def test_the_project_contracts_documented_to_effective() -> None:
    """The errata move the actions from the api-ref's share_servers to the routed share-servers."""
    spec = Path(__file__).parents[2] / "spec" / "openapi"
    code, out, _ = run("spec", "diff", spec / "documented.json", spec / "effective.json", "--format", "json")
    report = json.loads(out)
    assert code == cli.EXIT_FINDINGS
    moves = [c for c in report["breaking"] if c["rule"] == "operation-path-changed"]
    # reported once, not once per route ({project_id} and project-less)
    assert [c["operation"] for c in moves] == ["POST /v2/share-servers/{share_server_id}/action"]
    actions = {c["action"] for c in report["breaking"] + report["non_breaking"]}
    assert {"migration_check", "migration_start", "migration_complete"} <= actions  # compared action by action
    code, out, _ = run("spec", "diff", spec / "effective.json", spec / "effective.json")
    assert code == cli.EXIT_OK and "0 breaking, 0 breaking but ignored, 0 non-breaking" in out


TREES = HERE / "trees"  # a tiny os-api-ref tree; v2 makes the optional request field size required


def test_api_ref_trees_are_parsed_built_and_compared() -> None:
    code, out, _ = run("spec", "diff", TREES / "v1", TREES / "v2" / "index.rst", "--format", "json")
    report = json.loads(out)
    assert code == cli.EXIT_FINDINGS
    # one change, reported once although the builder gives the operation two URL forms
    assert [(c["rule"], c["subject"]) for c in report["breaking"]] == [
        ("request-field-required-added", "request field thing.size")]
    change = report["breaking"][0]
    assert change["old"]["source"] == change["new"]["source"] == "things.inc:9"  # the rest_method, both sides


def test_git_revisions_of_a_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    for version in ("v1", "v2"):
        shutil.rmtree(repo / "api-ref", ignore_errors=True)
        shutil.copytree(TREES / version, repo / "api-ref")
        _git(repo, "add", "-A", "api-ref")
        _git(repo, "commit", "-q", "-m", version)
    monkeypatch.chdir(repo)
    code, out, _ = run("spec", "diff", "HEAD~1:api-ref", "HEAD:api-ref")
    assert code == cli.EXIT_FINDINGS
    assert "[request-field-required-added]" in out and "thing.size" in out
    code, out, _ = run("spec", "diff", "HEAD:api-ref", "api-ref")  # a revision against the work tree
    assert code == cli.EXIT_OK and "0 breaking, 0 breaking but ignored, 0 non-breaking" in out
    code, out, _ = run("spec", "diff", "HEAD~1", "HEAD", "--tree", "api-ref")  # two revisions of the history
    assert code == cli.EXIT_FINDINGS and "thing.size" in out
    code, out, _ = run("spec", "diff", "--base", "HEAD~1", "api-ref")  # the tree against itself at a revision
    assert code == cli.EXIT_FINDINGS and "thing.size" in out and "(things.inc:9)" in out
    code, out, _ = run("spec", "diff", "--base", "HEAD", "api-ref")
    assert code == cli.EXIT_OK
    code, _, err = run("spec", "diff", "--base", "no-such-rev", "api-ref")
    assert code == cli.EXIT_USAGE and "no-such-rev" in err




def test_sarif_breaking_changes_have_rst_locations() -> None:
    code, out, _ = run("spec", "diff", TREES / "v1", TREES / "v2", "--format", "sarif")
    log = json.loads(out)
    validate_sarif(log)
    (result,) = log["runs"][0]["results"]
    assert code == cli.EXIT_FINDINGS and result["ruleId"] == "request-field-required-added"
    physical = result["locations"][0]["physicalLocation"]
    assert physical == {"artifactLocation": {"uri": "things.inc", "uriBaseId": "SRCROOT"}, "region": {"startLine": 9}}
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
