"""A parsed api-ref (``ApiRef``) as one OpenAPI 3.1 document.

Pure: model and options in, a plain dict and findings out. Operations are
grouped by method + path; with ``optional_path_parameter`` set, every path
that contains that variable also appears without it (Manila routes both).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manila_ssm.builder import naming
from manila_ssm.builder.operations import Context, build_operation, parameters_for
from manila_ssm.builder.options import BuildOptions
from manila_ssm.errors import Finding, Location, Severity
from manila_ssm.model import ApiRef, Operation

OPENAPI_VERSION = "3.1.0"
SECURITY_SCHEME = "ApiKeyAuth"


@dataclass(frozen=True, slots=True)
class BuildResult:
    """A built document and what the builder could not model (never fatal)."""

    document: dict[str, Any]
    findings: tuple[Finding, ...]


def build_openapi(api: ApiRef, options: BuildOptions, source_base: Path | None = None) -> BuildResult:
    """Build the OpenAPI document of ``api``; source locations are made relative to ``source_base``."""
    findings: list[Finding] = []
    ctx = Context(options=options, where=_relative_to(Path(api.root), source_base), schemas={}, names=set(), findings=findings)
    groups: dict[tuple[str, str], list[Operation]] = {}
    for op in api.operations:
        groups.setdefault((op.method.upper(), op.path), []).append(op)
    paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    tags: list[str] = []
    for (method, path), ops in groups.items():
        if not path.startswith("/"):
            findings.append(Finding("SSM-BUILD-PATH", Severity.ERROR, ops[0].location, f"URL {path!r} does not start with '/'", "write the URL as /v2/..."))
            continue
        operation = build_operation(ops, path, ctx)
        for url in _url_forms(path, options.optional_path_parameter, groups, method):
            item = copy.deepcopy(operation)
            if url != path:
                item["parameters"] = parameters_for(ops, url, ctx)
            wanted = naming.operation_id(url, method, options.optional_path_parameter)
            item["operationId"] = naming.unique(wanted, operation_ids)
            if item["operationId"] != wanted:
                findings.append(Finding("SSM-BUILD-OPERATION-ID", Severity.INFO, ops[0].location, f"operationId {wanted!r} is taken; using {item['operationId']!r}"))
            paths.setdefault(url, {})[method.lower()] = item
        for tag in operation["tags"]:
            if tag not in tags:
                tags.append(tag)
    components: dict[str, Any] = {"schemas": dict(sorted(ctx.schemas.items()))}
    if options.error_schema is not None:
        components["schemas"]["Fault"] = dict(options.error_schema)
    if options.response_headers:
        components["headers"] = {name: dict(header) for name, header in options.response_headers.items()}
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": options.title or api.title, "version": max_version(api.operations)},
        "paths": paths,
        "components": components,
        "tags": [{"name": tag, **_tag_description(api, tag)} for tag in tags],
    }
    if options.security_header:
        components["securitySchemes"] = {SECURITY_SCHEME: {"type": "apiKey", "in": "header", "name": options.security_header}}
        document["security"] = [{SECURITY_SCHEME: []}]
    return BuildResult(document, tuple(findings))


def _url_forms(path: str, optional: str | None, groups: dict[tuple[str, str], Any], method: str) -> Iterable[str]:
    """``path``, and its twin with or without the optional ``/{optional}`` segment after the version."""
    yield path
    if not optional:
        return
    segment = f"/{{{optional}}}"
    if segment in path:
        twin = path.replace(segment, "", 1)
    else:
        parts = path.split("/")
        if len(parts) < 3 or not naming.is_version(parts[1]) or not parts[2]:
            return
        twin = "/".join([*parts[:2], segment[1:], *parts[2:]])
    if (method, twin) not in groups:
        yield twin


def _tag_description(api: ApiRef, tag: str) -> dict[str, str]:
    for section in api.sections:
        if section.title == tag and section.description.strip():
            return {"description": section.description.strip()}
    return {}


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version))


def max_version(operations: Iterable[Operation]) -> str:
    """The highest microversion the operations mention (``info.version``), or ``"0.0"``."""
    seen: list[str] = []
    for op in operations:
        seen += [v for v in (op.min_version, op.max_version) if v]
        seen += [note.version for note in op.version_notes if note.version]
        for parameter in (*op.request_parameters, *op.response_parameters):
            seen += [v for v in (parameter.definition.min_version, parameter.definition.max_version) if v]
    valid = [v for v in seen if re.fullmatch(r"\d+(\.\d+)*", str(v))]
    return str(max(valid, key=_version_key)) if valid else "0.0"


def _relative_to(root: Path, base: Path | None) -> Callable[[Location], str]:
    def where(location: Location) -> str:
        file = Path(location.file)
        if base is not None:
            file = root / file
            try:
                file = file.resolve().relative_to(base.resolve())
            except ValueError:
                pass
        text = file.as_posix()
        return f"{text}:{location.line}" if location.line else text

    return where
