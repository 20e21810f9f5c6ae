"""Walking a request or response schema of two documents side by side.

Fields are named by their dotted path in the body (``migration_check.host``,
``share_servers[].id``); the walk pairs nodes that exist in both schemas and
leaves additions and removals to the rules, which look at each pair's
``properties``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from manila_ssm.diff._resolve import Node, Resolver, escape

_MAX_DEPTH = 40  # recursive schemas: stop well before Python does


@dataclass(frozen=True, slots=True)
class FieldPair:
    """One field present in both schemas."""

    field: str
    old: Node
    new: Node
    old_resolver: Resolver
    new_resolver: Resolver
    old_properties: Mapping[str, Node]
    new_properties: Mapping[str, Node]
    body: str  # "request" or "response"
    placed_elsewhere: frozenset[str] = frozenset()
    """Names the old body listed without an example to show where they sit, found somewhere in the
    new body (see :func:`names_in`); empty when the old body had an example."""

    @classmethod
    def of(cls, field: str, old: Node, new: Node, old_resolver: Resolver, new_resolver: Resolver,
           body: str, placed_elsewhere: frozenset[str] = frozenset()) -> FieldPair:
        return cls(field, old, new, old_resolver, new_resolver,
                   _properties(old, old_resolver), _properties(new, new_resolver), body, placed_elsewhere)

    def properties(self, side: str) -> Mapping[str, Node]:
        return self.old_properties if side == "old" else self.new_properties

    def required(self, side: str) -> frozenset[str]:
        node = self.old if side == "old" else self.new
        return frozenset(node.schema.get("required") or ())

    def types(self, side: str) -> frozenset[str]:
        """The JSON types the field accepts; a field typed only ``null`` (a sample showing null,
        nothing declared) tells no type, so it reads as any."""
        node, resolver = (self.old, self.old_resolver) if side == "old" else (self.new, self.new_resolver)
        types = json_types(node.schema, resolver)
        return frozenset() if types == {"null"} else types

    def child(self, name: str) -> str:
        return f"{self.field}.{name}" if self.field else name

    @property
    def label(self) -> str:
        return self.field or "(body)"


def _properties(node: Node, resolver: Resolver) -> dict[str, Node]:
    return {
        name: resolver.node(raw, f"{node.pointer}/properties/{escape(name)}")
        for name, raw in resolver.mapping(node.schema.get("properties"), f"{node.pointer}/properties").items()
    }


def json_types(schema: Mapping[str, Any], resolver: Resolver | None = None) -> frozenset[str]:
    """The JSON types a schema accepts by its ``type`` (or its alternatives'); empty means any."""
    declared = schema.get("type")
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if declared is None and alternatives and resolver is not None:
        each = [json_types(resolver.node(a, "").schema, resolver) for a in alternatives]
        return frozenset() if any(not t for t in each) else frozenset().union(*each)
    if declared is None:
        types: set[str] = {"object"} if "properties" in schema else set()
    else:
        types = {declared} if isinstance(declared, str) else set(declared)
    if types and schema.get("nullable") is True:  # OpenAPI 3.0 spelling
        types.add("null")
    return frozenset(types)


def accepts_all_of(wider: frozenset[str], narrower: frozenset[str]) -> bool:
    """Whether every value of the ``narrower`` types is of one of the ``wider`` types."""
    if not wider:
        return True
    if not narrower:
        return False
    return all(t in wider or (t == "integer" and "number" in wider) for t in narrower)


def names_in(node: Node, resolver: Resolver) -> frozenset[str]:
    """Every property name anywhere in a schema (through ``$ref``, items and alternatives)."""
    names: set[str] = set()
    seen: set[str] = set()
    stack = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        if current.pointer in seen or depth > _MAX_DEPTH:
            continue
        seen.add(current.pointer)
        schema = current.schema
        for name, child in _properties(current, resolver).items():
            names.add(name)
            stack.append((child, depth + 1))
        if isinstance(schema.get("items"), Mapping):
            stack.append((resolver.node(schema["items"], f"{current.pointer}/items"), depth + 1))
        for keyword in ("oneOf", "anyOf", "allOf"):
            for index, raw in enumerate(schema.get(keyword) or []):
                stack.append((resolver.node(raw, f"{current.pointer}/{keyword}/{index}"), depth + 1))
    return frozenset(names)


def walk(old: Node, new: Node, old_resolver: Resolver, new_resolver: Resolver, body: str,
         placed_elsewhere: frozenset[str] = frozenset()) -> Iterator[FieldPair]:
    """Every pair of nodes at the same field of the two schemas, the body first."""
    seen: set[tuple[str, str]] = set()
    stack = [FieldPair.of("", old, new, old_resolver, new_resolver, body, placed_elsewhere)]
    while stack:
        pair = stack.pop()
        if (pair.old.pointer, pair.new.pointer, pair.field) in seen or pair.field.count(".") > _MAX_DEPTH:
            continue
        seen.add((pair.old.pointer, pair.new.pointer, pair.field))
        yield pair
        stack.extend(reversed(list(_children(pair))))


def _children(pair: FieldPair) -> Iterator[FieldPair]:
    old_props, new_props = pair.properties("old"), pair.properties("new")
    for name in old_props:
        if name in new_props:
            yield _pair(pair, pair.child(name), old_props[name], new_props[name])
    if "items" in pair.old.schema and "items" in pair.new.schema:
        yield _pair(
            pair, f"{pair.field}[]",
            pair.old_resolver.node(pair.old.schema["items"], f"{pair.old.pointer}/items"),
            pair.new_resolver.node(pair.new.schema["items"], f"{pair.new.pointer}/items"),
        )
    for keyword in ("oneOf", "anyOf", "allOf"):
        old_alts = _alternatives(pair.old, keyword, pair.old_resolver)
        new_alts = _alternatives(pair.new, keyword, pair.new_resolver)
        for key, old_node in old_alts.items():
            if key in new_alts:
                yield _pair(pair, pair.field, old_node, new_alts[key])


def _pair(parent: FieldPair, field: str, old: Node, new: Node) -> FieldPair:
    return FieldPair.of(field, old, new, parent.old_resolver, parent.new_resolver, parent.body,
                        parent.placed_elsewhere)


def _alternatives(node: Node, keyword: str, resolver: Resolver) -> dict[str, Node]:
    """Alternatives keyed so that the same one matches across documents."""
    found: dict[str, Node] = {}
    for index, raw in enumerate(node.schema.get(keyword) or []):
        alt = resolver.node(raw, f"{node.pointer}/{keyword}/{index}")
        marks = alt.schema.get("x-openstack") or {}
        if "action-name" in marks:
            key = f"action:{marks['action-name']}"
        elif "min-ver" in marks or "max-ver" in marks:
            key = f"versions:{marks.get('min-ver')}-{marks.get('max-ver')}"
        elif "title" in alt.schema:
            key = f"title:{alt.schema['title']}"
        else:
            key = f"index:{index}"
        found[key] = alt
    return found
