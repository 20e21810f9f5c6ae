"""A parsed api-ref (``ApiRef``) as one OpenAPI 3.1 document.

Pure: model and options in, a plain dict and findings out. Operations are
grouped by method + path; with ``optional_path_parameter`` set, every path
that contains that variable also appears without it (Manila routes both).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from manila_ssm._pickling import by_fields
from manila_ssm.builder import naming
from manila_ssm.builder._plain import plain_copy
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
    memo: Any = None
    """What the build reused and kept (``builder.memo.BuildMemo``), for the steps after it; ``None`` without a cache."""


@by_fields
@dataclass(frozen=True, slots=True)
class Group:
    """What one method and URL (and its twin URL form) adds to the document.

    ``asked`` is whether each schema name it tried was taken when it started
    (its names depend on nothing else of the other groups); ``added`` the names it took.
    """

    items: tuple[tuple[str, dict[str, Any]], ...]
    tags: tuple[str, ...]
    schemas: tuple[tuple[str, Any], ...]
    asked: tuple[tuple[str, bool], ...]
    added: tuple[str, ...]
    findings: tuple[Finding, ...]


class GroupMemo(Protocol):
    """Groups of earlier builds (``builder.memo``): ``key`` names a group's inputs, ``None`` when it cannot."""

    def key(self, method: str, path: str, ops: list[Operation], urls: list[str]) -> str | None: ...

    def get(self, key: str, names: set[str]) -> Group | None: ...

    def put(self, key: str, group: Group, urls: list[str], method: str) -> None: ...


class _Asking(set[str]):
    """The schema names a group takes, answering "taken?" from the names before it too, and noting what it asked."""

    def __init__(self, before: set[str]) -> None:
        super().__init__()
        self.before = before
        self.asked: dict[str, bool] = {}

    def __contains__(self, name: object) -> bool:
        if name not in self.asked:
            self.asked[name] = name in self.before  # type: ignore[index]
        return self.asked[name] or super().__contains__(name)  # type: ignore[index]


def _group(ops: list[Operation], path: str, method: str, urls: list[str], ctx: Context) -> Group:
    """Build one group, apart: what it adds to the document is applied by the caller."""
    names = _Asking(ctx.names)
    own = Context(options=ctx.options, where=ctx.where, schemas={}, names=names, findings=[])
    operation = build_operation(ops, path, own)
    items = []
    for url in urls:
        item = plain_copy(operation)
        if url != path:
            item["parameters"] = parameters_for(ops, url, own)
        items.append((url, item))
    return Group(tuple(items), tuple(operation["tags"]), tuple(own.schemas.items()), tuple(names.asked.items()),
                 tuple(sorted(set.__iter__(names))), tuple(own.findings))


def build_openapi(api: ApiRef, options: BuildOptions, source_base: Path | None = None, memo: GroupMemo | None = None) -> BuildResult:
    """Build the OpenAPI document of ``api``; source locations are made relative to ``source_base``.

    ``memo`` supplies groups (method and URL) built before from the same
    sections, where no schema name they took has been taken since.
    """
    findings: list[Finding] = []
    ctx = Context(options=options, where=_relative_to(Path(api.root), source_base), schemas={}, names=set(), findings=findings)
    groups: dict[tuple[str, str], list[Operation]] = {}
    for op in api.operations:
        groups.setdefault((op.method.upper(), op.path), []).append(op)
    paths: dict[str, dict[str, Any]] = {}
    tags: list[str] = []
    built: list[tuple[str, str, dict[str, Any], Operation]] = []
    project_versions = _versions_with(options.optional_path_parameter, groups)
    for (method, path), ops in groups.items():
        if not path.startswith("/"):
            # The parser adds the '/' (method-url-relative); a model built elsewhere may lack it.
            findings.append(Finding("SSM-BUILD-PATH", Severity.WARNING, ops[0].location, f"URL {path!r} does not start with '/'; built as '/{path}'", "write the URL as /v2/..."))
            path = "/" + path
            if (method, path) in groups:
                continue
        urls = list(_url_forms(path, options.optional_path_parameter, groups, method, project_versions))
        key = memo.key(method, path, ops, urls) if memo is not None else None
        group = memo.get(key, ctx.names) if memo is not None and key is not None else None
        if group is None:
            group = _group(ops, path, method, urls, ctx)
            if memo is not None and key is not None:
                memo.put(key, group, urls, method)
        ctx.schemas.update(group.schemas)
        ctx.names.update(group.added)
        findings.extend(group.findings)
        for url, item in group.items:
            built.append((url, method, item, ops[0]))
            paths.setdefault(url, {})[method.lower()] = item
        for tag in group.tags:
            if tag not in tags:
                tags.append(tag)
    _name_operations(built, options.optional_path_parameter, findings)
    components: dict[str, Any] = {"schemas": dict(sorted(ctx.schemas.items()))}
    if options.error_schema is not None:
        components["schemas"]["Fault"] = dict(options.error_schema)
    if options.response_headers:
        components["headers"] = {name: dict(header) for name, header in options.response_headers.items()}
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": options.title or api.title, "version": info_version(api.operations, paths)},
        "paths": paths,
        "components": components,
        "tags": [{"name": tag, **_tag_description(api, tag)} for tag in tags],
    }
    if options.security_header:
        components["securitySchemes"] = {SECURITY_SCHEME: {"type": "apiKey", "in": "header", "name": options.security_header}}
        document["security"] = [{SECURITY_SCHEME: []}]
    return BuildResult(document, tuple(findings))


