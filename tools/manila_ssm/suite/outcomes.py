"""What one check of one requirement came to, and the evidence behind it.

Five outcomes are kept apart in every report: a requirement that held, one the
target broke, one that does not apply to this target (with the target property
that makes it so), one that matches a known upstream defect (with its id), and
one the suite could not decide because the suite itself broke.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class Outcome(enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    KNOWN_DEFECT = "known-defect"
    ERROR = "error"
    NOT_RUN = "not-run"

    def __str__(self) -> str:
        return self.value


# Worst first: a requirement's overall outcome is the worst of its records.
_SEVERITY_ORDER = (
    Outcome.FAIL,
    Outcome.ERROR,
    Outcome.KNOWN_DEFECT,
    Outcome.PASS,
    Outcome.SKIP,
    Outcome.NOT_RUN,
)


def worst(outcomes: Iterable[Outcome]) -> Outcome:
    """The outcome that decides a requirement checked by several tests."""
    seen = set(outcomes)
    for outcome in _SEVERITY_ORDER:
        if outcome in seen:
            return outcome
    return Outcome.NOT_RUN


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP request and what came back, secrets already redacted.

    ``status`` is ``None`` when no response arrived; ``error`` then says why
    (timeout, connection reset, ...). ``json`` is the parsed body or ``None``.
    """

    method: str
    url: str
    request_headers: Mapping[str, str]
    request_body: str
    status: int | None
    response_headers: Mapping[str, str]
    response_body: str
    json: Any = None
    json_ok: bool = False
    error: str | None = None
    elapsed: float = 0.0

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.response_headers.items():
            if key.lower() == lowered:
                return value
        return None

    def summary(self) -> str:
        answer = f"{self.status}" if self.status is not None else f"no response ({self.error})"
        return f"{self.method} {self.url} -> {answer}"

    def to_dict(self, excerpt: int | None = None) -> dict[str, Any]:
        """The exchange as report evidence; ``excerpt`` shortens the bodies (passes need less)."""
        return {
            "request": {
                "method": self.method,
                "url": self.url,
                "headers": dict(self.request_headers),
                "body": self.request_body[:excerpt],
            },
            "response": {
                "status": self.status,
                "headers": dict(self.response_headers),
                "body": self.response_body[:excerpt],
                "error": self.error,
                "elapsed_s": round(self.elapsed, 3),
            },
        }


@dataclass(frozen=True, slots=True)
class Record:
    """One verdict on one requirement by one test, as stored in the reports."""

    requirement: str
    outcome: Outcome
    test: str
    message: str = ""
    defect: str | None = None
    action: str | None = None
    evidence: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement,
            "outcome": str(self.outcome),
            "test": self.test,
            "message": self.message,
            "defect": self.defect,
            "action": self.action,
            "evidence": list(self.evidence),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Record:
        return cls(
            requirement=data["requirement"],
            outcome=Outcome(data["outcome"]),
            test=data["test"],
            message=data.get("message", ""),
            defect=data.get("defect"),
            action=data.get("action"),
            evidence=tuple(data.get("evidence", ())),
        )


class RequirementFailure(AssertionError):
    """The target broke a requirement; pytest reports it as FAILED, not ERROR."""

    def __init__(
        self, requirement: str, message: str, exchanges: tuple[Exchange, ...] = ()
    ) -> None:
        self.requirement = requirement
        self.message = message
        self.exchanges = exchanges
        lines = [f"[{requirement}] {message}"]
        lines += [f"  evidence: {exchange.summary()}" for exchange in exchanges]
        for exchange in exchanges[-1:]:
            if exchange.response_body:
                lines.append(f"  response body: {exchange.response_body[:300]}")
        super().__init__("\n".join(lines))


@dataclass(slots=True)
class RecordSink:
    """The records one test produced, kept on the pytest item."""

    test: str
    records: list[Record] = field(default_factory=list)
    #: failures recorded without stopping the test; the plugin fails the test with them at the end
    deferred: list[RequirementFailure] = field(default_factory=list)

    def add(self, record: Record) -> None:
        self.records.append(record)

    def recorded(self) -> set[str]:
        return {record.requirement for record in self.records}
