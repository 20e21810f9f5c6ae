"""``spec build`` over the Manila api-ref's history, and a rebuild after editing one page.

History: clones ``../shared/upstream/manila-api-ref-history.bundle`` into a
temporary folder, checks out every revision oldest first and builds it in
this one process with the build cache on (``builder/cache.py``), printing the
total time, the time per revision, and how many builds the cache answered.
Every revision must end with exit 0, 1 or 2.

Rebuild: a copy of the current upstream tree is built once (filling the
cache); then, ``--pairs`` times, one page gets a new sentence and is built
again with the cache (incremental: only that page is parsed again) and, as
the paired baseline, without it (``SSM_BUILD_CACHE=off``: the whole tree, as
the whole-tree cache before page caching rebuilt it after any edit). Both
figures are CPU seconds, in this process and as a whole process
(``python -m manila_ssm.cli spec build``); the whole-process rebuild is split
into interpreter start-up, the imports the rebuild makes, and the rest.

The goal (issue 14, P1) is a rebuild after editing one page in 0.3 s. It is
judged on the in-process figure: that is what ``spec build --watch`` (the
process stays, as sphinx-autobuild's does) gives a user editing pages; a
whole process adds start-up and imports (docutils, jsonschema-rs) that no
cache can skip, and is printed beside it.

    python benchmarks/toolkit_speed_history.py [--limit N] [--pairs N] [--page PAGE] [--skip-history] [--skip-rebuild]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
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


GOAL = 0.3
"""Seconds: a rebuild after editing one page (issue 14, P1), judged in process."""


def rebuild(tree: Path, work: Path, pairs: int, page_name: str) -> None:
    copy = work / "tree"
    shutil.copytree(tree, copy)
    out, cache_dir = work / "rebuild-out", os.environ["SSM_BUILD_CACHE"]
    page = copy / page_name
    _build(copy, out)
    edits = iter(range(10**6))

    def edit() -> None:
        page.write_text(page.read_text(encoding="utf-8") + f"\nOne more sentence ({next(edits)}).\n", encoding="utf-8")

    def timed(build: Callable[[], object]) -> float:
        cpu = time.process_time()
        build()
        return time.process_time() - cpu

    incremental, whole = [], []
    for _ in range(pairs):
        edit()
        incremental.append(timed(lambda: _build(copy, out)))
        os.environ["SSM_BUILD_CACHE"] = "off"
        whole.append(timed(lambda: _build(copy, out)))
        os.environ["SSM_BUILD_CACHE"] = cache_dir
    _report("in process (as spec build --watch rebuilds)", incremental, whole)
    inside = statistics.median(incremental)

    command = [sys.executable, "-m", "manila_ssm.cli", "spec", "build", str(copy / "index.rst"), "-o", str(out)]
    incremental, whole = [], []
    for _ in range(pairs):
        edit()
        incremental.append(_process(command)[1])
        whole.append(_process(command, {**os.environ, "SSM_BUILD_CACHE": "off"})[1])
    _report("whole process", incremental, whole)
    start = statistics.median(_process([sys.executable, "-c", "pass"])[1] for _ in range(pairs))
    edit()
    modules = subprocess.run([sys.executable, "-c", _MODULES, str(copy / "index.rst"), str(out)], capture_output=True, text=True, check=True).stdout.split()
    importing = [sys.executable, "-c", f"import importlib\nfor name in {modules!r}:\n    try:\n        importlib.import_module(name)\n    except Exception:\n        pass"]
    imports = statistics.median(_process(importing)[1] for _ in range(pairs)) - start
    libraries = sorted({name.split(".")[0] for name in modules} - set(sys.stdlib_module_names) - {"manila_ssm"})
    print(f"  whole process, of the median: interpreter start-up {start:.2f}s, the rebuild's imports {imports:.2f}s "
          f"({len(modules)} modules: ours, the standard library's and {', '.join(libraries)}), "
          f"the rebuild itself {statistics.median(incremental) - start - imports:.2f}s")
    hits = [_process(command)[1] for _ in range(pairs)]
    print(f"repeated build with nothing edited (cache hit), whole process: {statistics.median(hits):.2f}s CPU median")
    print(f"goal (issue 14, P1): a rebuild after editing one page in <= {GOAL} s, judged in process "
          f"(what spec build --watch gives): {inside:.2f}s, {'met' if inside <= GOAL else 'not met'}; "
          f"on a noisy machine read the ratio to the paired uncached build too")


# A fresh process that rebuilds after an edit, then names the modules that rebuild imported.
_MODULES = """
import io, sys
before = set(sys.modules)
from manila_ssm import cli
cli.run(["spec", "build", sys.argv[1], "-o", sys.argv[2]], io.StringIO(), io.StringIO())
print(" ".join(sorted(set(sys.modules) - before - {"__main__"})))
"""


def _report(label: str, incremental: list[float], whole: list[float]) -> None:
    ratios = [mine / theirs for mine, theirs in zip(incremental, whole)]
    print(f"rebuild after editing one page, {label}: {statistics.median(incremental):.3f}s CPU median "
          f"(min {min(incremental):.3f}, max {max(incremental):.3f}) over {len(incremental)} pairs; paired uncached build "
          f"{statistics.median(whole):.3f}s; ratio median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})")


def _process(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of ``command`` run as a process."""
    before = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, _, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - before, usage.ru_utime + usage.ru_stime


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="build only the oldest N revisions")
    parser.add_argument("--skip-history", action="store_true")
    parser.add_argument("--skip-rebuild", action="store_true")
    parser.add_argument("--pairs", type=int, default=5, help="edits measured, each with its uncached pair (default: %(default)s)")
    parser.add_argument("--page", default="availability-zones.inc", help="the page each edit adds a sentence to (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.pairs < 1:
        parser.error(f"--pairs {args.pairs} must be at least 1")
    shared = shared_dir()
    if shared is None:
        print("../shared is not beside this checkout", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="robust-history-") as scratch:
        work = Path(scratch)
        os.environ["SSM_BUILD_CACHE"] = str(work / "cache")
        if not args.skip_rebuild:
            tree = shared / "upstream/manila-api-ref"
            if not (tree / args.page).is_file():
                parser.error(f"--page {args.page}: no such page in {tree}")
            rebuild(tree, work, args.pairs, args.page)
        if not args.skip_history:
            return history(shared / "upstream/manila-api-ref-history.bundle", work, args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
