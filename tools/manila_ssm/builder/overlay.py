"""A small applier of OpenAPI Overlay 1.0 documents, and our errata read from one.

Overlay 1.0 semantics, as the specification states them: actions apply in
order; ``target`` is a JSONPath (jsonpath-ng evaluates it); ``remove: true``
deletes every selected node from its parent (and then ``update`` is ignored);
otherwise ``update`` is merged into every selected object (nested objects
merge, anything else replaces) or appended to every selected array. A target
that selects nothing is reported, since an erratum that no longer applies is
news. Each of our actions carries an ``x-erratum`` object naming the
erratum it belongs to.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonpath_ng import Fields, Index
from jsonpath_ng.ext import parse as parse_jsonpath

from manila_ssm.errors import Finding, Location, Severity, SpecError
from manila_ssm.yamlio import FastSafeLoader

RULE = "SSM-OVERLAY"
_DOCUMENT_FIELDS = {"overlay", "info", "extends", "actions"}
_ACTION_FIELDS = {"target", "description", "update", "remove"}


@dataclass(frozen=True, slots=True)
class Erratum:
    """One divergence of the upstream page from upstream behaviour."""

    id: str
    title: str
    reason: str
    source: dict[str, Any]
    actions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OverlayAction:
    target: str
    location: Location
    update: Any = None
    remove: bool = False
    description: str = ""
    erratum: Erratum | None = None


@dataclass(frozen=True, slots=True)
class Overlay:
    title: str
    version: str
    actions: tuple[OverlayAction, ...]
    location: Location

    def errata(self) -> tuple[Erratum, ...]:
        """Each erratum once, in the order its first action appears."""
        seen: dict[str, Erratum] = {}
        for action in self.actions:
            if action.erratum is not None:
                seen.setdefault(action.erratum.id, action.erratum)
        return tuple(seen.values())


def load_overlay(path: Path, display: str | None = None) -> Overlay:
    """Read and check an Overlay 1.0 document; problems are ``SpecError`` with lines."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
        loader = FastSafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except OSError as error:
        raise SpecError(_error(Location(name), f"cannot read the overlay: {error.strerror}")) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise SpecError(_error(Location(name, mark.line + 1 if mark else None), f"malformed YAML: {error}")) from None
    if not isinstance(data, dict) or not str(data.get("overlay", "")).startswith("1.0"):
        raise SpecError(_error(Location(name, 1), "not an Overlay 1.0 document", "start it with 'overlay: 1.0.0'"))
    info = data.get("info") or {}
    lines = _action_lines(node)
    actions, findings = [], []
    for key in sorted(set(data) - _DOCUMENT_FIELDS):
        if not str(key).startswith("x-"):
            findings.append(_error(Location(name, 1), f"unknown Overlay field {key!r}", "Overlay 1.0 allows overlay, info, extends, actions and x- extensions"))
    for index, raw in enumerate(data.get("actions") or []):
        where = Location(name, lines[index] if index < len(lines) else None)
        if not isinstance(raw, dict) or not isinstance(raw.get("target"), str) or not raw["target"].startswith("$"):
            findings.append(_error(where, "an action needs a 'target' JSONPath starting with '$'"))
            continue
        unknown = sorted(k for k in set(raw) - _ACTION_FIELDS if not str(k).startswith("x-"))
        if unknown:
            findings.append(_error(where, f"unknown action field(s) {', '.join(map(repr, unknown))}", "an action has target, description, update, remove and x- extensions"))
            continue
        if "update" not in raw and not raw.get("remove"):
            findings.append(_error(where, "an action needs 'update' or 'remove: true'"))
            continue
        erratum = _erratum(raw.get("x-erratum"), where, findings)
        actions.append(OverlayAction(raw["target"], where, raw.get("update"), bool(raw.get("remove")), str(raw.get("description", "")), erratum))
    if not actions and not findings:
        findings.append(_error(Location(name, 1), "the overlay has no actions"))
    if findings:
        raise SpecError(findings)
    return Overlay(str(info.get("title", "")), str(info.get("version", "")), tuple(actions), Location(name))


def apply_overlay(document: dict[str, Any], overlay: Overlay) -> tuple[dict[str, Any], tuple[Finding, ...]]:
    """A copy of ``document`` with every action applied, and the actions that selected nothing."""
    result = copy.deepcopy(document)
    findings: list[Finding] = []
    for action in overlay.actions:
        try:
            expression = parse_jsonpath(action.target)
        except Exception as error:  # noqa: BLE001 - jsonpath-ng raises its own types and plain Exception
            raise SpecError(_error(action.location, f"invalid JSONPath {action.target!r}: {error}")) from None
        matches = expression.find(result)
        if not matches:
            findings.append(_error(action.location, f"target {action.target} selects nothing", "the erratum may be fixed upstream, or the target misspelt"))
            continue
        if action.remove:
            for match in reversed(matches):
                _remove(match, action)
            continue
        for match in matches:
            value = match.value
            if isinstance(value, dict) and isinstance(action.update, dict):
                _merge(value, action.update)
            elif isinstance(value, list):
                value.append(copy.deepcopy(action.update))
            else:
                raise SpecError(_error(action.location, f"target {action.target} selects a {type(value).__name__}; Overlay 1.0 updates objects (with an object) and arrays only"))
    return result, tuple(findings)


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(target.get(key), dict) and isinstance(value, dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _remove(match: Any, action: OverlayAction) -> None:
    parent = match.context.value if match.context is not None else None
    step = match.path
    if isinstance(step, Fields) and isinstance(parent, dict):
        for field in step.fields:
            parent.pop(field, None)
    elif isinstance(step, Index) and isinstance(parent, list):
        for index in sorted(step.indices, reverse=True):
            del parent[index]
    else:
        raise SpecError(_error(action.location, f"cannot remove what {action.target} selects"))


def _erratum(raw: Any, where: Location, findings: list[Finding]) -> Erratum | None:
    if raw is None:
        return None
    needed = ("id", "title", "reason", "source")
    if not isinstance(raw, dict) or any(not raw.get(key) for key in needed):
        findings.append(_error(where, f"x-erratum needs {', '.join(needed)}"))
        return None
    return Erratum(str(raw["id"]), str(raw["title"]).strip(), str(raw["reason"]).strip(), dict(raw["source"]), tuple(raw.get("actions") or ()))


def _action_lines(node: yaml.Node | None) -> list[int]:
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "actions" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _error(where: Location, message: str, hint: str = "") -> Finding:
    return Finding(RULE, Severity.ERROR, where, message, hint)
