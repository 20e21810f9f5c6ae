"""Reports by requirement: a JSON document, a Markdown page with the action matrix, terminal lines.

Input is the catalogue and the records the tests produced; the functions here
are pure (``report_files`` writes them, with the HTML and JUnit reports). The
verdict is :mod:`manila_ssm.suite.verdict`'s.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from manila_ssm.suite.catalogue import Catalogue, Requirement
from manila_ssm.suite.contract import ACTIONS, SHORT
from manila_ssm.suite.outcomes import Outcome, Record, worst
from manila_ssm.suite.verdict import DECIDED, Judgement, Verdict, judge

_SYMBOL = {
    Outcome.PASS: "pass", Outcome.FAIL: "**FAIL**", Outcome.SKIP: "skip", Outcome.KNOWN_DEFECT: "defect",
    Outcome.ERROR: "**ERROR**", Outcome.NOT_RUN: "-",
}


@dataclass(frozen=True, slots=True)
class RequirementResult:
    requirement: Requirement
    outcome: Outcome
    records: tuple[Record, ...]
    tests: tuple[str, ...]
    by_action: Mapping[str, Outcome]

    @property
    def requirement_id(self) -> str:
        return self.requirement.id

    @property
    def message(self) -> str:
        for record in self.records:
            if record.outcome == self.outcome and record.message:
                return record.message
        return ""


@dataclass(frozen=True, slots=True)
class Summary:
    results: tuple[RequirementResult, ...]
    counts: Mapping[str, int] = field(default_factory=dict)
    judgement: Judgement = field(default_factory=lambda: judge(()))

    @property
    def verdict(self) -> Verdict:
        return self.judgement.verdict

    @property
    def checked(self) -> bool:
        """At least one requirement was decided (held, failed, or is a known defect)."""
        return any(r.outcome in DECIDED for r in self.results)

    def with_outcome(self, outcome: Outcome) -> list[RequirementResult]:
        return [r for r in self.results if r.outcome == outcome]


@dataclass(frozen=True, slots=True)
class Context:
    config: Mapping[str, Any]
    contract: str
    target: str
    max_version: str | None
    seed: int | None
    command: str
    waited: float = 0.0
    requests: int = 0
    http_seconds: float = 0.0


def summarise(catalogue: Catalogue, records: Iterable[Record], tests: Mapping[str, Sequence[str]]) -> Summary:
    by_requirement: dict[str, list[Record]] = {}
    for record in records:
        by_requirement.setdefault(record.requirement, []).append(record)
    results = []
    for requirement in catalogue:
        mine = by_requirement.get(requirement.id, [])
        by_action = {}
        for action in requirement.actions:
            relevant = [r.outcome for r in mine if r.action in (action, None)]
            by_action[action] = worst(relevant)
        results.append(RequirementResult(
            requirement, worst(r.outcome for r in mine), tuple(mine), tuple(tests.get(requirement.id, ())), by_action,
        ))
    counts = Counter(str(r.outcome) for r in results)
    return Summary(tuple(results), {str(o): counts.get(str(o), 0) for o in Outcome}, judge(results))


def counts_text(summary: Summary) -> str:
    return ", ".join(f"{n} {name}" for name, n in summary.counts.items() if n)


def verdict_line(summary: Summary) -> str:
    judgement = summary.judgement
    line = f"verdict: target {judgement.verdict.title} ({counts_text(summary)})"
    if judgement.verdict == Verdict.INCOMPLETE:
        decided = "no requirement was decided" if not summary.checked else \
            f"{len(judgement.undecided)} of {len(summary.results)} requirements undecided"
        line += f": {decided}; see what would decide them above"
    elif judgement.verdict == Verdict.DOES_NOT_CONFORM and judgement.undecided:
        line += f"; {len(judgement.undecided)} more undecided"
    return line


def terminal_lines(summary: Summary) -> list[str]:
    lines = []
    for result in summary.results:
        if result.outcome in (Outcome.FAIL, Outcome.ERROR, Outcome.KNOWN_DEFECT):
            lines.append(f"{str(result.outcome).upper():13} {result.requirement.id}: {result.message[:160]}")
    for needed, ids in summary.judgement.by_needs().items():
        lines.append(f"UNDECIDED     {len(ids)}, to decide: {needed}")
        lines += textwrap.wrap(", ".join(ids), width=110, initial_indent=" " * 14,
                               subsequent_indent=" " * 14, break_on_hyphens=False)
    return lines


def to_json(summary: Summary, context: Context) -> dict[str, Any]:
    return {
        "tool": "manila-ssm-conformance",
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "verdict": str(summary.verdict),
        "verdict_meaning": summary.verdict.meaning,
        "exit_code": summary.verdict.exit_code,
        "counts": dict(summary.counts),
        "target": context.target,
        "contract": context.contract,
        "max_version": context.max_version,
        "seed": context.seed,
        "reproduce": context.command,
        "waited_s": round(context.waited, 3),
        "requests": context.requests,
        "http_s": round(context.http_seconds, 3),
        "configuration": dict(context.config),
        "undecided": [item.to_dict() for item in summary.judgement.undecided],
        "requirements": [
            {
                "id": r.requirement.id,
                "statement": r.requirement.statement,
                "source": r.requirement.source,
                "actions": list(r.requirement.actions),
                "known_defect": r.requirement.defect.id if r.requirement.defect else None,
                "outcome": str(r.outcome),
                "by_action": {a: str(o) for a, o in r.by_action.items()},
                "tests": list(r.tests),
                "results": [record.to_dict() for record in r.records],
            }
            for r in summary.results
        ],
    }


def _evidence_block(record: Record) -> list[str]:
    lines = []
    for exchange in record.evidence[:3]:
        request, response = exchange["request"], exchange["response"]
        lines += ["```http", f"{request['method']} {request['url']}"]
        lines += [f"{k}: {v}" for k, v in request["headers"].items()]
        if request["body"]:
            lines += ["", request["body"][:600]]
        status = response["status"] if response["status"] is not None else f"(no response: {response['error']})"
        lines += ["", f"=> {status}"]
        lines += [f"{k}: {v}" for k, v in response["headers"].items()]
        if response["body"]:
            lines += ["", response["body"][:600]]
        lines += ["```", ""]
    return lines


def to_markdown(summary: Summary, context: Context) -> str:
    lines = [
        "# Manila share server migration: conformance report",
        "",
        f"**{verdict_line(summary)}**",
        "",
        f"{summary.verdict.title}: {summary.verdict.meaning}.",
        "",
        f"- target: `{context.target}` (maximum microversion {context.max_version or 'unknown'})",
        f"- contract: `{context.contract}`",
        f"- seed: `{context.seed}`; reproduce with `{context.command}`",
        "",
    ]
    groups = summary.judgement.by_needs()
    if groups:
        lines += ["## Undecided: what would decide them", ""]
        for needed, ids in groups.items():
            lines += [f"- **{needed}**: " + ", ".join(f"`{i}`" for i in ids)]
        lines.append("")
    lines += [
        "## Requirements by action",
        "",
        "| requirement | " + " | ".join(SHORT[a].lower() for a in ACTIONS) + " | overall |",
        "|---|" + "---|" * (len(ACTIONS) + 1),
    ]
    for result in summary.results:
        cells = [_SYMBOL[result.by_action[a]] if a in result.by_action else "" for a in ACTIONS]
        lines.append(f"| `{result.requirement.id}` | " + " | ".join(cells) + f" | {_SYMBOL[result.outcome]} |")
    lines += ["", "## Details", ""]
    for result in summary.results:
        req = result.requirement
        if result.outcome in (Outcome.PASS, Outcome.NOT_RUN, Outcome.SKIP):
            continue  # skips and not-run are listed above by what would decide them
        lines += [f"### `{req.id}`: {result.outcome}", "", f"{req.statement}. Source: {req.source}.", ""]
        if result.message:
            lines += [f"> {result.message}", ""]
        decisive = [r for r in result.records if r.outcome == result.outcome]
        for record in decisive[:1]:
            lines += [f"Test: `{record.test}`", ""] + _evidence_block(record)
    lines += ["## Catalogue", "", "| id | statement | source | tests |", "|---|---|---|---|"]
    for result in summary.results:
        req = result.requirement
        tests = "<br>".join(f"`{t}`" for t in result.tests) or "(none run)"
        lines.append(f"| `{req.id}` | {req.statement} | {req.source} | {tests} |")
    return "\n".join(lines) + "\n"
