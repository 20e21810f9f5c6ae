"""The typed model of an os-api-ref source tree.

The parser (``manila_ssm.apiref``) produces it; the builders (``manila_ssm.builder``),
the linter and the docs read it. Every value that came from a file carries the
``Location`` it came from, so any later finding can point back at the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from manila_ssm._pickling import by_fields
from manila_ssm.errors import Finding, Location

ParameterIn = Literal["header", "path", "query", "body"]
StatusKind = Literal["success", "error"]
SampleRole = Literal["request", "response"]
JsonType = Literal["object", "array", "string", "boolean", "integer", "number", "null"]


@by_fields
@dataclass(frozen=True, slots=True)
class ParameterDef:
    """One entry of a ``parameters.yaml`` file, as declared there."""

    key: str
    in_: ParameterIn
    type: str
    required: bool
    description: str
    location: Location
    min_version: str | None = None
    max_version: str | None = None
    format: str | None = None


@by_fields
@dataclass(frozen=True, slots=True)
class Parameter:
    """A parameter as a page uses it: ``- name: key`` in a ``rest_parameters`` list."""

    name: str
    definition: ParameterDef
    used_at: Location


@by_fields
@dataclass(frozen=True, slots=True)
class StatusCode:
    code: int
    kind: StatusKind
    description: str
    location: Location


@by_fields
@dataclass(frozen=True, slots=True)
class Sample:
    """A JSON example pulled in by ``literalinclude``; ``body`` is the parsed JSON."""

    path: str
    role: SampleRole
    body: Any
    location: Location
    language: str | None = None


@by_fields
@dataclass(frozen=True, slots=True)
class BodyNode:
    """One key of a request or response body, nested as the samples show it.

    ``parameter`` is ``None`` for keys the page does not declare (the action
    wrapper such as ``migration_start`` usually); ``sample_type`` is the JSON
    type the sample shows, ``None`` when the sample does not show the key.
    """

    key: str
    parameter: Parameter | None
    sample_type: JsonType | None
    children: tuple[BodyNode, ...] = ()


@by_fields
@dataclass(frozen=True, slots=True)
class VersionNote:
    kind: Literal["versionadded", "versionchanged", "deprecated", "versionremoved"]
    version: str
    text: str
    location: Location


@by_fields
@dataclass(frozen=True, slots=True)
class Admonition:
    kind: str
    text: str
    location: Location


@by_fields
@dataclass(frozen=True, slots=True)
class Operation:
    """One ``rest_method`` and everything its section says about it.

    ``action`` is the single top-level key of the request body for
    ``POST .../action`` endpoints (taken from the request sample), else ``None``.
    """

    title: str
    method: str
    path: str
    section: str
    description: str
    location: Location
    min_version: str | None = None
    max_version: str | None = None
    action: str | None = None
    version_notes: tuple[VersionNote, ...] = ()
    admonitions: tuple[Admonition, ...] = ()
    success_codes: tuple[StatusCode, ...] = ()
    error_codes: tuple[StatusCode, ...] = ()
    request_parameters: tuple[Parameter, ...] = ()
    response_parameters: tuple[Parameter, ...] = ()
    request_samples: tuple[Sample, ...] = ()
    response_samples: tuple[Sample, ...] = ()
    request_body: tuple[BodyNode, ...] = ()
    response_body: tuple[BodyNode, ...] = ()

    @property
    def is_action(self) -> bool:
        return self.action is not None


@by_fields
@dataclass(frozen=True, slots=True)
class Section:
    """A titled section of the tree that is not itself an operation (used for tags)."""

    title: str
    description: str
    location: Location
    admonitions: tuple[Admonition, ...] = ()


@by_fields
@dataclass(frozen=True, slots=True)
class ApiRef:
    """A parsed page or tree: its operations in source order, plus non-fatal findings."""

    root: str
    title: str
    operations: tuple[Operation, ...]
    sections: tuple[Section, ...] = ()
    parameter_files: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = field(default=())

    def actions(self) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.is_action)
