"""The OpenAPI builder as a general os-api-ref tool: another service's tree, and models built in code."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

from manila_ssm import jsonio
from manila_ssm.apiref import parse
from manila_ssm.builder import BuildOptions, build_openapi, load_options
from manila_ssm.builder.jsonschemas import schema_files
from manila_ssm.builder.validate import validate_examples, validate_openapi, validate_schema
from manila_ssm.errors import Location
from manila_ssm.model import ApiRef, BodyNode, Operation, Parameter, ParameterDef, StatusCode

WIDGETS = Path(__file__).parent / "fixtures" / "widgets-api"


@functools.cache
def _widgets() -> str:
    built = build_openapi(parse(WIDGETS / "index.rst"), load_options(WIDGETS / "build-options.yaml"), WIDGETS)
    return jsonio.dumps(built.document)


def widgets() -> dict[str, Any]:
    import json

    return json.loads(_widgets())


def test_another_services_tree_builds_a_valid_openapi() -> None:
    document = widgets()
    assert validate_openapi(document, Location("widgets")) == []
    assert validate_examples(document, Location("widgets")) == []
    operations = {(path, method): op["operationId"] for path, item in document["paths"].items() for method, op in item.items()}
    assert operations == {
        ("/v1/widgets/{widget_id}", "get"): "widgets/id:get",
        ("/v2/widgets", "get"): "widgets:get",
        ("/v2/widgets", "post"): "widgets:post",
        ("/v2/widgets/{widget_id}", "delete"): "widgets/id:delete",
        ("/v2/widgets/{widget_id}/action", "post"): "widgets/id/action:post",
    }
    assert document["info"] == {"title": "Widgets API", "version": "2.10"}
    assert [tag["name"] for tag in document["tags"]] == ["Widgets (v1)", "Widgets (v2)", "Widget actions (v2)"]
    assert document["components"]["securitySchemes"]["ApiKeyAuth"] == {"type": "apiKey", "in": "header", "name": "X-Auth-Token"}


def test_operation_ids_are_unique_and_path_like() -> None:
    ids = [op["operationId"] for item in widgets()["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert "widgets/id/action:post" in ids and "widgets:get" in ids


def test_action_family_is_one_operation_with_one_of_bodies_and_versions_per_action() -> None:
    document = widgets()
    operation = document["paths"]["/v2/widgets/{widget_id}/action"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["x-openstack"] == {"discriminator": "action"}
    assert [ref["$ref"].rsplit("/", 1)[1] for ref in schema["oneOf"]] == ["WidgetsActionRebootRequest", "WidgetsActionRenameRequest"]
    components = document["components"]["schemas"]
    assert components["WidgetsActionRebootRequest"]["x-openstack"] == {"action-name": "reboot", "min-ver": "2.1"}
    assert components["WidgetsActionRenameRequest"]["x-openstack"] == {"action-name": "rename", "min-ver": "2.5"}
    assert components["WidgetsActionRenameResponse"]["x-openstack"] == {"action-name": "rename"}
    actions = operation["x-ssm"]["actions"]
    assert (actions["reboot"]["success-code"], actions["rename"]["success-code"]) == (202, 200)
    assert actions["reboot"]["response-schema"] is None and actions["rename"]["error-codes"] == [400, 404]
    assert actions["rename"]["source"] == "v2/widget-actions.inc:37"
    assert set(operation["responses"]) == {"200", "202", "400", "404"}


def test_microversions_are_kept_per_field_as_strings() -> None:
    document = widgets()
    listing = document["paths"]["/v2/widgets"]["get"]
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")
    assert limit["x-openstack"] == {"min-ver": "2.3"} and limit["in"] == "query" and limit["required"] is False
    create = document["components"]["schemas"]["WidgetsPostRequest"]["properties"]["widget"]["properties"]
    assert create["colour"]["x-openstack"] == {"min-ver": "2.10"}
    assert create["size"]["x-openstack"] == {"max-ver": "2.9"}


def test_body_nesting_comes_from_the_samples() -> None:
    schemas = widgets()["components"]["schemas"]
    listing = schemas["WidgetsGetResponse"]["properties"]["widgets"]
    assert listing["type"] == "array" and listing["items"]["properties"]["name"]["type"] == "string"
    # `size` is required but exists only up to 2.9 (max_version): a newer body lacks it, so it is not required.
    widget = schemas["WidgetsPostRequest"]["properties"]["widget"]
    assert widget["required"] == ["name"] and widget["properties"]["size"]["x-openstack"] == {"max-ver": "2.9"}


def test_json_schemas_of_a_tree_are_one_per_body_component() -> None:
    files = schema_files(widgets(), "documented", "urn:widgets")
    assert "WidgetsPostRequest.json" in files and "WidgetsActionRenameRequest.json" in files
    for name, schema in files.items():
        assert schema["$id"] == f"urn:widgets:documented:{name.removesuffix('.json')}"
        assert validate_schema(schema, Location(name)) == []


def test_output_is_deterministic() -> None:
    api = parse(WIDGETS / "index.rst")
    options = load_options(WIDGETS / "build-options.yaml")
    first = jsonio.dumps(build_openapi(api, options, WIDGETS).document)
    assert first == jsonio.dumps(build_openapi(api, options, WIDGETS).document) == _widgets()


# Models built in code: the cases no fixture tree shows.

HERE = Location("page.inc", 1)


def _parameter(name: str, where: str, type_: str = "string", required: bool = True, fmt: str | None = None) -> Parameter:
    definition = ParameterDef(name, where, type_, required, "", Location("parameters.yaml", 1), format=fmt)  # type: ignore[arg-type]
    return Parameter(name, definition, HERE)


def _operation(**changes: Any) -> Operation:
    base = Operation(
        title="Do it", method="POST", path="/v2/things/{thing_id}/action", section="Things", description="", location=HERE,
        action="do_it", success_codes=(StatusCode(202, "success", "Accepted.", HERE),),
        request_parameters=(_parameter("thing_id", "path"),),
        request_body=(BodyNode("do_it", None, "null"),),
    )
    return dataclasses.replace(base, **changes)


def _build(*operations: Operation, options: BuildOptions | None = None) -> tuple[dict[str, Any], list[str]]:
    built = build_openapi(ApiRef("/tmp", "Things", operations), options or BuildOptions())
    return built.document, [f.format() for f in built.findings]


def test_a_format_that_names_a_schema_stands_for_it() -> None:
    flag = _parameter("flag", "body", "boolean", fmt="lenient-bool")
    body = (BodyNode("do_it", None, "object", (BodyNode("flag", flag, "string"),)),)
    options = BuildOptions(named_schemas={"lenient-bool": {"enum": [True, False, "yes", "no"]}})
    document, findings = _build(_operation(request_body=body), options=options)
    inner = document["components"]["schemas"]["ThingsActionDoItRequest"]["properties"]["do_it"]
    assert inner["properties"]["flag"] == {"enum": [True, False, "yes", "no"]} and inner["required"] == ["flag"]
    assert findings == []


def test_an_unknown_type_is_a_finding_with_its_location() -> None:
    odd = _parameter("odd", "body", "frobnicated")
    body = (BodyNode("do_it", None, "object", (BodyNode("odd", odd, "string"),)),)
    _, findings = _build(_operation(request_body=body))
    assert findings == [
        "parameters.yaml:1: warning: parameter 'odd' has type 'frobnicated', which has no JSON Schema equivalent [SSM-BUILD-TYPE]\n"
        "  hint: use one of: any, array, bool, boolean, dict, float, int, integer, list, none, null, number, object, string"
    ]


def test_an_undeclared_url_variable_still_becomes_a_path_parameter() -> None:
    document, _ = _build(_operation(request_parameters=()))
    parameters = document["paths"]["/v2/things/{thing_id}/action"]["post"]["parameters"]
    assert parameters == [{"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    assert validate_openapi(document, Location("x")) == []


def test_an_action_documented_twice_is_kept_and_reported() -> None:
    document, findings = _build(_operation(), _operation(title="Do it again", min_version="2.9"))
    actions = document["paths"]["/v2/things/{thing_id}/action"]["post"]["x-ssm"]["actions"]
    assert list(actions) == ["do_it", "do_it_2"]
    assert any("action 'do_it' is documented twice" in f for f in findings)


def test_a_section_without_an_action_key_in_a_family_is_a_finding() -> None:
    _, findings = _build(_operation(), _operation(title="Mystery", action=None))
    assert any("'Mystery': its request sample does not show a single action key" in f for f in findings)


def test_the_optional_project_segment_gives_both_url_forms() -> None:
    project = _parameter("project_id", "path")
    op = _operation(path="/v2/{project_id}/things/{thing_id}/action", request_parameters=(project, _parameter("thing_id", "path")))
    plain = _operation(title="List", method="GET", path="/v2/things", action=None, request_body=(), request_parameters=())
    document, _ = _build(op, plain, options=BuildOptions(optional_path_parameter="project_id"))
    assert set(document["paths"]) == {
        "/v2/{project_id}/things/{thing_id}/action", "/v2/things/{thing_id}/action", "/v2/things", "/v2/{project_id}/things",
    }
    assert document["paths"]["/v2/things/{thing_id}/action"]["post"]["operationId"] == "things/id/action:post"
    assert document["paths"]["/v2/{project_id}/things"]["get"]["operationId"] == "project_id/things:get"
    assert validate_openapi(document, Location("x")) == []


def test_ordinary_operations_record_their_sections() -> None:
    plain = _operation(title="List", method="GET", path="/v2/things", action=None, request_body=(), request_parameters=(),
                       success_codes=(StatusCode(200, "success", "OK.", HERE),), error_codes=(StatusCode(404, "error", "No.", HERE),))
    document, findings = _build(plain)
    meta = document["paths"]["/v2/things"]["get"]["x-ssm"]["operations"]
    assert meta == [{"summary": "List", "min-ver": None, "max-ver": None, "experimental": False, "success-codes": [200],
                     "error-codes": [404], "source": "page.inc:1", "errata": []}]
    assert findings == []
