"""A JSON Schema as rows of a field table: one row per field, nested fields indented.

Readers of an API reference look for "which keys, of which type, required or
not, since which microversion"; a table answers that better than a schema
tree. ``$ref`` is followed within the document (``referencing`` does the
lookup); recursion stops at a schema already on the way down.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

_URI = "urn:manila-ssm:docs-document"


@dataclass(frozen=True, slots=True)
class FieldRow:
    name: str
    depth: int
    type: str
    required: bool
    description: str
    versions: str
    choices: str


class Dereferencer:
    """Follows local ``$ref`` of one document; an unresolvable one reads as an empty schema."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        resource: Resource[Any] = Resource(contents=document, specification=DRAFT202012)
        self._resolver = Registry().with_resource(_URI, resource).resolver(_URI)

    def __call__(self, schema: Any) -> tuple[Mapping[str, Any], str | None]:
        """The schema behind any ``$ref`` chain, and the last ref followed (its identity)."""
        ref = None
        for _ in range(32):
            if not (isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str)):
                break
            ref = schema["$ref"]
            try:
                schema = {**self._resolver.lookup(ref).contents, **{k: v for k, v in schema.items() if k != "$ref"}}
            except Unresolvable:
                return {"description": f"(unresolved reference {ref})"}, ref
        return (schema if isinstance(schema, Mapping) else {}), ref


def versions(marks: Mapping[str, Any] | None) -> str:
    """``x-openstack`` min/max as a short range: ``2.57+``, ``2.40–2.56``."""
    marks = marks or {}
    low, high = marks.get("min-ver"), marks.get("max-ver")
    if low and high:
        return f"{low}–{high}"
    return f"{low}+" if low else (f"≤ {high}" if high else "")


def type_label(schema: Mapping[str, Any], deref: Dereferencer | None = None) -> str:
    """``string | null``, ``array of string``; a ``oneOf``/``anyOf`` of types as their union."""
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if "type" not in schema and alternatives and deref is not None:
        labels = [type_label(deref(a)[0], deref) for a in alternatives]
        return " | ".join(dict.fromkeys(label for label in labels if label != "any")) or "any"
    declared = schema.get("type")
    names = [declared] if isinstance(declared, str) else list(declared or [])
    if not names and "properties" in schema:
        names = ["object"]
    if "array" in names and isinstance(schema.get("items"), Mapping) and "type" in schema["items"]:
        item = schema["items"]["type"]
        names[names.index("array")] = f"array of {item if isinstance(item, str) else ' | '.join(item)}"
    label = " | ".join(names) or ("one of" if "oneOf" in schema or "anyOf" in schema else "any")
    return f"{label} ({schema['format']})" if "format" in schema else label


def rows(schema: Any, deref: Dereferencer) -> list[FieldRow]:
    """The field rows of a body schema (the body itself is not a row)."""
    return list(_rows(schema, deref, "", 0, frozenset()))


def _rows(schema: Any, deref: Dereferencer, prefix: str, depth: int, seen: frozenset[str]) -> Iterator[FieldRow]:
    resolved, ref = deref(schema)
    if ref is not None:
        if ref in seen:
            return
        seen = seen | {ref}
    required = set(resolved.get("required") or ())
    for name, raw in (resolved.get("properties") or {}).items():
        child, _ = deref(raw)
        path = f"{prefix}{name}"
        choices = ", ".join(repr(v) if not isinstance(v, str) else v for v in child.get("enum") or ())
        yield FieldRow(path, depth, type_label(child, deref), name in required,
                       str(child.get("description") or "").strip(), versions(child.get("x-openstack")), choices)
        yield from _rows(raw, deref, f"{path}.", depth + 1, seen)
        if isinstance(child.get("items"), Mapping):
            yield from _rows(child["items"], deref, f"{path}[].", depth + 1, seen)
    for keyword in ("allOf", "oneOf", "anyOf"):
        for alternative in resolved.get(keyword) or ():
            yield from _rows(alternative, deref, prefix, depth, seen)
