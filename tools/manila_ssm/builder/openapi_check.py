"""OpenAPI 3.1 validation with openapi-spec-validator's rules, on jsonschema-rs.

openapi-spec-validator spends seconds on a document of a few hundred
operations (its pure-Python meta-schema checks dominate ``spec build``). This
module applies the same two stages to the plain document:

1. the whole document against the OpenAPI 3.1 meta-schema that
   openapi-spec-validator ships (``resources/schemas/v3.1/schema.json``);
2. its keyword rules: every Schema Object against the OpenAPI 3.1 base
   dialect (openapi-schema-validator's meta-schema), ``required`` names that
   an ``allOf`` does not define, ``default`` values against their schema,
   duplicate parameters, path templates against the path parameters, unique
   operationIds and tag names.

The meta-schemas are read from the installed packages (not copied), and
``tests/robustness/test_openapi_check.py`` holds a data-driven set of broken
documents on which both validators must agree.
"""

from __future__ import annotations

import importlib.util
import json
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import jsonschema_rs

from manila_ssm.builder import pointers
from manila_ssm.builder.pointers import MISSING

_SPEC_SCHEMA = ("openapi_spec_validator", "resources/schemas/v3.1/schema.json")
_DIALECT = ("openapi_schema_validator", "schemas/oas3.1/metaschema.json")
_VOCABULARY = ("openapi_schema_validator", "schemas/oas3.1/vocabularies/base")
_OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason the document is invalid, at ``path`` (JSON pointer parts)."""

    path: tuple[str | int, ...]
    message: str


def _package_file(package: str, name: str) -> Any:
    # find_spec locates the package without importing it (openapi-spec-validator's import costs 0.5 s).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{package} is not installed; it holds the OpenAPI 3.1 meta-schemas")
    return json.loads((Path(next(iter(spec.submodule_search_locations))) / name).read_text(encoding="utf-8"))


@cache
def _document_validator() -> Any:
    return jsonschema_rs.validator_for(_package_file(*_SPEC_SCHEMA), validate_formats=True)


@cache
def _dialect_validator() -> Any:
    dialect, vocabulary = _package_file(*_DIALECT), _package_file(*_VOCABULARY)
    registry = jsonschema_rs.Registry([(dialect["$id"], dialect), (vocabulary["$id"], vocabulary)])
    return jsonschema_rs.validator_for(dialect, registry=registry, validate_formats=True)


class CheckMemo(Protocol):
    """Keyword-stage results of earlier builds (``builder.memo``): kept by content, under string keys."""

    def content(self, value: Any) -> str | None: ...

    def get(self, key: str) -> Any: ...

    def put(self, key: str, value: Any) -> None: ...


def check_openapi(document: Mapping[str, Any], memo: CheckMemo | None = None) -> list[Problem]:
    """Every problem openapi-spec-validator would report on ``document`` (empty when valid).

    ``memo`` supplies the keyword stage's verdict on path items checked
    before (``_Traced``); the meta-schema stage always checks the whole document.
    """
    problems = [
        Problem(tuple(error.instance_path), error.message)
        for error in _document_validator().iter_errors(document)
    ]
    if memo is not None:
        try:
            return problems + _Traced(document, memo).run()
        except _Untraceable:
            pass
    return problems + _Keywords(document).run()


class _Keywords:
    """openapi-spec-validator's keyword stage on plain dicts, resolving local ``$ref``s."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.meta_checked: set[int] = set()
        self.visited: set[int] = set()
        self.operation_ids: set[Any] = set()
        self.problems: list[Problem] = []

    def run(self) -> list[Problem]:
        tags = self.document.get("tags")
        if isinstance(tags, list):
            seen: set[Any] = set()
            for index, tag in enumerate(tags):
                name = tag.get("name") if isinstance(tag, dict) else None
                if name in seen:
                    self.add(("tags", index), f"Duplicate tag name '{name}'")
                seen.add(name)
        paths = self.document.get("paths")
        if isinstance(paths, dict):
            for url, item in paths.items():
                self.item(url, item)
        components = self.deref(self.document.get("components"))
        if isinstance(components, dict) and isinstance(components.get("schemas"), dict):
            for name, schema in components["schemas"].items():
                self.schema(schema, ("components", "schemas", name))
        return self.problems

    def item(self, url: Any, item: Any) -> None:
        self.path_item(str(url), self.deref(item), ("paths", url))

    def add(self, path: tuple[Any, ...], message: str) -> None:
        self.problems.append(Problem(path, message))

    def resolve(self, ref: str) -> Any:
        """The target of a local ``$ref`` (``MISSING`` when there is none)."""
        return pointers.resolve(self.document, ref)

    def deref(self, value: Any, depth: int = 0) -> Any:
        """``value`` with a local ``$ref`` followed (as jsonschema-path does), else unchanged."""
        while isinstance(value, dict) and isinstance(value.get("$ref"), str) and depth < 50:
            ref = value["$ref"]
            if not ref.startswith("#"):
                return value
            target = self.resolve(ref)
            if target is MISSING:
                return value
            value, depth = target, depth + 1
        return value

    def path_item(self, url: str, item: Any, at: tuple[Any, ...]) -> None:
        if not isinstance(item, dict):
            return
        shared = self.deref(item.get("parameters"))
        if isinstance(shared, list):
            self.parameters(shared, (*at, "parameters"))
        for method, operation in item.items():
            if method in _OPERATIONS:
                self.operation(url, method, self.deref(operation), shared if isinstance(shared, list) else None, (*at, method))

    def operation(self, url: str, method: str, operation: Any, shared: list[Any] | None, at: tuple[Any, ...]) -> None:
        if not isinstance(operation, dict):
            return
        if "operationId" in operation:
            operation_id = operation["operationId"]
            if operation_id is not None and _hashable(operation_id) in self.operation_ids:
                self.add((*at, "operationId"), f"Operation ID '{operation_id}' for '{method}' in '{url}' is not unique")
            self.operation_ids.add(_hashable(operation_id))
        responses = self.deref(operation.get("responses"))
        if isinstance(responses, dict):
            for code, response in responses.items():
                content = self.deref(self.deref(response).get("content")) if isinstance(self.deref(response), dict) else None
                if isinstance(content, dict):
                    for media_type, body in content.items():
                        body = self.deref(body)
                        if isinstance(body, dict) and "schema" in body:
                            self.schema(body["schema"], (*at, "responses", code, "content", media_type, "schema"))
        names: list[Any] = []
        own = self.deref(operation.get("parameters"))
        if isinstance(own, list):
            self.parameters(own, (*at, "parameters"))
            names += self.path_names(own)
        if shared is not None:
            names += self.path_names(shared)
        declared = set(names)
        try:
            in_url = {field for _, field, _, _ in string.Formatter().parse(url) if field}
        except ValueError as error:
            self.add(at, f"Path template '{url}' is malformed: {error}")
            return
        for name in sorted(in_url - declared, key=str) + sorted(declared - in_url, key=str):
            self.add((*at, "parameters"), f"Path parameter '{name}' for '{method}' operation in '{url}' was not resolved")

    def path_names(self, parameters: list[Any]) -> list[Any]:
        found = []
        for parameter in parameters:
            parameter = self.deref(parameter)
            if isinstance(parameter, dict) and parameter.get("in") == "path":
                found.append(parameter.get("name"))
        return found

    def parameters(self, parameters: list[Any], at: tuple[Any, ...]) -> None:
        seen: set[tuple[Any, Any]] = set()
        for index, parameter in enumerate(parameters):
            parameter = self.deref(parameter)
            if not isinstance(parameter, dict):
                continue
            if "schema" in parameter:
                self.schema(parameter["schema"], (*at, index, "schema"))
            key = (_hashable(parameter.get("name")), _hashable(parameter.get("in")))
            if key in seen:
                self.add((*at, index), f"Duplicate parameter '{parameter.get('name')}'")
            seen.add(key)

    def schema(self, schema: Any, at: tuple[Any, ...], require_properties: bool = True, meta_checked: bool = False) -> None:
        schema = self.deref(schema)
        if not isinstance(schema, (dict, bool)):
            self.add(at, f"{schema!r} is not of type 'object', 'boolean'")
            return
        if not meta_checked and id(schema) not in self.meta_checked:
            self.meta_checked.add(id(schema))
            errors = list(_dialect_validator().iter_errors(schema))
            if errors:
                self.add((*at, *errors[0].instance_path), errors[0].message)
                return
        if id(schema) in self.visited or not isinstance(schema, dict):
            return
        self.visited.add(id(schema))
        nested: set[Any] = set()
        for keyword in ("allOf", "anyOf", "oneOf"):
            for index, inner in enumerate(_list(schema.get(keyword))):
                self.schema(inner, (*at, keyword, index), False, True)
                if keyword == "allOf":
                    nested |= self.properties_of(inner)
        for keyword in ("not", "items"):
            if keyword in schema:
                self.schema(schema[keyword], (*at, keyword), False, True)
        properties = self.deref(schema.get("properties"))
        if isinstance(properties, dict):
            for name, inner in properties.items():
                self.schema(inner, (*at, "properties", name), False, True)
        if "allOf" in schema and require_properties:
            defined = set(properties) if isinstance(properties, dict) else set()
            extra = [name for name in _list(schema.get("required")) if _hashable(name) not in defined | nested]
            if extra:
                self.add(at, f"Required list has not defined properties: {sorted(set(map(str, extra)))}")
        if "default" in schema and (schema["default"] is not None or schema.get("nullable") is not True):
            self.whole_document()
            for reason in _default_errors(self.document, schema, schema["default"]):
                self.add((*at, "default"), reason)

    def whole_document(self) -> None:
        """A check that reads the whole document is about to run (``_Traced`` keeps no verdict then)."""

    def properties_of(self, schema: Any, depth: int = 0) -> set[Any]:
        schema = self.deref(schema)
        if not isinstance(schema, dict) or depth > 100:
            return set()
        found = set(schema["properties"]) if isinstance(schema.get("properties"), dict) else set()
        for keyword in ("allOf", "anyOf", "oneOf"):
            for inner in _list(schema.get(keyword)):
                found |= self.properties_of(inner, depth + 1)
        for keyword in ("items", "not"):
            if keyword in schema:
                found |= self.properties_of(schema[keyword], depth + 1)
        return found




