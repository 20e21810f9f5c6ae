"""``spec build`` over the Manila api-ref's history, and a rebuild after editing one page.

History: clones ``../shared/upstream/manila-api-ref-history.bundle`` into a
temporary folder, checks out every revision oldest first and builds it in
this one process with the build cache on (``builder/cache.py``), printing the
total time, the time per revision, and how many builds the cache answered.
Every revision must end with exit 0, 1 or 2.

Rebuild: a copy of the current upstream tree is built (filling the cache),
then one page gets a new sentence and is built again; printed in-process and
as a whole process (``python -m manila_ssm.cli``). The goal (issue 14, P1)
is 0.3 s.

    python benchmarks/toolkit_speed_history.py [--limit N] [--skip-history] [--skip-rebuild]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from manila_ssm import cli
from manila_ssm.paths import shared_dir


def _build(tree: Path, out: Path) -> int:
    return cli.run(["spec", "build", str(tree / "index.rst"), "-o", str(out)], io.StringIO(), io.StringIO())


def history(bundle: Path, work: Path, limit: int | None) -> int:
    clone = work / "history"
    subprocess.run(["git", "clone", "-q", str(bundle), str(clone)], check=True)
    revisions = subprocess.run(["git", "-C", str(clone), "rev-list", "--reverse", "HEAD"], capture_output=True, text=True, check=True).stdout.split()
    revisions = revisions[:limit] if limit else revisions
    from manila_ssm.builder import cache

    hits = 0
    original = cache.cached

    def counting(question, root, compute, read=None):  # type: ignore[no-untyped-def]
        nonlocal hits
        value, hit = original(question, root, compute, read)
        hits += hit
        return value, hit

    import manila_ssm.builder.commands as commands

    commands.cached = counting  # type: ignore[assignment]
    times, codes = [], {}
    start_cpu, start = time.process_time(), time.perf_counter()
    for revision in revisions:
        subprocess.run(["git", "-C", str(clone), "checkout", "-q", revision], check=True)
        before = time.perf_counter()
        code = _build(clone, work / "out")
        times.append(time.perf_counter() - before)
        codes[code] = codes.get(code, 0) + 1
    total, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    commands.cached = original  # type: ignore[assignment]
    print(f"history: {len(revisions)} revisions built end to end in {total:.1f}s wall ({cpu:.1f}s CPU of this process, "
          f"git checkouts included); per revision median {sorted(times)[len(times) // 2]:.2f}s, max {max(times):.2f}s; "
          f"exit codes {dict(sorted(codes.items()))}; {hits} answered by the build cache")
    return 0 if set(codes) <= {0, 1, 2} else 1


def rebuild(tree: Path, work: Path) -> None:
    copy = work / "tree"
    shutil.copytree(tree, copy)
    out = work / "rebuild-out"
    _build(copy, out)
    page = copy / "availability-zones.inc"
    page.write_text(page.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    cpu, before = time.process_time(), time.perf_counter()
    _build(copy, out)
    print(f"rebuild after editing one page, in process: {time.perf_counter() - before:.2f}s wall, {time.process_time() - cpu:.2f}s CPU (goal 0.3 s)")
    command = [sys.executable, "-m", "manila_ssm.cli", "spec", "build", str(copy / "index.rst"), "-o", str(out)]
    page.write_text(page.read_text(encoding="utf-8") + "\nAnd another.\n", encoding="utf-8")
    wall, cpu = _process(command)
    print(f"rebuild after editing one page, whole process: {wall:.2f}s wall, {cpu:.2f}s CPU")
    wall, cpu = _process(command)
    print(f"rebuild with nothing edited (cache hit), whole process: {wall:.2f}s wall, {cpu:.2f}s CPU")


def _process(command: list[str]) -> tuple[float, float]:
    before = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - before, usage.ru_utime + usage.ru_stime


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="build only the oldest N revisions")
    parser.add_argument("--skip-history", action="store_true")
    parser.add_argument("--skip-rebuild", action="store_true")
    args = parser.parse_args(argv)
    shared = shared_dir()
    if shared is None:
        print("../shared is not beside this checkout", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="robust-history-") as scratch:
        work = Path(scratch)
        os.environ["SSM_BUILD_CACHE"] = str(work / "cache")
        if not args.skip_rebuild:
            rebuild(shared / "upstream/manila-api-ref", work)
        if not args.skip_history:
            return history(shared / "upstream/manila-api-ref-history.bundle", work, args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
