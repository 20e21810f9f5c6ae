"""The load benchmark runs end to end, and its latency verdict never blames the server for a noisy machine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import target_load  # noqa: E402  (a script folder, not a package)


@pytest.mark.parametrize(("p99", "floor99", "verdict"), [
    (8.0, 20.0, "met"),          # under the goal: met, however noisy the machine
    (16.0, 3.0, "not met"),      # a quiet floor: the tail is the server's
    (16.0, 5.0, "not met"),      # the floor at the limit still counts as quiet
    (16.0, 15.8, "undecided"),   # the floor alone is as slow: nothing to say about the server
    (float("nan"), 3.0, "not met"),  # nothing answered in time
])
def test_latency_verdict(p99: float, floor99: float, verdict: str) -> None:
    assert target_load.latency_verdict(p99, floor99).startswith(verdict)


def test_a_short_load_run_prints_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "target_load.py"), "--rate", "50", "--overload", "100",
         "--seconds", "1", "--rounds", "1"],
        capture_output=True, text=True, timeout=180, cwd=BENCHMARKS,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    for line in ("floor at 50/s (control)", "GET /v2/ at 50/s (baseline)", "get_progress at 50/s",
                 "median of 1 rounds", "get_progress at 100/s", "goal: get_progress p99 <= 10 ms"):
        assert line in out, out
    assert "errors 0" in out.split("get_progress at 50/s", 1)[1].splitlines()[0]


@pytest.mark.parametrize(("script", "flags", "message"), [
    ("target_load.py", ["--rounds", "0"], "--rounds 0 must be above 0"),
    ("target_load.py", ["--seconds", "nan"], "--seconds nan must be above 0"),
    ("suite_overhead.py", ["--commands", "0"], "--commands 0 must be at least 1"),
    ("suite_overhead.py", ["--python", "/nonexistent/python"], "--python /nonexistent/python: cannot run it"),
])
def test_bad_flags_are_usage_errors_without_a_traceback(script: str, flags: list[str], message: str) -> None:
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *flags], capture_output=True, text=True,
                          timeout=60, cwd=BENCHMARKS)
    assert done.returncode != 0
    assert message in done.stderr and "Traceback" not in done.stderr, done.stderr