def _versions_with(optional: str | None, groups: dict[tuple[str, str], Any]) -> set[str]:
    """The version prefixes (``v2``) under which some documented URL has the optional segment right after it."""
    found = set()
    for _, path in groups:
        parts = path.split("/")
        if optional and len(parts) > 2 and naming.is_version(parts[1]) and parts[2] == f"{{{optional}}}":
            found.add(parts[1])
    return found


def _url_forms(path: str, optional: str | None, groups: dict[tuple[str, str], Any], method: str, versions: set[str]) -> Iterable[str]:
    """``path``, and its twin with or without the optional ``/{optional}`` segment right after the version.

    The twin exists only where the service routes it: the segment sits right
    after a version prefix that has it in some documented URL, and is added
    only before a literal segment (never in front of another variable).
    """
    yield path
    if not optional:
        return
    segment = f"{{{optional}}}"
    parts = path.split("/")
    if len(parts) < 3 or not naming.is_version(parts[1]) or parts[1] not in versions:
        return
    if parts[2] == segment:
        twin = "/".join([*parts[:2], *parts[3:]])
    elif parts[2] and not parts[2].startswith("{"):
        twin = "/".join([*parts[:2], segment, *parts[2:]])
    else:
        return
    if (method, twin) not in groups:
        yield twin


def _name_operations(built: list[tuple[str, str, dict[str, Any], Operation]], keep: str | None, findings: list[Finding]) -> None:
    """Path-like operationIds, unique: URLs whose short ids collide keep their variables' names, then their version."""
    detail = {(url, method): 0 for url, method, _, _ in built}
    for level in (1, 2):
        ids: dict[str, list[tuple[str, str]]] = {}
        for url, method, _, _ in built:
            ids.setdefault(naming.operation_id(url, method, keep, detail[(url, method)]), []).append((url, method))
        for members in ids.values():
            if len(members) > 1:
                for member in members:
                    detail[member] = level
    taken: set[str] = set()
    for url, method, item, op in built:
        wanted = naming.operation_id(url, method, keep, detail[(url, method)])
        item["operationId"] = naming.unique(wanted, taken)
        if item["operationId"] != wanted:
            findings.append(Finding("SSM-BUILD-OPERATION-ID", Severity.WARNING, op.location, f"operationId {wanted!r} is taken; using {item['operationId']!r}"))


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


def info_version(operations: Iterable[Operation], paths: Iterable[str]) -> str:
    """``info.version``: the highest microversion, else the highest API version of the URLs (``/v3/...`` -> ``3``)."""
    highest = max_version(operations)
    if highest != "0.0":
        return highest
    versions = [part[1:] for path in paths for part in path.split("/")[1:2] if naming.is_version(part)]
    return max(versions, key=_version_key) if versions else highest


def _relative_to(root: Path, base: Path | None) -> Callable[[Location], str]:
    shown: dict[str, str] = {}  # one resolve() per file, not per location

    def relative(name: str) -> str:
        file = Path(name)
        if base is not None:
            file = root / file
            try:
                file = file.resolve().relative_to(base.resolve())
            except ValueError:
                pass
        return file.as_posix()

    def where(location: Location) -> str:
        text = shown.get(location.file)
        if text is None:
            text = shown[location.file] = relative(location.file)
        return f"{text}:{location.line}" if location.line else text

    return where
