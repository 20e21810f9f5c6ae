"""The dispatcher: match two surfaces and run every rule on every matched pair."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from manila_ssm.diff import _endpoint_rules, _schema_rules  # noqa: F401 - they register the rules
from manila_ssm.diff._fields import names_in, walk
from manila_ssm.diff._registry import RULES, Draft, Scope
from manila_ssm.diff._resolve import Node, Resolver, escape
from manila_ssm.diff._surface import Endpoint, Operation, optional_segments, surface


Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Side:
    """Where a change is in one document: a JSON pointer and the operation's id there."""

    pointer: str
    operation_id: str
    operation_pointer: str = ""
    source: str | None = None
    """The RST ``file:line`` of the operation's rest_method (from ``x-ssm``), when the document has it."""


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between the documents, classified by its rule."""

    rule: str
    breaking: bool
    message: str
    operation: str
    action: str | None
    subject: str
    old: Side
    new: Side

    @property
    def location(self) -> str:
        """The name ignore files match: ``METHOD /path [action] subject``."""
        action = f" [{self.action}]" if self.action else ""
        return f"{self.operation}{action} {self.subject}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule, "breaking": self.breaking, "message": self.message,
            "location": self.location, "operation": self.operation, "action": self.action,
            "subject": self.subject,
            "old": {"pointer": self.old.pointer, "operationId": self.old.operation_id, "source": self.old.source},
            "new": {"pointer": self.new.pointer, "operationId": self.new.operation_id, "source": self.new.source},
        }


def compare(old: Mapping[str, Any], new: Mapping[str, Any], *, old_name: str = "OLD",
            new_name: str = "NEW") -> list[Change]:
    """Every change from ``old`` to ``new``: breaking ones first, then by location."""
    old_resolver, new_resolver = Resolver(old, old_name), Resolver(new, new_name)
    # a segment either document routes as optional (Manila's {project_id}) is optional in both:
    # a page that stopped writing it documents the same routes (Manila's 2.60 note says so)
    optional = optional_segments(old) | optional_segments(new)
    old_ops, new_ops = surface(old, old_resolver, optional), surface(new, new_resolver, optional)
    changes: list[Change] = []
    moved = _moved(old_ops, new_ops)
    for key in sorted(old_ops.keys() | new_ops.keys()):
        old_op, new_op = old_ops.get(key), new_ops.get(key)
        if old_op is None or new_op is None:
            if key in moved or key in moved.values():
                continue
            present = old_op or new_op
            assert present is not None
            changes.extend(_run("document", (old_op, new_op), present, present, None, ""))
            continue
        changes.extend(_pair_changes(old_op, new_op, old_resolver, new_resolver))
    for old_key, new_key in moved.items():
        changes.extend(_pair_changes(old_ops[old_key], new_ops[new_key], old_resolver, new_resolver))
    changes = [_with_sources(c, old, new) for c in changes]
    return _once(sorted(changes, key=lambda c: (not c.breaking, c.operation, c.action or "", c.subject, c.rule)))


_BODILESS = frozenset({"GET", "HEAD", "DELETE"})
_PROJECT_SEGMENT = re.compile(r"/\{project_id\}(?=/|$)")


def _once(changes: list[Change]) -> list[Change]:
    """One change per fact: the ``{project_id}`` and project-less routes of one operation report it once."""
    seen: set[tuple[str, str, str | None, str, str]] = set()
    kept = []
    for change in changes:
        key = (change.rule, _PROJECT_SEGMENT.sub("", change.operation), change.action, change.subject,
               _PROJECT_SEGMENT.sub("", change.message))
        if key not in seen:
            seen.add(key)
            kept.append(change)
    return kept


def _operation_pointer(at: Operation | Endpoint) -> str:
    return f"/paths/{escape(at.path)}/{at.method.lower()}"


def _with_sources(change: Change, old: Mapping[str, Any], new: Mapping[str, Any]) -> Change:
    return replace(
        change,
        old=replace(change.old, source=source_of(old, change.old.operation_pointer, change.action)),
        new=replace(change.new, source=source_of(new, change.new.operation_pointer, change.action)),
    )


def source_of(document: Mapping[str, Any], pointer: str, action: str | None) -> str | None:
    """The RST ``file:line`` that ``x-ssm`` records for the operation (or action) holding ``pointer``."""
    parts = pointer.split("/")
    if len(parts) < 4 or parts[1] != "paths":
        return None
    path = parts[2].replace("~1", "/").replace("~0", "~")
    operation = ((document.get("paths") or {}).get(path) or {}).get(parts[3])
    if not isinstance(operation, Mapping):
        return None
    meta = operation.get("x-ssm") or {}
    if action and isinstance(meta.get("actions"), Mapping) and isinstance(meta["actions"].get(action), Mapping):
        return meta["actions"][action].get("source")
    listed = meta.get("operations")
    if isinstance(listed, list) and listed and isinstance(listed[0], Mapping):
        return listed[0].get("source")
    actions = meta.get("actions")
    if isinstance(actions, Mapping):  # the whole action operation: where its first action is documented
        return next((a.get("source") for a in actions.values() if isinstance(a, Mapping) and a.get("source")), None)
    return None


def _moved(old_ops: Mapping[Key, Operation], new_ops: Mapping[Key, Operation]) -> dict[Key, Key]:
    """Unmatched operations that are the same operation at another path (same method, and the
    same operationId or the same actions), each paired with its most similar path."""
    gone = [k for k in old_ops if k not in new_ops]
    came = [k for k in new_ops if k not in old_ops]
    pairs: dict[Key, Key] = {}
    for old_key in gone:
        old_op = old_ops[old_key]
        candidates = [
            k for k in came if k not in pairs.values() and k[0] == old_key[0]
            and (new_ops[k].operation_id == old_op.operation_id
                 or (old_op.actions_pointer and set(new_ops[k].endpoints) == set(old_op.endpoints)))
        ]
        if candidates:
            pairs[old_key] = max(candidates, key=lambda k: difflib.SequenceMatcher(None, old_key[1], k[1]).ratio())
    return pairs


def _pair_changes(old_op: Operation, new_op: Operation, old_resolver: Resolver, new_resolver: Resolver) -> Iterator[Change]:
    yield from _run("operation", (old_op, new_op), old_op, new_op, None, "")
    for action in old_op.endpoints.keys() & new_op.endpoints.keys():
        yield from _endpoint_changes(old_op.endpoints[action], new_op.endpoints[action], old_resolver, new_resolver)


def _run(scope: Scope, arguments: Iterable[Any], old_at: Operation | Endpoint, new_at: Operation | Endpoint,
         action: str | None, prefix: str) -> Iterator[Change]:
    arguments = tuple(arguments)
    for rule_id, rule in RULES.items():
        if scope in rule.scopes:
            for draft in rule.check(*arguments):
                yield _finish(rule_id, draft, old_at, new_at, action, prefix)


def _finish(rule_id: str, draft: Draft, old_at: Operation | Endpoint, new_at: Operation | Endpoint,
            action: str | None, prefix: str) -> Change:
    old_id = "" if draft.old_pointer == "/paths" else old_at.operation_id
    new_id = "" if draft.new_pointer == "/paths" else new_at.operation_id
    return Change(
        rule=rule_id, breaking=RULES[rule_id].breaking, message=f"{prefix}{draft.message}",
        operation=f"{new_at.method} {new_at.path}", action=draft.action or action, subject=f"{prefix}{draft.subject}",
        old=Side(draft.old_pointer or old_at.pointer, old_id, _operation_pointer(old_at)),
        new=Side(draft.new_pointer or new_at.pointer, new_id, _operation_pointer(new_at)),
    )


def _endpoint_changes(old: Endpoint, new: Endpoint, old_resolver: Resolver, new_resolver: Resolver) -> Iterator[Change]:
    yield from _run("endpoint", (old, new), old, new, new.action, "")
    if new.method in _BODILESS and old.method in _BODILESS:
        # RFC 9110: a GET, HEAD or DELETE body has no meaning; "body" parameters an api-ref lists
        # there are misfiled path or query parameters, not a request a client sends
        old_request, new_request = None, None
    else:
        old_request, new_request = old.request, new.request
    yield from _schema_changes("request", old_request, new_request, (old.pointer, new.pointer),
                               old, new, old_resolver, new_resolver, "")
    for old_code, new_code in _response_pairs(old, new):
        where = (f"{old.responses_pointer}/{old_code}", f"{new.responses_pointer}/{new_code}")
        label = old_code if old_code == new_code else f"{old_code}->{new_code}"
        placed: frozenset[str] = frozenset()
        new_body = new.responses[new_code]
        if old_code not in old.sampled and new_code in new.sampled and new_body is not None:
            placed = names_in(new_body, new_resolver)
        yield from _schema_changes("response", old.responses[old_code], new_body, where,
                                   old, new, old_resolver, new_resolver, f"status {label}: ", placed)


def _response_pairs(old: Endpoint, new: Endpoint) -> list[tuple[str, str]]:
    """Responses to compare: same status code, and the one success body across a code change."""
    pairs = [(code, code) for code in sorted(old.responses.keys() & new.responses.keys())]
    if len(old.success_codes) == len(new.success_codes) == 1 and old.success_codes != new.success_codes:
        (was,), (now,) = old.success_codes, new.success_codes
        if was in old.responses and now in new.responses:
            pairs = [p for p in pairs if p[0] not in (was, now)] + [(was, now)]
    return pairs


def _schema_changes(scope: Scope, old: Node | None, new: Node | None, where: tuple[str, str],
                    old_ep: Endpoint, new_ep: Endpoint, old_resolver: Resolver, new_resolver: Resolver,
                    prefix: str, placed_elsewhere: frozenset[str] = frozenset()) -> Iterator[Change]:
    if old is None and new is None:
        return
    # a body that appeared or vanished compares against an empty schema where it would be
    old_node, new_node = old or Node({}, where[0]), new or Node({}, where[1])
    for pair in walk(old_node, new_node, old_resolver, new_resolver, scope, placed_elsewhere):
        yield from _run(scope, (pair,), old_ep, new_ep, new_ep.action, prefix)
