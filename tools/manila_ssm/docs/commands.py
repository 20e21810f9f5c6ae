"""``ssm-conformance spec docs``: an OpenAPI document or an api-ref tree as one static HTML page.

A tree (or page, or ``REV:path``) is built in memory exactly as ``spec build``
and ``spec diff`` build it, so rendering needs no intermediate file.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

import jsonschema
from openapi_spec_validator.schemas import schema_v31

from manila_ssm import paths
from manila_ssm.cli_support import EXIT_OK, CommandGroups, UsageError, write_report
from manila_ssm.diff.inputs import load
from manila_ssm.docs import render_html
from manila_ssm.errors import Finding, Location, Severity, SpecError


def register(groups: CommandGroups) -> None:
    parser = groups.spec.add_parser(
        "docs", help="render the OpenAPI document as one self-contained HTML page",
        description="Write a static HTML reference (table of contents, search, every operation and action, "
                    "the api-ref's prose with its lists, tables and notes) that needs no network to view.",
        epilog="Exit codes: 0 written, 2 usage or input error.",
    )
    parser.add_argument("source", metavar="SOURCE", nargs="?",
                        help="OpenAPI file (JSON or YAML), api-ref tree, page or index.rst, or REV:path in a git "
                             "repository (default: the project's spec/openapi/effective.json)")
    parser.add_argument("-o", "--output", metavar="FILE.html", type=Path, required=True, help="where to write the page")
    parser.set_defaults(handler=handle)


def _pointer(path: Any) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _shape_findings(document: Any, source: str) -> list[Finding]:
    """Where ``document`` breaks the OpenAPI 3.1 metaschema (the semantic checks of
    openapi-spec-validator assume a well-shaped document, so only the metaschema is asked)."""
    validator = jsonschema.validators.validator_for(schema_v31)(schema_v31)
    errors = sorted(validator.iter_errors(document), key=jsonschema.exceptions.relevance)
    return [
        Finding("docs-shape", Severity.ERROR, Location(f"{source}#{_pointer(error.absolute_path)}"),
                f"not valid OpenAPI 3.1: {error.message}", "fix the document (ssm-conformance spec validate FILE)")
        for error in errors[:5]
    ]


def handle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    source = args.source or str(paths.spec_dir() / "openapi" / "effective.json")
    document = load(source, Path.cwd()).document
    try:
        html = render_html(document)
    except (AttributeError, TypeError, KeyError, ValueError):
        # the renderer trusts the OpenAPI shape; only on failure is it worth the validator's time
        findings = _shape_findings(document, source)
        if not findings:
            raise
        raise SpecError(findings) from None
    try:
        write_report(html, args.output, out)
    except OSError as error:
        raise UsageError(f"{args.output}: cannot write: {error}") from None
    print(f"wrote {args.output} ({len(html) // 1024} KiB) from {source}", file=out)
    return EXIT_OK
