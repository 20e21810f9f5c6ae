"""Data-driven parser cases: each folder of ``cases/`` holds an input and ``case.yaml``.

``case.yaml`` (schema: ``case-schema.json``) names the source to parse and what
must come out: every finding as ``rule-id file:line``, and optionally a model
summary. Operation summaries compare only the keys a case gives. Body trees
are written as nested mappings: a leaf is the sample's JSON type (``missing``
when the sample does not show a declared parameter), an object is a mapping of
its children, and a key the page does not declare ends with ``*``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from manila_ssm.apiref import load_parameters, load_status_codes, parse, rules
from manila_ssm.errors import Finding, SpecError
from manila_ssm.model import ApiRef, BodyNode, Operation

HERE = Path(__file__).parent
CASES = HERE / "cases"
SCHEMA = json.loads((HERE / "case-schema.json").read_text(encoding="utf-8"))
CASE_DIRS = sorted(p for p in CASES.iterdir() if p.is_dir())


def load_case(folder: Path) -> dict[str, Any]:
    return yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))


def body_summary(nodes: tuple[BodyNode, ...]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for node in nodes:
        key = node.key if node.parameter is not None else f"{node.key}*"
        summary[key] = body_summary(node.children) if node.children else (node.sample_type or "missing")
    return summary


def operation_summary(op: Operation) -> dict[str, Any]:
    return {
        "title": op.title,
        "section": op.section,
        "method": op.method,
        "path": op.path,
        "action": op.action,
        "min_version": op.min_version,
        "max_version": op.max_version,
        "description": op.description,
        "success": [c.code for c in op.success_codes],
        "error": [c.code for c in op.error_codes],
        "status_text": {c.code: c.description for c in op.success_codes + op.error_codes},
        "request": [f"{p.name}:{p.definition.in_}" for p in op.request_parameters],
        "response": [f"{p.name}:{p.definition.in_}" for p in op.response_parameters],
        "request_samples": [s.path for s in op.request_samples],
        "response_samples": [s.path for s in op.response_samples],
        "languages": [s.language for s in op.request_samples + op.response_samples],
        "request_body": body_summary(op.request_body),
        "response_body": body_summary(op.response_body),
        "version_notes": [
            f"{n.kind} {n.version}" + (f": {n.text}" if n.text else "") for n in op.version_notes
        ],
        "admonitions": [f"{a.kind}: {a.text}" for a in op.admonitions],
    }


def finding_key(finding: Finding) -> str:
    return f"{finding.rule_id} {finding.location}"


def run_case(folder: Path, case: dict[str, Any]) -> tuple[list[Finding], dict[str, Any]]:
    """Findings and a summary of what parsing the case's source gave."""
    source = folder / case["source"]
    kind = case.get("kind", "page")
    try:
        if kind == "parameters":
            table, found = load_parameters(source, case["source"])
            return found, {"parameters": {k: _parameter(v) for k, v in table.items()}}
        if kind == "status":
            codes, found = load_status_codes(source, case["source"])
            return found, {"codes": {code: entry.reasons for code, entry in codes.items()}}
        result: ApiRef = parse(source, strict=case.get("strict", False))
    except SpecError as error:
        return list(error.findings), {"error": True}
    return list(result.findings), {
        "error": False,
        "title": result.title,
        "sections": [s.title for s in result.sections],
        "parameter_files": list(result.parameter_files),
        "operations": [operation_summary(op) for op in result.operations],
    }


def _parameter(definition: Any) -> dict[str, Any]:
    fields = {
        "in": definition.in_,
        "type": definition.type,
        "required": definition.required,
        "line": definition.location.line,
    }
    for name in ("min_version", "max_version", "format"):
        if getattr(definition, name) is not None:
            fields[name] = getattr(definition, name)
    return fields


@pytest.mark.parametrize("folder", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_case(folder: Path) -> None:
    case = load_case(folder)
    expect = case["expect"]
    findings, summary = run_case(folder, case)
    assert Counter(finding_key(f) for f in findings) == Counter(expect["findings"]), "\n".join(
        f.format() for f in findings
    )
    for key, text in expect.get("messages", {}).items():
        matching = [f for f in findings if finding_key(f) == key]
        assert matching and any(text in f.message for f in matching), (key, [f.message for f in matching])
    assert summary.get("error", False) == expect.get("error", False)
    for key in ("title", "sections", "parameter_files", "parameters", "codes"):
        if key in expect:
            assert summary[key] == expect[key], key
    if "operations" in expect:
        got = summary["operations"]
        assert len(got) == len(expect["operations"])
        for actual, wanted in zip(got, expect["operations"]):
            assert {k: actual[k] for k in wanted} == wanted


# --- sanity of the case data itself ----------------------------------------------------------


def test_cases_follow_the_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for folder in CASE_DIRS:
        case = load_case(folder)
        errors = [e.message for e in validator.iter_errors(case)]
        assert not errors, (folder.name, errors)
        assert (folder / case["source"]).exists(), folder.name


def test_case_descriptions_are_unique_and_rule_ids_known() -> None:
    descriptions = Counter(load_case(folder)["description"] for folder in CASE_DIRS)
    assert [d for d, n in descriptions.items() if n > 1] == []
    for folder in CASE_DIRS:
        for key in load_case(folder)["expect"]["findings"]:
            assert key.split()[0] in rules.RULES, (folder.name, key)


def test_every_parser_rule_has_a_case() -> None:
    covered = {key.split()[0] for folder in CASE_DIRS for key in load_case(folder)["expect"]["findings"]}
    parser_rules = {rule.id for rule in rules.RULES.values() if rule.stage == "parse"}
    assert parser_rules - covered == set()
