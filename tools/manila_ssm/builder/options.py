"""What a build may vary without service-specific code: the builder's options.

Everything Manila-specific (the optional ``{project_id}`` URL segment, the
echoed response headers, the fault body, the named schemas that
``parameters.yaml`` entries select with ``format:``) is data, loaded from
``spec/build-options.yaml`` for Manila's tree; another service's tree builds with
the options ``manila_ssm.builder.detect`` reads from it (or ``--options``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manila_ssm.errors import Finding, Location, Severity, SpecError


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """Knobs of the OpenAPI builder; the defaults suit any os-api-ref tree.

    ``named_schemas`` maps a ``format:`` value of ``parameters.yaml`` to the
    JSON Schema it stands for (os-api-ref has no other place for patterns,
    enums or unions); a format not named here is emitted as JSON Schema
    ``format``.
    """

    title: str = "API reference"
    optional_path_parameter: str | None = None
    security_header: str | None = "X-Auth-Token"
    response_headers: Mapping[str, Any] = field(default_factory=dict)
    named_schemas: Mapping[str, Any] = field(default_factory=dict)
    error_schema: Mapping[str, Any] | None = None
    schema_id_prefix: str = "urn:openstack:api-ref:schema"
    closed_action_responses: bool = False
    microversion_header: str | None = None
    """A header every operation accepts (``X-OpenStack-Nova-API-Version``), added where a page does not list it."""
    microversion_service: str | None = None
    """With ``microversion_header: OpenStack-API-Version``, the service type its value starts with (``placement``)."""


_KEYS = {
    "title": str,
    "optional_path_parameter": (str, type(None)),
    "security_header": (str, type(None)),
    "response_headers": dict,
    "named_schemas": dict,
    "error_schema": (dict, type(None)),
    "schema_id_prefix": str,
    "closed_action_responses": bool,
    "microversion_header": (str, type(None)),
    "microversion_service": (str, type(None)),
}


def load_options(path: Path) -> BuildOptions:
    """Read build options from a YAML mapping; unknown keys are errors, not ignored."""
    import yaml  # imported here: a rebuild that has the options kept (builder.commands) needs no PyYAML

    from manila_ssm.yamlio import FastSafeLoader

    where = Location(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SpecError(_finding(where, f"cannot read build options: {error.strerror}")) from None
    try:
        try:
            data = yaml.load(text, Loader=FastSafeLoader)
        except yaml.YAMLError:
            data = yaml.safe_load(text)  # PyYAML's own loader says what is wrong, in its words
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise SpecError(_finding(Location(str(path), line), f"malformed YAML: {error}")) from None
    if not isinstance(data, dict):
        raise SpecError(_finding(where, "build options must be a YAML mapping"))
    findings = []
    for key, value in data.items():
        expected = _KEYS.get(key)
        if expected is None:
            findings.append(_finding(where, f"unknown build option {key!r}", f"use one of: {', '.join(_KEYS)}"))
        elif not isinstance(value, expected):
            findings.append(_finding(where, f"build option {key!r} has the wrong type"))
    if findings:
        raise SpecError(findings)
    return BuildOptions(**data)


def _finding(where: Location, message: str, hint: str = "") -> Finding:
    return Finding("SSM-BUILD-OPTIONS", Severity.ERROR, where, message, hint)
