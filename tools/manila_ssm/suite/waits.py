"""Bounded, adaptive waiting for asynchronous state changes.

Polling starts fast (the reference target finishes phase 1 in well under a
second) and backs off towards a ceiling (real Manila takes ~10 s), so no wait
is a fixed long sleep and every wait ends by its deadline. The time spent
sleeping is accounted for, so the benchmark can tell the suite's own overhead
from the waits the target imposes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

Progress = Callable[[str], None]


@dataclass(slots=True)
class WaitClock:
    """Totals of time spent waiting on the target, shared by one session.

    Scenarios in lanes (``suite/lanes.py``) wait side by side, so ``waited``
    sums their waits and may exceed the run's wall time.
    """

    waited: float = 0.0
    polls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, waited: float = 0.0, polls: int = 0) -> None:
        with self._lock:
            self.waited += waited
            self.polls += polls


@dataclass(frozen=True, slots=True)
class WaitResult(Generic[T]):
    done: bool
    value: T | None
    elapsed: float
    polls: int
    last_note: str = ""


@dataclass(slots=True)
class Poller:
    """Calls ``probe`` until it returns a value (``None`` means "not yet") or the deadline passes."""

    timeout: float
    clock: WaitClock = field(default_factory=WaitClock)
    progress: Progress | None = None
    first_interval: float = 0.02
    max_interval: float = 1.0
    factor: float = 1.5

    def wait(self, what: str, probe: Callable[[], tuple[T | None, str]]) -> WaitResult[T]:
        """``probe`` returns ``(value or None, note)``; the note feeds the progress line."""
        started = time.monotonic()
        deadline = started + self.timeout
        interval = self.first_interval
        polls = 0
        note = ""
        while True:
            polls += 1
            self.clock.add(polls=1)
            value, note = probe()
            elapsed = time.monotonic() - started
            if self.progress is not None:
                self.progress(f"waiting for {what}: {note} ({elapsed:.1f}s / {self.timeout:g}s)")
            if value is not None or time.monotonic() >= deadline:
                if self.progress is not None:
                    self.progress("")  # clear the progress line
                return WaitResult(value is not None, value, elapsed, polls, note)
            remaining = max(0.0, deadline - time.monotonic())
            pause = min(interval, remaining)
            time.sleep(pause)
            self.clock.add(waited=pause)
            interval = min(interval * self.factor, self.max_interval)
