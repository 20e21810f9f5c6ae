"""The normative content of an OpenAPI document: what two contracts must agree on.

Compared: paths, methods, operationIds, parameters, request and response
schemas, status codes, headers, security, components and every ``x-``
extension. Ignored, because they are prose or navigation rather than
contract:

* ``description``, ``summary`` and ``title`` wherever their value is text;
* ``examples`` of media types and ``examples``/``example`` of schemas (the
  samples differ by design);
* ``tags`` (section titles) and the top-level ``tags`` list;
* ``info.title`` and ``info.description``;
* ``x-ssm.actions.*.summary``, ``x-ssm.actions.*.source``, and
  ``x-ssm.operations[*].summary``/``source`` (prose and source locations).

Order-free lists are compared as sets: ``parameters`` (sorted by ``in`` and
``name``), ``required``, ``error-codes``, ``errata`` and ``enum``.
"""

from __future__ import annotations

import json
from typing import Any

_PROSE = {"description", "summary", "title"}
_SETS = {"required", "error-codes", "errata", "success-codes", "enum"}


def normative(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` without the ignored parts and with order-free lists sorted."""
    out = _strip(document, ())
    out.pop("tags", None)
    info = out.get("info", {})
    info.pop("title", None)
    return out


def _strip(value: Any, trail: tuple[str, ...]) -> Any:
    if isinstance(value, list):
        items = [_strip(item, (*trail, "[]")) for item in value]
        if trail and trail[-1] == "parameters":
            return sorted(items, key=lambda p: (str(p.get("in")), str(p.get("name"))) if isinstance(p, dict) else ("", ""))
        if trail and trail[-1] in _SETS:
            return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
        return items
    if not isinstance(value, dict):
        return value
    in_names = bool(trail) and trail[-1] in {"properties", "patternProperties", "$defs", "schemas", "paths", "responses", "headers", "content", "actions", "securitySchemes", "parameters"}
    out = {}
    for key, item in value.items():
        if not in_names:
            if key in _PROSE and isinstance(item, str):
                continue
            if key == "example" or (key == "examples" and ("schema" in value or isinstance(item, list))):
                continue
            if key == "tags" and isinstance(item, list):
                continue
            if key == "source" and len(trail) >= 2 and trail[-2] in {"actions", "operations"}:
                continue
        out[key] = _strip(item, (*trail, key))
    return out
