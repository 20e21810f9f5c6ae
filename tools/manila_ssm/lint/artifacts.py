"""The committed lint report of the upstream Manila api-ref (``spec/lint/``): write or check it.

``python -m manila_ssm.lint.artifacts`` lints ``../shared/upstream/manila-api-ref``
with our errata overlay and writes the report as text and SARIF; ``--check``
only says whether the committed files are stale. Names in the report are fixed
(``manila-api-ref``, ``spec/errata.overlay.yaml``) so that it reads the same
from any checkout.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from manila_ssm import paths
from manila_ssm.lint._run import LintReport, lint
from manila_ssm.lint.render import render

TREE_NAME = "manila-api-ref"
ERRATA_NAME = "spec/errata.overlay.yaml"
FILES = {"manila-api-ref.txt": "text", "manila-api-ref.sarif": "sarif"}
REGENERATE = "python -m manila_ssm.lint.artifacts"


def upstream_tree() -> Path | None:
    shared = paths.shared_dir()
    tree = shared / "upstream" / TREE_NAME if shared is not None else None
    return tree if tree is not None and tree.is_dir() else None


def report_of(tree: Path) -> LintReport:
    return lint(tree, errata=paths.spec_dir() / "errata.overlay.yaml", name=TREE_NAME, errata_name=ERRATA_NAME)


def expected(tree: Path) -> dict[str, str]:
    """File name under ``spec/lint/`` -> the text it should have."""
    report = report_of(tree)
    return {name: render(report, fmt) for name, fmt in FILES.items()}


def stale(tree: Path, folder: Path) -> list[str]:
    """The files of ``folder`` that differ from a fresh run (missing ones included)."""
    result = []
    for name, text in expected(tree).items():
        target = folder / name
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            result.append(name)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed report is stale; write nothing")
    args = parser.parse_args(argv)
    tree = upstream_tree()
    if tree is None:
        print("error: ../shared/upstream/manila-api-ref is not beside this checkout", file=sys.stderr)
        return 2
    folder = paths.spec_dir() / "lint"
    if args.check:
        names = stale(tree, folder)
        for name in names:
            print(f"stale: spec/lint/{name} (run `{REGENERATE}`)", file=sys.stderr)
        return 1 if names else 0
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in expected(tree).items():
        (folder / name).write_text(text, encoding="utf-8")
        print(f"wrote spec/lint/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
