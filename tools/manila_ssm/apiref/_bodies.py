"""Body nesting inferred from samples: os-api-ref lists body parameters flat.

The rule (deterministic):

1. The sample becomes a key tree in source order. A JSON array contributes the
   keys of its object elements (first appearance wins, in element order).
2. Declared body parameters are matched in declaration order, each to the
   first unmatched key of the same name in a breadth-first walk of the tree
   (shallowest first; ties by source order).
3. The *body root* is the value of the single top-level key when the sample has
   exactly one top-level key and it is the action of an action request
   (``migration_start``, even when its value is ``null``) or its value is an
   object (a resource wrapper such as ``share``); otherwise the top level
   itself. A declared
   parameter the sample does not show is appended, in declaration order, to
   the body root's children (with ``sample_type`` ``None``) and reported.
4. A sample key no parameter matched is reported once, at its topmost
   undeclared key; the keys inside a declared object are checked only when at
   least one of them is declared (an object of free-form keys such as
   ``metadata`` is left alone). The action key of an action request is
   expected and not reported.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from manila_ssm.apiref import rules
from manila_ssm.errors import Finding, Location
from manila_ssm.model import BodyNode, JsonType, Parameter


@dataclass(slots=True)
class _Key:
    key: str
    sample_type: JsonType | None
    children: list[_Key] = field(default_factory=list)
    parameter: Parameter | None = None

    def freeze(self) -> BodyNode:
        return BodyNode(self.key, self.parameter, self.sample_type, tuple(c.freeze() for c in self.children))


def json_type(value: Any) -> JsonType:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _keys(value: Any) -> list[_Key]:
    if isinstance(value, dict):
        return [_Key(str(k), json_type(v), _keys(v)) for k, v in value.items()]
    if isinstance(value, list):
        merged: dict[str, _Key] = {}
        for element in value:
            for child in _keys(element):
                merged.setdefault(child.key, child)
        return list(merged.values())
    return []


def _breadth_first(top: list[_Key]) -> list[_Key]:
    order, queue = [], deque(top)
    while queue:
        node = queue.popleft()
        order.append(node)
        queue.extend(node.children)
    return order


def top_level_keys(sample: Any) -> list[str]:
    return [str(k) for k in sample] if isinstance(sample, dict) else []


@dataclass(frozen=True, slots=True)
class Inferred:
    body: tuple[BodyNode, ...]
    findings: tuple[Finding, ...]


def infer_body(
    sample: Any, declared: Sequence[Parameter], *, sample_name: str, at: Location, action: str | None
) -> Inferred:
    """The body tree of ``sample`` with ``declared`` body parameters placed in it."""
    top = _keys(sample)
    findings: list[Finding] = []
    order = _breadth_first(top)
    missing = []
    for parameter in declared:
        match = next((k for k in order if k.parameter is None and k.key == parameter.name), None)
        if match is None:
            missing.append(parameter)
        else:
            match.parameter = parameter
    single = top[0] if len(top) == 1 else None
    wrapper = (
        single if single is not None and (single.key == action or single.sample_type == "object") else None
    )
    home = wrapper.children if wrapper is not None else top
    for parameter in missing:
        home.append(_Key(parameter.name, None, [], parameter))
        findings.append(
            rules.finding(
                "sample-missing-parameter",
                at,
                f"body parameter `{parameter.name}` (declared at {parameter.used_at}) "
                f"is not shown in sample `{sample_name}`",
            )
        )
    expected = next((k for k in top if k.key == action and k.parameter is None), None)
    findings.extend(_undeclared(top, "", expected, sample_name, at))
    return Inferred(tuple(k.freeze() for k in top), tuple(findings))


def _undeclared(
    keys: list[_Key], prefix: str, expected: _Key | None, sample_name: str, at: Location
) -> list[Finding]:
    found = []
    for key in keys:
        path = f"{prefix}{key.key}"
        if key is expected:
            found.extend(_undeclared(key.children, f"{path}.", None, sample_name, at))
        elif key.parameter is None:
            found.append(
                rules.finding(
                    "sample-undeclared-key",
                    at,
                    f"sample `{sample_name}` has key `{path}` that the page does not declare",
                )
            )
        elif any(child.parameter is not None for child in key.children):
            found.extend(_undeclared(key.children, f"{path}.", None, sample_name, at))
    return found


def flat_body(declared: Sequence[Parameter]) -> tuple[BodyNode, ...]:
    """Without a sample there is no nesting to tell: declared body parameters at the top level."""
    return tuple(BodyNode(p.name, p, None) for p in declared)
