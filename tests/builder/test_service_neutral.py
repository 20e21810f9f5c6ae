"""Microversions as OpenStack models them, names and routes that are the tree's own (issue 13, items 2 and 3)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from manila_ssm.builder import BuildOptions, build_openapi
from manila_ssm.builder.detect import options_for, tree_facts
from manila_ssm.builder.validate import validate_openapi
from manila_ssm.errors import Location
from manila_ssm.model import ApiRef, BodyNode, Operation, Parameter, ParameterDef, StatusCode

HERE = Location("page.inc", 1)


def _parameter(name: str, where: str = "body", type_: str = "string", required: bool = True,
               low: str | None = None, high: str | None = None, description: str = "") -> Parameter:
    definition = ParameterDef(name, where, type_, required, description, Location("parameters.yaml", 1), low, high)  # type: ignore[arg-type]
    return Parameter(name, definition, HERE)


def _get(path: str, **changes: Any) -> Operation:
    base = Operation(title=f"Show {path}", method="GET", path=path, section="Things", description="", location=HERE,
                     success_codes=(StatusCode(200, "success", "OK.", HERE),))
    return dataclasses.replace(base, **changes)


def _build(*operations: Operation, options: BuildOptions | None = None) -> dict[str, Any]:
    document = build_openapi(ApiRef("/tmp", "Things", operations), options or BuildOptions()).document
    assert validate_openapi(document, Location("x")) == []
    return document


def _response(document: dict[str, Any], path: str) -> dict[str, Any]:
    ref = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_twins_of_one_name_become_alternatives_per_range_and_required_once() -> None:
    old = _parameter("host", low=None, high="2.24")
    new = _parameter("host", type_="object", low="2.25")
    body = (BodyNode("thing", None, "object", (BodyNode("host", old, "string"), BodyNode("host", new, None))),)
    document = _build(_get("/v2/things", response_body=body))
    inner = _response(document, "/v2/things")["properties"]["thing"]
    assert inner["properties"]["host"]["anyOf"] == [
        {"type": "string", "x-openstack": {"max-ver": "2.24"}},
        {"type": "object", "x-openstack": {"min-ver": "2.25"}},
    ]
    assert inner["required"] == ["host"]


@pytest.mark.parametrize(
    ("low", "high", "scope", "required"),
    [
        (None, None, (None, None), True),
        ("2.10", None, (None, None), False),  # added later than the operation: absent from older bodies
        ("2.10", None, ("2.10", None), True),  # added with the operation
        (None, "2.30", (None, None), False),  # removed: absent from newer bodies
        ("2.5", None, ("2.10", None), True),  # older than the operation: there for the whole range
    ],
)
def test_a_field_is_required_only_where_it_exists(low: str | None, high: str | None, scope: tuple[str | None, str | None], required: bool) -> None:
    field = _parameter("size", type_="integer", low=low, high=high)
    op = _get("/v2/things", min_version=scope[0], max_version=scope[1], response_body=(BodyNode("size", field, "integer"),))
    schema = _response(_build(op), "/v2/things")
    assert ("size" in schema.get("required", [])) is required


@pytest.mark.parametrize(
    ("description", "nullable"),
    [("The host, or null before it is scheduled.", True), ("The host. None when unknown.", True),
     ("The host.", False), ("The host; never null.", False)],
)
def test_nullable_where_a_sample_shows_null_and_the_text_allows_it(description: str, nullable: bool) -> None:
    field = _parameter("host", description=description)
    schema = _response(_build(_get("/v2/things", response_body=(BodyNode("host", field, "null"),))), "/v2/things")
    assert schema["properties"]["host"]["type"] == (["string", "null"] if nullable else "string")


def test_operation_ids_are_path_like_and_unique_without_numeric_suffixes() -> None:
    document = _build(
        _get("/"), _get("/v2/"), _get("/{api_version}/"), _get("/v2/things/{thing_id}"), _get("/v2/things/{name}/parts"),
        _get("/v2/things/{thing_id}/parts"), _get("/v3/things/{thing_id}"),
    )
    ids = {path: item["get"]["operationId"] for path, item in document["paths"].items()}
    assert ids == {
        "/": "versions:get",
        "/v2/": "v2:get",
        "/{api_version}/": "api_version:get",
        "/v2/things/{thing_id}": "v2/things/thing_id:get",
        "/v3/things/{thing_id}": "v3/things/thing_id:get",
        "/v2/things/{name}/parts": "things/name/parts:get",
        "/v2/things/{thing_id}/parts": "things/thing_id/parts:get",
    }


def test_the_optional_project_segment_invents_no_route() -> None:
    options = BuildOptions(optional_path_parameter="project_id")
    document = _build(
        _get("/v2/{project_id}/things"), _get("/v3/{admin_project_id}/roles"), _get("/v3/projects/{project_id}"),
        options=options,
    )
    assert set(document["paths"]) == {"/v2/{project_id}/things", "/v2/things", "/v3/{admin_project_id}/roles", "/v3/projects/{project_id}"}


def test_the_service_microversion_header_is_on_every_operation() -> None:
    options = BuildOptions(microversion_header="OpenStack-API-Version", microversion_service="placement")
    document = _build(_get("/resource_providers", min_version="1.14"), options=options)
    (header,) = document["paths"]["/resource_providers"]["get"]["parameters"]
    assert header["name"] == "OpenStack-API-Version" and header["in"] == "header" and not header["required"]
    assert header["schema"]["pattern"] == r"^placement ([0-9]+\.[0-9]+|latest)$"
    assert document["info"]["version"] == "1.14"


def test_info_version_falls_back_to_the_api_version() -> None:
    assert _build(_get("/v3/users"), _get("/v2/users"))["info"]["version"] == "3"


@pytest.mark.parametrize(
    ("conf", "page", "facts"),
    [
        ("project = 'Placement API Reference'\nopenstackdocs_repo_name = 'openstack/placement'\n",
         "Use ``OpenStack-API-Version: placement 1.10``.", ("placement", "Placement API Reference", None, "placement", False)),
        ("openstackdocs_repo_name = 'openstack/nova'\nimport os\nos.system('false')\n",
         "The ``X-OpenStack-Nova-API-Version`` header.", ("nova", "Compute", "X-OpenStack-Nova-API-Version", None, False)),
        ("", "The ``X-OpenStack-Manila-API-Version`` header.", ("manila", "Compute", "X-OpenStack-Manila-API-Version", None, True)),
    ],
)
def test_options_are_read_from_the_tree(tmp_path: Path, conf: str, page: str, facts: tuple[Any, ...]) -> None:
    (tmp_path / "conf.py").write_text(conf, encoding="utf-8")
    (tmp_path / "index.rst").write_text(f"Compute\n=======\n\n{page}\n", encoding="utf-8")
    found = tree_facts(tmp_path)
    assert (found.service, found.title, found.legacy_header, found.modern_service_type, found.is_manila) == facts
    options = options_for(tmp_path)
    if found.is_manila:
        assert options.title == "OpenStack Shared File Systems API (Manila)"
    else:
        assert "manila" not in repr(options).lower()
        assert options.optional_path_parameter is None and options.response_headers == {}


def test_whole_bodies_that_differ_per_range_are_alternatives_with_a_microversion_discriminator() -> None:
    old = _get("/v2/things", max_version="2.46", response_body=(BodyNode("name", _parameter("name"), "string"),))
    new = _get("/v2/things", min_version="2.47", response_body=(BodyNode("size", _parameter("size", type_="integer"), "integer"),))
    same = _get("/v2/parts", max_version="2.46", response_body=(BodyNode("name", _parameter("name"), "string"),))
    same_later = dataclasses.replace(same, min_version="2.47", max_version=None)
    document = _build(old, new, same, same_later)
    schema = _response(document, "/v2/things")
    assert schema["x-openstack"] == {"discriminator": "microversion"}
    assert [(a["x-openstack"], sorted(a["properties"])) for a in schema["oneOf"]] == [
        ({"max-ver": "2.46"}, ["name"]), ({"min-ver": "2.47"}, ["size"]),
    ]
    assert "oneOf" not in _response(document, "/v2/parts")
