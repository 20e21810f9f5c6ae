"""The pre-commit hook ``ssm-spec-lint``: lint every api-ref tree that holds a changed file.

pre-commit passes the changed files; each belongs to the tree of the nearest
folder above it with an ``index.rst`` (or, without one, to its own folder).
Every such tree is linted once, with ``--baseline`` when the repository keeps
one, and the hook fails when any tree has a new finding at ``--fail-on``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from manila_ssm import cli


def tree_of(changed: Path) -> Path:
    """The api-ref tree a changed file belongs to."""
    for folder in changed.resolve().parents:
        if (folder / "index.rst").is_file():
            return folder
    return changed.resolve().parent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ssm-spec-lint", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="the changed files (from pre-commit)")
    parser.add_argument("--baseline", type=Path, help="accepted findings (spec lint --write-baseline)")
    parser.add_argument("--fail-on", default="error", choices=("error", "warning", "info"))
    args = parser.parse_args(argv)
    trees = sorted({tree_of(f) for f in args.files if f.suffix in (".rst", ".inc", ".yaml", ".json")})
    worst = 0
    for tree in trees:
        extra = ["--baseline", str(args.baseline)] if args.baseline is not None and args.baseline.is_file() else []
        code = cli.main(["spec", "lint", str(tree), "--fail-on", args.fail_on, *extra])
        worst = max(worst, code)
    return worst


if __name__ == "__main__":
    sys.exit(main())
