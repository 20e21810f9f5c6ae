"""JSON Schema fragments for parameters and the body trees the parser inferred.

os-api-ref declares a type word per parameter and nothing else; the nesting
comes from the samples (``BodyNode``). A ``format:`` that names an entry of
``BuildOptions.named_schemas`` stands for that whole schema, which is how our
own api-ref states patterns, enums and unions without leaving os-api-ref.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from manila_ssm.builder.options import BuildOptions
from manila_ssm.errors import Finding, Severity
from manila_ssm.model import BodyNode, Parameter

# os-api-ref's free-text type words, as JSON Schema; "any" means the value is not read.
_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "bool": {"type": "boolean"},
    "object": {"type": "object"},
    "dict": {"type": "object"},
    "array": {"type": "array"},
    "list": {"type": "array"},
    "null": {"type": "null"},
    "none": {"type": "null"},
    "any": {},
}


def x_openstack_versions(min_version: str | None, max_version: str | None) -> dict[str, str]:
    """The ``x-openstack`` microversion keys (always strings), empty when unbounded."""
    out: dict[str, str] = {}
    if min_version:
        out["min-ver"] = str(min_version)
    if max_version:
        out["max-ver"] = str(max_version)
    return out


def parameter_schema(parameter: Parameter, options: BuildOptions, findings: list[Finding]) -> dict[str, Any]:
    """The schema of one declared parameter, without description or nesting."""
    definition = parameter.definition
    if definition.format and definition.format in options.named_schemas:
        return copy.deepcopy(dict(options.named_schemas[definition.format]))
    type_word = (definition.type or "").strip().lower()
    base = _TYPES.get(type_word)
    if base is None:
        findings.append(
            Finding(
                "SSM-BUILD-TYPE",
                Severity.WARNING,
                definition.location,
                f"parameter {definition.key!r} has type {definition.type!r}, which has no JSON Schema equivalent",
                f"use one of: {', '.join(sorted(_TYPES))}",
            )
        )
        base = {}
    schema = dict(base)
    if definition.format:
        schema["format"] = definition.format
    return schema


Range = tuple[str | None, str | None]
"""A microversion range ``(min, max)``; ``None`` is open."""


def version_key(version: str | None) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version or ""))


def _narrower(parameter: Parameter, scope: Range) -> bool:
    """Whether the parameter exists in only part of ``scope`` (the operation's range)."""
    low, high = parameter.definition.min_version, parameter.definition.max_version
    starts_later = bool(low) and (scope[0] is None or version_key(low) > version_key(scope[0]))
    ends_earlier = bool(high) and (scope[1] is None or version_key(high) < version_key(scope[1]))
    return starts_later or ends_earlier


def body_schema(nodes: Iterable[BodyNode], options: BuildOptions, findings: list[Finding], scope: Range = (None, None)) -> dict[str, Any]:
    """An object schema whose properties are ``nodes`` (a body or a nested object).

    ``scope`` is the operation's microversion range. A field that exists in
    only part of it is not required (a body of another microversion lacks it);
    its range is its ``x-openstack``. Twins (one key declared by several
    parameters for different ranges) become one property that is ``anyOf``
    the per-range alternatives, each with its ``x-openstack`` range; the key
    is required only when every twin is and together they span the scope.
    """
    groups: dict[str, list[BodyNode]] = {}
    for node in nodes:
        groups.setdefault(node.key, []).append(node)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for key, twins in groups.items():
        if len(twins) == 1:
            properties[key] = node_schema(twins[0], options, findings, scope)
        else:
            alternatives = [node_schema(twin, options, findings, scope) for twin in _by_range(twins)]
            properties[key] = {"anyOf": alternatives}
        declared = [twin.parameter for twin in twins]
        if all(p is not None and p.definition.required for p in declared) and _spans(declared, scope):  # type: ignore[arg-type]
            required.append(key)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = sorted(required)
    return schema


def _by_range(twins: list[BodyNode]) -> list[BodyNode]:
    def key(node: BodyNode) -> tuple[tuple[int, ...], tuple[int, ...]]:
        definition = node.parameter.definition if node.parameter else None
        return (version_key(definition.min_version if definition else None), version_key(definition.max_version if definition else None))

    return sorted(twins, key=key)


def _spans(declared: list[Parameter], scope: Range) -> bool:
    """Whether the parameters, together, exist across the whole ``scope`` (a single one: not narrower)."""
    if len(declared) == 1:
        return not _narrower(declared[0], scope)
    lows = [p.definition.min_version for p in declared]
    highs = [p.definition.max_version for p in declared]
    opens_low = any(not low or (scope[0] and version_key(low) <= version_key(scope[0])) for low in lows)
    opens_high = any(not high or (scope[1] and version_key(high) >= version_key(scope[1])) for high in highs)
    return bool(opens_low and opens_high)


def node_schema(node: BodyNode, options: BuildOptions, findings: list[Finding], scope: Range = (None, None)) -> dict[str, Any]:
    """One key's schema: the declaration wins, else the type the sample shows.

    A declared key the sample shows as ``null`` is nullable when its
    description allows it (names null or None, and not as "never null");
    otherwise the sample contradicts the page, which validation reports.
    """
    parameter = node.parameter
    if parameter is not None:
        named = parameter.definition.format in options.named_schemas if parameter.definition.format else False
        schema = parameter_schema(parameter, options, findings)
        if not named:
            schema = _nest(schema, node, options, findings, scope)
            if node.sample_type == "null":
                schema = _nullable(schema, parameter.definition.description)
        if parameter.definition.description.strip():
            schema["description"] = parameter.definition.description.strip()
        versions = x_openstack_versions(parameter.definition.min_version, parameter.definition.max_version)
        if versions:
            schema["x-openstack"] = versions
        return schema
    schema = {"type": node.sample_type} if node.sample_type else {}
    return _nest(schema, node, options, findings, scope)


_NULL = re.compile(r"\b(null|none)\b", re.IGNORECASE)
_NEVER_NULL = re.compile(r"\b(never|not|cannot be|can't be|must not be)\s+(null|none)\b", re.IGNORECASE)


def _nullable(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """``schema`` allowing null too, when the description allows it (names null or None, and not as "never")."""
    kind = schema.get("type")
    if not isinstance(kind, str) or kind == "null" or not _NULL.search(description) or _NEVER_NULL.search(description):
        return schema
    return {**schema, "type": [kind, "null"]}


def _nest(schema: dict[str, Any], node: BodyNode, options: BuildOptions, findings: list[Finding], scope: Range = (None, None)) -> dict[str, Any]:
    if not node.children:
        return schema
    inner = body_schema(node.children, options, findings, scope)
    if schema.get("type") == "array" or node.sample_type == "array":
        schema["items"] = inner
        return schema
    return {**schema, **inner}
