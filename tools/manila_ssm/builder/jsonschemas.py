"""Standalone JSON Schemas (2020-12) cut from a built OpenAPI document.

One schema per action request and response body: ``<action>.<request|response>.json``
with ``$id`` ``<prefix>:<contract>:<action>:<request|response>``. When action
names are not unique in the document, or it has ordinary operations with bodies
(a whole tree), every body schema is written as ``<ComponentName>.json`` with
``$id`` ``<prefix>:<contract>:<ComponentName>``. References between components
become ``$defs`` of the schema that uses them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from manila_ssm.builder._plain import plain_copy

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_COMPONENT = "#/components/schemas/"


def action_refs(document: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """``(action, role, component name)`` for every action body of the document."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for action, meta in operation.get("x-ssm", {}).get("actions", {}).items():
                for role in ("request", "response"):
                    ref = meta.get(f"{role}-schema")
                    if ref:
                        yield action, role, ref.removeprefix(_COMPONENT)


def schema_files(document: dict[str, Any], contract: str, prefix: str) -> dict[str, dict[str, Any]]:
    """File name -> standalone schema, for every body schema of ``document``."""
    components = document.get("components", {}).get("schemas", {})
    by_action = {(action, role): name for action, role, name in action_refs(document)}
    body_names = {name for name in components if name != "Fault"}
    if len({name for name in by_action.values()}) == len(by_action) and set(by_action.values()) == body_names:
        return {
            f"{action}.{role}.json": standalone(components, name, f"{prefix}:{contract}:{action}:{role}")
            for (action, role), name in sorted(by_action.items())
        }
    return {f"{name}.json": standalone(components, name, f"{prefix}:{contract}:{name}") for name in sorted(body_names)}


def standalone(components: dict[str, Any], name: str, schema_id: str) -> dict[str, Any]:
    """Component ``name`` as a 2020-12 schema of its own, its references pulled into ``$defs``."""
    root = plain_copy(components[name])
    defs: dict[str, Any] = {}
    pending = _rewrite(root)
    while pending:
        ref = pending.pop()
        if ref in defs or ref not in components:
            continue
        defs[ref] = plain_copy(components[ref])
        pending |= _rewrite(defs[ref])
    schema = {"$schema": DIALECT, "$id": schema_id, **root}
    if defs:
        schema["$defs"] = dict(sorted(defs.items()))
    return schema


def _rewrite(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_COMPONENT):
            name = ref.removeprefix(_COMPONENT)
            node["$ref"] = f"#/$defs/{name}"
            found.add(name)
        for value in node.values():
            found |= _rewrite(value)
    elif isinstance(node, list):
        for value in node:
            found |= _rewrite(value)
    return found
