"""The contract the suite holds a target to, read from our generated OpenAPI.

The five actions share one operation (``POST .../action``); what tells them
apart lives under the operation's ``x-ssm.actions``: success code, error codes,
request and response schemas, versions, source and errata. This module turns
that into one :class:`ActionContract` per action and validates bodies against
the schemas with jsonschema (OpenAPI 3.1 schemas are JSON Schema 2020-12).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema
import referencing
from referencing.jsonschema import DRAFT202012

from manila_ssm import paths

ACTIONS = ("migration_check", "migration_start", "migration_get_progress", "migration_complete", "migration_cancel")
SHORT = {
    "migration_check": "CHECK",
    "migration_start": "START",
    "migration_get_progress": "PROGRESS",
    "migration_complete": "COMPLETE",
    "migration_cancel": "CANCEL",
}
_DOC_URI = "urn:manila-ssm:openapi"


class ContractError(ValueError):
    """The OpenAPI document lacks what the suite needs; the message names the place."""


@dataclass(frozen=True, slots=True)
class ActionContract:
    name: str
    success_code: int
    error_codes: tuple[int, ...]
    request_schema: Mapping[str, Any] | None
    response_schema: Mapping[str, Any] | None
    min_version: str
    max_version: str | None
    experimental: bool
    source: str
    errata: tuple[str, ...]

    @property
    def short(self) -> str:
        return SHORT[self.name]

    @property
    def has_body(self) -> bool:
        return self.response_schema is not None


@dataclass(frozen=True)
class Contract:
    """One contract (effective or documented): the document and its per-action view."""

    name: str
    path: str
    document: Mapping[str, Any]
    action_path: str
    actions: Mapping[str, ActionContract]

    @cached_property
    def _registry(self) -> referencing.Registry:
        return referencing.Registry().with_resource(_DOC_URI, DRAFT202012.create_resource(dict(self.document)))

    def errors(self, schema: Mapping[str, Any], instance: Any) -> list[str]:
        """Every way ``instance`` breaks ``schema`` (refs resolve inside the document)."""
        wrapped = _anchor_refs(schema)
        validator = jsonschema.Draft202012Validator(wrapped, registry=self._registry)
        return [
            f"{'/'.join(str(p) for p in error.absolute_path) or '(body)'}: {error.message}"
            for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        ][:10]

    def action_variant(self, action: str) -> dict[str, Any]:
        """A copy of the document whose action operation accepts only ``action``'s body.

        Schemathesis sees the five actions as one operation; aiming it at one
        action is simplest by narrowing the request body to that alternative.
        """
        document = copy.deepcopy(dict(self.document))
        schema = self.actions[action].request_schema
        for path, item in document.get("paths", {}).items():
            operation = item.get("post") if isinstance(item, dict) else None
            if not (isinstance(operation, dict) and path.endswith("/action")):
                continue
            for media in operation.get("requestBody", {}).get("content", {}).values():
                media["schema"] = copy.deepcopy(dict(schema)) if schema else {}
                media.pop("examples", None)
                media.pop("example", None)
        return document


def _anchor_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (_DOC_URI + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else _anchor_refs(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_anchor_refs(v) for v in node]
    return node


def default_path(contract: str) -> Path:
    return paths.spec_dir() / "openapi" / f"{contract}.json"


def load(contract: str, path: str | Path | None = None) -> Contract:
    """Read ``path`` (default: the generated document for ``contract``) into a :class:`Contract`."""
    try:
        source = Path(path) if path else default_path(contract)
    except FileNotFoundError as error:
        raise ContractError(str(error)) from None
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise ContractError(
            f"{source}: cannot read the {contract} OpenAPI document ({error.strerror}); "
            "generate it with `ssm-conformance spec build` or pass --ssm-openapi"
        ) from None
    except ValueError as error:
        raise ContractError(f"{source}: not JSON: {error}") from None
    return from_document(contract, document, str(source))


def from_document(contract: str, document: Mapping[str, Any], where: str = "<openapi>") -> Contract:
    action_path, operation = _find_action_operation(document, where)
    meta = operation.get("x-ssm", {}).get("actions")
    if not isinstance(meta, dict):
        raise ContractError(f"{where}: paths/{action_path}/post has no x-ssm.actions mapping")
    actions: dict[str, ActionContract] = {}
    for name in ACTIONS:
        entry = meta.get(name)
        if not isinstance(entry, dict):
            raise ContractError(f"{where}: x-ssm.actions has no entry for {name}")
        actions[name] = _action(name, entry, where)
    return Contract(contract, where, document, action_path, actions)


def _find_action_operation(document: Mapping[str, Any], where: str) -> tuple[str, Mapping[str, Any]]:
    candidates = [
        (path, item["post"])
        for path, item in document.get("paths", {}).items()
        if path.endswith("/action") and isinstance(item, dict) and isinstance(item.get("post"), dict)
        and "x-ssm" in item["post"]
    ]
    if not candidates:
        raise ContractError(f"{where}: no POST .../action operation with x-ssm metadata")
    # Prefer the project-scoped form: it is the one upstream documents.
    candidates.sort(key=lambda pair: "{project_id}" not in pair[0])
    return candidates[0]


def _schema(value: Any) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"$ref": value}
    if isinstance(value, dict):
        return value
    return None


def _action(name: str, entry: Mapping[str, Any], where: str) -> ActionContract:
    try:
        success = int(entry["success-code"])
        errors = tuple(sorted(int(code) for code in entry.get("error-codes", ())))
    except (KeyError, TypeError, ValueError):
        raise ContractError(f"{where}: x-ssm.actions.{name} needs an integer success-code and error-codes") from None
    errata = entry.get("errata") or ()
    if isinstance(errata, (str, dict)):
        errata = (errata,)
    return ActionContract(
        name=name,
        success_code=success,
        error_codes=errors,
        request_schema=_schema(entry.get("request-schema")),
        response_schema=_schema(entry.get("response-schema")),
        min_version=str(entry.get("min-ver", "2.57")),
        max_version=str(entry["max-ver"]) if entry.get("max-ver") else None,
        experimental=bool(entry.get("experimental", True)),
        source=_text(entry.get("source", "")),
        errata=tuple(_text(e.get("id", e) if isinstance(e, dict) else e) for e in errata),
    )


def _text(value: Any) -> str:
    if isinstance(value, dict):
        parts = [str(value.get(k)) for k in ("file", "line") if value.get(k) is not None]
        return ":".join(parts) if parts else json.dumps(value, sort_keys=True)
    return str(value)
