"""An OpenAPI document seen as its callable surface: operations, actions, fields.

The diff compares what a client can call, not the document's layout: an
``.../action`` operation whose request body is a ``oneOf`` with
``x-openstack: {discriminator: action}`` becomes one endpoint per action, with
that action's request alternative, its own response schemas (picked by
``x-openstack: {action-name}``) and the per-action facts of ``x-ssm.actions``.
Every value keeps the JSON pointer it was read from, after following ``$ref``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from manila_ssm.diff._resolve import Node, Resolver, escape

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEMPLATE_VARIABLE = re.compile(r"\{[^}]*\}")
_VERSION = re.compile(r"v\d+(\.\d+)?")


@dataclass(frozen=True, slots=True)
class Param:
    """A header, query or cookie parameter of an operation."""

    name: str
    in_: str
    required: bool
    pointer: str


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What a client calls: a plain operation (``action`` is None) or one action of it."""

    method: str
    path: str
    action: str | None
    operation_id: str
    pointer: str
    min_version: str | None
    max_version: str | None
    parameters: Mapping[tuple[str, str], Param]
    parameters_pointer: str  # the operation's parameter list (actions share their operation's)
    request: Node | None
    responses: Mapping[str, Node | None]
    responses_pointer: str
    success_codes: frozenset[str]
    error_codes: frozenset[str]
    success_pointer: str
    errors_pointer: str
    min_version_pointer: str
    max_version_pointer: str
    stated_min_version: str | None = None
    """The floor the page states in words (a heading "(since API v2.45)"), see :func:`stated_version`."""
    known_version: str | None = None
    """The highest microversion of the document the endpoint is in."""
    sampled: frozenset[str] = frozenset()
    """Response codes whose body has an example (for an api-ref, a sample: the only place os-api-ref
    shows where a field sits in the body; its parameter tables are flat)."""


@dataclass(frozen=True, slots=True)
class Operation:
    """One method on one path; ``endpoints`` is keyed by action name (None for a plain operation)."""

    method: str
    path: str
    operation_id: str
    pointer: str
    actions_pointer: str | None
    endpoints: Mapping[str | None, Endpoint]
    key: tuple[str, str] | None = None
    """What it matches on (:func:`operation_key`), set by :func:`surface`."""

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


def operation_key(method: str, path: str, optional: frozenset[str] = frozenset()) -> tuple[str, str]:
    """Operations match across documents by method and path, ignoring variable names; under a
    version prefix in ``optional`` (see :func:`optional_segments`), with or without the variable
    segment right after it."""
    return method.upper(), _TEMPLATE_VARIABLE.sub("{}", _without_optional(path, optional).rstrip("/") or "/")


def _without_optional(path: str, optional: frozenset[str]) -> str:
    parts = path.split("/")
    if (len(parts) > 3 and parts[1] in optional and parts[2].startswith("{")
            and parts[3] and not parts[3].startswith("{")):
        return "/".join([*parts[:2], *parts[3:]])
    return path


def optional_segments(document: Mapping[str, Any]) -> frozenset[str]:
    """The version prefixes (``v2``) under which ``document`` routes a URL both with and without a
    variable segment right after the prefix (Manila's ``/v2/{project_id}/shares`` and
    ``/v2/shares``): there the segment is optional, and one form is the same operation as the other."""
    routes = {(method, path) for path, item in (document.get("paths") or {}).items() if isinstance(item, Mapping)
              for method in HTTP_METHODS if isinstance(item.get(method), Mapping)}
    found = set()
    for method, path in routes:
        parts = path.split("/")
        if len(parts) > 3 and _VERSION.fullmatch(parts[1]) and parts[2].startswith("{") and parts[3] \
                and not parts[3].startswith("{") and (method, "/".join([*parts[:2], *parts[3:]])) in routes:
            found.add(parts[1])
    return frozenset(found)


def surface(document: Mapping[str, Any], resolver: Resolver,
            optional: frozenset[str] = frozenset()) -> dict[tuple[str, str], Operation]:
    """Every operation of ``document``, keyed by :func:`operation_key`; of two routes of one
    operation (with and without an ``optional`` segment), the shorter one stands for both."""
    operations: dict[tuple[str, str], Operation] = {}
    for path, raw_item in resolver.mapping(document.get("paths"), "/paths").items():
        item = resolver.node(raw_item, f"/paths/{escape(path)}")
        shared = resolver.sequence(item.schema.get("parameters"), f"{item.pointer}/parameters")
        for method in HTTP_METHODS:
            if isinstance(item.schema.get(method), Mapping):
                key = operation_key(method, path, optional)
                if key in operations and len(operations[key].path) <= len(path):
                    continue
                pointer = f"{item.pointer}/{method}"
                found = _operation(path, method, item.schema[method], pointer, shared, item.pointer, resolver)
                operations[key] = replace(found, key=key)
    return operations


