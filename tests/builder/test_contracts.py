"""The two contracts: effective = documented + errata = what our own api-ref builds."""

from __future__ import annotations

import difflib
import functools
import json
import re
from typing import Any

import pytest
import yaml

from manila_ssm import jsonio, paths
from manila_ssm.apiref import parse
from manila_ssm.builder.contracts import build_documented, build_effective, effective_from_documented, errata_overlay, own_source, upstream_page
from manila_ssm.builder.errata import RENAMES, rename_update
from manila_ssm.builder.errata_scope import apply_errata
from manila_ssm.builder.jsonschemas import action_refs, standalone
from manila_ssm.builder.normative import normative
from manila_ssm.builder.overlay import apply_overlay
from manila_ssm.builder.validate import validate_openapi, validate_samples
from manila_ssm.errors import Location

ACTIONS = {"migration_check", "migration_start", "migration_complete", "migration_get_progress", "migration_cancel"}
needs_shared = pytest.mark.skipif(upstream_page() is None, reason="needs ../shared (the upstream api-ref page is test data, not shipped)")

# What each action answers, per manila-behaviour.md §2 (success code, error codes, has a body).
EFFECTIVE_FACTS = {
    "migration_check": (200, [400, 401, 403, 404, 406, 409], True),
    "migration_start": (202, [400, 401, 403, 404, 406, 409], False),
    "migration_complete": (200, [400, 401, 403, 404, 406], True),
    "migration_get_progress": (200, [400, 401, 403, 404, 406, 409, 500], True),
    "migration_cancel": (202, [400, 401, 403, 404, 406], False),
}

# Every upstream sample that the documented schemas reject, and the erratum that explains it.
DOCUMENTED_SAMPLE_FAILURES = {
    ("migration_check", "request", "writable"): "SSM-E08",
    ("migration_check", "request", "nondisruptive"): "SSM-E08",
    ("migration_check", "request", "preserve_snapshots"): "SSM-E08",
    ("migration_check", "request", "new_share_network_id"): "SSM-E11",
    ("migration_start", "request", "writable"): "SSM-E08",
    ("migration_start", "request", "nondisruptive"): "SSM-E08",
    ("migration_start", "request", "preserve_snapshots"): "SSM-E08",
    ("migration_start", "request", "new_share_network_id"): "SSM-E11",
    ("migration_complete", "response", "task_state"): "SSM-E05",
    ("migration_complete", "response", "total_progress"): "SSM-E05",
}


@functools.cache
def _built(contract: str) -> str:
    document = build_effective().document if contract == "effective" else build_documented().document
    return json.dumps(document)


def _effective() -> dict[str, Any]:
    return json.loads(_built("effective"))


def _documented() -> dict[str, Any]:
    return json.loads(_built("documented"))


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [item["post"] for item in document["paths"].values()]


@needs_shared
def test_documented_plus_errata_equals_our_own_source() -> None:
    via_overlay = effective_from_documented(_documented())
    assert via_overlay.findings == ()
    want = jsonio.dumps(normative(_effective())).splitlines()
    have = jsonio.dumps(normative(via_overlay.document)).splitlines()
    diff = "\n".join(difflib.unified_diff(have, want, "documented + errata", "spec/api-ref", lineterm="", n=3))
    assert not diff, "the errata overlay and our api-ref disagree on normative content:\n" + diff


@needs_shared
def test_on_the_page_alone_the_scoped_errata_are_the_plain_overlay() -> None:
    documented, overlay = _documented(), errata_overlay()
    assert apply_errata(documented, overlay) == apply_overlay(documented, overlay)


@needs_shared
def test_the_contracts_differ_where_the_errata_say() -> None:
    assert normative(_documented()) != normative(_effective())


def test_normative_content_ignores_prose_but_not_schemas() -> None:
    document = _effective()
    changed = _effective()
    for operation in _operations(changed):
        operation["summary"] = "other words"
        operation["x-ssm"]["actions"]["migration_check"]["source"] = "elsewhere.inc:1"
    changed["components"]["schemas"]["ShareServersActionMigrationCheckRequest"]["description"] = "other words"
    assert normative(changed) == normative(document)
    changed["components"]["schemas"]["ShareServersActionMigrationCompleteResponse"]["required"] = []
    assert normative(changed) != normative(document)


@pytest.mark.parametrize("contract", ["effective", pytest.param("documented", marks=needs_shared)])
def test_contract_is_valid_openapi(contract: str) -> None:
    document = _effective() if contract == "effective" else _documented()
    assert validate_openapi(document, Location(contract)) == []


