"""Time a full conformance run against the embedded reference target and split where the time goes.

    python benchmarks/suite_overhead.py [--max-examples N] [--seed N] [--runs N]

Prints the wall and CPU time of each run, the time the scenarios spent
waiting on the target's asynchronous work (polling sleeps), the time spent
inside HTTP calls, and the rest: the suite's own overhead (pytest,
generation, checks, reports). CPU time includes the embedded target, which
runs in the same process; on a shared machine it is the steadier figure.
Before the runs: the CPU cost of importing the plugin in a fresh
interpreter, and of a collection-only pass (the baseline every run pays).
"""

from __future__ import annotations

import argparse
import json
import resource
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
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    python_only = fresh_process_cpu("pass")
    imports = fresh_process_cpu("import manila_ssm.suite.plugin, manila_ssm.suite.fuzz, manila_ssm.reference")
    collect = fresh_process_cpu(
        "import pytest, manila_ssm.paths as p; raise SystemExit(pytest.main([str(p.conformance_dir()), "
        "'--collect-only', '-q', '-p', 'no:randomly']))")
    results = [one_run(args.max_examples, args.seed) for _ in range(args.runs)]
    print()
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
