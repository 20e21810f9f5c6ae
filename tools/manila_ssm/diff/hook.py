"""The pre-commit hook ``ssm-spec-diff``: the api-ref against itself at the merge base.

The base is the merge base of ``HEAD`` and ``--base-ref`` (default: the first
of ``origin/HEAD``, ``origin/main``, ``main``, ``origin/master``, ``master``
that exists; ``HEAD`` itself when none does, so a commit is compared with its
own state before the staged edits). It fails on breaking changes, exactly as
``spec diff --base MERGE_BASE TREE``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from manila_ssm import cli
from manila_ssm.diff import _git

_DEFAULT_REFS = ("origin/HEAD", "origin/main", "main", "origin/master", "master")


def base_revision(cwd: Path, base_ref: str | None) -> str:
    refs = (base_ref,) if base_ref else _DEFAULT_REFS
    for ref in refs:
        if _git.is_revision(cwd, ref):
            try:
                return _git.merge_base(cwd, ref, "HEAD")
            except _git.GitError:
                continue
    return "HEAD"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ssm-spec-diff", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="ignored (the whole tree is compared)")
    parser.add_argument("--tree", default="api-ref/source", help="the api-ref tree (default: api-ref/source)")
    parser.add_argument("--base-ref", help="the branch to compare against (default: origin/HEAD, main, ...)")
    parser.add_argument("--ignore", help="an ignore file of accepted breaking changes")
    args = parser.parse_args(argv)
    cwd = Path.cwd()
    if not (cwd / args.tree).exists():
        print(f"ssm-spec-diff: {args.tree}: no such tree (set --tree in the hook's args)", file=sys.stderr)
        return 2
    base = base_revision(cwd, args.base_ref)
    extra = ["--ignore", args.ignore] if args.ignore else []
    return cli.main(["spec", "diff", "--base", base, args.tree, *extra])


if __name__ == "__main__":
    sys.exit(main())
