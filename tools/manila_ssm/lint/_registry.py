"""Lint checks: small functions keyed by rule id, and the dispatcher that runs them.

A check sees the whole :class:`Subject` (the parsed tree and what came with it)
and yields :class:`Hit` values: where and what. The dispatcher turns each hit
into a :class:`~manila_ssm.errors.Finding` with the rule's severity and (unless
the hit gives its own) the rule's hint, as ``jsonschema`` does with its keyword
functions and ``validators`` mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from manila_ssm.apiref import rules
from manila_ssm.errors import Finding, Location
from manila_ssm.lint import _catalogue  # noqa: F401 - registers the lint rules
from manila_ssm.lint._errata import Claim
from manila_ssm.model import ApiRef


@dataclass(frozen=True, slots=True)
class Hit:
    location: Location
    message: str
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class Subject:
    """What the checks look at: the model, its root folder, and the errata claims (if any)."""

    api: ApiRef
    root: Path
    whole_tree: bool
    claims: tuple[Claim, ...] = ()


Check = Callable[[Subject], Iterable[Hit]]
CHECKS: dict[str, Check] = {}


def check(rule_id: str) -> Callable[[Check], Check]:
    """Register ``func`` as the check of ``rule_id`` (a rule of the catalogue)."""

    def register(func: Check) -> Check:
        if rule_id not in rules.RULES:
            raise ValueError(f"check for unknown rule {rule_id!r}")
        if rule_id in CHECKS:
            raise ValueError(f"rule {rule_id!r} has two checks")
        CHECKS[rule_id] = func
        return func

    return register


def run_checks(subject: Subject) -> Iterator[Finding]:
    """Every check's hits as findings, check by check in registration order."""
    for rule_id, func in CHECKS.items():
        for hit in func(subject):
            yield rules.finding(rule_id, hit.location, hit.message, hit.hint)
