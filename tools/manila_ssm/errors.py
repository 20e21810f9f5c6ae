"""Findings and errors that carry the place in a source file they are about.

Nothing below the CLI or the pytest report prints: code collects ``Finding``
values and, where they are fatal, raises ``SpecError`` with all of them. The
edges turn them into text with :func:`Finding.format`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from manila_ssm._pickling import by_fields


@by_fields
@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A place in a source file; ``line`` is 1-based, ``None`` for the whole file."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


class Severity(enum.IntEnum):
    """Ordered so that ``severity >= threshold`` selects what is at least as bad."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(str(s) for s in cls)
            raise ValueError(f"unknown severity {text!r}; use one of: {choices}") from None


@by_fields
@dataclass(frozen=True, slots=True)
class Finding:
    """One defect in a source: what rule, how bad, where, what, and how to fix it."""

    rule_id: str
    severity: Severity
    location: Location
    message: str
    hint: str = ""

    def format(self) -> str:
        text = f"{self.location}: {self.severity}: {self.message} [{self.rule_id}]"
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class SpecError(Exception):
    """Input that cannot be turned into a model; carries every finding that made it so."""

    def __init__(self, findings: Sequence[Finding] | Finding) -> None:
        self.findings: tuple[Finding, ...] = (
            (findings,) if isinstance(findings, Finding) else tuple(findings)
        )
        super().__init__("\n".join(f.format() for f in self.findings))


def raise_if_errors(findings: Iterable[Finding]) -> None:
    """Raise ``SpecError`` with every error-severity finding, if there is any."""
    errors = [f for f in findings if f.severity >= Severity.ERROR]
    if errors:
        raise SpecError(errors)
