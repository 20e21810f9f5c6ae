"""Time a full conformance run against the embedded reference target and split where the time goes.

    python benchmarks/suite_overhead.py [--max-examples N] [--seed N] [--runs N]

Prints the wall time of each run, the time the scenarios spent waiting on the
target's asynchronous work (polling sleeps), the time spent inside HTTP calls,
and the rest: the suite's own overhead (pytest, generation, checks, reports).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pytest

from manila_ssm import paths


def one_run(max_examples: int, seed: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        code = pytest.main([
            str(paths.conformance_dir()), "-q", "-p", "no:randomly", "--assert=plain",
            f"--ssm-reports-dir={directory}", f"--ssm-max-examples={max_examples}", f"--ssm-seed={seed}",
        ])
        wall = time.perf_counter() - started
        report = json.loads((Path(directory) / "conformance.json").read_text())
    if code != 0:
        raise SystemExit(f"the suite failed against the reference target (pytest exit {code})")
    return {"wall": wall, "waited": report["waited_s"], "http": report["http_s"], "requests": report["requests"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    results = [one_run(args.max_examples, args.seed) for _ in range(args.runs)]
    print()
    print(f"{'run':>3} {'wall s':>8} {'waits s':>8} {'http s':>8} {'requests':>9} {'overhead s':>11} {'overhead':>9}")
    for index, r in enumerate(results, 1):
        overhead = r["wall"] - r["waited"] - r["http"]
        print(f"{index:>3} {r['wall']:>8.2f} {r['waited']:>8.2f} {r['http']:>8.2f} {int(r['requests']):>9} "
              f"{overhead:>11.2f} {overhead / r['wall']:>8.0%}")
    print("waits: sleeping between polls for the target's asynchronous phases (what the scenarios require);")
    print("http: inside requests to the target; overhead: everything else the suite does.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
