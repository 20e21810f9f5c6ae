"""Action names and body trees of an operation, from its samples.

``POST .../action`` endpoints are told apart by the single top-level key of
the request body (``migration_start``), which only the request sample shows.
When a role has several samples (a page showing variants), the first JSON one
gives the body's nesting.
"""

from __future__ import annotations

from dataclasses import replace

from manila_ssm.apiref import rules
from manila_ssm.apiref._bodies import flat_body, infer_body, top_level_keys
from manila_ssm.apiref._context import Context
from manila_ssm.model import BodyNode, Operation, Parameter, Sample


def is_action_path(method: str, path: str) -> bool:
    return method == "POST" and path.rstrip("/").endswith("/action")


def _action(ctx: Context, operation: Operation) -> str | None:
    if not is_action_path(operation.method, operation.path):
        return None
    sample = next((s for s in operation.request_samples if isinstance(s.body, dict)), None)
    if sample is None:
        ctx.add(
            rules.finding(
                "action-unknown",
                operation.location,
                f"`{operation.title}` posts to an action endpoint but has no JSON request sample naming the action",
            )
        )
        return None
    keys = top_level_keys(sample.body)
    if len(keys) != 1:
        ctx.add(
            rules.finding(
                "action-ambiguous",
                sample.location,
                f"the request sample `{sample.path}` of an action has {len(keys)} top-level keys "
                f"({', '.join(keys) or 'none'}); the first is taken as the action name",
            )
        )
    return keys[0] if keys else None


def _body(
    ctx: Context, samples: tuple[Sample, ...], declared: list[Parameter], action: str | None
) -> tuple[BodyNode, ...]:
    sample = next((s for s in samples if isinstance(s.body, (dict, list))), None)
    if sample is None:
        return flat_body(declared)
    inferred = infer_body(sample.body, declared, sample_name=sample.path, at=sample.location, action=action)
    ctx.findings.extend(inferred.findings)
    return inferred.body


def with_bodies(ctx: Context, operation: Operation) -> Operation:
    """``operation`` with ``action``, ``request_body`` and ``response_body`` filled in."""
    action = _action(ctx, operation)
    request = [p for p in operation.request_parameters if p.definition.in_ == "body"]
    response = [p for p in operation.response_parameters if p.definition.in_ == "body"]
    return replace(
        operation,
        action=action,
        request_body=_body(ctx, operation.request_samples, request, action),
        response_body=_body(ctx, operation.response_samples, response, None),
    )
