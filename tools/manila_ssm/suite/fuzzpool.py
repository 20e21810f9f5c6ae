"""The child process that generates fuzz cases ahead (see :class:`manila_ssm.suite.fuzz.Prefetch`).

A plain ``python -m manila_ssm.suite.fuzzpool`` process that reads pickled
calls on its stdin and writes their pickled results on its stdout, in order
(no multiprocessing machinery: its semaphores and resource tracker misbehave
in processes that run pytest sessions inside one another). Kept apart from
:mod:`manila_ssm.suite.fuzz`, which imports schemathesis, so that
``ssm-conformance run`` can start the child before anything heavy is
imported: a fresh interpreter loading schemathesis takes about a second of
CPU, which then overlaps the suite's own start-up on the other core.
"""

from __future__ import annotations

import collections
import contextlib
import pickle
import queue
import signal
import subprocess
import sys
import threading
from concurrent.futures import Future
from typing import Any

from manila_ssm import gcpause

# The only functions the child runs (in manila_ssm.suite.fuzz).
CALLS = frozenset({"child_generate"})


class Child:
    """One generating child process; :meth:`submit` returns a future per call, answered in order."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "manila_ssm.suite.fuzzpool"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        self._pending: collections.deque[Future[Any]] = collections.deque()
        self._lock = threading.Lock()
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        # Writing happens on a thread: the child reads its next call only when the last one is done.
        threading.Thread(target=self._write, name="ssm-fuzz-writer", daemon=True).start()
        threading.Thread(target=self._read, name="ssm-fuzz-reader", daemon=True).start()

    def submit(self, call: str, *args: Any) -> Future[Any]:
        if call not in CALLS:
            raise ValueError(f"the generating child does not run {call!r}")
        future: Future[Any] = Future()
        with self._lock:
            self._pending.append(future)
        self._outbox.put(pickle.dumps((call, args), protocol=pickle.HIGHEST_PROTOCOL))
        return future

    def _write(self) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        while (message := self._outbox.get()) is not None:
            try:
                stdin.write(message)
                stdin.flush()
            except (OSError, ValueError):
                break
        with contextlib.suppress(OSError, ValueError):
            stdin.close()

    def _read(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        while True:
            try:
                ok, value = pickle.load(stdout)
            except Exception:  # noqa: BLE001 - EOF, a killed child, a torn message: the child is gone
                break
            with self._lock:
                future = self._pending.popleft() if self._pending else None
            if future is not None and future.set_running_or_notify_cancel():
                (future.set_result if ok else future.set_exception)(value if ok else RuntimeError(value))
        with self._lock:
            left, self._pending = list(self._pending), collections.deque()
        for future in left:
            if future.set_running_or_notify_cancel():
                future.set_exception(RuntimeError("the generating child process ended"))

    def stop(self) -> None:
        """Stop the child now: what it was still asked for is no longer wanted."""
        self._outbox.put(None)
        with contextlib.suppress(OSError):
            self._process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)


_WARM: list[Child] = []


def warm_up() -> None:
    """Start the child and its imports now; the next :func:`take` hands it over."""
    if not _WARM:
        _WARM.append(Child())


def take() -> Child:
    """The warmed-up child if there is one, else a new one; the caller stops it."""
    return _WARM.pop() if _WARM else Child()


def release() -> None:
    """Stop a warmed-up child nobody took (a run that collected no fuzz test)."""
    while _WARM:
        _WARM.pop().stop()


def _serve() -> None:
    """The child: answer pickled calls from stdin on stdout until stdin ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the process group: the run stops the child
    calls_in, answers_out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing printed may land in the answers
    from manila_ssm.suite import fuzz  # the imports are the warm-up

    gcpause.settle()  # generating allocates a lot; full collections need not walk the imports each time

    while True:
        try:
            call, args = pickle.load(calls_in)
        except EOFError:
            return
        try:
            answer: tuple[bool, Any] = (True, getattr(fuzz, call)(*args)) if call in CALLS else \
                (False, f"unknown call {call!r}")
        except Exception as error:  # noqa: BLE001 - reported to the parent, which generates in-process instead
            answer = (False, f"{type(error).__name__}: {error}")
        pickle.dump(answer, answers_out, protocol=pickle.HIGHEST_PROTOCOL)
        answers_out.flush()


if __name__ == "__main__":
    _serve()
