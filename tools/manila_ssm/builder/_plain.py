"""A copy of a JSON-shaped value (dicts, lists, scalars), several times faster than ``copy.deepcopy``.

The builder copies every operation once per URL form and every body schema
into its standalone file; ``copy.deepcopy``'s memo and dispatch were a tenth
of a whole-tree build. Dicts and lists are copied, str/int/float/bool/None
are shared (immutable); anything else goes to ``copy.deepcopy``.
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

T = TypeVar("T")

_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain_copy(value: T) -> T:
    """A deep copy of ``value``; unlike ``deepcopy``, a sub-value reached twice is copied twice."""
    kind = type(value)
    if kind is dict:
        return {key: plain_copy(item) for key, item in value.items()}  # type: ignore[attr-defined,return-value]
    if kind is list:
        return [plain_copy(item) for item in value]  # type: ignore[attr-defined,return-value]
    if kind in _SCALARS:
        return value
    return copy.deepcopy(value)


__all__ = ["plain_copy"]
