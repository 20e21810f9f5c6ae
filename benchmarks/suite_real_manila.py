"""Time the suite against real Manila (``ssm-conformance real-manila run``), lanes against their baselines.

    python benchmarks/suite_real_manila.py [--rounds N] [--seed S] [--contract C] [--base DIR]
                                           [--baseline-python PY]

Needs a deployment (``ssm-conformance real-manila up``, which needs root; see
the README's "Real Manila"). Each round runs, alternating, on fresh fixtures
(each run's own ``up`` replaces a migrated set): the suite as shipped (lanes
on), the same suite with ``--lanes off`` (the scenarios one after another),
and, with ``--baseline-python``, another install's interpreter, e.g. a venv
of the commit before (its ``real-manila run`` is pointed at the same base).
Printed per run: the suite's wall time as ``real-manila run`` measures it
(fixtures and start-up not included), the verdict and the counts; then the
medians, the ratios, and the goal (issue 14, P3): the effective contract in
at most 45 s. Every arm must conform: a figure from a run that did not is
reported and judged not met.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S = 45.0
_SUITE = re.compile(r"\[real-manila\] suite \((\w+)\): ([\d.]+) s")


def run_once(python: str, base: str | None, contract: str, seed: int, reports: Path,
             extra: tuple[str, ...]) -> tuple[float | None, str, str]:
    """The suite's seconds (None if it did not run), its verdict, and the last lines when it failed to."""
    command = [python, "-m", "manila_ssm.cli", "real-manila", "run", "--contract", contract,
               "--reports-dir", str(reports)]
    command += ["--base", base] if base else []
    command += ["--", "--seed", str(seed), *extra]
    done = subprocess.run(command, capture_output=True, text=True)
    found = [float(m.group(2)) for m in _SUITE.finditer(done.stdout + done.stderr) if m.group(1) == contract]
    report = reports / contract / "conformance.json"
    if not found or not report.is_file():
        return None, "no report", "\n".join((done.stdout + done.stderr).splitlines()[-6:])
    data = json.loads(report.read_text(encoding="utf-8"))
    counts = ", ".join(f"{n} {k}" for k, n in sorted(data["counts"].items()) if n)
    return found[-1], f"{data['verdict']} ({counts})", ""


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1, help="first seed; round k uses seed + k")
    parser.add_argument("--contract", choices=("effective", "documented"), default="effective")
    parser.add_argument("--base", help="the deployment's base folder (default: this checkout's)")
    parser.add_argument("--baseline-python", help="another install's interpreter, run as a third arm")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.baseline_python and not Path(args.baseline_python).is_file():
        parser.error(f"--baseline-python {args.baseline_python}: no such interpreter; name a venv's bin/python")
    status = subprocess.run([sys.executable, "-m", "manila_ssm.cli", "real-manila", "status",
                             *(["--base", args.base] if args.base else [])], capture_output=True, text=True)
    if status.returncode != 0:
        print("no running deployment: start one with `ssm-conformance real-manila up` (root), then run again\n"
              + status.stdout[-600:], file=sys.stderr)
        return 2
    arms: list[tuple[str, str, tuple[str, ...]]] = [("lanes", sys.executable, ()),
                                                     ("one after another", sys.executable, ("--lanes", "off"))]
    if args.baseline_python:
        arms.append(("baseline install", args.baseline_python, ()))
    times: dict[str, list[float]] = {name: [] for name, _, _ in arms}
    failed: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="ssm-bench-real-") as scratch:
        for round_ in range(args.rounds):
            seed = args.seed + round_
            for name, python, extra in arms:
                reports = Path(scratch) / f"{round_}-{len(times[name])}-{name.replace(' ', '-')}"
                started = time.monotonic()
                seconds, verdict, tail = run_once(python, args.base, args.contract, seed, reports, extra)
                whole = time.monotonic() - started
                shown = f"{seconds:6.1f}s" if seconds is not None else "   n/a"
                print(f"round {round_ + 1} seed {seed} {name:>18}: suite {shown} (whole command {whole:.1f}s) "
                      f"{verdict}", flush=True)
                if tail:
                    print("    " + tail.replace("\n", "\n    "))
                if seconds is None or not verdict.startswith("conforms"):
                    failed.add(name)
                if seconds is not None:
                    times[name].append(seconds)
    medians = {name: _median(values) for name, values in times.items()}
    for name, values in times.items():
        if values:
            print(f"{name}: median {medians[name]:.1f}s over {len(values)} runs ({min(values):.1f}-{max(values):.1f}s)")
    lanes = medians["lanes"]
    for name, median in medians.items():
        if name != "lanes" and lanes and median:
            print(f"ratio lanes / {name}: {lanes / median:.2f}")
    met = lanes is not None and lanes <= GOAL_S and "lanes" not in failed and args.contract == "effective"
    goal = "met" if met else "not met"
    why = "" if args.contract == "effective" else " (the goal is for the effective contract)"
    print(f"goal: the effective contract against real Manila in at most {GOAL_S:g} s (median of the lanes arm): "
          f"{goal}{why}")
    if failed:
        print(f"arms with a run that did not conform or did not report: {', '.join(sorted(failed))}")
    return 0 if not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
