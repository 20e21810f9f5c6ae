"""One OpenAPI operation from one or more ``rest_method`` sections of the same method + path.

A family of ``POST .../action`` sections becomes one operation: its request
body is ``oneOf`` the per-action bodies (OpenStack's convention), responses
are per status code with ``oneOf`` the per-action response bodies, and our
per-action facts go under the ``x-ssm`` extension. Ordinary sections map to
ordinary operations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from manila_ssm.builder import naming
from manila_ssm.builder.options import BuildOptions
from manila_ssm.builder.schemas import body_schema, parameter_schema, version_key, x_openstack_versions
from manila_ssm.errors import Finding, Location, Severity
from manila_ssm.model import Operation, Parameter, Sample

JSON = "application/json"
Where = Callable[[Location], str]


@dataclass(slots=True)
class Context:
    """What building one operation needs from the whole document (mutable: it collects)."""

    options: BuildOptions
    where: Where
    schemas: dict[str, Any]
    names: set[str]
    findings: list[Finding]


def build_operation(ops: Sequence[Operation], path: str, ctx: Context) -> dict[str, Any]:
    """The operation object for ``ops`` (all with the same method and path)."""
    actions = [op for op in ops if op.is_action]
    if actions:
        for op in ops:
            if not op.is_action:
                ctx.findings.append(_unmodelled(op, "its request sample does not show a single action key"))
        return _action_family(actions, path, ctx)
    return _ordinary(ops, path, ctx)


def _action_family(ops: Sequence[Operation], path: str, ctx: Context) -> dict[str, Any]:
    request_refs: list[dict[str, str]] = []
    request_examples: dict[str, Any] = {}
    by_code: dict[int, list[tuple[Operation, str | None]]] = {}
    meta: dict[str, Any] = {}
    error_codes: dict[int, str] = {}
    for op in ops:
        action = op.action or ""
        key = action if action not in meta else naming.unique(action, set(meta))
        if key != action:
            ctx.findings.append(_unmodelled(op, f"action {action!r} is documented twice; kept as {key!r}", Severity.WARNING))
        versions = x_openstack_versions(op.min_version, op.max_version)
        request_name = naming.unique(naming.action_schema_name(path, key, "request"), ctx.names)
        request = _action_request(op, action, ctx)
        request["x-openstack"] = {"action-name": action, **versions}
        ctx.schemas[request_name] = request
        request_refs.append({"$ref": f"#/components/schemas/{request_name}"})
        request_examples.update(_examples(op.request_samples, key, ctx.where))
        response_name = None
        if op.response_body:
            response_name = naming.unique(naming.action_schema_name(path, key, "response"), ctx.names)
            response = body_schema(op.response_body, ctx.options, ctx.findings, (op.min_version, op.max_version))
            if ctx.options.closed_action_responses:
                response["additionalProperties"] = False
            response["x-openstack"] = {"action-name": action}
            ctx.schemas[response_name] = response
        success = _success_code(op, ctx)
        by_code.setdefault(success, []).append((op, response_name))
        for status in op.error_codes:
            error_codes.setdefault(status.code, status.description)
        meta[key] = {
            "summary": op.title,
            "min-ver": op.min_version,
            "max-ver": op.max_version,
            "experimental": _experimental(op, ctx.options),
            "success-code": success,
            "error-codes": sorted({s.code for s in op.error_codes}),
            "request-schema": f"#/components/schemas/{request_name}",
            "response-schema": f"#/components/schemas/{response_name}" if response_name else None,
            "source": ctx.where(op.location),
            "errata": [],
        }
    responses: dict[str, Any] = {}
    for code, members in sorted(by_code.items()):
        responses[str(code)] = _success_response(code, members, ctx)
    for code, description in sorted(error_codes.items()):
        responses.setdefault(str(code), _error_response(description, ctx.options))
    names = ", ".join(meta)
    operation: dict[str, Any] = {
        "summary": f"Actions: {names}" if len(meta) > 1 else ops[0].title,
        "description": "\n\n".join(f"{key}: {m['summary']}" for key, m in meta.items()),
        "tags": [ops[0].section],
        "parameters": parameters_for(ops, path, ctx),
        "requestBody": {
            "required": True,
            "content": {
                JSON: {
                    "schema": {"oneOf": request_refs, "x-openstack": {"discriminator": "action"}},
                    **({"examples": request_examples} if request_examples else {}),
                }
            },
        },
        "responses": responses,
        "x-ssm": {"actions": meta},
    }
    return operation


def _action_request(op: Operation, action: str, ctx: Context) -> dict[str, Any]:
    body = body_schema(op.request_body, ctx.options, ctx.findings, (op.min_version, op.max_version))
    properties = body.get("properties", {})
    for extra in sorted(set(properties) - {action}):
        ctx.findings.append(_unmodelled(op, f"request key {extra!r} beside the action key {action!r} is not modelled", Severity.WARNING))
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {action: properties.get(action, {})},
        "required": [action],
        "additionalProperties": False,
        "title": op.title,
    }
    if op.description.strip():
        schema["description"] = op.description.strip()
    return schema


def _ordinary(ops: Sequence[Operation], path: str, ctx: Context) -> dict[str, Any]:
    op = ops[0]
    for other in ops[1:]:
        ctx.findings.append(
            _unmodelled(other, f"{other.method} {other.path} is documented again (first at {ctx.where(op.location)}); merged", Severity.INFO)
        )
    operation: dict[str, Any] = {"summary": op.title, "tags": [op.section], "parameters": parameters_for(ops, path, ctx)}
    if op.description.strip():
        operation["description"] = op.description.strip()
    request_body = _versioned_body(ops, "request", ctx)
    if request_body is not None:
        name = naming.unique(naming.operation_schema_name(path, op.method, "request", ctx.options.optional_path_parameter), ctx.names)
        ctx.schemas[name], samples = request_body
        operation["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{name}"}, **_examples_block(samples, "request", ctx.where)}},
        }
    responses: dict[str, Any] = {}
    response_name = None
    response_body = _versioned_body(ops, "response", ctx)
    response_samples: tuple[Sample, ...] = ()
    if response_body is not None:
        response_name = naming.unique(naming.operation_schema_name(path, op.method, "response", ctx.options.optional_path_parameter), ctx.names)
        ctx.schemas[response_name], response_samples = response_body
    for variant in ops:
        for status in variant.success_codes:
            if str(status.code) in responses:
                continue
            response = _error_response(status.description, ctx.options, fault=False)
            if response_name and status.code not in (204, 304):
                response["content"] = {JSON: {"schema": {"$ref": f"#/components/schemas/{response_name}"}, **_examples_block(response_samples, "response", ctx.where)}}
            responses[str(status.code)] = response
        for status in variant.error_codes:
            responses.setdefault(str(status.code), _error_response(status.description, ctx.options))
    if not responses:
        ctx.findings.append(_unmodelled(op, "no rest_status_code lists a status; documented as 'default'", Severity.WARNING))
        responses["default"] = {"description": "No status codes are documented."}
    operation["responses"] = responses
    versions = x_openstack_versions(op.min_version, op.max_version)
    if versions:
        operation["x-openstack"] = versions
    operation["x-ssm"] = {
        "operations": [
            {
                "summary": o.title,
                "min-ver": o.min_version,
                "max-ver": o.max_version,
                "experimental": _experimental(o, ctx.options),
                "success-codes": sorted({s.code for s in o.success_codes}),
                "error-codes": sorted({s.code for s in o.error_codes}),
                "source": ctx.where(o.location),
                "errata": [],
            }
            for o in ops
        ]
    }
    return operation


def _versioned_body(ops: Sequence[Operation], role: str, ctx: Context) -> tuple[dict[str, Any], tuple[Sample, ...]] | None:
    """The ``role`` body schema of one operation documented by several sections, and its samples.

    Sections for different microversion ranges whose bodies differ become
    ``oneOf`` the per-range bodies with ``x-openstack: {discriminator:
    microversion}``, each alternative carrying its ``min-ver``/``max-ver``
    (OpenStack's convention); otherwise the first section's body stands.
    """
    with_body = [o for o in ops if getattr(o, f"{role}_body")]
    if not with_body:
        return None
    ranges = {(o.min_version, o.max_version) for o in with_body}
    first = with_body[0]
    single = body_schema(getattr(first, f"{role}_body"), ctx.options, ctx.findings, _scope(ops))
    if len(with_body) == 1 or len(ranges) < len(with_body):
        return single, getattr(first, f"{role}_samples")
    alternatives = []
    for o in sorted(with_body, key=lambda o: (version_key(o.min_version), version_key(o.max_version))):
        # The first section's findings were collected with ``single``.
        alternative = body_schema(getattr(o, f"{role}_body"), ctx.options, [] if o is first else ctx.findings, (o.min_version, o.max_version))
        alternative["x-openstack"] = x_openstack_versions(o.min_version, o.max_version)
        alternatives.append(alternative)
    if all({k: v for k, v in a.items() if k != "x-openstack"} == {k: v for k, v in alternatives[0].items() if k != "x-openstack"} for a in alternatives):
        return single, getattr(first, f"{role}_samples")
    samples = tuple(sample for o in with_body for sample in getattr(o, f"{role}_samples"))
    return {"oneOf": alternatives, "x-openstack": {"discriminator": "microversion"}}, samples


def _scope(ops: Sequence[Operation]) -> tuple[str | None, str | None]:
    """The microversion range the sections of one operation cover together (open when any is open)."""
    lows = [op.min_version for op in ops]
    highs = [op.max_version for op in ops]
    low = None if any(v is None for v in lows) else min(lows, key=version_key)  # type: ignore[arg-type]
    high = None if any(v is None for v in highs) else max(highs, key=version_key)  # type: ignore[arg-type]
    return low, high


def _success_code(op: Operation, ctx: Context) -> int:
    if op.success_codes:
        return op.success_codes[0].code
    ctx.findings.append(_unmodelled(op, "no success status code is listed; assuming 200", Severity.WARNING))
    return 200


def _success_response(code: int, members: list[tuple[Operation, str | None]], ctx: Context) -> dict[str, Any]:
    description = next((s.description for op, _ in members for s in op.success_codes if s.code == code), "")
    response = _error_response(description, ctx.options, fault=False)
    refs = [{"$ref": f"#/components/schemas/{name}"} for _, name in members if name]
    if refs:
        examples: dict[str, Any] = {}
        for op, name in members:
            if name:
                examples.update(_examples(op.response_samples, op.action or "", ctx.where))
        schema = refs[0] if len(refs) == 1 else {"oneOf": refs}
        response["content"] = {JSON: {"schema": schema, **({"examples": examples} if examples else {})}}
    return response


def _error_response(description: str, options: BuildOptions, fault: bool = True) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description.strip() or "See the API reference."}
    if options.response_headers:
        response["headers"] = {name: {"$ref": f"#/components/headers/{name}"} for name in options.response_headers}
    if fault and options.error_schema is not None:
        response["content"] = {JSON: {"schema": {"$ref": "#/components/schemas/Fault"}}}
    return response


def parameters_for(ops: Sequence[Operation], path: str, ctx: Context) -> list[dict[str, Any]]:
    """Path, query and header parameters of ``ops`` for the URL ``path``.

    Path parameters follow the URL: declared ones it lacks are left out and
    variables nobody declared are added as strings (the parser reports both).
    A query or header parameter is required only if every section requires it.
    """
    variables = naming.path_variables(path)
    declared: dict[tuple[str, str], Parameter] = {}
    sections: dict[tuple[str, str], list[bool]] = {}
    for op in ops:
        for parameter in op.request_parameters:
            key = (parameter.name, parameter.definition.in_)
            if key[1] == "body" or (key[1] == "path" and key[0] not in variables):
                continue
            declared.setdefault(key, parameter)
            sections.setdefault(key, []).append(parameter.definition.required)
    out = []
    for name in dict.fromkeys(variables):
        parameter = declared.pop((name, "path"), None)
        out.append(_parameter(parameter, ctx) if parameter else {"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
    headers: set[str] = set()
    for key, parameter in declared.items():
        if key[1] == "header":
            # HTTP header names are case-insensitive: two spellings are one parameter.
            if key[0].lower() in headers:
                ctx.findings.append(_unmodelled(ops[0], f"header {key[0]!r} is listed twice (in another letter case); kept once", Severity.INFO))
                continue
            headers.add(key[0].lower())
        rendered = _parameter(parameter, ctx)
        rendered["required"] = len(sections[key]) == len(ops) and all(sections[key])
        out.append(rendered)
    header = ctx.options.microversion_header
    if header and header.lower() not in headers:
        out.append(microversion_parameter(header, ctx.options.microversion_service))
    return out


def microversion_parameter(header: str, service: str | None) -> dict[str, Any]:
    """The service's microversion header as an optional parameter (absent: the minimum version)."""
    value = r"([0-9]+\.[0-9]+|latest)"
    pattern = f"^{service} {value}$" if service else f"^{value}$"
    example = f"{service} X.Y" if service else "X.Y"
    return {
        "name": header,
        "in": "header",
        "required": False,
        "description": f"The microversion to use (`{example}` or `latest`); without it the service uses its minimum.",
        "schema": {"type": "string", "pattern": pattern},
    }


def _parameter(parameter: Parameter, ctx: Context) -> dict[str, Any]:
    definition = parameter.definition
    schema = parameter_schema(parameter, ctx.options, ctx.findings)
    versions = x_openstack_versions(definition.min_version, definition.max_version)
    out: dict[str, Any] = {
        "name": parameter.name,
        "in": definition.in_,
        "required": True if definition.in_ == "path" else definition.required,
        "schema": schema,
    }
    if definition.description.strip():
        out["description"] = definition.description.strip()
    if versions:
        out["x-openstack"] = versions
    return out


def _experimental(op: Operation, options: BuildOptions) -> bool:
    """Experimental when the section requires a header named like ``*-Experimental``."""
    return any(
        p.definition.in_ == "header" and p.definition.required and p.name.lower().endswith("-experimental")
        for p in op.request_parameters
    )


def _examples(samples: Sequence[Sample], key: str, where: Where) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for index, sample in enumerate(samples):
        name = key if index == 0 else f"{key}_{index + 1}"
        out[name] = {"summary": where(Location(sample.path)), "value": sample.body}
    return out


def _examples_block(samples: Sequence[Sample], role: str, where: Where) -> dict[str, Any]:
    examples = _examples(samples, role, where)
    return {"examples": examples} if examples else {}


def _unmodelled(op: Operation, message: str, severity: Severity = Severity.WARNING) -> Finding:
    return Finding("SSM-BUILD-UNMODELLED", severity, op.location, f"{op.title!r}: {message}")
