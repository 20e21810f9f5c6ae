"""How long parsing the whole upstream Manila api-ref tree takes (goal: well under a few seconds).

Run from a checkout with ../shared beside it:

    python benchmarks/bench_apiref_parse.py [--repeat N] [TREE]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from manila_ssm.apiref import parse
from manila_ssm.paths import shared_dir


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "tree", nargs="?", type=Path, help="an api-ref index.rst or folder (default: the upstream tree)"
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    shared = shared_dir()
    tree = args.tree or (shared / "upstream/manila-api-ref/index.rst" if shared else None)
    if tree is None:
        print("no tree given and ../shared is not beside this checkout", file=sys.stderr)
        return 2
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = parse(tree)
        times.append(time.perf_counter() - start)
    print(
        f"{tree}: {len(result.operations)} operations, {len(result.findings)} findings; "
        f"parse min {min(times):.2f}s median {statistics.median(times):.2f}s over {args.repeat} runs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
