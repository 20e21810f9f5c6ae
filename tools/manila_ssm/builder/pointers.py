"""Local JSON pointers (``#/components/schemas/Widget``), as a ``$ref`` names a place in its own document."""

from __future__ import annotations

from typing import Any

MISSING = object()
"""What :func:`resolve` gives for a pointer that names nothing (``None`` may be a value)."""


def resolve(document: Any, ref: str) -> Any:
    """The value ``ref`` (``#`` or ``#/a/b~1c``) names in ``document``, or :data:`MISSING`."""
    target = document
    for part in ref[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            return MISSING
    return target
