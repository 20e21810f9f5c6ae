"""The vendored OASIS schema is the real one and has teeth: what SARIF 2.1.0 forbids fails it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from lint.sarif_schema import OFFICIAL, validate_sarif

from manila_ssm.errors import Finding, Location, Severity
from manila_ssm.lint import LintReport, render


def _log() -> dict[str, Any]:
    finding = Finding("param-order", Severity.WARNING, Location("v2/parameters.yaml", 4), "out of order", "sort them")
    return json.loads(render(LintReport("tree", (finding,)), "sarif"))


def test_it_is_the_sarif_2_1_0_schema() -> None:
    assert OFFICIAL["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert OFFICIAL["properties"]["version"]["enum"] == ["2.1.0"]
    validate_sarif(_log())


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(log: dict[str, Any]) -> None:
        node = log
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


RESULT = ("runs", 0, "results", 0)


@pytest.mark.parametrize(("name", "breakage"), [
    ("version 2.0.0", _set(("version",), "2.0.0")),
    ("a level SARIF does not name", _set((*RESULT, "level"), "fatal")),
    ("a message without text or id", _set((*RESULT, "message"), {})),
    ("a line number 0", _set((*RESULT, "locations", 0, "physicalLocation", "region", "startLine"), 0)),
    ("a run without its tool", lambda log: log["runs"][0].pop("tool")),
    ("a property SARIF does not define at the top", _set(("findings",), [])),
])
def test_the_official_schema_refuses_what_sarif_forbids(name: str, breakage: Callable[[dict[str, Any]], None]) -> None:
    log = copy.deepcopy(_log())
    breakage(log)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(OFFICIAL).validate(log)
