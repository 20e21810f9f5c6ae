"""Holding answers to the state model, given what the suite last observed of each server.

The suite never knows a server's state exactly: the destination's manager
moves it on between two requests. So each server has a *belief*: the states
it may be in, each with the actions accepted and not yet carried out. Before
an answer is judged the belief grows by every state that may have followed
(:meth:`Belief.closure`); the answer must be one some state of it allows; the
belief then shrinks to those states and takes the answer's effect. A GET of
the server narrows it the same way (:meth:`Tracker.observe`).

A migration's two servers are judged together once the destination's own GET
names its source: each is held to the states the other one allows (the
model's ``destination_in``), so that a destination answering like an active
server while its source waits at phase 1 done breaks the destination's rows,
and a deleted source whose destination is active is judged as migrated.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from manila_ssm.suite import catalogue as cat
from manila_ssm.suite.statemodel import ProgressRow, StateModel

PROGRESS = "migration_get_progress"
# The requirements the progress rows decide, most specific last (see _progress_miss).
TASK_REQUIREMENT = "SSM-PROGRESS-TASK-STATE-BY-STATE"
DEST_REQUIREMENT = "SSM-PROGRESS-DEST-LINKED"
VALUE_REQUIREMENT = "SSM-PROGRESS-VALUE-BY-STATE"
TRANSITION_REQUIREMENT = "SSM-STATE-TRANSITIONS"
# The state a server_migrating_to view fits: a server seen in it that names a known source is paired with it.
DESTINATION = "destination"

Item = tuple[str, frozenset[str]]  # (state id, accepted actions still in flight)


@dataclass(frozen=True, slots=True)
class Divergence:
    """An answer (or a view) the model does not allow: the requirement it breaks and why."""

    requirement: str
    message: str


@dataclass(frozen=True, slots=True)
class Belief:
    items: frozenset[Item]

    @classmethod
    def of(cls, states: Iterable[str]) -> Belief:
        return cls(frozenset((s, frozenset()) for s in states))

    def closure(self, model: StateModel, *, races: bool = False) -> Belief:
        """Every state that may have followed. A state only an upstream race reaches is added only
        for a view (``races=True``): an answer is never excused by a race nobody saw happen."""
        seen = set(self.items)
        todo = list(self.items)
        while todo:
            state, pending = todo.pop()
            for follow in model[state].follows:
                if not races and model[follow.to].race is not None:
                    continue
                if follow.after is None:
                    item = (follow.to, pending)
                elif follow.after in pending:
                    item = (follow.to, pending - {follow.after})
                else:
                    continue
                if item not in seen:
                    seen.add(item)
                    todo.append(item)
        return Belief(frozenset(seen))

    def states(self) -> list[str]:
        return sorted({s for s, _ in self.items})


def _progress_miss(rows: tuple[ProgressRow, ...], body: Any) -> tuple[int, str] | None:
    """``None`` when some row allows ``body``; else how close the best row came, and why it failed."""
    if not isinstance(body, dict):
        return (0, "the answer is no JSON object")
    value, task, dest = body.get("total_progress"), body.get("task_state"), body.get("destination_share_server_id")
    best: tuple[int, str] = (0, f"task_state {task!r} is none of " + ", ".join(repr(r.task_state) for r in rows))
    for row in rows:
        if task != row.task_state:
            continue
        linked = isinstance(dest, str) and dest != ""
        if linked != row.linked:
            best = max(best, (1, f"destination_share_server_id {dest!r} with task_state {task!r}: the model "
                                 f"wants {row.describe()}"))
            continue
        if not (type(value) is int and row.low <= value <= row.high):
            best = max(best, (2, f"total_progress {value!r} with task_state {task!r}: the model wants "
                                 f"{row.describe()}"))
            continue
        return None
    return best


@dataclass
class Tracker:
    """Beliefs about the servers the suite talks to, and the judge of every answer about them."""

    model: StateModel
    success_codes: Mapping[str, int]
    progress_values: bool = True  # the effective contract names the task states the model uses
    beliefs: dict[str, Belief] = field(default_factory=dict)
    # Servers nothing moves on between requests (the fixture API stopped their back end's worker):
    # their answers are judged in the state last seen, not in any that may have followed it.
    held: set[str] = field(default_factory=set)
    # A destination -> its source, while that migration is theirs (until either accepts a new start).
    pairs: dict[str, str] = field(default_factory=dict)
    # Lanes (suite/lanes.py) judge answers about their own servers from several threads.
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @cached_property
    def _rank(self) -> dict[str, int]:
        """Each state's place in the model file: rows are tried, and divergences named, in that order."""
        return {state_id: rank for rank, state_id in enumerate(self.model.states)}

    def knows(self, server: str) -> bool:
        return server in self.beliefs

    def assume(self, server: str, states: Iterable[str]) -> None:
        with self._lock:
            self.beliefs[server] = Belief.of(states)

    def requirement(self, action: str, name: str) -> str:
        if name == "status":
            return cat.status_id(action, self.success_codes[action])
        if name == "unknown":
            return cat.unknown_id(action)
        return name

    def observe(self, server: str, view: Mapping[str, Any] | None) -> Divergence | None:
        """A GET of the server: narrow its belief to the states that view fits."""
        with self._lock:
            return self._observe(server, view)

    def moves_by_itself(self, server: str) -> bool:
        """Whether the server may move on without a further request: the back end's own work, or a request
        accepted and not yet carried out. Unknown servers may: nothing is known of them.
        """
        with self._lock:
            belief = self.beliefs.get(server)
            if belief is None:
                return True
            return any(follow.after is None or follow.after in pending
                       for state, pending in belief.items for follow in self.model[state].follows)

    def _observe(self, server: str, view: Mapping[str, Any] | None) -> Divergence | None:
        fits = set(self.model.states_for(view))
        fresh = set(self.model.states_for(view, races=False))  # a race's states need their way in
        belief = self.beliefs.get(server)
        if belief is None:
            self.assume(server, fresh)
            self._pair(server, view, fresh)
            return None
        grown = self._paired(server, belief.closure(self.model, races=True))
        kept = frozenset(item for item in grown.items if item[0] in fits)
        self._pair(server, view, fits)
        if kept:
            self.beliefs[server] = Belief(kept)
            return None
        shown = "gone" if view is None else f"{view.get('status')}/{view.get('task_state')}"
        self.beliefs[server] = Belief.of(fresh)
        self._unpair(server)  # the restarted belief says nothing of the other server: one defect, one report
        return Divergence(TRANSITION_REQUIREMENT, f"server {server} shows {shown} ({', '.join(sorted(fresh))}), "
                                                  f"which the model does not reach from {self._where(server, grown)}")

    def _pair(self, server: str, view: Mapping[str, Any] | None, fits: set[str]) -> None:
        """A destination whose own view names a source the suite knows is that source's partner."""
        source = view.get("source_share_server_id") if view is not None else None
        if fits == {DESTINATION} and isinstance(source, str) and source != server and source in self.beliefs:
            self.pairs[server] = source

    def _unpair(self, server: str) -> None:
        """``server``'s pairing says nothing any more: it accepted a new start, or its belief restarted."""
        for destination, source in list(self.pairs.items()):
            if server in (destination, source):
                del self.pairs[destination]

    def _partner(self, server: str) -> list[str]:
        """The states the other server of a migration may be in now: held or not, it may have moved since
        it was last seen (a held back end stops only what follows the hold)."""
        return self.beliefs[server].closure(self.model).states()

    def _paired(self, server: str, grown: Belief) -> Belief:
        """The items of ``grown`` that the other server of its migration allows (all, when none would be left:
        the two beliefs then disagree after a divergence already reported)."""
        kept = set(grown.items)
        source = self.pairs.get(server)
        if source is not None and source in self.beliefs:
            allowed = self.model.destinations_allowed(self._partner(source))
            kept = {item for item in kept if item[0] in allowed}
        for destination in [d for d, s in self.pairs.items() if s == server and d in self.beliefs]:
            states = self._partner(destination)
            kept = {item for item in kept if self.model.source_allows(item[0], states)}
        return Belief(frozenset(kept)) if kept else grown

    def _where(self, server: str, grown: Belief) -> str:
        """The states ``server`` may be in, and what its partner in a migration may be in, for messages."""
        where = ", ".join(grown.states())
        source = self.pairs.get(server)
        if source is not None and source in self.beliefs:
            where += f"; the destination of {source}, which may be {', '.join(self._partner(source))}"
        for destination in [d for d, s in self.pairs.items() if s == server and d in self.beliefs]:
            where += f"; its destination {destination} may be {', '.join(self._partner(destination))}"
        return where

    def judge(self, server: str, action: str, status: int | None, body: Any) -> tuple[Divergence | None, tuple[str, ...]]:
        """Hold one answer to the model: the divergence, if any, and the requirements the answer decided.

        The belief takes the answer's effect; after a divergence it restarts from
        every state that allows the answer, so that one defect is reported once.
        """
        with self._lock:
            return self._judge(server, action, status, body)

    def _judge(self, server: str, action: str, status: int | None, body: Any) -> tuple[Divergence | None, tuple[str, ...]]:
        belief = self.beliefs.get(server)
        if belief is None or status is None:
            return None, ()
        grown = self._paired(server, belief if server in self.held else belief.closure(self.model))
        success = self.success_codes[action]
        fits: set[Item] = set()
        status_misses: list[str] = []
        progress_misses: list[tuple[int, str, str]] = []
        for state_id, pending in sorted(grown.items, key=lambda i: (self._rank[i[0]], sorted(i[1]))):
            state = self.model[state_id]
            answer = state.answers[action]
            if status not in answer.codes(success):
                status_misses.append(state_id)
                continue
            if action == PROGRESS and status == success and self.progress_values and state.progress:
                miss = _progress_miss(state.progress, body)
                if miss is not None:
                    progress_misses.append((miss[0], miss[1], state_id))
                    continue
            fits.add((state_id, pending))
        if fits:
            self.beliefs[server] = Belief(frozenset(self._effect(s, p, action, status) for s, p in fits))
            if status == success and any(self.model[s].answers[action].then for s, _ in fits):
                self._unpair(server)
            return None, self._decided(fits, action, status)
        # The states last seen come first: a divergence is named after them, not after a state the
        # server could only have reached since (a failure, a later phase).
        seen = set(belief.states())
        status_misses.sort(key=lambda state_id: state_id not in seen)
        divergence = self._divergence(server, action, status, grown, status_misses, progress_misses)
        self._unpair(server)
        anywhere = Belief(frozenset((s, frozenset()) for s in self.model.states))
        again = [(s, p) for s, p in anywhere.items if status in self.model[s].answers[action].codes(success)]
        if again:
            self.beliefs[server] = Belief(frozenset(self._effect(s, p, action, status) for s, p in again))
        return divergence, ()

    def _decided(self, fits: set[Item], action: str, status: int) -> tuple[str, ...]:
        """The rows an answer matched on its main code (an ``also`` code is the request's doing)."""
        success = self.success_codes[action]
        decided = [self.requirement(action, self.model[s].answers[action].requirement) for s, _ in fits
                   if self.model[s].answers[action].main_code(success) == status]
        if action == PROGRESS and status == success and self.progress_values \
                and any(self.model[s].progress for s, _ in fits):
            decided += [TASK_REQUIREMENT, DEST_REQUIREMENT, VALUE_REQUIREMENT]
        return tuple(dict.fromkeys(sorted(decided)))

    def _effect(self, state_id: str, pending: frozenset[str], action: str, status: int) -> Item:
        answer = self.model[state_id].answers[action]
        if status != self.success_codes[action] or answer.code != "success":
            return (state_id, pending)
        if answer.then is not None:
            return (answer.then, pending)
        if any(f.after == action for f in self.model[state_id].follows):
            return (state_id, pending | {action})
        return (state_id, pending)

    def _divergence(self, server: str, action: str, status: int, grown: Belief, status_misses: list[str],
                    progress_misses: list[tuple[int, str, str]]) -> Divergence:
        where = self._where(server, grown)
        if progress_misses:
            closeness, reason, state_id = max(progress_misses, key=lambda m: m[0])
            requirement = (TASK_REQUIREMENT, DEST_REQUIREMENT, VALUE_REQUIREMENT)[closeness]
            rows = "; ".join(f"{r.describe()} [{r.source}]" for r in self.model[state_id].progress)
            return Divergence(requirement, f"get_progress on server {server} (may be {where}): {reason}; "
                                           f"in {state_id} the model allows {rows}")
        success = self.success_codes[action]
        rows = [self.model[s].answers[action] for s in status_misses]
        # A success the model refuses breaks the refusal's requirement; a refusal breaks the success one.
        chosen = next((r for r in rows if (status == success) != (r.code == "success")), rows[0])
        allowed = " or ".join(str(c) for c in sorted({c for r in rows for c in r.codes(success)}))
        return Divergence(self.requirement(action, chosen.requirement),
                          f"{action} on server {server} (may be {where}) answered {status}; the model allows "
                          f"{allowed} [{chosen.source}; {chosen.location}]")
