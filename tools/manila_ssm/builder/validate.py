"""Checks of built artifacts: OpenAPI validity, schema validity, samples against schemas.

Every problem is a ``Finding`` naming the file (and a JSON pointer in the
message); nothing here raises for a bad document.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from manila_ssm.errors import Finding, Location, Severity
from manila_ssm.model import ApiRef

_DOC = "urn:manila-ssm:openapi"


Locate = Callable[[Sequence[Any]], Location]


def _fixed(where: Location) -> Locate:
    return lambda parts: where


def pointer(parts: Sequence[Any]) -> str:
    """A JSON pointer (RFC 6901) from path parts."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def validate_openapi(document: Any, where: Location, locate: Locate | None = None, memo: Any = None) -> list[Finding]:
    """openapi-spec-validator's verdict on an OpenAPI 3.1 document, one finding per error.

    The rules are openapi-spec-validator's, applied by ``openapi_check`` on
    jsonschema-rs (a hundred times faster; a test keeps the two in agreement).
    ``memo`` (``openapi_check.CheckMemo``) supplies verdicts on path items checked before.
    """
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3.1"):
        return [_finding("SSM-VALIDATE-OPENAPI", where, "not an OpenAPI 3.1 document (no 'openapi: 3.1.x')")]
    from manila_ssm.builder.openapi_check import check_openapi  # jsonschema-rs: imported where it is used

    locate = locate or _fixed(where)
    findings = []
    for problem in check_openapi(document, memo):
        parts = list(problem.path)
        findings.append(_finding("SSM-VALIDATE-OPENAPI", locate(parts), f"invalid OpenAPI at #{pointer(parts)}: {problem.message}"))
    return findings


def validate_schema(schema: Any, where: Location, locate: Locate | None = None) -> list[Finding]:
    """A standalone schema against the 2020-12 metaschema; it also needs an ``$id``."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        parts = list(error.absolute_path)
        return [_finding("SSM-VALIDATE-SCHEMA", (locate or _fixed(where))(parts), f"invalid JSON Schema at #{pointer(parts)}: {error.message}")]
    if not isinstance(schema, dict) or not schema.get("$id"):
        return [_finding("SSM-VALIDATE-SCHEMA", where, "the schema has no $id", "give every generated schema an $id")]
    return []


def instance_errors(schema: Mapping[str, Any], instance: Any) -> list[str]:
    """Readable reasons why ``instance`` does not match ``schema`` (empty when it does)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(dict(schema), format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [_reason(error) for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))]


class ExampleMemo(Protocol):
    """Findings of examples from earlier builds (``builder.memo``): by operation, or by what each example is checked against."""

    def examples(self, path: str, method: str, file: str) -> tuple[str, list[Finding]] | None: ...

    def keep_examples(self, path: str, method: str, file: str, origin: str, findings: list[Finding], document: dict[str, Any]) -> None: ...

    def example_key(self, document: dict[str, Any], at: str, name: str, example: Any, schema: str | None, file: str) -> str | None: ...

    def example(self, key: str) -> list[Finding] | None: ...

    def keep_example(self, key: str, findings: list[Finding]) -> None: ...


def validate_examples(document: dict[str, Any], where: Location, locate: Locate | None = None, memo: ExampleMemo | None = None) -> list[Finding]:
    """Every ``examples`` value of every media type against its schema (per action where named).

    ``memo`` (only with the default ``locate``) supplies operations checked
    before, and examples checked before against the same schemas;
    jsonschema is imported only when an example needs checking.
    """
    memo = memo if locate is None else None
    locate = locate or _fixed(where)
    registry: Any = None
    findings: list[Finding] = []
    seen: set[str] = set()
    for path, method, operation in _operations(document):
        kept = memo.examples(path, method, where.file) if memo is not None else None
        origin = kept[0] if kept is not None else _origin(path, method, operation)
        if origin in seen:
            continue
        seen.add(origin)
        if kept is not None:
            findings += kept[1]
            continue
        found: list[Finding] = []
        for at_pointer, name, example, schema_ref in _examples(path, method, operation):
            local = schema_ref[len(_DOC):] if schema_ref.startswith(_DOC + "#/") else None
            key = memo.example_key(document, at_pointer, name, example, local, where.file) if memo is not None else None
            known = memo.example(key) if memo is not None and key is not None else None
            if known is None:
                if registry is None:
                    registry = _registry(document)
                known = list(_check(registry, at_pointer, name, example, schema_ref, where, locate))
                if memo is not None and key is not None:
                    memo.keep_example(key, known)
            found += known
        findings += found
        if memo is not None:
            memo.keep_examples(path, method, where.file, origin, found, document)
    return findings


