"""The upstream share-server-migration page: five actions, codes, parameters, body nesting."""

from __future__ import annotations

from pathlib import Path

import pytest

from manila_ssm.apiref import parse
from manila_ssm.model import ApiRef, BodyNode
from manila_ssm.paths import shared_dir

SHARED = shared_dir()
pytestmark = pytest.mark.skipif(
    SHARED is None, reason="../shared (upstream api-ref test data) is not beside this checkout"
)

ACTIONS = {
    # action: (success codes, error codes, request body keys under the wrapper, response body top-level keys)
    "migration_check": (
        [202],
        [400, 401, 403, 404, 409],
        ["host", "preserve_snapshots", "writable", "nondisruptive", "new_share_network_id"],
        ["compatible", "requested_capabilities", "supported_capabilities"],
    ),
    "migration_start": (
        [202],
        [400, 401, 403, 404, 409],
        ["host", "preserve_snapshots", "writable", "nondisruptive", "new_share_network_id"],
        [],
    ),
    "migration_complete": (
        [202],
        [400, 401, 403, 404],
        [],
        ["destination_share_server_id", "total_progress", "task_state"],
    ),
    "migration_get_progress": (
        [202],
        [400, 401, 403, 409],
        [],
        ["total_progress", "task_state", "destination_share_server_id"],
    ),
    "migration_cancel": ([202], [400, 401, 403, 404], [], []),
}


@pytest.fixture(scope="module")
def page() -> ApiRef:
    assert SHARED is not None
    return parse(Path(SHARED, "upstream/manila-api-ref/share-server-migration.inc"))


def test_five_actions_in_source_order(page: ApiRef) -> None:
    assert [op.action for op in page.operations] == [
        "migration_check",
        "migration_start",
        "migration_complete",
        "migration_get_progress",
        "migration_cancel",
    ]
    for op in page.operations:
        assert (op.method, op.path) == ("POST", "/v2/{project_id}/share_servers/{share_server_id}/action")
        assert op.section == "Share Server Migration (since API v2.57)"
        assert op.min_version == "2.57"
        assert op.location.file == "share-server-migration.inc"


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_action_codes_parameters_and_bodies(page: ApiRef, action: str) -> None:
    success, errors, request_keys, response_keys = ACTIONS[action]
    op = next(op for op in page.operations if op.action == action)
    assert [c.code for c in op.success_codes] == success
    assert [c.code for c in op.error_codes] == errors
    assert all(c.description for c in op.success_codes + op.error_codes)
    path_parameters = {p.name for p in op.request_parameters if p.definition.in_ == "path"}
    assert path_parameters == {"project_id", "share_server_id"}
    (wrapper,) = op.request_body
    assert wrapper.key == action and wrapper.parameter is None
    assert [child.key for child in wrapper.children] == request_keys
    assert all(child.parameter is not None for child in wrapper.children)
    assert [node.key for node in op.response_body] == response_keys


def test_nested_sample_objects_and_types(page: ApiRef) -> None:
    check = page.operations[0]
    by_key: dict[str, BodyNode] = {node.key: node for node in check.response_body}
    assert by_key["compatible"].sample_type == "boolean"
    assert [c.key for c in by_key["supported_capabilities"].children][:4] == [
        "writable",
        "nondisruptive",
        "preserve_snapshots",
        "share_network_id",
    ]
    host = check.request_body[0].children[0]
    assert host.parameter is not None and host.parameter.definition.key == "host_share_server_migration"
    assert host.parameter.definition.location.file == "parameters.yaml"


def test_page_defects_are_findings_with_places(page: ApiRef) -> None:
    found = {(f.rule_id, str(f.location)) for f in page.findings}
    # migration_complete's response sample shows only destination_share_server_id
    assert ("sample-missing-parameter", "share-server-migration.inc:197") in found
    assert not [f for f in page.findings if f.rule_id == "sample-undeclared-key"]
