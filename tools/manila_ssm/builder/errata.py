"""Helpers for maintaining the errata overlay, where Overlay 1.0 makes it laborious.

Overlay 1.0 cannot rename or move a node, so the path rename erratum (SSM-E01)
carries copies of the documented path items under their new keys. ``rename_update``
computes that copy from a documented contract, so the erratum can be checked
(a test does) and regenerated when the builder changes:

    python -c "from manila_ssm.builder.errata import print_rename_update; print_rename_update()"
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import yaml

from manila_ssm.builder import naming

# The path rename of SSM-E01: documented key -> effective key (both URL forms).
RENAMES: dict[str, str] = {
    "/v2/{project_id}/share_servers/{share_server_id}/action": "/v2/{project_id}/share-servers/{share_server_id}/action",
    "/v2/share_servers/{share_server_id}/action": "/v2/share-servers/{share_server_id}/action",
}


def rename_update(documented: Mapping[str, Any], renames: Mapping[str, str] = RENAMES, keep_variable: str | None = "project_id") -> dict[str, Any]:
    """The ``update`` value that re-adds each renamed path item: its normative parts, new operationIds.

    Prose (operation description and summary, parameter descriptions) and
    examples are left out: the effective contract's words come from our source.
    """
    update: dict[str, Any] = {}
    for old, new in renames.items():
        item = copy.deepcopy(documented["paths"][old])
        for method, operation in item.items():
            operation.pop("description", None)
            operation.pop("summary", None)
            operation["operationId"] = naming.operation_id(new, method, keep_variable)
            for parameter in operation.get("parameters", []):
                parameter.pop("description", None)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                media.pop("examples", None)
            for response in operation.get("responses", {}).values():
                for media in response.get("content", {}).values():
                    media.pop("examples", None)
        update[new] = item
    return update


def print_rename_update() -> None:  # pragma: no cover - a maintenance aid
    from manila_ssm.builder.contracts import build_documented

    print(yaml.safe_dump(rename_update(build_documented().document), sort_keys=False, width=100))
