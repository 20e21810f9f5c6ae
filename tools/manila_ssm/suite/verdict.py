"""The verdict of a conformance run, and what would decide each requirement it left open.

A run CONFORMS only when every requirement of the catalogue was decided (it
held, or it is a known upstream defect) and none failed. A run where nothing
failed but something was left undecided (skipped for want of a token, a
server or a destination; declared by a test that never checked it; not
selected; or stopped by an error of the suite or the transport) is
INCOMPLETE, never a pass. Each undecided requirement carries what would
decide it: taken from its skip reason (tests name the flag or setup they
lacked) through :data:`NEEDS_RULES`, or, where no reason says so, from
:data:`REQUIREMENT_NEEDS`.
"""

from __future__ import annotations

import enum
import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from manila_ssm.cli_support import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK
from manila_ssm.suite.outcomes import Outcome, Record

DECIDED = frozenset({Outcome.PASS, Outcome.KNOWN_DEFECT, Outcome.FAIL})
UNDECIDED = frozenset({Outcome.SKIP, Outcome.NOT_RUN, Outcome.ERROR})


class Verdict(enum.Enum):
    CONFORMS = "conforms"
    INCOMPLETE = "incomplete"
    DOES_NOT_CONFORM = "does-not-conform"

    def __str__(self) -> str:
        return self.value

    @property
    def title(self) -> str:
        return self.value.upper().replace("-", " ")

    @property
    def meaning(self) -> str:
        return _MEANING[self]

    @property
    def exit_code(self) -> int:
        return {Verdict.CONFORMS: EXIT_OK, Verdict.INCOMPLETE: EXIT_INCOMPLETE,
                Verdict.DOES_NOT_CONFORM: EXIT_FINDINGS}[self]


_MEANING = {
    Verdict.CONFORMS: "every requirement of the catalogue was checked and holds "
                      "(known upstream defects are reported as such, never as passes)",
    Verdict.INCOMPLETE: "nothing failed, but some requirements were not decided: the target cannot be said "
                        "to conform until they are; each one below says what would decide it",
    Verdict.DOES_NOT_CONFORM: "the target broke at least one requirement; each failure below has its evidence",
}

# A skip reason -> what would decide the requirement. Reasons are written by the conformance tests
# and name what they lacked; these rules turn the common ones into one short, grouped instruction.
NEEDS_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern, re.IGNORECASE), needs) for pattern, needs in (
    (r"--ssm-member-token|non-admin credentials",
     "a non-admin token: --member-token (SSM_MEMBER_TOKEN) or --member-cloud"),
    (r"no destination host on another backend",
     "a destination host on another back end than the source servers: --dest-hosts host@backend"),
    (r"reports \S+ incompatible with share server",
     "a destination the target reports compatible with the source: another --dest-hosts host@backend"),
    (r"stateful|random sequences",
     "share servers with the `stateful` role in --servers-file (or a target with the fixture API)"),
    (r"fixture API",
     "servers the suite may create or migrate: a target with the fixture API, or --server-ids / "
     "--servers-file"),
    (r"--ssm-server-ids|--ssm-servers-file|no more servers were named",
     "more share servers the suite may migrate: --server-ids or --servers-file "
     "(roles migrate, cancel, spare, idle, stateful)"),
    (r"shows no host@backend",
     "share servers whose `host` is host@backend (an admin token sees it)"),
    (r"not reached: the test stopped at known upstream defect",
     "a test that reaches it past the known upstream defect the test stopped at (a target without that defect)"),
    (r"not reached: the test stopped at",
     "the failure before it fixed: the test stopped at an earlier failed requirement"),
))

# Requirement id pattern -> what decides it, for an undecided requirement whose reason says nothing usable.
REQUIREMENT_NEEDS: tuple[tuple[str, str], ...] = (
    ("SSM-*-POLICY-403", "a non-admin token: --member-token (SSM_MEMBER_TOKEN) or --member-cloud"),
    ("SSM-STATEFUL-*", "share servers with the `stateful` role in --servers-file (or a target with the fixture API)"),
    ("SSM-*-FUZZ-*", "an idle share server the suite may use: --server-ids or --servers-file"),
    ("SSM-CANCEL-OUTCOME", "a share server for the cancel scenario (role `cancel` in --servers-file) and a "
                           "compatible destination (--dest-hosts)"),
    ("SSM-*", "a share server to migrate (--server-ids / --servers-file, role `migrate`) and a destination "
              "the target reports compatible (--dest-hosts)"),
)

