"""CPU time of a whole-process ``spec build`` of the upstream Manila api-ref against ``sphinx-build -b dummy``.

The goal (issue 14, P1): our build (parse, OpenAPI, JSON Schemas, the OpenAPI
3.1 meta-schema check and every sample against its schema) in at most 20% of
the CPU time Sphinx with os-api-ref takes to read the same tree. Each pair runs
both tools back to back (alternating which goes first), each in a fresh
process with fresh output folders (no Sphinx environment, no build cache), and
prints both CPU times and their ratio; ``--warm`` adds pairs where both reuse
what the previous run left (Sphinx's pickled environment, our build cache);
``--edit`` adds pairs where both rebuild after one page of a copy of the tree
got a new sentence (Sphinx re-reads the document that includes the page, i.e.
index.rst with every page; our build cache parses only that page again and
reuses the rest, ``builder.cache``).

One-time setup of the baseline (this script installs nothing)::

    python3 -m venv /tmp/sphinx-venv && /tmp/sphinx-venv/bin/pip install sphinx os-api-ref

Run from a checkout with ../shared beside it::

    python benchmarks/toolkit_speed.py [--pairs 5] [--warm] [--edit] [--sphinx-build /tmp/sphinx-venv/bin/sphinx-build]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from manila_ssm.paths import shared_dir

_DEFAULT_SPHINX = Path(os.environ.get("SSM_SPHINX_BUILD", "/tmp/sphinx-venv/bin/sphinx-build"))


def cpu_seconds(command: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """User + system CPU seconds of ``command`` (and its children), and its exit code."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, process.returncode


def versions(sphinx_build: Path) -> str:
    python = sphinx_build.parent / "python"
    script = "import sphinx, importlib.metadata as m; print(f'Sphinx {sphinx.__version__}, os-api-ref {m.version(\"os-api-ref\")}')"
    return subprocess.run([str(python), "-c", script], capture_output=True, text=True, check=True).stdout.strip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", nargs="?", type=Path, help="an api-ref folder (default: the upstream Manila tree)")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--warm", action="store_true", help="also pairs that reuse the previous run's environment/cache")
    parser.add_argument("--edit", action="store_true", help="also pairs that rebuild after editing one page (PAGE)")
    parser.add_argument("--page", default="availability-zones.inc", help="the page --edit edits (default: %(default)s)")
    parser.add_argument("--sphinx-build", type=Path, default=_DEFAULT_SPHINX)
    args = parser.parse_args(argv)
    shared = shared_dir()
    tree = args.tree or (shared / "upstream/manila-api-ref" if shared else None)
    if tree is None or not tree.is_dir():
        print("no tree given and ../shared is not beside this checkout", file=sys.stderr)
        return 2
    if not args.sphinx_build.is_file():
        print(f"{args.sphinx_build} does not exist; set the baseline up once with:\n"
              "  python3 -m venv /tmp/sphinx-venv && /tmp/sphinx-venv/bin/pip install sphinx os-api-ref", file=sys.stderr)
        return 2
    print(f"tree {tree}; baseline: sphinx-build -b dummy with {versions(args.sphinx_build)}")
    with tempfile.TemporaryDirectory(prefix="ssm-speed-") as scratch:
        work = Path(scratch)
        modes = [("cold", False)] + ([("warm", True)] if args.warm else []) + ([("edit", True)] if args.edit else [])
        copy = work / "tree"
        if args.edit:
            shutil.copytree(tree, copy)
            if not (copy / args.page).is_file():
                print(f"--page {args.page}: no such page in {tree}", file=sys.stderr)
                return 2
        for mode, warm in modes:
            ratios: list[float] = []
            ours_cpu: list[float] = []
            source = copy if mode == "edit" else tree
            for index in range(args.pairs):
                out_ours, out_sphinx, cache = work / f"ours{index}", work / f"sphinx{index}", work / f"cache{index}"
                env = {**os.environ, "SSM_BUILD_CACHE": str(cache)}
                ours = [sys.executable, "-m", "manila_ssm.cli", "spec", "build", str(source), "-o", str(out_ours)]
                sphinx = [str(args.sphinx_build), "-b", "dummy", "-C", "-D", "extensions=os_api_ref", "-q", str(source), str(out_sphinx)]
                if warm:  # leave what one run leaves behind, then measure the next
                    cpu_seconds(ours, env)
                    cpu_seconds(sphinx)
                    if mode == "edit":
                        page = source / args.page
                        page.write_text(page.read_text(encoding="utf-8") + f"\nOne more sentence ({index}).\n", encoding="utf-8")
                else:
                    for folder in (out_ours, out_sphinx, cache):
                        shutil.rmtree(folder, ignore_errors=True)
                runs = [("ours", ours, env), ("sphinx", sphinx, None)]
                if index % 2:
                    runs.reverse()
                times = {}
                for name, command, environment in runs:
                    times[name], code = cpu_seconds(command, environment)
                    if code not in (0, 1):
                        print(f"{name} exited {code}: {' '.join(command)}", file=sys.stderr)
                        return 1
                ratio = times["ours"] / times["sphinx"]
                ratios.append(ratio)
                ours_cpu.append(times["ours"])
                print(f"{mode} pair {index + 1}: spec build {times['ours']:.2f}s CPU, sphinx-build {times['sphinx']:.2f}s CPU, ratio {ratio:.3f}")
            print(f"{mode}: ratio median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}) "
                  f"over {args.pairs} pairs; goal <= 0.20")
            if mode == "edit":
                print(f"edit: spec build after editing one page, median {statistics.median(ours_cpu):.2f}s CPU as a whole "
                      "process; goal 0.3 s (issue 14)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
