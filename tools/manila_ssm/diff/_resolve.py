"""Following ``$ref`` inside one OpenAPI document while keeping JSON pointers.

A change is reported where its schema really lives: a field of
``#/components/schemas/X`` is located under ``/components/schemas/X``, not
under the operation that refers to it. ``referencing`` does the lookups.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from manila_ssm.errors import Finding, Location, Severity, SpecError

_BASE_URI = "urn:manila-ssm:diff-document"
# Keywords a 3.1 schema may put beside ``$ref`` that do not change what is accepted.
_ANNOTATIONS = frozenset({"description", "summary", "title", "examples", "example"})


def escape(token: str) -> str:
    """One JSON pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True, slots=True)
class Node:
    """A schema (or other object) and the pointer where its content is defined."""

    schema: Mapping[str, Any]
    pointer: str


_MICROVERSION = re.compile(r"\d+\.\d+")


class Resolver:
    """Resolves local ``$ref`` of one document; ``source`` names it in error messages."""

    def __init__(self, document: Mapping[str, Any], source: str) -> None:
        resource: Resource[Any] = Resource(contents=document, specification=DRAFT202012)
        self._resolver = Registry().with_resource(_BASE_URI, resource).resolver(_BASE_URI)
        self._source = source
        self._cache: dict[str, Any] = {}
        info = document.get("info") if isinstance(document.get("info"), Mapping) else {}
        version = str(info.get("version", ""))
        self.known_version: str | None = version if _MICROVERSION.fullmatch(version) else None
        """The highest microversion the document knows (``info.version``, as ``spec build`` sets it),
        or None when it is not a ``MAJOR.MINOR`` microversion."""

    def mapping(self, value: Any, pointer: str) -> Mapping[str, Any]:
        """``value`` (absent: empty) if it is a JSON object, else a located input error."""
        if value is None or isinstance(value, Mapping):
            return value or {}
        raise self._shape(pointer, "an object", value)

    def sequence(self, value: Any, pointer: str) -> list[Any]:
        """``value`` (absent: empty) if it is a JSON array, else a located input error."""
        if value is None or isinstance(value, list):
            return value or []
        raise self._shape(pointer, "an array", value)

    def _shape(self, pointer: str, wanted: str, value: Any) -> SpecError:
        return SpecError(Finding(
            "diff-shape", Severity.ERROR, Location(f"{self._source}#{pointer}"),
            f"expected {wanted}, found {type(value).__name__}",
            "the document is not OpenAPI 3.x here; check it with `ssm-conformance spec validate`",
        ))

    def node(self, raw: Any, pointer: str) -> Node:
        """``raw`` found at ``pointer``, with any chain of ``$ref`` followed."""
        seen: set[str] = set()
        siblings: dict[str, Any] = {}
        while isinstance(raw, Mapping) and isinstance(raw.get("$ref"), str):
            ref = raw["$ref"]
            siblings.update({k: v for k, v in raw.items() if k != "$ref" and k not in _ANNOTATIONS})
            if ref in seen or not ref.startswith("#"):
                why = "loops" if ref in seen else "points outside the document"
                raise SpecError(Finding(
                    "diff-ref", Severity.ERROR, Location(f"{self._source}#{pointer}"),
                    f"$ref {ref!r} {why}",
                    "bundle the document into one file with local '#/...' references",
                ))
            seen.add(ref)
            try:
                if ref not in self._cache:
                    self._cache[ref] = self._resolver.lookup(ref).contents
                raw = self._cache[ref]
            except Unresolvable:
                raise SpecError(Finding(
                    "diff-ref", Severity.ERROR, Location(f"{self._source}#{pointer}"),
                    f"$ref {ref!r} points to nothing in the document",
                    "fix the reference or add the component it names",
                )) from None
            pointer = ref[1:]
        if not isinstance(raw, Mapping):
            raw = {}
        if siblings:
            raw = {**raw, **siblings}
        return Node(raw, pointer)
