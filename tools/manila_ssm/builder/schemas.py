"""JSON Schema fragments for parameters and the body trees the parser inferred.

os-api-ref declares a type word per parameter and nothing else; the nesting
comes from the samples (``BodyNode``). A ``format:`` that names an entry of
``BuildOptions.named_schemas`` stands for that whole schema, which is how our
own api-ref states patterns, enums and unions without leaving os-api-ref.
"""

from __future__ import annotations

import copy
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


def body_schema(nodes: Iterable[BodyNode], options: BuildOptions, findings: list[Finding]) -> dict[str, Any]:
    """An object schema whose properties are ``nodes`` (a body or a nested object)."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for node in nodes:
        properties[node.key] = node_schema(node, options, findings)
        if node.parameter is not None and node.parameter.definition.required:
            required.append(node.key)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = sorted(required)
    return schema


def node_schema(node: BodyNode, options: BuildOptions, findings: list[Finding]) -> dict[str, Any]:
    """One key's schema: the declaration wins, else the type the sample shows."""
    parameter = node.parameter
    if parameter is not None:
        named = parameter.definition.format in options.named_schemas if parameter.definition.format else False
        schema = parameter_schema(parameter, options, findings)
        if not named:
            schema = _nest(schema, node, options, findings)
        if parameter.definition.description.strip():
            schema["description"] = parameter.definition.description.strip()
        versions = x_openstack_versions(parameter.definition.min_version, parameter.definition.max_version)
        if versions:
            schema["x-openstack"] = versions
        return schema
    schema = {"type": node.sample_type} if node.sample_type else {}
    return _nest(schema, node, options, findings)


def _nest(schema: dict[str, Any], node: BodyNode, options: BuildOptions, findings: list[Finding]) -> dict[str, Any]:
    if not node.children:
        return schema
    inner = body_schema(node.children, options, findings)
    if schema.get("type") == "array" or node.sample_type == "array":
        schema["items"] = inner
        return schema
    return {**schema, **inner}
