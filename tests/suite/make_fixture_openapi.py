"""Writes data/openapi-fixture.json: a small hand-made OpenAPI document for the plugin's own unit tests.

Run ``python tests/suite/make_fixture_openapi.py`` to regenerate. It is kept
for tests of the plugin's mechanics (options, selection, reports, the
``--ssm-openapi`` flag itself), which need some contract and must not change
when the spec build does. It is looser than the shipped contract (no
``additionalProperties: false``, no 406) and so is never used to judge a
target's sharpness: ``test_broken_targets.py`` runs against the shipped
``spec/openapi/effective.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

BOOL = {"type": "boolean"}
PARAMS = {
    "type": "object",
    "properties": {"host": {"type": "string"}, "writable": BOOL, "nondisruptive": BOOL,
                   "preserve_snapshots": BOOL, "new_share_network_id": {"type": ["string", "null"]}},
    "required": ["host", "writable", "nondisruptive", "preserve_snapshots"],
}
TASK_STATES = ["", "migration_starting", "migration_in_progress", "migration_completing", "migration_success",
               "migration_error", "migration_cancelled", "migration_cancel_in_progress",
               "migration_driver_starting", "migration_driver_in_progress", "migration_driver_phase1_done"]
CAPS = {"type": "object", "properties": {k: {"type": ["boolean", "null"]} for k in
        ("writable", "nondisruptive", "preserve_snapshots", "migration_cancel", "migration_get_progress")}}
SCHEMAS = {
    "CheckRequest": {"type": "object", "properties": {"migration_check": PARAMS}, "required": ["migration_check"],
                     "additionalProperties": False},
    "StartRequest": {"type": "object", "properties": {"migration_start": PARAMS}, "required": ["migration_start"],
                     "additionalProperties": False},
    **{f"{n}Request": {"type": "object", "properties": {k: {"type": "null"}}, "required": [k],
                       "additionalProperties": False}
       for n, k in (("Progress", "migration_get_progress"), ("Complete", "migration_complete"),
                    ("Cancel", "migration_cancel"))},
    "CheckResponse": {"type": "object", "required": ["compatible", "requested_capabilities", "supported_capabilities"],
                      "properties": {"compatible": {"type": "boolean"}, "requested_capabilities": {"type": "object"},
                                     "supported_capabilities": CAPS}},
    "ProgressResponse": {"type": "object", "required": ["total_progress", "task_state", "destination_share_server_id"],
                         "properties": {"total_progress": {"type": "integer"},
                                        "task_state": {"type": "string", "enum": TASK_STATES},
                                        "destination_share_server_id": {"type": "string"}}},
    "CompleteResponse": {"type": "object", "required": ["destination_share_server_id"],
                         "properties": {"destination_share_server_id": {"type": "string"}}},
}
ACTIONS = {
    "migration_check": (200, [400, 401, 403, 404, 409], "CheckRequest", "CheckResponse"),
    "migration_start": (202, [400, 401, 403, 404, 409], "StartRequest", None),
    "migration_get_progress": (200, [400, 401, 403, 404, 409], "ProgressRequest", "ProgressResponse"),
    "migration_complete": (200, [400, 401, 403, 404], "CompleteRequest", "CompleteResponse"),
    "migration_cancel": (202, [400, 401, 403, 404], "CancelRequest", None),
}


def build() -> dict:
    ref = "#/components/schemas/"
    meta = {
        name: {"summary": name, "min-ver": "2.57", "experimental": True, "success-code": code,
               "error-codes": errors, "request-schema": ref + req, "response-schema": ref + resp if resp else None,
               "source": f"api-ref/source/share-server-migration.inc:{i * 50 + 10}",
               "errata": ["ERR-STATUS-200"] if code == 200 else []}
        for i, (name, (code, errors, req, resp)) in enumerate(ACTIONS.items())
    }
    params = [{"name": "project_id", "in": "path", "required": True, "schema": {"type": "string"}},
              {"name": "share_server_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    operation = {
        "operationId": "share-servers/id/action:post",
        "parameters": params,
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "oneOf": [{"$ref": ref + ACTIONS[a][2]} for a in ACTIONS]}}}},
        "responses": {"200": {"description": "ok"}, "202": {"description": "accepted"},
                      "400": {"description": "bad request"}},
        "x-ssm": {"actions": meta},
    }
    return {"openapi": "3.1.0", "info": {"title": "fixture", "version": "2.99"},
            "paths": {"/v2/{project_id}/share-servers/{share_server_id}/action": {"post": operation}},
            "components": {"schemas": SCHEMAS}}


if __name__ == "__main__":
    target = Path(__file__).parent / "data" / "openapi-fixture.json"
    target.write_text(json.dumps(build(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
