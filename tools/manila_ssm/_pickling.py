"""Frozen dataclasses pickled through their constructor, for the build cache.

Python pickles a slotted dataclass by calling a generated ``__setstate__``
that looks its fields up again for every object; a cached page parse holds
tens of thousands of them (the model of every operation), and loading them
that way was the largest part of a rebuild. Pickled as ``(class, field
values)`` they load in a third of the time, into equal objects.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def by_fields(cls: type[T]) -> type[T]:
    """Make ``cls`` (a dataclass whose fields are all positional ``__init__`` arguments) pickle as its constructor call."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if any(not f.init or f.kw_only for f in fields):
        raise TypeError(f"{cls.__name__}: every field must be a positional __init__ argument")
    names = tuple(f.name for f in fields)

    def __reduce__(self: Any) -> tuple[type[T], tuple[Any, ...]]:
        return cls, tuple(getattr(self, name) for name in names)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign,assignment]
    return cls


__all__ = ["by_fields"]