def _operation(
    path: str, method: str, raw: Mapping[str, Any], pointer: str,
    shared: list[Any], item_pointer: str, resolver: Resolver,
) -> Operation:
    operation_id = str(raw.get("operationId") or f"{method.upper()} {path}")
    parameters = dict(_parameters(shared, f"{item_pointer}/parameters", resolver))
    parameters.update(_parameters(resolver.sequence(raw.get("parameters"), f"{pointer}/parameters"),
                                  f"{pointer}/parameters", resolver))
    request = _request_schema(raw, pointer, resolver)
    responses = _responses(raw, pointer, resolver)
    own = raw.get("x-openstack") or {}
    ssm_actions = resolver.mapping(resolver.mapping(raw.get("x-ssm"), f"{pointer}/x-ssm").get("actions"),
                                   f"{pointer}/x-ssm/actions")
    texts = [*(str(t) for t in raw.get("tags") or ()), str(raw.get("summary") or ""), str(raw.get("description") or "")]
    base = dict(
        method=method.upper(), path=path, operation_id=operation_id, parameters=parameters,
        parameters_pointer=f"{pointer}/parameters", responses_pointer=f"{pointer}/responses",
        known_version=resolver.known_version, sampled=_sampled(raw, pointer, resolver),
    )
    alternatives = _action_alternatives(request, resolver)
    if alternatives is None:
        endpoint = Endpoint(
            action=None, pointer=pointer, request=request,
            min_version=_version(own.get("min-ver")), max_version=_version(own.get("max-ver")),
            responses={code: node for code, node in responses.items()},
            success_codes=frozenset(c for c in responses if c.startswith(("1", "2", "3"))),
            error_codes=frozenset(c for c in responses if c.startswith(("4", "5"))),
            success_pointer=f"{pointer}/responses", errors_pointer=f"{pointer}/responses",
            min_version_pointer=_version_pointer(pointer, own, "min-ver"),
            max_version_pointer=_version_pointer(pointer, own, "max-ver"),
            stated_min_version=stated_version(texts), **base,
        )
        return Operation(method.upper(), path, operation_id, pointer, None, {None: endpoint})
    endpoints: dict[str | None, Endpoint] = {}
    for action, alternative in alternatives.items():
        facts = ssm_actions.get(action) or {}
        facts_pointer = f"{pointer}/x-ssm/actions/{escape(action)}"
        marks = alternative.schema.get("x-openstack") or {}
        documented = _codes(facts.get("success-code")) | _codes(facts.get("error-codes"))
        own_responses = {  # with x-ssm facts, only the codes they name are this action's
            code: picked for code, node in responses.items()
            if (picked := _for_action(node, action, resolver)) is not _NOT_MINE
            and (not documented or code in documented)
        }
        success = _codes(facts.get("success-code")) or frozenset(
            c for c in own_responses if c.startswith(("1", "2", "3")))
        errors = _codes(facts.get("error-codes")) or frozenset(
            c for c in responses if c.startswith(("4", "5")))
        endpoints[action] = Endpoint(
            action=action, pointer=alternative.pointer, request=alternative,
            min_version=_version(facts.get("min-ver") or marks.get("min-ver") or own.get("min-ver")),
            max_version=_version(facts.get("max-ver") or marks.get("max-ver") or own.get("max-ver")),
            responses=own_responses, success_codes=success, error_codes=errors,
            success_pointer=f"{facts_pointer}/success-code" if "success-code" in facts else f"{pointer}/responses",
            errors_pointer=f"{facts_pointer}/error-codes" if "error-codes" in facts else f"{pointer}/responses",
            min_version_pointer=_version_pointer(facts_pointer, facts, "min-ver", "") if facts
            else _version_pointer(alternative.pointer, marks, "min-ver"),
            max_version_pointer=_version_pointer(facts_pointer, facts, "max-ver", "") if facts
            else _version_pointer(alternative.pointer, marks, "max-ver"),
            # the operation's summary and description list every action: only its heading is this one's
            stated_min_version=stated_version([*texts[:-2], str(facts.get("summary") or "")]),
            **base,
        )
    actions_pointer = f"{request.pointer}/oneOf" if request is not None else None
    return Operation(method.upper(), path, operation_id, pointer, actions_pointer, endpoints)


def _parameters(raw: list[Any], pointer: str, resolver: Resolver) -> Iterator[tuple[tuple[str, str], Param]]:
    for index, entry in enumerate(raw):
        node = resolver.node(entry, f"{pointer}/{index}")
        in_, name = str(node.schema.get("in", "")), str(node.schema.get("name", ""))
        if in_ == "path":  # path variables are part of the operation's identity
            continue
        key_name = name.lower() if in_ == "header" else name  # HTTP header names ignore case
        yield (in_, key_name), Param(name, in_, bool(node.schema.get("required")), node.pointer)


