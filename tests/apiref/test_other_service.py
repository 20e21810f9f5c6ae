"""A made-up service's api-ref tree (tests/apiref/trees/orchard): the parser is not Manila-specific.

The tree has the layout other OpenStack services use: index.rst including
pages from per-version folders, each with its own parameters.yaml and nested
samples/ folders, and one status.yaml at the root named as ``../status.yaml``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from manila_ssm.apiref import parse
from manila_ssm.model import ApiRef, Operation

TREE = Path(__file__).parent / "trees" / "orchard"


@pytest.fixture(scope="module")
def orchard() -> ApiRef:
    return parse(TREE)


def _op(api: ApiRef, path: str, method: str = "GET", action: str | None = None) -> Operation:
    return next(op for op in api.operations if (op.path, op.method, op.action) == (path, method, action))


def test_whole_tree_without_findings(orchard: ApiRef) -> None:
    assert orchard.findings == ()
    assert orchard.title == "Orchard API"
    assert [(op.section, op.method, op.path) for op in orchard.operations] == [
        ("Trees (v1)", "GET", "/v1/trees"),
        ("Trees (v1)", "GET", "/v1/trees/{tree_id}"),
        ("Trees (v2)", "GET", "/v2/trees"),
        ("Tree actions", "POST", "/v2/trees/{tree_id}/action"),
        ("Tree actions", "POST", "/v2/trees/{tree_id}/action"),
    ]
    assert orchard.parameter_files == ("v1/parameters.yaml", "v2/parameters.yaml")


@pytest.mark.parametrize(
    ("path", "file", "height_type"),
    [("/v1/trees", "v1/parameters.yaml", "integer"), ("/v2/trees", "v2/parameters.yaml", "number")],
)
def test_each_version_uses_its_own_parameters_file(
    orchard: ApiRef, path: str, file: str, height_type: str
) -> None:
    height = next(p for p in _op(orchard, path).response_parameters if p.name == "height")
    assert (height.definition.location.file, height.definition.type) == (file, height_type)


def test_nested_sample_folders_and_versions(orchard: ApiRef) -> None:
    listing = _op(orchard, "/v2/trees")
    assert [s.path for s in listing.response_samples] == ["v2/samples/trees/tree-list-response.json"]
    assert listing.min_version == "2.3"
    (trees,) = listing.response_body
    assert [(c.key, c.sample_type) for c in trees.children] == [
        ("id", "string"),
        ("height", "number"),
        ("planted_at", "string"),
    ]
    planted = trees.children[2].parameter
    assert planted is not None
    assert (planted.definition.min_version, planted.definition.format) == ("2.10", "date-time")
    (species,) = listing.request_parameters
    assert (species.definition.in_, species.definition.min_version) == ("query", "2.3")


def test_actions_of_the_family(orchard: ApiRef) -> None:
    assert [op.action for op in orchard.actions()] == ["prune", "harvest"]
    prune = _op(orchard, "/v2/trees/{tree_id}/action", "POST", "prune")
    assert [(n.key, [c.key for c in n.children]) for n in prune.request_body] == [("prune", ["branches"])]
    harvest = _op(orchard, "/v2/trees/{tree_id}/action", "POST", "harvest")
    assert harvest.min_version == "2.7"
    assert [(c.code, c.description) for c in harvest.error_codes] == [
        (400, "The tree bears no fruit yet."),
        (404, "The requested resource could not be found."),
    ]
    (fruit,) = harvest.response_body
    assert (fruit.key, [c.key for c in fruit.children]) == ("fruit", ["kind", "count"])
