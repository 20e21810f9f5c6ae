"""The one way generated JSON is written: stable key order, two-space indent, final newline."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any


class _Unusual(Exception):
    """A value the fast path does not write; ``json.dumps`` writes it (or raises) instead."""


def _text(document: Any, newline: str = "\n", pieces: Mapping[int, tuple[str, str]] | None = None,
          placed: dict[int, tuple[int, int]] | None = None) -> str:
    """``json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)``, the same characters, faster.

    With an indent, the standard library leaves its C encoder for a generator
    per nesting level; writing the 248 files of a whole-tree build that way was
    a tenth of ``spec build``. Plain JSON values (str keys; str, int, float,
    bool, None, dict, list, tuple) are written here, anything else raises
    :class:`_Unusual` and goes to ``json.dumps`` (tests compare both).

    ``newline`` is the line break and indent the value starts at (for a
    value nested in a document); ``pieces`` holds text written before for
    values of the document (by ``id``, with the ``newline`` they were written
    at), and ``placed`` receives where each piece went in the text.
    """
    parts: list[str] = []
    known = pieces.get if pieces else None
    where: list[tuple[int, int]] = []
    append = parts.append
    float_text = float.__repr__
    int_text = int.__repr__

    def value(o: Any, newline: str) -> None:
        kind = type(o)
        piece = known(id(o)) if known is not None else None
        if piece is not None and piece[0] == newline:
            where.append((id(o), len(parts)))
            append(piece[1])
        elif kind is str:
            append(encode_basestring(o))
        elif kind is dict:
            if not o:
                append("{}")
                return
            inner = newline + "  "
            separator = "{" + inner
            for key in sorted(o):
                if type(key) is not str:
                    raise _Unusual
                append(separator)
                append(encode_basestring(key))
                append(": ")
                value(o[key], inner)
                separator = "," + inner
            append(newline + "}")
        elif kind is list or kind is tuple:
            if not o:
                append("[]")
                return
            inner = newline + "  "
            separator = "[" + inner
            for item in o:
                append(separator)
                value(item, inner)
                separator = "," + inner
            append(newline + "]")
        elif o is None:
            append("null")
        elif o is True:
            append("true")
        elif o is False:
            append("false")
        elif kind is int:
            append(int_text(o))
        elif kind is float and o == o and o not in (float("inf"), float("-inf")):
            append(float_text(o))
        else:
            raise _Unusual

    value(document, newline)
    if placed is not None and where:
        offsets = [0, *itertools.accumulate(map(len, parts))]
        for ident, index in where:
            placed[ident] = (offsets[index], offsets[index + 1])
    return "".join(parts)


def dumps(document: Any, pieces: Mapping[int, tuple[str, str]] | None = None,
          placed: dict[int, tuple[int, int]] | None = None) -> str:
    """The text of ``document``.

    ``pieces`` are texts of some of its values, written before by
    :func:`fragment`; ``placed`` receives where they went in the text (left
    empty when ``json.dumps`` writes the document).
    """
    try:
        return _text(document, pieces=pieces, placed=placed) + "\n"
    except (_Unusual, RecursionError, TypeError, ValueError):
        if placed is not None:
            placed.clear()
        # json.dumps writes it, or raises what it always raised (circular, too deep, a bad key).
        return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def fragment(value: Any, newline: str) -> str | None:
    """The text ``dumps`` writes for ``value`` nested at ``newline`` (line break and indent), or ``None`` when
    ``dumps`` would leave it to ``json.dumps``."""
    try:
        return _text(value, newline)
    except (_Unusual, RecursionError, TypeError, ValueError):
        return None


def write(path: Path, document: Any) -> bool:
    """Write ``document`` to ``path``; return whether the file changed."""
    return write_text(path, dumps(document))


def write_text(path: Path, text: str) -> bool:
    """Write ``text`` (from :func:`dumps`) to ``path``; return whether the file changed."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True
