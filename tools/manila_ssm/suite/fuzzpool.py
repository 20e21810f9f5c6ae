"""The child process that generates fuzz cases ahead (see :class:`manila_ssm.suite.fuzz.Prefetch`).

Kept apart from :mod:`manila_ssm.suite.fuzz`, which imports schemathesis, so
that ``ssm-conformance run`` can start the child before anything heavy is
imported: a fresh interpreter loading schemathesis takes about a second of
CPU, which then overlaps the suite's own start-up on the other core.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor

_WARM: list[ProcessPoolExecutor] = []


def _load() -> None:
    import manila_ssm.suite.fuzz  # noqa: F401  (the imports are the warm-up)


def _quiet() -> None:
    # Ctrl-C reaches the whole process group: the run stops the child itself, without a second traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def new_pool() -> ProcessPoolExecutor:
    """One worker in a fresh interpreter (spawn: nothing of this process' threads or state is copied)."""
    return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_quiet)


def warm_up() -> None:
    """Start the child and its imports now; the next :func:`take` hands it over."""
    if not _WARM:
        pool = new_pool()
        pool.submit(_load)
        _WARM.append(pool)


def take() -> ProcessPoolExecutor:
    """The warmed-up child if there is one, else a new one; the caller shuts it down."""
    return _WARM.pop() if _WARM else new_pool()


def stop(pool: ProcessPoolExecutor) -> None:
    """Stop the child now: what it was still asking for is no longer wanted.

    A graceful shutdown would let the child finish a case list and then tear
    down its interpreter (about a second, at the end of every run).
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())  # private; without it, the graceful way
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()


def release() -> None:
    """Stop a warmed-up child nobody took (a run that collected no fuzz test)."""
    while _WARM:
        stop(_WARM.pop())
