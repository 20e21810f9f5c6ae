"""Apply the errata overlay, written for the migration page, to a contract that holds more than it.

The overlay (``spec/errata.overlay.yaml``) is a plain Overlay 1.0 document for
the contract of the one upstream page. Its path rename (SSM-E01) re-adds the
page's action family under the hyphenated URL with an ``update`` of
``$.paths``; Overlay 1.0 merges objects but replaces arrays, so on a whole tree,
where the hyphenated URL already carries the share-servers family (reset_status,
unmanage), that update would replace the family's request ``oneOf`` and
parameters, and family-wide targets (``x-ssm.actions.*``) would reach the other
actions too.

So the overlay is applied, unchanged and by the specification, to the part of
the contract it was written for: the renamed path items plus everything that is
not a path (components). The result's path items are then merged into the
contract's own by the builder's rule for one family of ``POST .../action``
sections (:mod:`manila_ssm.builder.operations`): one operation, the request
``oneOf`` and the per-code response ``oneOf`` hold every action's body, the
``x-ssm`` actions are united, and a query or header parameter stays required
only if both families require it. On the single page nothing is left to merge,
so the result is what the overlay alone gives.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from manila_ssm.builder.errata import RENAMES
from manila_ssm.builder.overlay import RULE, Overlay, apply_overlay
from manila_ssm.errors import Finding, Location, Severity

JSON = "application/json"


def apply_errata(
    documented: Mapping[str, Any], overlay: Overlay, renamed: Mapping[str, str] = RENAMES
) -> tuple[dict[str, Any], tuple[Finding, ...]]:
    """``documented`` with the overlay applied to the page's path items and merged back into the rest."""
    scope = {key: value for key, value in documented.items() if key != "paths"}
    scope["paths"] = {key: item for key, item in documented.get("paths", {}).items() if key in renamed}
    applied, findings = apply_overlay(scope, overlay)
    result = {key: value for key, value in applied.items() if key != "paths"}
    paths = {key: copy.deepcopy(item) for key, item in documented.get("paths", {}).items() if key not in renamed}
    problems: list[Finding] = []
    for key, item in applied.get("paths", {}).items():
        paths[key] = _merge_path_item(key, paths[key], item, overlay, problems) if key in paths else item
    result["paths"] = paths
    return result, (*findings, *problems)


def _merge_path_item(key: str, own: dict[str, Any], page: dict[str, Any], overlay: Overlay, problems: list[Finding]) -> dict[str, Any]:
    merged = copy.deepcopy(own)
    for method, operation in page.items():
        mine = merged.get(method)
        if mine is None:
            merged[method] = copy.deepcopy(operation)
        elif _is_family(mine) and _is_family(operation):
            merged[method] = merge_families(mine, operation)
            clash = sorted(set(mine["x-ssm"]["actions"]) & set(operation["x-ssm"]["actions"]))
            if clash:
                problems.append(_problem(overlay, f"{method.upper()} {key}: the tree documents the action(s) {', '.join(clash)} twice; the errata's version is kept"))
        else:
            merged[method] = copy.deepcopy(operation)
            problems.append(_problem(overlay, f"{method.upper()} {key} exists in the tree and is not an action family; the errata's operation replaces it"))
    return merged


def _is_family(operation: Any) -> bool:
    return isinstance(operation, dict) and "actions" in operation.get("x-ssm", {})


def merge_families(own: dict[str, Any], page: dict[str, Any]) -> dict[str, Any]:
    """One action family from two, as the builder makes one from all the sections of a URL."""
    merged = copy.deepcopy(own)
    actions = {**own["x-ssm"]["actions"], **copy.deepcopy(page["x-ssm"]["actions"])}
    merged["x-ssm"] = {**merged["x-ssm"], "actions": actions}
    merged["summary"] = f"Actions: {', '.join(actions)}" if len(actions) > 1 else next(iter(actions.values()))["summary"]
    merged["description"] = "\n\n".join(f"{name}: {meta['summary']}" for name, meta in actions.items())
    merged["tags"] = _union(own.get("tags", []), page.get("tags", []))
    merged["parameters"] = _parameters(own.get("parameters", []), page.get("parameters", []))
    media = merged["requestBody"]["content"][JSON]
    theirs = page["requestBody"]["content"][JSON]
    media["schema"]["oneOf"] = _union(media["schema"]["oneOf"], theirs["schema"]["oneOf"])
    if theirs.get("examples"):
        media["examples"] = {**media.get("examples", {}), **copy.deepcopy(theirs["examples"])}
    responses = merged["responses"]
    for code, response in page.get("responses", {}).items():
        responses[code] = _response(responses[code], response) if code in responses else copy.deepcopy(response)
    merged["responses"] = dict(sorted(responses.items()))
    return merged


def _response(own: dict[str, Any], page: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(own)
    if page.get("headers"):
        merged["headers"] = {**copy.deepcopy(page["headers"]), **merged.get("headers", {})}
    for media_type, media in page.get("content", {}).items():
        content = merged.setdefault("content", {})
        if media_type not in content:
            content[media_type] = copy.deepcopy(media)
            continue
        mine = content[media_type]
        alternatives = _union(_alternatives(mine["schema"]), _alternatives(media["schema"]))
        wrapped = "oneOf" in mine["schema"] or "oneOf" in media["schema"] or len(alternatives) > 1
        mine["schema"] = {"oneOf": alternatives} if wrapped else alternatives[0]
        if media.get("examples"):
            mine["examples"] = {**mine.get("examples", {}), **copy.deepcopy(media["examples"])}
    return merged


def _alternatives(schema: dict[str, Any]) -> list[Any]:
    return list(schema["oneOf"]) if set(schema) == {"oneOf"} else [schema]


def _parameters(own: list[dict[str, Any]], page: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Both lists, each (name, in) once; a query or header parameter is required only if both require it."""
    theirs = {(p["name"], p["in"]): p for p in page}
    mine = {(p["name"], p["in"]) for p in own}
    out = []
    for parameter in own:
        other = theirs.get((parameter["name"], parameter["in"]))
        merged = copy.deepcopy(parameter)
        if parameter["in"] != "path":
            merged["required"] = bool(parameter.get("required")) and bool(other and other.get("required"))
        out.append(merged)
    for key, parameter in theirs.items():
        if key not in mine:
            out.append({**copy.deepcopy(parameter), **({"required": False} if parameter["in"] != "path" else {})})
    return out


def _union(first: list[Any], second: list[Any]) -> list[Any]:
    out = copy.deepcopy(list(first))
    out += [copy.deepcopy(item) for item in second if item not in out]
    return out


def _problem(overlay: Overlay, message: str) -> Finding:
    return Finding(RULE, Severity.ERROR, Location(overlay.location.file), message, "build the documented contract of this tree, or merge the families by hand")
