"""``spec validate`` as a function: classify each file, check it, collect findings.

A JSON file is an OpenAPI document (it has ``openapi``), a JSON Schema (it
has ``$schema``), or a sample our own api-ref includes (checked against the
effective schema of its action). A file that is missing, not JSON, an
invalid OpenAPI document or an invalid schema is an *input error*; examples
and samples that do not match their schemas are *findings*.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manila_ssm import jsonio, paths
from manila_ssm.apiref import parse
from manila_ssm.builder.contracts import DOCUMENTED, EFFECTIVE, own_source
from manila_ssm.builder.validate import Locate, instance_errors, pointer, validate_examples, validate_openapi, validate_schema
from manila_ssm.errors import Finding, Location, Severity, SpecError

RULE_INPUT = "SSM-VALIDATE-INPUT"


@dataclass(frozen=True, slots=True)
class FileCheck:
    checked: int
    findings: tuple[Finding, ...]
    input_errors: tuple[Finding, ...]


def default_files() -> list[Path]:
    spec = paths.spec_dir()
    return sorted([*spec.glob("openapi/*.json"), *spec.glob("schemas/*/*.json")])


def validate_files(files: Sequence[Path]) -> FileCheck:
    """Check ``files`` (default: spec/openapi, spec/schemas and every sample of our api-ref)."""
    samples = _own_samples()
    explicit = list(files)
    todo = explicit or [*default_files(), *sorted(samples)]
    findings: list[Finding] = []
    input_errors: list[Finding] = []
    for path in todo:
        where = Location(_display(path))
        document, problem = _load(path, where)
        if problem is not None:
            input_errors.append(problem)
            continue
        locate = _locator(path, document, where)
        if isinstance(document, dict) and "openapi" in document:
            invalid = validate_openapi(document, where, locate)
            input_errors += invalid
            if not invalid:
                findings += _examples(path, document, where, locate)
        elif isinstance(document, dict) and "$schema" in document:
            input_errors += validate_schema(document, where, locate)
        elif path.resolve() in samples:
            findings += _check_sample(path, document, samples[path.resolve()], where)
        else:
            input_errors.append(Finding(RULE_INPUT, Severity.ERROR, where, "neither an OpenAPI document, a JSON Schema ($schema) nor a sample spec/api-ref includes",
                                        "pass spec/openapi/*.json, spec/schemas/*/*.json or a samples/*.json file"))
    return FileCheck(len(todo), tuple(input_errors + findings), tuple(input_errors))


def _examples(path: Path, document: dict[str, Any], where: Location, locate: Locate) -> list[Finding]:
    """Example findings; those of the committed documented contract that the errata explain become one note."""
    findings = validate_examples(document, where, locate)
    documented = paths.spec_dir() / "openapi" / f"{DOCUMENTED}.json"
    if not findings or path.resolve() != documented.resolve():
        return findings
    effective, problem = _load(paths.spec_dir() / "openapi" / f"{EFFECTIVE}.json", where)
    if problem is not None or not isinstance(effective, dict):
        return findings
    corrected = _with_effective_schemas(document, effective)
    if validate_examples(corrected, where):
        return findings
    return [Finding("SSM-VALIDATE-SAMPLE", Severity.INFO, where,
                    f"{len(findings)} examples of the upstream page do not match the documented schemas; the effective contract accepts them all",
                    "these are the divergences spec/errata.overlay.yaml records")]


def _with_effective_schemas(document: dict[str, Any], effective: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the effective component schemas, to check its examples against them."""
    schemas = {**document.get("components", {}).get("schemas", {}), **effective.get("components", {}).get("schemas", {})}
    return {**document, "components": {**document.get("components", {}), "schemas": schemas}}


def _check_sample(path: Path, document: Any, key: tuple[str, str, Location], where: Location) -> list[Finding]:
    action, role, included_at = key
    schema_path = paths.spec_dir() / "schemas" / EFFECTIVE / f"{action}.{role}.json"
    schema, problem = _load(schema_path, Location(_display(schema_path)))
    if problem is not None:
        return [problem]
    return [
        Finding("SSM-VALIDATE-SAMPLE", Severity.ERROR, where, f"does not match {_display(schema_path)} (included at {included_at}): {reason}")
        for reason in instance_errors(schema, document)
    ]


def pointer_lines(document: Any) -> dict[str, int]:
    """The line each JSON pointer starts on when ``document`` is written by ``jsonio`` (indent 2, sorted keys)."""
    lines: dict[str, int] = {}
    line = 1

    def walk(value: Any, at: str) -> None:
        nonlocal line
        lines[at] = line
        children = sorted(value.items()) if isinstance(value, dict) else list(enumerate(value)) if isinstance(value, list) else []
        for key, child in children:
            line += 1
            walk(child, at + pointer([key]))
        if children:
            line += 1

    walk(document, "")
    return lines


def _locator(path: Path, document: Any, where: Location) -> Locate:
    """File:line for a JSON pointer, when the file is in jsonio's canonical form (else the file)."""
    try:
        canonical = path.read_text(encoding="utf-8") == jsonio.dumps(document)
    except OSError:
        canonical = False
    if not canonical:
        return lambda parts: where
    lines = pointer_lines(document)

    def locate(parts: Sequence[Any]) -> Location:
        for end in range(len(parts), -1, -1):
            line = lines.get(pointer(parts[:end]))
            if line is not None:
                return Location(where.file, line)
        return where

    return locate


def _own_samples() -> dict[Path, tuple[str, str, Location]]:
    try:
        api = parse(own_source())
    except SpecError:
        return {}
    out = {}
    for operation in api.actions():
        for sample in (*operation.request_samples, *operation.response_samples):
            out[(Path(api.root) / sample.path).resolve()] = (operation.action or "", sample.role, sample.location)
    return out


def _load(path: Path, where: Location) -> tuple[Any, Finding | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, Finding(RULE_INPUT, Severity.ERROR, where, "no such file", "check the path")
    except (OSError, UnicodeDecodeError) as error:
        return None, Finding(RULE_INPUT, Severity.ERROR, where, f"cannot read the file: {error}")
    try:
        return json.loads(text), None
    except json.JSONDecodeError as error:
        return None, Finding(RULE_INPUT, Severity.ERROR, Location(where.file, error.lineno), f"invalid JSON: {error.msg} (column {error.colno})", "fix the JSON syntax")


def _display(path: Path) -> str:
    for base in (Path.cwd(), paths.data_root()):
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return str(path)