NOT_SELECTED = "a run that selects them: this run left them out (--requirements / -k)"


class _Result(Protocol):
    """What the verdict reads of one requirement's result (``reports.RequirementResult``)."""

    @property
    def outcome(self) -> Outcome: ...

    @property
    def message(self) -> str: ...

    @property
    def tests(self) -> tuple[str, ...]: ...

    @property
    def requirement_id(self) -> str: ...

    @property
    def by_action(self) -> Mapping[str, Outcome]: ...

    @property
    def records(self) -> tuple[Record, ...]: ...


@dataclass(frozen=True, slots=True)
class Undecided:
    """A requirement the run left open, why, and what would decide it."""

    requirement: str
    outcome: Outcome
    reason: str
    needs: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.requirement, "outcome": str(self.outcome), "reason": self.reason, "needs": self.needs}


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    undecided: tuple[Undecided, ...]
    failed: tuple[str, ...]

    def by_needs(self) -> dict[str, list[str]]:
        """Undecided requirement ids grouped by what would decide them, largest group first."""
        groups: dict[str, list[str]] = {}
        for item in self.undecided:
            groups.setdefault(item.needs, []).append(item.requirement)
        return dict(sorted(groups.items(), key=lambda kv: -len(kv[1])))


def needs(requirement: str, outcome: Outcome, reason: str, tests: Sequence[str] = ()) -> str:
    """What would decide ``requirement``, left ``outcome`` for ``reason`` by ``tests``."""
    if outcome == Outcome.ERROR:
        return f"a run without the error that stopped it: {reason[:200]}" if reason else \
            "a run without the suite or transport error that stopped it"
    if outcome == Outcome.NOT_RUN and not tests:
        return NOT_SELECTED
    for pattern, hint in NEEDS_RULES:
        if pattern.search(reason):
            return hint
    if outcome == Outcome.NOT_RUN:
        return (f"a test that decides it: {', '.join(tests[:3])} declare it but ended without deciding it "
                "(run the other tests that check it; if none do, it is a defect of the suite: please report it)")
    if reason:
        return reason  # the tests' convention: a skip reason names what the run lacked
    for pattern, hint in REQUIREMENT_NEEDS:
        if fnmatch.fnmatchcase(requirement, pattern):
            return hint
    return "a run that reaches it"


def judge(results: Iterable[_Result]) -> Judgement:
    """The verdict on a run from each requirement's outcome, and on each action its checks name.

    A requirement decided on some actions but skipped on others (its checks
    name the action) is undecided on those: ``ID[action]``.
    """
    failed, undecided = [], []
    for result in results:
        if result.outcome == Outcome.FAIL:
            failed.append(result.requirement_id)
        elif result.outcome in UNDECIDED:
            undecided.append(Undecided(result.requirement_id, result.outcome, result.message,
                                       needs(result.requirement_id, result.outcome, result.message, result.tests)))
        elif any(r.action for r in result.records):
            for action, outcome in result.by_action.items():
                if outcome not in UNDECIDED:
                    continue
                mine = [r for r in result.records if r.action in (action, None) and r.outcome == outcome]
                reason = next((r.message for r in mine if r.message), "")
                tests = tuple(dict.fromkeys(r.test for r in mine))
                hint = needs(result.requirement_id, outcome, reason, tests) if mine else \
                    f"a check of it on {action}: no test of this run checked it there"
                undecided.append(Undecided(f"{result.requirement_id}[{action}]", outcome, reason, hint))
    if failed:
        verdict = Verdict.DOES_NOT_CONFORM
    elif undecided:
        verdict = Verdict.INCOMPLETE
    else:
        verdict = Verdict.CONFORMS
    return Judgement(verdict, tuple(undecided), tuple(failed))
