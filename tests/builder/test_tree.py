"""The whole upstream Manila api-ref tree as one OpenAPI document (issue 6, "Whole tree")."""

from __future__ import annotations

import functools
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from manila_ssm import cli, paths
from manila_ssm.apiref import parse
from manila_ssm.builder.validate import examples_of, validate_schema
from manila_ssm.errors import Location

SHARED = paths.shared_dir()
INDEX = SHARED / "upstream" / "manila-api-ref" / "index.rst" if SHARED else None
pytestmark = pytest.mark.skipif(INDEX is None or not INDEX.is_file(), reason="needs ../shared (the upstream api-ref tree is test data, not shipped)")


@functools.cache
def _built(out: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli.run(["spec", "build", str(INDEX), "-o", out], stdout, stderr)
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, str, Path]:
    out = tmp_path_factory.mktemp("tree")
    return (*_built(str(out)), out)


def _document(out: Path) -> dict[str, Any]:
    return json.loads((out / "openapi" / "documented.json").read_text(encoding="utf-8"))


def test_the_tree_builds_to_a_valid_openapi_document(tree: tuple[int, str, str, Path]) -> None:
    code, stdout, stderr, _ = tree
    # 1: the tree has defects (an undeclared path parameter, samples contradicting their parameters).
    assert code == 1, stderr[-2000:]
    assert "invalid OpenAPI" not in stderr and "Traceback" not in stderr
    assert re.search(r"documented: \d+ operations on \d+ paths, \d+ schemas; .* a valid OpenAPI document", stdout)


def test_every_rest_method_of_the_tree_is_represented(tree: tuple[int, str, str, Path]) -> None:
    document = _document(tree[3])
    api = parse(INDEX)
    assert len(api.operations) == 209
    sources = set()
    for item in document["paths"].values():
        for operation in item.values():
            meta = operation["x-ssm"]
            sources |= {entry["source"] for entry in meta.get("actions", {}).values()}
            sources |= {entry["source"] for entry in meta.get("operations", [])}
    assert sources == {f"manila-api-ref/{op.location}" for op in api.operations}


def test_every_action_family_is_one_operation_with_one_of_bodies(tree: tuple[int, str, str, Path]) -> None:
    document = _document(tree[3])
    families = {path: item["post"] for path, item in document["paths"].items() if path.endswith("/action")}
    assert len(families) >= 10
    actions = set()
    for path, operation in families.items():
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert schema["x-openstack"] == {"discriminator": "action"}, path
        assert len(schema["oneOf"]) == len(operation["x-ssm"]["actions"]), path
        actions |= {(path.replace("/{project_id}", ""), name) for name in operation["x-ssm"]["actions"]}
    assert len(actions) == sum(1 for op in parse(INDEX).operations if op.is_action)


def test_every_sample_is_checked_and_mismatches_are_findings_with_a_place(tree: tuple[int, str, str, Path]) -> None:
    api = parse(INDEX)
    samples = sum(len(op.request_samples) + len(op.response_samples) for op in api.operations)
    assert len(list(examples_of(_document(tree[3])))) == samples
    stderr = tree[2]
    mismatches = [line for line in stderr.splitlines() if line.endswith("[SSM-VALIDATE-SAMPLE]")]
    assert mismatches, "the upstream tree has samples that contradict their parameters"
    for line in mismatches:
        assert re.match(r"manila-api-ref/samples/[\w.-]+\.json: error: example '[\w-]+' at .+#/paths/.+ does not match its schema", line), line


def test_every_body_has_a_valid_json_schema(tree: tuple[int, str, str, Path]) -> None:
    schemas = sorted((tree[3] / "schemas" / "documented").glob("*.json"))
    assert len(schemas) > 100
    for path in schemas:
        assert validate_schema(json.loads(path.read_text(encoding="utf-8")), Location(path.name)) == []


# --- the effective contract of the whole tree: the errata join the tree's share-servers family ---

FAMILY = ("/v2/{project_id}/share-servers/{share_server_id}/action", "/v2/share-servers/{share_server_id}/action")
MIGRATION = ("migration_check", "migration_start", "migration_complete", "migration_get_progress", "migration_cancel")


@pytest.fixture(scope="module")
def effective_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("effective-tree")
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli.run(["spec", "build", str(INDEX), "--contract", "effective", "-o", str(out)], stdout, stderr)
    document = json.loads((out / "openapi" / "effective.json").read_text(encoding="utf-8"))
    return code, stdout.getvalue(), stderr.getvalue(), document


def _share_servers_actions(document: dict[str, Any]) -> set[str]:
    return {
        name
        for path, item in document["paths"].items()
        if re.search(r"/share[-_]servers/\{share_server_id\}/action$", path)
        for name in item["post"]["x-ssm"]["actions"]
    }


def test_the_effective_tree_is_valid_and_keeps_every_share_servers_action(
    tree: tuple[int, str, str, Path], effective_tree: tuple[int, str, str, dict[str, Any]]
) -> None:
    code, stdout, stderr, document = effective_tree
    assert code == 1 and "Traceback" not in stderr  # 1: the tree's own defects, as for documented
    assert re.search(r"effective: .* a valid OpenAPI document", stdout), stdout
    assert "SSM-OVERLAY" not in stderr, [line for line in stderr.splitlines() if "SSM-OVERLAY" in line]
    documented = _document(tree[3])
    assert _share_servers_actions(documented) >= {"reset_status", "unmanage", *MIGRATION}
    assert not [path for path in document["paths"] if "/share_servers/" in path]
    for path in FAMILY:
        operation = document["paths"][path]["post"]
        actions = operation["x-ssm"]["actions"]
        assert set(actions) == _share_servers_actions(documented), path
        alternatives = operation["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
        assert sorted(a["$ref"] for a in alternatives) == sorted(m["request-schema"] for m in actions.values())
        for name, meta in actions.items():  # the other actions are the tree's, untouched by the errata
            if name not in MIGRATION:
                assert meta == documented["paths"][path]["post"]["x-ssm"]["actions"][name], name


def test_the_migration_actions_of_the_effective_tree_carry_the_effective_facts(
    effective_tree: tuple[int, str, str, dict[str, Any]],
) -> None:
    document = effective_tree[3]
    own = json.loads((paths.spec_dir() / "openapi" / "effective.json").read_text(encoding="utf-8"))
    for path in FAMILY:
        operation = document["paths"][path]["post"]
        actions = operation["x-ssm"]["actions"]
        assert {name: actions[name]["success-code"] for name in MIGRATION} == {
            "migration_check": 200, "migration_start": 202, "migration_complete": 200,
            "migration_get_progress": 200, "migration_cancel": 202,
        }
        expected = own["paths"][path]["post"]["x-ssm"]["actions"]
        for name in MIGRATION:
            assert actions[name]["errata"] == expected[name]["errata"] and "SSM-E01" in expected[name]["errata"], name
            assert actions[name]["experimental"] is True and sorted(actions[name]["error-codes"]) == sorted(expected[name]["error-codes"]), name
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]["oneOf"]
        assert {a["$ref"].rsplit("/", 1)[1] for a in ok} == {
            "ShareServersActionMigrationCheckResponse", "ShareServersActionMigrationCompleteResponse",
            "ShareServersActionMigrationGetProgressResponse",
        }
        # The errata's headers are required for the migration actions only, so the family makes them optional.
        headers = {p["name"]: p["required"] for p in operation["parameters"] if p["in"] == "header"}
        assert headers == {"X-OpenStack-Manila-API-Version": False, "X-OpenStack-Manila-API-Experimental": False}
