"""Checks of the page against itself and against the errata: versions, parameter use, status claims."""

from __future__ import annotations

import re
from collections.abc import Iterator

from manila_ssm.apiref import load_parameters
from manila_ssm.errors import Location, SpecError
from manila_ssm.lint._errata import Claim
from manila_ssm.lint._registry import Hit, Subject, check
from manila_ssm.model import Operation, Parameter, ParameterDef

_VERSION = re.compile(r"^(\d+)\.(\d+)$")


def _version(text: str | None) -> tuple[int, int] | None:
    match = _VERSION.match((text or "").strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


@check("version-added-mismatch")
def version_added(subject: Subject) -> Iterator[Hit]:
    for op in subject.api.operations:
        added = [n for n in op.version_notes if n.kind == "versionadded"]
        if not added:
            continue
        first = added[0]
        for other in added[1:]:
            if _version(other.version) != _version(first.version):
                yield Hit(other.location, f"`{op.title}` has versionadded {other.version} here and {first.version} at {first.location}")
        # ``min_version`` falls back to versionadded; it differs only when the rest_method states its own.
        if op.min_version is not None and _version(op.min_version) != _version(first.version):
            yield Hit(first.location, f"versionadded {first.version} disagrees with `min_version: {op.min_version}` of the rest_method at {op.location}")


def _user_floors(subject: Subject) -> dict[Location, tuple[int, int] | None]:
    """Per parameters.yaml entry, the oldest microversion of the operations using it (None: since always)."""
    floors: dict[Location, tuple[int, int] | None] = {}
    for op in subject.api.operations:
        floor = _version(op.min_version)
        for parameter in op.request_parameters + op.response_parameters:
            where = parameter.definition.location
            if where not in floors:
                floors[where] = floor
            elif floors[where] is not None and (floor is None or floor < floors[where]):  # type: ignore[operator]
                floors[where] = floor
    return floors


@check("param-version-before-operation")
def parameter_versions(subject: Subject) -> Iterator[Hit]:
    # An entry shared by several operations is new when the oldest of them is: only an entry
    # that every operation using it postdates has a stale min_version.
    floors = _user_floors(subject)
    for op in subject.api.operations:
        floor = _version(op.min_version)
        if floor is None:
            continue
        for parameter in op.request_parameters + op.response_parameters:
            since = _version(parameter.definition.min_version)
            oldest_user = floors.get(parameter.definition.location)
            if since is not None and since < floor and oldest_user is not None and since < oldest_user:
                yield Hit(
                    parameter.used_at,
                    f"`{parameter.name}` is new in {parameter.definition.min_version} "
                    f"({parameter.definition.location}), but `{op.title}` exists only since {op.min_version}",
                )


def _range(definition: ParameterDef) -> tuple[tuple[int, int], tuple[float, float]]:
    low = _version(definition.min_version) or (0, 0)
    high = _version(definition.max_version)
    return low, (high if high is not None else (float("inf"), float("inf")))


def _twins(one: ParameterDef, other: ParameterDef) -> bool:
    """Two entries of one name for disjoint microversion ranges (os-api-ref's versioned twins)."""
    if one.location == other.location:
        return False
    (low1, high1), (low2, high2) = _range(one), _range(other)
    return high1 < low2 or high2 < low1 or (one.min_version, one.max_version) != (other.min_version, other.max_version)


_LIST_START = re.compile(r"^\s*\.\.\s+rest_parameters::")
_MICROVERSION = re.compile(r"micro-?versions?\b|\b\d+\.\d+\s*-", re.IGNORECASE)


def _versioned_lists(subject: Subject, first: Location, again: Location) -> bool:
    """Whether the two listings sit in separate lists with a microversion heading between them.

    Placement documents each microversion's body in its own list ("Request
    (microversion 1.1 - 1.18)", then "... (1.19 - )"): one name in both is one
    field in two ranges, not a name listed twice.
    """
    if first.file != again.file or first.line is None or again.line is None:
        return False
    try:
        lines = (subject.root / first.file).read_text(encoding="utf-8").splitlines()[first.line : again.line - 1]
    except OSError:
        return False
    return any(_LIST_START.match(line) for line in lines) and any(_MICROVERSION.search(line) for line in lines)


def _flat_levels(listed: tuple[Parameter, ...], first: Parameter, again: Parameter) -> bool:
    """Whether two different definitions of one name sit at two levels of a flat list.

    Keystone lists no dotted names: ``links`` (the collection's), ``users``
    (an array), then ``links`` again (each user's) are two fields. A container
    listed between two different definitions marks the second as nested.
    """
    if first.definition.key == again.definition.key or any("." in p.name for p in listed):
        return False
    start, end = listed.index(first), listed.index(again)
    return any(p.definition.in_ == "body" and p.definition.type.strip().lower() in {"object", "array", "dict", "list"}
               for p in listed[start + 1 : end])


@check("param-listed-twice")
def parameters_listed_twice(subject: Subject) -> Iterator[Hit]:
    for op in subject.api.operations:
        for listed in (op.request_parameters, op.response_parameters):
            first: dict[tuple[str, str], Parameter] = {}
            for parameter in listed:
                key = (parameter.name, parameter.definition.in_)
                earlier = first.get(key)
                if earlier is None:
                    first[key] = parameter
                elif not _twins(earlier.definition, parameter.definition) and not _versioned_lists(
                    subject, earlier.used_at, parameter.used_at
                ) and not _flat_levels(listed, earlier, parameter):
                    yield Hit(parameter.used_at, f"`{parameter.name}` ({parameter.definition.in_}) is already listed at {earlier.used_at}")


def _tables(subject: Subject) -> Iterator[tuple[str, dict[str, ParameterDef]]]:
    for display in subject.api.parameter_files:
        try:
            table, _ = load_parameters(subject.root / display, display)
        except SpecError:
            continue  # reported by the parser
        yield display, table


@check("param-file-empty")
def empty_parameter_files(subject: Subject) -> Iterator[Hit]:
    for display, table in _tables(subject):
        if not table:
            yield Hit(Location(display, 1), f"`{display}` defines no parameters, so every reference to it is unknown")


@check("param-unused")
def unused_parameters(subject: Subject) -> Iterator[Hit]:
    if not subject.whole_tree:
        return  # a single page uses a fraction of a shared parameters.yaml by design
    used = {
        (p.definition.location.file, p.definition.key)
        for op in subject.api.operations
        for p in op.request_parameters + op.response_parameters
    }
    for display, table in _tables(subject):
        for key, definition in table.items():
            if (display, key) not in used:
                yield Hit(definition.location, f"`{key}` is defined in `{display}` but no rest_parameters list uses it")


def _normal_path(path: str) -> tuple[str, ...]:
    """A path to match errata against: no project segment, variables unnamed, `_` and `-` alike."""
    parts = [p for p in path.strip("/").split("/") if p and p != "{project_id}"]
    return tuple("{}" if p.startswith("{") else p.replace("_", "-") for p in parts)


def _concerns(claim: Claim, op: Operation) -> bool:
    return op.action in claim.actions and _normal_path(op.path) in {_normal_path(p) for p in claim.paths}


def _status_hits(subject: Subject, kind: str) -> Iterator[Hit]:
    for claim in subject.claims:
        if claim.kind != kind:
            continue
        for op in subject.api.actions():
            if not _concerns(claim, op):
                continue
            codes = op.success_codes if kind == "success" else op.error_codes
            if claim.code in {c.code for c in codes}:
                continue
            listed = ", ".join(str(c.code) for c in codes) or "none"
            yield Hit(
                codes[0].location if codes else op.location,
                f"erratum {claim.erratum} ({claim.location.file}) says `{op.action}` answers {claim.code}; "
                f"the page lists {kind} codes {listed}",
            )


@check("status-contradicted-by-erratum")
def erratum_success_codes(subject: Subject) -> Iterator[Hit]:
    yield from _status_hits(subject, "success")


@check("status-missing-per-erratum")
def erratum_error_codes(subject: Subject) -> Iterator[Hit]:
    yield from _status_hits(subject, "error")
