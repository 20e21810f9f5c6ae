"""Each api-ref tree in ../shared/upstream builds as ``spec build TREE`` builds it (issue 13, item 7).

Every tree gives a valid OpenAPI 3.1 document without a crash, with options of
its own (no Manila string outside Manila's document but the tree's own prose)
and its own microversion header on its operations.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from manila_ssm.builder.contracts import build_source
from manila_ssm.builder.detect import options_for
from manila_ssm.builder.generate import contract_files
from manila_ssm.builder.openapi import BuildResult
from manila_ssm.builder.validate import validate_openapi
from manila_ssm.errors import Location
from manila_ssm.paths import shared_dir

SHARED = shared_dir()
pytestmark = pytest.mark.skipif(SHARED is None, reason="../shared (upstream api-ref test data) is not beside this checkout")

# tree -> (its microversion header, the value's service-type prefix, fewest operations expected)
TREES: dict[str, tuple[str | None, str | None, int]] = {
    "manila-api-ref": ("X-OpenStack-Manila-API-Version", None, 300),
    "nova/api-ref/source": ("X-OpenStack-Nova-API-Version", None, 200),
    "keystone/api-ref/source": (None, None, 230),
    "glance/api-ref/source": (None, None, 75),
    "placement/api-ref/source": ("OpenStack-API-Version", "placement", 35),
}
_PROSE = {"description", "summary", "title", "examples"}


@functools.cache
def _built(tree: str) -> BuildResult:
    assert SHARED is not None
    return build_source(SHARED / "upstream" / tree)


def _strings(node: Any, key: str = "") -> Iterator[str]:
    """Every key and string value outside prose and examples (those quote the tree itself)."""
    if key in _PROSE:
        return
    if isinstance(node, dict):
        for name, value in node.items():
            yield str(name)
            yield from _strings(value, str(name))
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, key)
    elif isinstance(node, str):
        yield node


def _operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in document["paths"].values():
        yield from item.values()


@pytest.mark.parametrize("tree", TREES)
def test_the_tree_builds_to_a_valid_document(tree: str) -> None:
    document = _built(tree).document
    assert validate_openapi(document, Location(tree)) == []
    assert sum(1 for _ in _operations(document)) >= TREES[tree][2]
    ids = [op["operationId"] for op in _operations(document)]
    assert len(ids) == len(set(ids))
    assert not [i for i in ids if i.startswith((":", "id:", "id/")) or re.search(r"_\d+:", i)]


@pytest.mark.parametrize("tree", [t for t in TREES if t != "manila-api-ref"])
def test_no_manila_string_in_another_services_document(tree: str) -> None:
    document = _built(tree).document
    assert [s for s in _strings(document) if "manila" in s.lower()] == []
    assert "manila" not in document["info"]["title"].lower()
    files = contract_files("documented", document, options_for(SHARED / "upstream" / tree))  # type: ignore[operator]
    assert [name for name, schema in files.items() if "manila" in str(schema.get("$id", "")).lower()] == []


@pytest.mark.parametrize("tree", TREES)
def test_the_services_own_microversion_header(tree: str) -> None:
    header, service, _ = TREES[tree]
    document = _built(tree).document
    named = {p["name"].lower(): p for op in _operations(document) for p in op.get("parameters", []) if p["in"] == "header"}
    headers_of_others = {h for h in named if h.endswith("-api-version") and h != (header or "").lower()}
    assert headers_of_others == set()
    if header is None:
        return
    if tree == "manila-api-ref":  # Manila's options echo it on every response
        assert header in document["components"]["headers"]
        return
    for op in _operations(document):
        (parameter,) = [p for p in op["parameters"] if p["name"] == header]
        assert parameter["required"] is False
        if service:
            assert parameter["schema"]["pattern"].startswith(f"^{service} ")
