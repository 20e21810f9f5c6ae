"""The rules table: every kind of change has an id, a fixed classification and one function.

A rule function sees one matched pair (two documents, two operations, two
endpoints or two schema nodes, by its ``scopes``) and yields :class:`Draft` values:
what changed and where in each document. The dispatcher adds the rule id, the
classification and the operation/action names, as ``jsonschema`` does with
its keyword functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

Scope = Literal["document", "operation", "endpoint", "request", "response"]


@dataclass(frozen=True, slots=True)
class Draft:
    """What a rule function found; pointers are into the old and the new document."""

    subject: str
    message: str
    old_pointer: str | None
    new_pointer: str | None
    action: str | None = None  # set by operation-scope rules, whose pair has no action of its own


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    breaking: bool
    scopes: tuple[Scope, ...]
    summary: str
    check: Callable[..., Iterable[Draft]]


RULES: dict[str, Rule] = {}


def rule(rule_id: str, *, breaking: bool, scope: Scope | tuple[Scope, ...], summary: str) -> Callable[[Callable[..., Iterable[Draft]]], Callable[..., Iterable[Draft]]]:
    """Register a rule function under ``rule_id``; the summary is the README table's text."""

    def register(check: Callable[..., Iterable[Draft]]) -> Callable[..., Iterable[Draft]]:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id!r} registered twice")
        scopes = scope if isinstance(scope, tuple) else (scope,)
        RULES[rule_id] = Rule(rule_id, breaking, scopes, summary, check)
        return check

    return register
