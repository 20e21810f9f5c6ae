"""Lanes: the scenarios that wait on a real target's workers run side by side, each on servers of its own.

Against a real deployment most of a run is waiting for the back end: a phase
1, a cancel, the state tour. A test marked ``ssm_lane(name, server=...)``
starts in a background thread as soon as the session is up, one thread per
lane (the tests of one lane run one after another, in collection order: they
share a server). The main thread runs every other test meanwhile and reaches
the lane tests last; each then waits for its own outcome, which pytest reports
as if the test had run there (records, skips, failures, tracebacks).

Verdicts do not depend on it: every answer is judged against what the suite
last saw of that answer's own server (``statejudge``), each test records into
its own sink, and lanes never share a server nor take the idle one the other
tests use. So lanes run only where that holds: against a target without the
fixture API (there nothing waits long, and the reference target's tour marks
whole back ends down), not on pytest-xdist workers, not with ``--ssm-lanes
off``, and when the named servers cover the idle server plus one for each
lane test that takes a server from the pool. Otherwise they run one after
another in the main thread (after the other tests, where they were moved).
A marked test pytest may skip or expect to fail runs in the main thread too.

When the session ends early (``-x``, an interrupt), the clients refuse to
send, so a lane still running stops at its next request; its test was never
reported, so its requirements stay undecided. Its server may be left mid-migration,
as an interrupted scenario's is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from manila_ssm.suite.servers import ServerPool

MARKER = "ssm_lane"
POOL, STATEFUL = "pool", "stateful"  # where a lane test takes its server: pool.fresh/reusable, or pool.stateful
# What a lane test may use: its thread calls the test with ``ssm`` alone, before pytest sets anything up.
_LANE_FIXTURES = frozenset({"ssm", "ssm_session", "request"})
# How long the session's end waits for the lanes once their clients refuse to send (requests in flight end
# with their own timeout; the threads are daemons).
STOP_WAIT_S = 2.0


@dataclass(frozen=True, slots=True)
class LaneMark:
    name: str
    server: str


def lane_of(item: pytest.Item) -> LaneMark | None:
    """The lane a test is marked for, or None; a mark the runner could not honour is a usage error."""
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return None
    name = marker.args[0] if len(marker.args) == 1 else None
    server = marker.kwargs.get("server", POOL)
    usage = f'write @pytest.mark.{MARKER}("name", server="{POOL}" or "{STATEFUL}")'
    if not isinstance(name, str) or not name or server not in (POOL, STATEFUL) or set(marker.kwargs) - {"server"}:
        raise pytest.UsageError(f"{item.nodeid}: bad {MARKER} mark; {usage}")
    arguments = tuple(getattr(getattr(item, "_fixtureinfo", None), "argnames", ()))
    fixtures = set(getattr(item, "fixturenames", ())) - _LANE_FIXTURES
    if arguments != ("ssm",) or fixtures or getattr(item, "callspec", None) is not None:
        others = ", ".join(sorted(fixtures | set(arguments) - {"ssm"})) or "parameters"
        raise pytest.UsageError(f"{item.nodeid}: a lane test takes only the `ssm` fixture and no parameters "
                                f"(it has {others}); drop the {MARKER} mark or the others")
    return LaneMark(name, server)


def lane_to_run(item: pytest.Item) -> LaneMark | None:
    """The lane of a marked test pytest will run as it is; ``None`` for the others (one pytest may skip or
    expect to fail stays in the main thread)."""
    mark = lane_of(item)
    return None if mark is None or any(item.get_closest_marker(m) for m in ("skip", "skipif", "xfail")) else mark


def blocked(marks: Iterable[LaneMark], pool: ServerPool) -> str | None:
    """Why the lane tests must run one after another here; ``None`` when they may run side by side."""
    if pool.fixture_api and not pool.explicit:
        return "the target creates servers through its fixture API (nothing there waits long)"
    if pool.explicit and pool.explicit[-1] in pool.stateful:
        return ("the last named server, which the idle checks use, is a stateful one; name the idle server "
                "last (a servers file with roles does)")
    needed = sum(1 for mark in marks if mark.server == POOL)
    spare = [server for server in pool.explicit if server not in pool.stateful]
    if len(spare) < needed + 1:
        return (f"{needed} lane scenario(s) and the idle server need {needed + 1} named servers besides the "
                f"stateful one(s), {len(spare)} given")
    return None


@dataclass(slots=True)
class LaneRun:
    """One test started ahead of its turn: what it runs with, and how it ended."""

    item: pytest.Item
    lane: str
    conformance: Any  # the test's own Conformance; its verifier's sink is the item's
    started: float | None = None
    ended: float | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        self.started = time.monotonic()
        try:
            self.item.obj(ssm=self.conformance)  # type: ignore[attr-defined]
        except BaseException as error:  # skips, requirement failures, bugs: pytest re-raises them in order
            self.error = error
        finally:
            self.ended = time.monotonic()
            self.done.set()


class Lanes:
    """The lane tests of one session, started together, waited for one by one."""

    def __init__(self, runs: Iterable[LaneRun]) -> None:
        self.lanes: dict[str, list[LaneRun]] = {}
        for run in runs:
            self.lanes.setdefault(run.lane, []).append(run)
        self._by_item = {id(run.item): run for runs in self.lanes.values() for run in runs}
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for name, runs in self.lanes.items():
            thread = threading.Thread(target=_run_all, args=(runs,), name=f"ssm-lane-{name}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        """At the session's end (its clients closed, so a lane sends nothing more): let the threads finish."""
        deadline = time.monotonic() + STOP_WAIT_S
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def run_of(self, item: pytest.Item) -> LaneRun | None:
        return self._by_item.get(id(item))

    def wait(self, run: LaneRun, progress: Callable[[str], None] | None) -> None:
        """Until ``run`` ended, saying on the progress line what the main thread waits for."""
        begun = time.monotonic()
        while not run.done.wait(0.25):
            if progress is not None:
                since = time.monotonic() - (run.started or begun)
                progress(f"waiting for {run.item.name} (lane {run.lane}, running for {since:.0f}s)")
        if progress is not None:
            progress("")


def summary(lanes: Lanes) -> str:
    """One line for the terminal: which lanes ran side by side, each test's time in its lane, and the lane's.

    (pytest's own duration of a lane test is the main thread's wait for it.)
    """
    parts = []
    for name, runs in lanes.lanes.items():
        tests = [f"{run.item.name} {_took(run.started, run.ended)}" for run in runs]
        if len(runs) > 1:
            tests.append(f"in all {_took(runs[0].started, runs[-1].ended)}")
        parts.append(f"{name} ({', '.join(tests)})")
    return f"lanes: side by side: {'; '.join(parts)}"


def _took(started: float | None, ended: float | None) -> str:
    return f"{ended - started:.1f}s" if started is not None and ended is not None else "not finished"


def _run_all(runs: list[LaneRun]) -> None:
    for run in runs:
        run.run()