class _Untraceable(Exception):
    """A path item's check read another path item: the keyword stage runs without the memo."""


class _Traced(_Keywords):
    """The keyword stage, reusing the verdict on each path item checked before with the same content.

    A path item's check depends on the item, on the components its ``$ref``s
    reach, on whether those were checked already (each schema is checked
    once, where it is first reached) and on the operationIds seen. Its
    verdict is kept with those: the content digest of each target, whether
    it was checked before and after, and its operationIds; it is reused only
    where all of them are the same, and replaying it marks the targets
    checked as the check did. A check that reads the whole document (a
    ``default``) is not kept; one that reaches into another path item
    makes the whole stage run as :class:`_Keywords` does. Schemas are
    checked once per object: the memo is for documents whose path items
    share no object with each other or with the components (``build_openapi``
    copies every item), where that is the same as once per place.
    """

    def __init__(self, document: Mapping[str, Any], memo: CheckMemo) -> None:
        super().__init__(document)
        self.memo = memo
        self.trace: dict[str, Any] | None = None

    def item(self, url: Any, item: Any) -> None:
        digest = self.memo.content(item)
        key = f"keywords:{url!r}:{digest}" if digest is not None else None
        if key is not None and self._replay(self.memo.get(key)):
            return
        self.trace = {"refs": {}, "first": {}, "ids": [], "whole": False}
        before = len(self.problems)
        super().item(url, item)
        trace, self.trace = self.trace, None
        if key is None or trace["whole"]:
            return
        refs = tuple((ref, None if target is MISSING else self.memo.content(target)) for ref, target in trace["refs"].items())
        states = tuple(
            (ref, trace["first"][id(target)], (id(target) in self.meta_checked, id(target) in self.visited))
            for ref, target in trace["refs"].items() if target is not MISSING
        )
        self.memo.put(key, (tuple(self.problems[before:]), refs, states, tuple(trace["ids"])))

    def _replay(self, kept: Any) -> bool:
        if not (isinstance(kept, tuple) and len(kept) == 4):
            return False
        problems, refs, states, ids = kept
        targets = {ref: self.resolve(ref) for ref, _ in refs}
        if any((None if targets[ref] is MISSING else self.memo.content(targets[ref])) != digest for ref, digest in refs):
            return False
        if any((id(targets[ref]) in self.meta_checked, id(targets[ref]) in self.visited) != before for ref, before, _ in states):
            return False
        if any(_hashable(operation_id) in self.operation_ids for operation_id in ids):
            return False
        for ref, _, (meta, visited) in states:
            if meta:
                self.meta_checked.add(id(targets[ref]))
            if visited:
                self.visited.add(id(targets[ref]))
        self.operation_ids.update(_hashable(operation_id) for operation_id in ids)
        self.problems += problems
        return True

    def resolve(self, ref: str) -> Any:
        target = super().resolve(ref)
        if self.trace is not None:
            if not ref.startswith("#/components/"):
                raise _Untraceable(ref)
            self.trace["refs"].setdefault(ref, target)
            if target is not MISSING:
                self.trace["first"].setdefault(id(target), (id(target) in self.meta_checked, id(target) in self.visited))
        return target

    def operation(self, url: str, method: str, operation: Any, shared: list[Any] | None, at: tuple[Any, ...]) -> None:
        if self.trace is not None and isinstance(operation, dict) and "operationId" in operation:
            self.trace["ids"].append(operation["operationId"])
        super().operation(url, method, operation, shared, at)

    def whole_document(self) -> None:
        if self.trace is not None:
            self.trace["whole"] = True


def _default_errors(document: Mapping[str, Any], schema: dict[str, Any], value: Any) -> Iterator[str]:
    """openapi-schema-validator's verdict on a ``default`` (rare: imported only when one is there)."""
    from openapi_schema_validator import OAS31Validator, oas31_format_checker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    root = "urn:manila-ssm:checked-openapi"
    registry = Registry().with_resource(root, Resource(contents=dict(document), specification=DRAFT202012))
    resolver = registry.resolver(root)
    validator = OAS31Validator(schema, format_checker=oas31_format_checker, _resolver=resolver)
    for error in validator.iter_errors(value):
        yield error.message


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else json.dumps(value, sort_keys=True, default=str)


__all__ = ["CheckMemo", "Problem", "check_openapi"]
