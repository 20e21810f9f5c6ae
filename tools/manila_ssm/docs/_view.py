"""What the page shows, computed from an OpenAPI document before any HTML is written.

An ordinary operation is one part; an ``.../action`` operation (request
``oneOf`` with ``x-openstack: {discriminator: action}``) is one part per
action, each with its own request fields, samples, microversions and status
codes (from ``x-ssm.actions`` when the builder wrote them).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from docutils.nodes import make_id

from manila_ssm.docs._fields import Dereferencer, FieldRow, rows, type_label, versions

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass(frozen=True, slots=True)
class Sample:
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Status:
    code: str
    kind: str  # "success" or "error"
    description: str
    fields: tuple[FieldRow, ...]
    samples: tuple[Sample, ...]


@dataclass(frozen=True, slots=True)
class Part:
    """One thing a client can call: an action, or the operation itself (``action`` None)."""

    anchor: str
    action: str | None
    title: str
    description: str
    versions: str
    experimental: bool
    request_fields: tuple[FieldRow, ...]
    request_samples: tuple[Sample, ...]
    statuses: tuple[Status, ...]


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    in_: str
    type: str
    required: bool
    description: str
    versions: str


@dataclass(frozen=True, slots=True)
class OperationView:
    anchor: str
    method: str
    path: str
    operation_id: str
    summary: str
    versions: str
    parameters: tuple[Param, ...]
    parts: tuple[Part, ...]
    aliases: tuple[str, ...] = ()
    sphinx_anchor: str | None = None  # the id Sphinx gives the api-ref section titled like ``summary``

    @property
    def is_action_family(self) -> bool:
        return any(part.action for part in self.parts)


@dataclass(frozen=True, slots=True)
class TagView:
    anchor: str
    name: str
    description: str
    operations: tuple[OperationView, ...]
    # the id Sphinx gives the section of this name, so the api-ref's own `see <#name>`_ links land
    sphinx_anchor: str | None = None


@dataclass(frozen=True, slots=True)
class PageView:
    title: str
    version: str
    description: str
    tags: tuple[TagView, ...]

    @property
    def operation_count(self) -> int:
        return sum(len(tag.operations) for tag in self.tags)


def anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def page(document: Mapping[str, Any]) -> PageView:
    deref = Dereferencer(document)
    info = document.get("info") or {}
    grouped: dict[str, list[OperationView]] = {}
    twins: dict[str, int] = {}
    for path, item in (document.get("paths") or {}).items():
        item, _ = deref(item)
        for method in METHODS:
            if not isinstance(item.get(method), Mapping):
                continue
            tag = str((item[method].get("tags") or ["Other"])[0])
            views = grouped.setdefault(tag, [])
            # one operation routed at two URLs (Manila's with and without {project_id}) is shown once
            signature = _signature(method, item[method], deref)
            if signature in twins:
                first = views[twins[signature]]
                if path.count("{") > first.path.count("{"):  # the fuller URL leads
                    fuller = _operation(path, method, item[method], item.get("parameters") or [], deref)
                    views[twins[signature]] = dataclasses.replace(fuller, aliases=(*first.aliases, first.path))
                else:
                    views[twins[signature]] = dataclasses.replace(first, aliases=(*first.aliases, path))
                continue
            twins[signature] = len(views)
            views.append(_operation(path, method, item[method], item.get("parameters") or [], deref))
    described = {t.get("name"): str(t.get("description") or "") for t in document.get("tags") or [] if isinstance(t, Mapping)}
    order = [t for t in described if t in grouped] + sorted(t for t in grouped if t not in described)
    tags = tuple(TagView(f"tag-{anchor(t)}", t, described.get(t, ""), tuple(grouped[t])) for t in order)
    return PageView(str(info.get("title") or "API reference"), str(info.get("version") or ""),
                    str(info.get("description") or ""), _unique_anchors(tags))


# ids the page template uses for its own elements
RESERVED_IDS = frozenset({"sidebar", "search", "search-count", "toc", "no-match"})


def _unique_anchors(tags: tuple[TagView, ...]) -> tuple[TagView, ...]:
    """Give every tag, operation and part an id no other element has, in page order.

    Two operationIds can slug to one anchor (``a:get`` and ``a-get``), and a tag
    can be named like an operation; a repeated id would send a table-of-contents
    link to the first element of that name.
    """
    taken: set[str] = set(RESERVED_IDS)

    def claim(wanted: str) -> str:
        chosen, number = wanted, 2
        while chosen in taken:
            chosen, number = f"{wanted}-{number}", number + 1
        taken.add(chosen)
        return chosen

    result = []
    for tag in tags:
        tag_anchor = claim(tag.anchor)
        operations = []
        for op in tag.operations:
            op_anchor = claim(op.anchor)
            parts = tuple(dataclasses.replace(part, anchor=claim(f"{op_anchor}-{anchor(part.action)}" if part.action else f"{op_anchor}-body"))
                          for part in op.parts)
            section_id = make_id(op.summary)
            operations.append(dataclasses.replace(op, anchor=op_anchor, parts=parts,
                                                  sphinx_anchor=claim(section_id) if section_id and section_id not in taken else None))
        wanted = make_id(tag.name)
        sphinx_anchor = claim(wanted) if wanted and wanted not in taken else None
        result.append(dataclasses.replace(tag, anchor=tag_anchor, operations=tuple(operations), sphinx_anchor=sphinx_anchor))
    return tuple(result)


def _signature(method: str, raw: Mapping[str, Any], deref: Dereferencer) -> str:
    """The operation without its id and path parameters, to spot the same one at another URL."""
    kept = [p for p in (deref(p)[0] for p in raw.get("parameters") or ()) if p.get("in") != "path"]
    rest = {k: v for k, v in raw.items() if k not in ("operationId", "parameters")}
    return json.dumps([method, kept, rest], sort_keys=True, default=str)


def _operation(path: str, method: str, raw: Mapping[str, Any], shared: list[Any], deref: Dereferencer) -> OperationView:
    operation_id = str(raw.get("operationId") or f"{method}:{path}")
    base = f"op-{anchor(operation_id)}"
    params = [p for p in (deref(p)[0] for p in (*shared, *(raw.get("parameters") or [])))]
    parameters = tuple(
        Param(str(p.get("name")), str(p.get("in")), type_label(deref(p.get("schema") or {})[0]),
              bool(p.get("required")), str(p.get("description") or "").strip(), versions(p.get("x-openstack")))
        for p in params
    )
    body, _ = deref(((raw.get("requestBody") or {}).get("content") or {}).get("application/json") or {})
    schema, _ = deref(body.get("schema") or {})
    actions = (raw.get("x-ssm") or {}).get("actions") or {}
    if (schema.get("x-openstack") or {}).get("discriminator") == "action":
        parts = tuple(_action_part(base, raw, alt, body, actions, deref) for alt in schema.get("oneOf") or ())
    else:
        parts = (_plain_part(base, raw, body, deref),)
    return OperationView(base, method.upper(), path, operation_id, str(raw.get("summary") or ""),
                         versions(raw.get("x-openstack")), parameters, parts)


def _samples(container: Mapping[str, Any], pick: re.Pattern[str] | None) -> tuple[Sample, ...]:
    found = []
    for name, example in (container.get("examples") or {}).items():
        if pick is None or pick.fullmatch(str(name)):
            value = example.get("value") if isinstance(example, Mapping) else example
            title = example.get("summary") if isinstance(example, Mapping) else None
            found.append(Sample(str(title or name), json.dumps(value, indent=2, ensure_ascii=False)))
    if "example" in container:
        found.append(Sample("example", json.dumps(container["example"], indent=2, ensure_ascii=False)))
    return tuple(found)


def _statuses(raw: Mapping[str, Any], action: str | None, wanted: set[str] | None, deref: Dereferencer) -> tuple[Status, ...]:
    pick = re.compile(re.escape(action) + r"(_\d+)?") if action else None
    out = []
    for code, response in (raw.get("responses") or {}).items():
        code = str(code)
        if wanted is not None and code not in wanted:
            continue
        response, _ = deref(response)
        content, _ = deref((response.get("content") or {}).get("application/json") or {})
        schema, _ = deref(content.get("schema") or {})
        if action and "oneOf" in schema:  # keep this action's alternative only
            mine = [a for a in schema["oneOf"] if (deref(a)[0].get("x-openstack") or {}).get("action-name") == action]
            schema = deref(mine[0])[0] if mine else {}
        elif action and (schema.get("x-openstack") or {}).get("action-name") not in (None, action):
            schema = {}
        kind = "error" if code.startswith(("4", "5")) else "success"
        out.append(Status(code, kind, str(response.get("description") or "").strip(),
                          tuple(rows(schema, deref)), _samples(content, pick if kind == "success" else None)))
    return tuple(sorted(out, key=lambda s: s.code))


def _plain_part(base: str, raw: Mapping[str, Any], body: Mapping[str, Any], deref: Dereferencer) -> Part:
    experimental = any(bool(o.get("experimental")) for o in (raw.get("x-ssm") or {}).get("operations") or ())
    return Part(base, None, str(raw.get("summary") or ""), str(raw.get("description") or "").strip(),
                versions(raw.get("x-openstack")), experimental, tuple(rows(body.get("schema") or {}, deref)),
                _samples(body, None), _statuses(raw, None, None, deref))


def _action_part(base: str, raw: Mapping[str, Any], alternative: Any, body: Mapping[str, Any],
                 actions: Mapping[str, Any], deref: Dereferencer) -> Part:
    schema, _ = deref(alternative)
    marks = schema.get("x-openstack") or {}
    name = str(marks.get("action-name") or next(iter(schema.get("properties") or {"?": 0})))
    facts = actions.get(name) or {}
    wanted = None
    if "success-code" in facts or "error-codes" in facts:
        wanted = {str(facts.get("success-code"))} | {str(c) for c in facts.get("error-codes") or ()}
    span = versions({"min-ver": facts.get("min-ver") or marks.get("min-ver"),
                     "max-ver": facts.get("max-ver") or marks.get("max-ver")})
    return Part(f"{base}-{anchor(name)}", name, str(facts.get("summary") or schema.get("title") or name),
                str(schema.get("description") or "").strip(), span, bool(facts.get("experimental")),
                tuple(rows(schema, deref)), _samples(body, re.compile(re.escape(name) + r"(_\d+)?")),
                _statuses(raw, name, wanted, deref))
