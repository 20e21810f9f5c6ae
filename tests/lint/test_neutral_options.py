"""``spec lint`` of another service's tree checks samples against that tree's schemas, not Manila's (issue 13 item 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from manila_ssm.lint import _schema_checks, lint

TREE = Path(__file__).parents[1] / "diff" / "trees" / "v1"


def test_lint_builds_a_foreign_tree_without_manila_options(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[dict[str, Any]] = []
    real = _schema_checks.build_openapi

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        built.append(result.document)
        return result

    monkeypatch.setattr(_schema_checks, "build_openapi", spy)
    lint(TREE)
    assert len(built) == 1 and built[0]["paths"], "the schema check built no document"
    assert "manila" not in json.dumps(built[0]).lower()
