"""The whole upstream Manila api-ref tree, and the flattened seed copy of the migration page."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from manila_ssm.apiref import parse
from manila_ssm.model import ApiRef
from manila_ssm.paths import shared_dir

SHARED = shared_dir()
pytestmark = pytest.mark.skipif(
    SHARED is None, reason="../shared (upstream api-ref test data) is not beside this checkout"
)

# Every family of POST .../action endpoints in the tree, with its number of actions.
ACTION_FAMILIES = {
    "/v2/shares/{share_id}/action": 15,
    "/v2/share-networks/{share_network_id}/action": 6,
    "/v2/share-replicas/{share_replica_id}/action": 5,
    "/v2/snapshots/{snapshot_id}/action": 3,
    "/v2/{project_id}/share_servers/{share_server_id}/action": 5,
    "/v2/share-servers/{share_server_id}/action": 2,
    "/v2/share_instances/{share_instance_id}/action": 2,
    "/v2/share-backups/{backup_id}/action": 2,
    "/v2/types/{share_type_id}/action": 2,
    "/v2/share-group-types/{share_group_type_id}/action": 2,
    "/v2/share-groups/{share_group_id}/action": 1,
    "/v2/share-group-snapshots/{group_snapshot_id}/action": 1,
    "/v2/snapshot-instances/{snapshot_instance_id}/action": 1,
}


@pytest.fixture(scope="module")
def tree() -> ApiRef:
    assert SHARED is not None
    return parse(SHARED / "upstream/manila-api-ref/index.rst")


def test_every_rest_method_is_an_operation(tree: ApiRef) -> None:
    assert len(tree.operations) == 209
    assert tree.title == "Shared File Systems API"
    assert all(op.method in {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"} for op in tree.operations)
    assert all(op.path.startswith("/") and "?" not in op.path for op in tree.operations)


def test_action_families(tree: ApiRef) -> None:
    families = Counter(op.path for op in tree.actions())
    assert dict(families) == ACTION_FAMILIES
    shares = {op.action for op in tree.actions() if op.path == "/v2/shares/{share_id}/action"}
    assert {"extend", "shrink", "revert", "migration_start", "allow_access"} <= shares


def test_tags_are_page_titles(tree: ApiRef) -> None:
    sections = {op.section for op in tree.operations}
    assert "Share Server Migration (since API v2.57)" in sections
    assert "Shared File Systems API" not in sections  # the index title is not a page's tag


def test_defects_are_findings_with_locations(tree: ApiRef) -> None:
    rules = Counter(f.rule_id for f in tree.findings)
    # qos-types.inc and share-replica-metadata.inc are in the folder but not in index.rst
    assert rules["page-not-included"] == 2
    invisible = [f for f in tree.findings if f.rule_id == "method-invalid-url"]
    assert [str(f.location) for f in invisible] == ["share-export-locations.inc:66"]
    assert all(f.location.line for f in tree.findings if f.rule_id != "page-not-included")
    assert not any(f.location.file.startswith("/") for f in tree.findings)


def test_seed_is_reported_as_flattened_and_still_modelled(tmp_path: Path) -> None:
    assert SHARED is not None
    upstream = SHARED / "upstream/manila-api-ref"
    page = tmp_path / "share-server-migration.seed.txt"
    shutil.copy(SHARED / "seeds/share-server-migration.seed.txt", page)
    for name in ("parameters.yaml", "status.yaml"):
        shutil.copy(upstream / name, tmp_path / name)
    shutil.copytree(upstream / "samples", tmp_path / "samples")
    result = parse(page)
    flattened = [f for f in result.findings if f.rule_id == "directive-flattened"]
    assert "share-server-migration.seed.txt:64" in {str(f.location) for f in flattened}
    first_parameters = next(f for f in flattened if f.location.line == 64)
    assert "`rest_parameters` lost its indentation" in first_parameters.message
    assert "indent the lines" in first_parameters.hint and "3 spaces" in first_parameters.hint
    assert [op.action for op in result.operations] == [
        "migration_check",
        "migration_start",
        "migration_complete",
        "migration_get_progress",
        "migration_cancel",
    ]
    # the seed declares project_id and share_server_id as body parameters
    wrong_in = [f for f in result.findings if f.rule_id == "path-param-not-declared"]
    assert len(wrong_in) == 10 and all("`in: body`" in f.message for f in wrong_in)
