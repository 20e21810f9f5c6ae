"""The rendered page without a browser: content, escaping, self-containment, the command."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from manila_ssm import cli
from manila_ssm.docs import render_html
from ssm_testing import run_cli as run

FIXTURE = Path(__file__).parent / "fixtures" / "migration-openapi.json"
ACTIONS = ("migration_check", "migration_start", "migration_get_progress", "migration_complete", "migration_cancel")
ACTION_PATH = "/v2/{project_id}/share-servers/{share_server_id}/action"


def document() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def examples_of(doc: dict[str, Any], action: str) -> list[Any]:
    """Every request and response sample the document gives for ``action``."""
    operation = doc["paths"][ACTION_PATH]["post"]
    containers = [operation["requestBody"]["content"]["application/json"]]
    containers += [r.get("content", {}).get("application/json", {}) for r in operation["responses"].values()]
    return [e["value"] for c in containers for name, e in (c.get("examples") or {}).items()
            if name == action or name.startswith(f"{action}_")]


def test_every_action_is_a_section_with_all_its_samples(read_page: Any) -> None:
    doc = document()
    page = read_page(render_html(doc))
    assert set(ACTIONS) <= set(page.parts)
    for action in ACTIONS:
        shown = [json.loads(text) for text in page.parts[action].samples]
        expected = examples_of(doc, action)
        assert expected, f"the fixture has no sample for {action}"
        assert sorted(map(json.dumps, shown)) == sorted(map(json.dumps, expected)), action


def test_the_page_fetches_nothing(read_page: Any) -> None:
    html = render_html(document())
    page = read_page(html)
    assert page.external == []
    assert "default-src 'none'" in html  # the browser enforces it (see test_chromium)


def test_text_from_the_document_is_escaped() -> None:
    doc = document()
    doc["paths"][ACTION_PATH]["post"]["responses"]["400"]["description"] = "<script>alert(1)</script> ``body``"
    html = render_html(doc)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <code>body</code>" in html


def test_an_ordinary_operation_renders_parameters_fields_and_codes() -> None:
    doc = {
        "openapi": "3.1.0", "info": {"title": "Tiny", "version": "1.0"},
        "paths": {"/v1/things/{id}": {"get": {
            "operationId": "things/id:get", "summary": "Show a thing", "tags": ["Things"],
            "x-openstack": {"min-ver": "1.2"},
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {"thing": {"type": "object", "properties": {
                        "size": {"type": "integer", "description": "Size in GiB."}}}}},
                    "examples": {"response": {"value": {"thing": {"size": 1}}}}}}},
                "404": {"description": "No such thing"},
            }}}},
    }
    html = render_html(doc)
    for text in ("Show a thing", "things/id:get", "microversion 1.2+", "Size in GiB.", "No such thing", "&#34;size&#34;: 1"):
        assert text in html


def test_twin_urls_are_one_entry_with_an_alias() -> None:
    doc = document()
    paths = list(doc["paths"])
    assert len(paths) == 2  # Manila routes the actions with and without {project_id}
    html = render_html(doc)
    assert html.count('class="op"') == 1
    assert "also routed as" in html and "/v2/share-servers/{share_server_id}/action" in html


def test_command_writes_the_page(tmp_path: Path) -> None:
    target = tmp_path / "site" / "api.html"
    code, out, _ = run("spec", "docs", FIXTURE, "-o", target)
    assert code == cli.EXIT_OK and "wrote" in out
    assert target.read_text(encoding="utf-8").startswith("<!doctype html>")


@pytest.mark.parametrize(("content", "message"), [
    ("{", "bad.json:1: error: invalid JSON"),
    ('{"info": {}}', "not an OpenAPI document"),
    ('{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/x": {"get": {"responses": [1]}}}}',
     "bad.json#/paths/~1x/get/responses: error: not valid OpenAPI 3.1"),
], ids=["invalid-json", "not-openapi", "invalid-openapi"])
def test_command_rejects_bad_input(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    code, _, err = run("spec", "docs", bad, "-o", tmp_path / "x.html")
    assert code == cli.EXIT_USAGE and message in err.replace(f"{tmp_path}/", "")


def test_command_needs_an_output_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run("spec", "docs", FIXTURE)
    assert code == cli.EXIT_USAGE
    assert "-o/--output" in capsys.readouterr().err


def test_missing_document_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("spec", "docs", tmp_path / "none.json", "-o", tmp_path / "x.html")
    assert code == cli.EXIT_USAGE and "none.json: no such file or directory" in err


def test_rendering_is_deterministic() -> None:
    doc = document()
    assert render_html(doc) == render_html(copy.deepcopy(doc))


def _tiny(description: str, **operations: str) -> dict[str, Any]:
    """A document whose operations (operationId → path) all carry ``description``."""
    return {
        "openapi": "3.1.0", "info": {"title": "Tiny", "version": "1.0"},
        "tags": [{"name": "Things", "description": description}],
        "paths": {path: {"get": {"operationId": op_id, "summary": f"Show {op_id}", "tags": ["Things"], "description": description,
                                 "responses": {"200": {"description": "OK"}}}}
                  for op_id, path in operations.items()},
    }


# (CommonMark the builder writes, HTML the page must show)
PROSE_CASES = [
    ("> **Note:** The `{project_id}` is optional.", "<blockquote>\n<p><strong>Note:</strong> The <code>{project_id}</code>"),
    ("- one\n- two", "<li>one</li>\n<li>two</li>"),
    ("| a | b |\n| --- | --- |\n| 1 | 2 |", "<th>a</th>"),
    ("See `the guide <https://example.org/g>`_ and :ref:`limits <limits>`.",
     '<a href="https://example.org/g">the guide</a> and <code>limits</code>'),
    ("``literal`` and *em*", "<code>literal</code> and <em>em</em>"),
]


@pytest.mark.parametrize(("description", "shown"), PROSE_CASES, ids=[c[1][:20] for c in PROSE_CASES])
def test_descriptions_render_their_markup(description: str, shown: str) -> None:
    assert shown in render_html(_tiny(description, **{"things:get": "/v1/things"}))


def test_descriptions_may_not_fetch_or_inject() -> None:
    html = render_html(_tiny("![x](https://example.org/x.png) <img src=x> [y](javascript:alert(1))",
                             **{"things:get": "/v1/things"}))
    main = html.split("<script>")[0]
    assert "<img" not in main and 'href="javascript' not in main


def test_every_id_is_unique_even_when_operation_ids_slug_alike() -> None:
    html = render_html(_tiny("text", **{"things:get": "/v1/things", "things-get": "/v2/things", "search": "/v3/search"}))
    markup = html.split("<script>")[0]
    ids = re.findall(r'\sid="([^"]+)"', markup)
    assert len(ids) == len(set(ids))
    assert set(re.findall(r'href="#([^"]+)"', markup)) <= set(ids)
    assert 'href="#op-things-get-2"' in markup
