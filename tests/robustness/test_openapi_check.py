"""Our jsonschema-rs validator agrees with openapi-spec-validator (valid and broken documents)."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from manila_ssm import paths
from manila_ssm.builder.openapi_check import check_openapi

CASES = yaml.safe_load((Path(__file__).parent / "openapi-cases/cases.yaml").read_text(encoding="utf-8"))


def _parts(pointer: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]


def _patched(case: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(CASES["base"])
    for pointer, value in (case.get("set") or {}).items():
        *parents, last = _parts(pointer)
        target = document
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            index = int(last)
            target[index:index + 1] = [value]
        else:
            target[last] = value
    for pointer in case.get("delete") or []:
        *parents, last = _parts(pointer)
        target = document
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[int(last) if isinstance(target, list) else last]
    return document


def _reference_errors(document: dict[str, Any]) -> list[str]:
    os.environ.setdefault("OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND", "jsonschema")
    from openapi_spec_validator import OpenAPIV31SpecValidator

    errors = []
    try:
        for error in OpenAPIV31SpecValidator(document).iter_errors():
            errors.append(error.message)
    except (KeyError, TypeError, AttributeError, AssertionError) as crash:
        # Its keyword stage assumes a well-formed document: a crash is its way of rejecting one.
        errors.append(f"crashed: {crash!r}")
    return errors


def test_case_names_are_unique() -> None:
    names = [case["name"] for case in CASES["cases"]]
    assert len(names) == len(set(names))
    assert sum(not case["valid"] for case in CASES["cases"]) >= 25


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda case: case["name"])
def test_agrees_with_openapi_spec_validator(case: dict[str, Any]) -> None:
    document = _patched(case)
    reference = _reference_errors(copy.deepcopy(document))
    ours = [problem.message for problem in check_openapi(document)]
    assert (not reference) == case["valid"], reference
    assert (not ours) == case["valid"], ours
    # The keyword rules are ours to word like openapi-spec-validator: their messages match.
    keyword = [m for m in reference if m.startswith(("Duplicate", "Path parameter", "Operation ID", "Required list"))]
    assert keyword == [m for m in ours if m.startswith(("Duplicate", "Path parameter", "Operation ID", "Required list"))]


@pytest.mark.parametrize("contract", ["documented", "effective"])
def test_committed_contracts_are_valid_for_both(contract: str) -> None:
    document = json.loads((paths.spec_dir() / f"openapi/{contract}.json").read_text(encoding="utf-8"))
    assert _reference_errors(copy.deepcopy(document)) == []
    assert check_openapi(document) == []


def test_an_unbalanced_brace_in_a_path_is_a_problem_not_a_crash() -> None:
    document = _patched({"set": {"/paths/~1v2~1widgets~1{id": {"get": {"responses": {"200": {"description": "ok"}}}}}})
    problems = check_openapi(document)
    assert any("malformed" in problem.message for problem in problems)