def _json_content(container: Mapping[str, Any], pointer: str, resolver: Resolver) -> Node | None:
    content = resolver.mapping(container.get("content"), f"{pointer}/content")
    for media_type in ("application/json", *content):
        if isinstance(content.get(media_type), Mapping) and "schema" in content[media_type]:
            base = f"{pointer}/content/{escape(media_type)}/schema"
            return resolver.node(content[media_type]["schema"], base)
    return None


def _request_schema(raw: Mapping[str, Any], pointer: str, resolver: Resolver) -> Node | None:
    if "requestBody" not in raw:
        return None
    body = resolver.node(raw["requestBody"], f"{pointer}/requestBody")
    return _json_content(body.schema, body.pointer, resolver)


def _sampled(raw: Mapping[str, Any], pointer: str, resolver: Resolver) -> frozenset[str]:
    codes = set()
    for code, entry in resolver.mapping(raw.get("responses"), f"{pointer}/responses").items():
        response = resolver.node(entry, f"{pointer}/responses/{escape(str(code))}")
        content = resolver.mapping(response.schema.get("content"), f"{response.pointer}/content")
        if any(isinstance(media, Mapping) and (media.get("examples") or "example" in media) for media in content.values()):
            codes.add(str(code))
    return frozenset(codes)


def _responses(raw: Mapping[str, Any], pointer: str, resolver: Resolver) -> dict[str, Node | None]:
    found: dict[str, Node | None] = {}
    for code, entry in resolver.mapping(raw.get("responses"), f"{pointer}/responses").items():
        response = resolver.node(entry, f"{pointer}/responses/{escape(str(code))}")
        found[str(code)] = _json_content(response.schema, response.pointer, resolver)
    return found


def _action_alternatives(request: Node | None, resolver: Resolver) -> dict[str, Node] | None:
    """The per-action request schemas, or None when the body is not an action ``oneOf``."""
    if request is None or (request.schema.get("x-openstack") or {}).get("discriminator") != "action":
        return None
    alternatives: dict[str, Node] = {}
    for index, raw in enumerate(resolver.sequence(request.schema.get("oneOf"), f"{request.pointer}/oneOf")):
        node = resolver.node(raw, f"{request.pointer}/oneOf/{index}")
        name = (node.schema.get("x-openstack") or {}).get("action-name")
        if name is None:  # fall back to the single required key, as the router does
            keys = list(node.schema.get("required") or node.schema.get("properties") or [])
            name = keys[0] if len(keys) == 1 else f"#{index}"
        alternatives[str(name)] = node
    return alternatives


_NOT_MINE: Any = object()


def _for_action(node: Node | None, action: str, resolver: Resolver) -> Node | None:
    """The part of a response schema that belongs to ``action`` (``_NOT_MINE`` if none does)."""
    if node is None:
        return node
    if "oneOf" not in node.schema:  # one action's schema alone, or a body all actions share
        owner = (node.schema.get("x-openstack") or {}).get("action-name")
        return node if owner in (None, action) else _NOT_MINE
    named = False
    for index, raw in enumerate(node.schema["oneOf"]):
        alternative = resolver.node(raw, f"{node.pointer}/oneOf/{index}")
        name = (alternative.schema.get("x-openstack") or {}).get("action-name")
        named = named or name is not None
        if name == action:
            return alternative
    return _NOT_MINE if named else node


def _version_pointer(pointer: str, marks: Mapping[str, Any], key: str, within: str = "/x-openstack") -> str:
    """Where a version is written (``x-openstack`` of a schema or operation, or the ``x-ssm``
    facts of an action), or the object that would carry it."""
    return pointer if marks.get(key) is None else f"{pointer}{within}/{key}"


def _codes(value: Any) -> frozenset[str]:
    if value is None:
        return frozenset()
    values = value if isinstance(value, (list, tuple)) else [value]
    return frozenset(str(v) for v in values)


def _version(value: Any) -> str | None:
    return None if value is None else str(value)


_STATED = re.compile(r"\(\s*(?:since|new in)\s+(?:api\s+)?(?:version\s+)?v?(\d+\.\d+)\s*\)", re.IGNORECASE)


def stated_version(texts: Iterable[str]) -> str | None:
    """The microversion floor a page states in words, as os-api-ref pages did before
    ``min_version`` and ``versionadded`` (a heading "User messages (since API 2.37)", a
    description "(Since API v2.11) Indicates..."); the lowest, when several are stated."""
    found = [m.group(1) for text in texts for m in _STATED.finditer(text)]
    return min(found, key=version_tuple) if found else None


def version_tuple(version: str) -> tuple[int, ...]:
    """``'2.57'`` -> ``(2, 57)``, so that 2.100 sorts after 2.99."""
    return tuple(int(part) for part in re.findall(r"\d+", version))
