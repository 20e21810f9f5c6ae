"""Every change names places that exist: its old pointer in the old document, its new one in the new."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from manila_ssm.diff import compare

HERE = Path(__file__).parent
PAIRS = sorted(p for folder in ("cases", "locations") for p in (HERE / folder).iterdir() if p.is_dir())


def resolves(document: Any, pointer: str) -> bool:
    node = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True


@pytest.mark.parametrize("pair", PAIRS, ids=[p.name for p in PAIRS])
@pytest.mark.parametrize("direction", ["forward", "reverse"])
def test_both_locations_of_every_change_exist(pair: Path, direction: str) -> None:
    old, new = (json.loads((pair / name).read_text(encoding="utf-8")) for name in ("old.json", "new.json"))
    if direction == "reverse":
        old, new = new, old
    changes = list(compare(old, new))
    for change in changes:
        if change.old.pointer is not None:
            assert resolves(old, change.old.pointer), (change.rule, "old", change.old.pointer)
        if change.new.pointer is not None:
            assert resolves(new, change.new.pointer), (change.rule, "new", change.new.pointer)


def test_a_header_required_on_an_action_endpoint_points_at_the_operations_parameters() -> None:
    pair = HERE / "locations" / "action-header-newly-required"
    old, new = (json.loads((pair / name).read_text(encoding="utf-8")) for name in ("old.json", "new.json"))
    changes = [c for c in compare(old, new) if c.rule == "header-newly-required"]
    actions = old["paths"]["/v2/{project_id}/share-servers/{share_server_id}/action"]["post"]["x-ssm"]["actions"]
    assert len(changes) == len(actions) > 1  # one per action of the operation
    assert {c.old.pointer for c in changes} == {
        "/paths/~1v2~1{project_id}~1share-servers~1{share_server_id}~1action/post/parameters"
    }


def test_a_removed_action_operation_names_where_its_first_action_is_documented() -> None:
    pair = HERE / "locations" / "action-header-newly-required"
    old = json.loads((pair / "old.json").read_text(encoding="utf-8"))
    path = "/v2/{project_id}/share-servers/{share_server_id}/action"
    operation = old["paths"][path]["post"]
    for number, facts in enumerate(operation["x-ssm"]["actions"].values(), 1):
        facts["source"] = f"share-server-migration.inc:{number * 10}"
    new = {**old, "paths": {p: item for p, item in old["paths"].items() if p != path}}
    removed = [c for c in compare(old, new) if c.rule == "operation-removed"]
    assert [(c.old.source, c.new.source) for c in removed] == [("share-server-migration.inc:10", None)]
