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
from manila_ssm.build.validate import examples_of, validate_schema
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