def test_effective_contract_states_the_upstream_facts() -> None:
    document = _effective()
    assert set(document["paths"]) == {"/v2/{project_id}/share-servers/{share_server_id}/action", "/v2/share-servers/{share_server_id}/action"}
    for operation in _operations(document):
        actions = operation["x-ssm"]["actions"]
        assert set(actions) == ACTIONS
        for action, (success, errors, has_body) in EFFECTIVE_FACTS.items():
            meta = actions[action]
            assert (meta["success-code"], meta["error-codes"], meta["response-schema"] is not None) == (success, errors, has_body), action
            assert meta["min-ver"] == "2.57" and meta["max-ver"] is None and meta["experimental"] is True
            assert re.fullmatch(r"spec/api-ref/share-server-migration\.inc:\d+", meta["source"])
            assert meta["errata"] and all(re.fullmatch(r"SSM-E\d\d", e) for e in meta["errata"])
        headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
        assert headers["X-OpenStack-Manila-API-Version"]["required"] and headers["X-OpenStack-Manila-API-Experimental"]["required"]
        assert operation["requestBody"]["content"]["application/json"]["schema"]["x-openstack"] == {"discriminator": "action"}
        assert "content" not in operation["responses"]["202"]


def test_x_ssm_has_exactly_the_documented_shape() -> None:
    keys = {"summary", "min-ver", "max-ver", "experimental", "success-code", "error-codes", "request-schema", "response-schema", "source", "errata"}
    for operation in _operations(_effective()):
        for meta in operation["x-ssm"]["actions"].values():
            assert set(meta) == keys


def test_action_request_schemas_follow_the_openstack_convention() -> None:
    document = _effective()
    for action, role, name in action_refs(document):
        schema = document["components"]["schemas"][name]
        assert schema["x-openstack"]["action-name"] == action
        if role == "request":
            assert list(schema["properties"]) == [action] and schema["required"] == [action]
            assert schema["additionalProperties"] is False and schema["x-openstack"]["min-ver"] == "2.57"
            assert name == f"ShareServersAction{''.join(w.title() for w in action.split('_'))}Request"


@pytest.mark.parametrize(
    ("value", "accepted"),
    [(True, True), (0, True), (1, True), ("True", True), (" off ", True), ("YeS", True), ("\u3000n", True),
     (2, False), ("", False), ("None", False), (None, False), ("maybe", False), ([], False)],
)
def test_effective_booleans_are_oslo_strict_booleans(value: object, accepted: bool) -> None:
    from manila_ssm.builder.validate import instance_errors

    schema = _start_schema()
    body = {"migration_start": {"host": "a@b", "writable": value, "nondisruptive": False, "preserve_snapshots": False}}
    assert (instance_errors(schema, body) == []) is accepted


@functools.cache
def _start_schema() -> dict[str, Any]:
    return standalone(_effective()["components"]["schemas"], "ShareServersActionMigrationStartRequest", "urn:test")


def test_our_samples_match_the_effective_schemas() -> None:
    api = parse(own_source())
    schemas = _action_schemas(_effective())
    assert validate_samples(api, schemas) == []
    assert sum(len(op.request_samples) + len(op.response_samples) for op in api.actions()) == 8


@needs_shared
def test_upstream_samples_fail_the_documented_schemas_exactly_where_an_erratum_says() -> None:
    page = upstream_page()
    assert page is not None
    api = parse(page)
    findings = validate_samples(api, _action_schemas(_documented()))
    failed = set()
    for finding in findings:
        match = re.search(r"the (\w+) (request|response) schema: (?:at /\w+/(\w+): |'(\w+)' is a required property)", finding.message)
        assert match, finding.message
        failed.add((match.group(1), match.group(2), match.group(3) or match.group(4)))
    assert failed == set(DOCUMENTED_SAMPLE_FAILURES)
    applied = {e.id for e in errata_overlay().errata()}
    assert set(DOCUMENTED_SAMPLE_FAILURES.values()) <= applied
    assert validate_samples(api, _action_schemas(_effective())) == []


def test_every_divergence_of_section_7_is_an_erratum_or_explained() -> None:
    overlay = errata_overlay()
    raw = yaml.safe_load((paths.spec_dir() / "errata.overlay.yaml").read_text(encoding="utf-8"))
    rows = set()
    for erratum in overlay.errata():
        assert re.fullmatch(r"SSM-E\d\d", erratum.id) and erratum.title and erratum.reason
        assert erratum.source["manila"] and "manila-behaviour.md" in erratum.source["behaviour"]
        assert set(erratum.actions) <= ACTIONS and erratum.actions
        rows |= {int(n) for n in re.findall(r"§7 row (\d+)", erratum.source["behaviour"])}
    for note in raw["x-errata-not-applied"]:
        assert note["reason"] and note["source"]["manila"]
        rows |= {int(n) for n in re.findall(r"§7 row (\d+)", note["source"]["behaviour"])}
    assert rows == set(range(1, 22))


@needs_shared
def test_the_path_rename_carries_the_documented_path_items_unchanged() -> None:
    rename = errata_overlay().actions[0]
    assert rename.erratum is not None and rename.erratum.id == "SSM-E01"
    assert rename.target == "$.paths"
    assert rename.update == rename_update(_documented()), (
        "SSM-E01 no longer copies the documented path items; regenerate its update with "
        "manila_ssm.builder.errata.print_rename_update()"
    )
    removed = {action.target for action in errata_overlay().actions[1:3] if action.remove}
    assert removed == {f"$.paths['{old}']" for old in RENAMES}


def _action_schemas(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    components = document["components"]["schemas"]
    return {(action, role): standalone(components, name, f"urn:test:{action}:{role}") for action, role, name in action_refs(document)}