def _registry(document: dict[str, Any]) -> Any:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    return Registry().with_resource(_DOC, Resource(contents=document, specification=DRAFT202012))


def _check(registry: Any, at_pointer: str, name: str, example: dict[str, Any], schema_ref: str, where: Location, locate: Locate) -> Iterator[Finding]:
    from jsonschema import Draft202012Validator
    from referencing.exceptions import Unresolvable

    validator = Draft202012Validator({"$ref": schema_ref}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
    sample = str(example.get("summary", ""))
    # Our builders put the sample's path in the summary: point at the sample when there is one.
    at = Location(sample) if sample.endswith(".json") else locate(_parts(at_pointer))
    try:
        for error in validator.iter_errors(example.get("value")):
            yield _finding("SSM-VALIDATE-SAMPLE", at, f"example {name!r} at {where.file}#{at_pointer} does not match its schema: {_reason(error)}")
    except Unresolvable as error:  # a schema reference the document does not hold
        yield _finding("SSM-VALIDATE-SAMPLE", at, f"example {name!r} at {where.file}#{at_pointer}: its schema {schema_ref} cannot be resolved ({error})",
                       "fix the reference, or report the builder bug that wrote it")


def validate_samples(api: ApiRef, schemas: Mapping[tuple[str, str], Mapping[str, Any]]) -> list[Finding]:
    """Every request/response sample of the actions of ``api`` against ``schemas[(action, role)]``."""
    findings = []
    for operation in api.actions():
        for sample in (*operation.request_samples, *operation.response_samples):
            schema = schemas.get((operation.action or "", sample.role))
            if schema is None:
                findings.append(_finding("SSM-VALIDATE-SAMPLE", sample.location, f"no {sample.role} schema for action {operation.action!r} to check {sample.path}", severity=Severity.WARNING))
                continue
            for reason in instance_errors(schema, sample.body):
                findings.append(_finding("SSM-VALIDATE-SAMPLE", sample.location, f"sample {sample.path} does not match the {operation.action} {sample.role} schema: {reason}"))
    return findings


def examples_of(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], str]]:
    """``(JSON pointer, name, Example Object, schema URI)`` for every example, each operation once."""
    seen: set[str] = set()
    for path, method, operation in _operations(document):
        origin = _origin(path, method, operation)
        if origin not in seen:
            seen.add(origin)
            yield from _examples(path, method, operation)


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict):
                yield path, method, operation


def _origin(path: str, method: str, operation: dict[str, Any]) -> str:
    """The twin URL form of an operation carries the same examples: they are checked once."""
    return json.dumps([method, operation.get("x-ssm")], sort_keys=True) if operation.get("x-ssm") else f"{path} {method}"


def _examples(path: str, method: str, operation: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], str]]:
    actions = operation.get("x-ssm", {}).get("actions", {})
    base = f"/paths/{_escape(path)}/{method}"
    media = [(f"{base}/requestBody/content", operation.get("requestBody", {}).get("content", {}), "request")]
    media += [(f"{base}/responses/{code}/content", response.get("content", {}), "response") for code, response in operation.get("responses", {}).items()]
    for prefix, content, role in media:
        for media_type, body in content.items():
            at = f"{prefix}/{_escape(media_type)}"
            for name, example in (body.get("examples") or {}).items():
                ref = actions.get(name, {}).get(f"{role}-schema") or f"{_DOC}#{at}/schema"
                if ref.startswith("#"):
                    ref = _DOC + ref
                yield f"{at}/examples/{name}", name, example, ref


def _parts(text: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in text.split("/")[1:]]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _reason(error: Any) -> str:
    pointer = "/".join(str(p) for p in error.absolute_path)
    return f"at /{pointer}: {error.message}" if pointer else error.message


def _finding(rule: str, where: Location, message: str, hint: str = "", severity: Severity = Severity.ERROR) -> Finding:
    return Finding(rule, severity, where, message, hint)
