"""The HTML conformance report: one self-contained page to hand to a customer or attach to a certification.

The verdict and its meaning come first, then the run (target, versions,
contract, seed, the command that repeats it), what would decide each
undecided requirement, every failure and known defect with its evidence
(bodies pretty-printed, secrets masked, request ids picked out), and the
requirement x action matrix with filters. Everything is inline and the page's
Content-Security-Policy forbids every fetch, so it works offline, from a file
or an e-mail attachment. Jinja2 autoescapes everything a target sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2

from manila_ssm.suite.contract import ACTIONS, SHORT
from manila_ssm.suite.evidence import ExchangeView
from manila_ssm.suite.outcomes import Outcome
from manila_ssm.suite.reports import Context, RequirementResult, Summary, counts_text

SHOWN_WITH_EVIDENCE = (Outcome.FAIL, Outcome.ERROR, Outcome.KNOWN_DEFECT)


@dataclass(frozen=True, slots=True)
class Finding:
    """A failure, error or known defect, with the records that show it."""

    id: str
    outcome: str
    statement: str
    source: str
    message: str
    defect: str | None
    tests: tuple[str, ...]
    exchanges: tuple[ExchangeView, ...]


def _finding(result: RequirementResult) -> Finding:
    decisive = [r for r in result.records if r.outcome == result.outcome]
    exchanges = tuple(ExchangeView.of(e) for record in decisive[:3] for e in record.evidence[:3])
    defect = next((r.defect for r in decisive if r.defect), None)
    return Finding(result.requirement.id, str(result.outcome), result.requirement.statement,
                   result.requirement.source, result.message, defect,
                   tuple(dict.fromkeys(r.test for r in decisive)), exchanges)


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("manila_ssm.suite", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def to_html(summary: Summary, context: Context) -> str:
    """The report page of a run."""
    versions = str(dict(context.config).get("microversions") or "")
    page: dict[str, Any] = {
        "verdict": summary.verdict,
        "counts": counts_text(summary),
        "context": context,
        "versions": versions,
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "needs": summary.judgement.by_needs(),
        "findings": [_finding(r) for r in summary.results if r.outcome in SHOWN_WITH_EVIDENCE],
        "actions": [(a, SHORT[a].lower()) for a in ACTIONS],
        "results": summary.results,
        "outcomes": [str(o) for o in Outcome],
        "undecided": {u.requirement: u.needs for u in summary.judgement.undecided},
    }
    return _environment().get_template("conformance.html.j2").render(page=page)
