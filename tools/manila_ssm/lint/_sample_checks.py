"""Checks of the samples against what the page declares: types, duplicate keys, status, wrappers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

from manila_ssm.errors import Location
from manila_ssm.lint._registry import Hit, Subject, check
from manila_ssm.model import BodyNode, Operation, Sample

# os-api-ref leaves `type` free text; these are the spellings api-ref trees use.
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "uuid": (str,),
    "boolean": (bool,), "bool": (bool,),
    "integer": (int,), "int": (int,),
    "float": (int, float), "number": (int, float),
    "object": (dict,), "dict": (dict,),
    "array": (list,), "list": (list,),
}
_BOOLEAN_WORDS = {"true", "false", "yes", "no", "on", "off", "0", "1"}
_STATUS_LINE = re.compile(r"^HTTP/\d(?:\.\d)?\s+(\d{3})\b")
_NO_CONTENT = {204, 205, 304}


def _type_problem(value: Any, declared: str) -> str | None:
    """How ``value`` fails the declared type, or ``None`` when it fits (or the type is unknown)."""
    expected = _PYTHON_TYPES.get(declared.strip().lower())
    if expected is None or value is None:  # os-api-ref has no `nullable`: null stands for "not set"
        return None
    if isinstance(value, bool):
        return None if bool in expected else f"the boolean {json.dumps(value)}"
    if isinstance(value, expected):
        return None
    if isinstance(value, str):
        if bool in expected and value.strip().lower() in _BOOLEAN_WORDS:
            return f"the string {json.dumps(value)} (a boolean written as a string)"
        return f"the string {json.dumps(value)[:60]}"
    if isinstance(value, (int, float)):
        return f"the number {json.dumps(value)}"
    return "an object" if isinstance(value, dict) else "an array"


def sample_version(path: str) -> tuple[int, int] | None:
    """The microversion a sample's path names (Nova's ``api_samples/.../v2.62/...``), if any."""
    match = re.search(r"/v(\d+)\.(\d+)/", path)
    return (int(match.group(1)), int(match.group(2))) if match else None


def version_tuple(text: str) -> tuple[int, int] | None:
    major, _, minor = str(text).partition(".")
    try:
        return int(major), int(minor or 0)
    except ValueError:
        return None


def _in_range(version: tuple[int, int] | None, low: str | None, high: str | None) -> bool:
    if version is None:
        return True
    start = version_tuple(low) if low else None
    end = version_tuple(high) if high else None
    return (start is None or version >= start) and (end is None or version <= end)


def _fitting(twins: list[BodyNode], value: Any) -> BodyNode:
    """Of one key's declarations (microversioned twins, such as an array before 1.12 and an object
    after), the one the sample value fits best, the first on a tie."""
    return twins[0] if len(twins) == 1 else min(twins, key=lambda node: _misfits(node, value))


def _misfits(node: BodyNode, value: Any) -> int:
    """How many keys of ``value`` (``node`` included) fail their declared type."""
    own = int(node.parameter is not None and _type_problem(value, node.parameter.definition.type) is not None)
    return own + sum(1 for _, child, item in _walk(node.children, value, "")
                     if child.parameter is not None and _type_problem(item, child.parameter.definition.type) is not None)


def _walk(nodes: Sequence[BodyNode], value: Any, prefix: str) -> Iterator[tuple[str, BodyNode, Any]]:
    """(key path, declared node, sample value) for every sample key the page declares."""
    if isinstance(value, list):
        for element in value:
            yield from _walk(nodes, element, prefix)
        return
    if not isinstance(value, dict):
        return
    by_key: dict[str, list[BodyNode]] = {}
    for node in nodes:
        by_key.setdefault(node.key, []).append(node)
    for key, child in value.items():
        twins = by_key.get(str(key))
        if not twins:
            continue
        node = _fitting(twins, child)
        path = f"{prefix}{key}"
        if node.parameter is not None:
            yield path, node, child
        yield from _walk(node.children, child, f"{path}.")


def _sample_pairs(op: Operation) -> Iterator[tuple[Sample, tuple[BodyNode, ...]]]:
    for sample in op.request_samples:
        yield sample, op.request_body
    for sample in op.response_samples:
        yield sample, op.response_body


@check("sample-type-mismatch")
def sample_types(subject: Subject) -> Iterator[Hit]:
    for op in subject.api.operations:
        for sample, body in _sample_pairs(op):
            reported: set[str] = set()  # once per key path: array elements repeat their keys
            for path, node, value in _walk(body, sample.body, ""):
                assert node.parameter is not None
                if path in reported:
                    continue
                declared = node.parameter.definition
                if not _in_range(sample_version(sample.path), declared.min_version, declared.max_version):
                    continue  # a twin for another microversion range (Nova: `id` integer to 2.52, uuid from 2.53)
                problem = _type_problem(value, declared.type)
                if problem is not None:
                    reported.add(path)
                    yield Hit(
                        sample.location,
                        f"sample `{sample.path}` sends `{path}` as {problem}; "
                        f"`{declared.key}` ({declared.location}) declares type `{declared.type}`",
                    )


def _duplicates(text: str) -> list[str]:
    found: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                found.append(key)
            seen.add(key)
        return dict(items)

    json.loads(text, object_pairs_hook=pairs)
    return found


def _line_of_repeat(text: str, key: str) -> int | None:
    """The line of the second ``"key":`` in ``text`` (JSON parsers keep no positions)."""
    hits = [m.start() for m in re.finditer(re.escape(json.dumps(key)) + r"\s*:", text)]
    return text.count("\n", 0, hits[1]) + 1 if len(hits) > 1 else None


@check("sample-duplicate-key")
def sample_duplicate_keys(subject: Subject) -> Iterator[Hit]:
    seen: set[str] = set()
    for op in subject.api.operations:
        for sample, _ in _sample_pairs(op):
            if sample.path in seen or not isinstance(sample.body, (dict, list)):
                continue
            seen.add(sample.path)
            try:
                text = (subject.root / sample.path).read_text(encoding="utf-8")
                repeated = _duplicates(text)
            except (OSError, ValueError):
                continue  # the parser already reported an unreadable sample
            for key in repeated:
                yield Hit(
                    Location(sample.path, _line_of_repeat(text, key)),
                    f"key `{key}` appears twice in one object of sample `{sample.path}` (included at {sample.location})",
                )


@check("sample-status-contradicted")
def sample_status(subject: Subject) -> Iterator[Hit]:
    for op in subject.api.operations:
        listed = {c.code for c in op.success_codes + op.error_codes}
        success = {c.code for c in op.success_codes}
        for sample in op.response_samples:
            status = _STATUS_LINE.match(sample.body) if isinstance(sample.body, str) else None
            if status is not None and listed and int(status.group(1)) not in listed:
                yield Hit(
                    sample.location,
                    f"sample `{sample.path}` shows status {status.group(1)}, which `{op.title}` does not list "
                    f"(listed: {', '.join(map(str, sorted(listed)))})",
                )
            elif isinstance(sample.body, (dict, list)) and success and success <= _NO_CONTENT:
                yield Hit(
                    sample.location,
                    f"sample `{sample.path}` shows a response body, but `{op.title}` answers only "
                    f"{', '.join(map(str, sorted(success)))}, which carry no body",
                )


@check("action-wrapper-undeclared")
def action_wrappers(subject: Subject) -> Iterator[Hit]:
    for op in subject.api.actions():
        wrapper = op.request_body[0] if len(op.request_body) == 1 else None
        if wrapper is None or wrapper.key != op.action or wrapper.parameter is not None:
            continue
        sample = next((s for s in op.request_samples if isinstance(s.body, dict)), None)
        where = sample.location if sample is not None else op.location
        yield Hit(
            where,
            f"the request body of `{op.title}` is wrapped in `{op.action}`, which no request parameter declares "
            "(the listed parameters read as top-level keys)",
            f"declare `- {op.action}: {op.action}` first in the request rest_parameters, "
            "a required body parameter of type object",
        )
