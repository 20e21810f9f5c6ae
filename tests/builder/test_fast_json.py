"""``jsonio.dumps`` writes what ``json.dumps(indent=2, sort_keys=True, ensure_ascii=False)`` writes; ``plain_copy`` copies."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from manila_ssm import jsonio, paths
from manila_ssm.builder._plain import plain_copy


def _reference(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _outcome(write: Any, document: Any) -> str:
    try:
        return write(document)
    except Exception as error:  # noqa: BLE001 - the same exception type is the point
        return f"raises {type(error).__name__}"


class Text(str):
    pass


circular: list[Any] = []
circular.append(circular)
deep: Any = []
for _ in range(5000):
    deep = [deep]

CASES = {
    "scalars": [None, True, False, 0, -1, 2**70, 1.5, -0.0, 1e16, 1.5e-7, 3.0, "", "é\u2028\x00\x1f\"\\/"],
    "lone surrogate": "\ud800",
    "nested empties": {"a": {}, "b": [], "c": [{}], "d": {"e": []}},
    "key order": {"b": 1, "a": {"z": 1, "A": 2, "é": 3, "_": 4}},
    "tuple": {"t": (1, (2, 3))},
    "not finite": [float("nan"), float("inf"), float("-inf")],
    "int keys": {1: "a", 2: "b"},
    "mixed keys": {1: "a", "b": 2},
    "bool key": {True: 1},
    "str subclass": {"k": Text("v")},
    "bool subclass of int in a list": [1, True, 2],
    "huge int": 10**5000,
    "set": {"s": {1}},
    "circular": circular,
    "too deep": deep,
    "top-level string": "text",
    "top-level number": 12,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_dumps_writes_what_json_writes(name: str) -> None:
    assert _outcome(jsonio.dumps, CASES[name]) == _outcome(_reference, CASES[name])


def test_dumps_on_the_committed_documents() -> None:
    files = sorted(paths.spec_dir().glob("openapi/*.json")) + sorted(paths.spec_dir().glob("schemas/**/*.json"))
    assert files
    for path in files:
        document = json.loads(path.read_text(encoding="utf-8"))
        assert jsonio.dumps(document) == _reference(document) == path.read_text(encoding="utf-8"), path


def test_plain_copy_is_deep_and_equal() -> None:
    original: dict[str, Any] = {"a": [{"b": {"c": [1, 2.5, None, True, "s"]}}], "t": (1, [2]), "p": Path("x")}
    copied = plain_copy(original)
    assert copied == copy.deepcopy(original)
    copied["a"][0]["b"]["c"].append(3)
    copied["t"][1].append(3)
    assert original["a"][0]["b"]["c"] == [1, 2.5, None, True, "s"] and original["t"] == (1, [2])


def test_pieces_written_before_give_the_same_text() -> None:
    """``dumps`` with pieces (``builder.memo`` keeps the last build's) writes what it writes without them,
    reports where each piece went, and ignores a piece written at another indent."""
    document = {"paths": {"/a": {"get": {"x": [1, "é"]}}, "/b": {}}, "components": {"schemas": {"S": {"type": "object"}}}}
    item, schema = document["paths"]["/a"], document["components"]["schemas"]["S"]
    pieces = {id(item): ("\n    ", jsonio.fragment(item, "\n    ")), id(schema): ("\n      ", jsonio.fragment(schema, "\n      "))}
    placed: dict[int, tuple[int, int]] = {}
    text = jsonio.dumps(document, pieces, placed)
    assert text == _reference(document)
    for ident, (begin, end) in placed.items():
        assert text[begin:end] == pieces[ident][1]
    assert set(placed) == {id(item), id(schema)}
    wrong = {id(item): ("\n  ", "NOT THIS")}
    assert jsonio.dumps(document, wrong) == _reference(document)
    assert jsonio.fragment({1: "a"}, "\n") is None  # json.dumps's business, never a piece
