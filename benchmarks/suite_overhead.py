"""Time a full conformance run against the embedded reference target and split where the time goes.

    python benchmarks/suite_overhead.py [--max-examples N] [--seed N] [--runs N] [--commands N] [--python PY]...

First the whole command, as a user runs it: ``ssm-conformance run`` in a
new process, its wall time against the goal (6 s on 2 cores) and its CPU
(with the child that generates the fuzz cases), by default with this
interpreter's install; ``--python`` names another venv's interpreter, given
twice the two alternate, paired. The install matters: from a checkout
(``pip install -e``) Hypothesis reads the package's own modules for
constants to draw (about 0.4 s of a run, parsing their source); installed
as a wheel, as the README's ``pip install .`` does, it skips site-packages. Then in-process runs, split:
the wall and CPU time of this process, the time the scenarios spent waiting
on the target's asynchronous work (polling sleeps), the time spent inside
HTTP calls, and the rest: the suite's own overhead (pytest, checks,
reports). CPU time includes the embedded target, which runs in the same
process; on a shared machine it is the steadier figure, so the load average
is printed beside each figure. Before the runs: the CPU cost of importing
the plugin in a fresh interpreter, and of a collection-only pass.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from manila_ssm import paths


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fresh_process_cpu(code: str) -> float:
    """CPU seconds of a new interpreter running ``code`` (imports included)."""
    before = children_cpu()
    subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)
    return children_cpu() - before


GOAL_S = 6.0


def install_kind(python: str) -> str:
    """How ``python`` has the package: from a checkout (``pip install -e``) or as a wheel (``pip install .``)."""
    try:
        done = subprocess.run([python, "-c", "import manila_ssm; print(manila_ssm.__file__)"],
                              capture_output=True, text=True)
    except OSError as error:
        raise SystemExit(f"--python {python}: cannot run it ({error.strerror}); name a venv's bin/python") from None
    if done.returncode != 0:
        raise SystemExit(f"--python {python}: it cannot import manila_ssm; install the project into that venv "
                         "(pip install . for a wheel, pip install -e . for a checkout)")
    where = done.stdout.strip()
    kind = "wheel (site-packages)" if "/site-packages/" in where else "editable (a checkout)"
    return f"{kind}: {Path(where).parent}"


def whole_command(python: str, max_examples: int, seed: int) -> tuple[float, float, float]:
    """Wall and CPU seconds of ``ssm-conformance run`` in a new process, and the load average before it."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as directory:
        before = children_cpu()
        started = time.perf_counter()
        done = subprocess.run([python, "-m", "manila_ssm.cli", "run", f"--reports-dir={directory}",
                               f"--max-examples={max_examples}", f"--seed={seed}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"ssm-conformance run failed against the reference target (exit {done.returncode}):\n"
                         f"{done.stderr[-2000:]}")
    return wall, children_cpu() - before, load


def one_run(max_examples: int, seed: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory:
        cpu = time.process_time()
        started = time.perf_counter()
        code = pytest.main([
            str(paths.conformance_dir()), "-q", "-p", "no:randomly", "--assert=plain",
            f"--ssm-reports-dir={directory}", f"--ssm-max-examples={max_examples}", f"--ssm-seed={seed}",
        ])
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
        report = json.loads((Path(directory) / "conformance.json").read_text())
    if code != 0:
        raise SystemExit(f"the suite failed against the reference target (pytest exit {code})")
    return {"wall": wall, "cpu": cpu, "waited": report["waited_s"], "http": report["http_s"], "requests": report["requests"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=1, help="in-process runs, split by where the time goes")
    parser.add_argument("--commands", type=int, default=3, help="whole-command runs (ssm-conformance run)")
    parser.add_argument("--python", action="append", default=[], metavar="PYTHON",
                        help="the interpreter of a venv whose ssm-conformance the whole-command runs use (default: "
                             "this one); given twice, the two alternate run by run, paired (e.g. a wheel install, "
                             "as the README's `pip install .`, against this editable one)")
    args = parser.parse_args()
    for flag, value, least in (("--max-examples", args.max_examples, 1), ("--runs", args.runs, 0),
                               ("--commands", args.commands, 1)):
        if value < least:
            parser.error(f"{flag} {value} must be at least {least}")
    pythons = args.python or [sys.executable]
    kinds = {python: install_kind(python) for python in pythons}  # before the runs: a wrong --python fails fast
    commands = [(python, *whole_command(python, args.max_examples, args.seed + i))
                for i in range(args.commands) for python in pythons]
    python_only = fresh_process_cpu("pass")
    imports = fresh_process_cpu("import manila_ssm.suite.plugin, manila_ssm.suite.fuzz, manila_ssm.reference")
    collect = fresh_process_cpu(
        "import pytest, manila_ssm.paths as p; raise SystemExit(pytest.main([str(p.conformance_dir()), "
        "'--collect-only', '-q', '-p', 'no:randomly', '--assert=plain']))")
    load = os.getloadavg()[0]
    results = [one_run(args.max_examples, args.seed) for _ in range(args.runs)]
    print()
    for python in pythons:
        runs = [(wall, cpu, before) for (used, wall, cpu, before) in commands if used == python]
        print(f"ssm-conformance run, {kinds[python]}")
        for index, (wall, cpu, before) in enumerate(runs, 1):
            print(f"  #{index}: wall {wall:.2f} s (goal <= {GOAL_S:g} s: "
                  f"{'met' if wall <= GOAL_S else 'not met'}), CPU {cpu:.2f} s with the generating child; "
                  f"load average {before:.1f} on {os.cpu_count()} CPUs")
        print(f"  median wall {statistics.median(wall for wall, _, _ in runs):.2f} s")
    print(f"in-process runs below started at a load average of {load:.1f}")
    print(f"fresh interpreter: {python_only:.2f} s CPU; + importing the plugin, schemathesis and the target: "
          f"{imports:.2f} s; pytest --collect-only of the suite: {collect:.2f} s CPU")
    print(f"{'run':>3} {'wall s':>8} {'CPU s':>8} {'waits s':>8} {'http s':>8} {'requests':>9} {'overhead s':>11} "
          f"{'overhead':>9}")
    for index, r in enumerate(results, 1):
        overhead = r["wall"] - r["waited"] - r["http"]
        print(f"{index:>3} {r['wall']:>8.2f} {r['cpu']:>8.2f} {r['waited']:>8.2f} {r['http']:>8.2f} "
              f"{int(r['requests']):>9} {overhead:>11.2f} {overhead / r['wall']:>8.0%}")
    print("waits: sleeping between polls for the target's asynchronous phases (what the scenarios require);")
    print("http: inside requests to the target; overhead: everything else the suite does.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
