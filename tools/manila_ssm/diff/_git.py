"""The few git questions the diff gate asks: is this a revision, what is its tree, give me its files.

Everything runs ``git -C REPO ...`` as a subprocess; nothing here changes a
repository (revisions are exported with ``git archive`` into a folder).
"""

from __future__ import annotations

import subprocess
from pathlib import Path, PurePosixPath

from manila_ssm import tarsafe


class GitError(Exception):
    """A git question that has no answer here (not a repository, no such revision or path)."""


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed (it is needed for revisions)") from None


def toplevel(cwd: Path) -> Path | None:
    """The work tree root of the repository holding ``cwd``, or None outside one."""
    done = _git(cwd, "rev-parse", "--show-toplevel")
    return Path(done.stdout.decode().strip()) if done.returncode == 0 else None


def is_revision(cwd: Path, revision: str) -> bool:
    return _git(cwd, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").returncode == 0


def commit_id(cwd: Path, revision: str) -> str:
    done = _git(cwd, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if done.returncode != 0:
        raise GitError(f"{revision!r} is not a git revision in {cwd}")
    return done.stdout.decode().strip()


def object_kind(cwd: Path, revision: str, inner: str) -> str | None:
    """``blob``, ``tree`` or None when ``inner`` (root-relative) is not in ``revision``."""
    spec = f"{revision}:{inner}" if inner not in ("", ".") else f"{revision}^{{tree}}"
    done = _git(cwd, "cat-file", "-t", spec)
    return done.stdout.decode().strip() if done.returncode == 0 else None


def tree_id(cwd: Path, revision: str, inner: str = "") -> str:
    """The object id of ``inner`` in ``revision``: equal ids mean equal content."""
    spec = f"{revision}:{inner}" if inner not in ("", ".") else f"{revision}^{{tree}}"
    done = _git(cwd, "rev-parse", "--verify", "--quiet", spec)
    if done.returncode != 0:
        raise GitError(f"git revision {revision} has no {inner or 'tree'!r}")
    return done.stdout.decode().strip()


def show(cwd: Path, revision: str, inner: str) -> str:
    return _git(cwd, "show", f"{revision}:{inner}").stdout.decode("utf-8", errors="replace")


def export(cwd: Path, revision: str, dest: Path) -> None:
    """Write every file of ``revision`` under ``dest`` (api-ref pages need their neighbours)."""
    archive = _git(cwd, "archive", "--format=tar", revision)
    if archive.returncode != 0:
        raise GitError(f"git archive {revision} failed: {archive.stderr.decode(errors='replace').strip()}")
    tarsafe.unpack(archive.stdout, Path(dest))


def merge_base(cwd: Path, revision: str, other: str = "HEAD") -> str:
    done = _git(cwd, "merge-base", revision, other)
    if done.returncode != 0:
        raise GitError(f"no merge base of {revision} and {other} in {cwd}")
    return done.stdout.decode().strip()


def relative_to_toplevel(path: Path, cwd: Path) -> tuple[Path, str]:
    """The repository root holding ``path`` and ``path`` relative to it (POSIX, as git names it)."""
    absolute = (cwd / path).resolve()
    start = absolute if absolute.is_dir() else absolute.parent
    root = toplevel(start)
    if root is None:
        raise GitError(f"{path} is not inside a git repository")
    inner = absolute.relative_to(root.resolve())
    return root, str(PurePosixPath(*inner.parts)) if inner.parts else ""


def log(cwd: Path, revision_range: str = "HEAD") -> list[tuple[str, str, str]]:
    """(sha, date, subject) of every commit, oldest first (first-parent order)."""
    done = _git(cwd, "log", "--first-parent", "--reverse", "--format=%H%x00%as%x00%s", revision_range)
    if done.returncode != 0:
        raise GitError(f"git log failed in {cwd}: {done.stderr.decode(errors='replace').strip()}")
    rows = []
    for line in done.stdout.decode("utf-8", errors="replace").splitlines():
        sha, date, subject = line.split("\x00", 2)
        rows.append((sha, date, subject))
    return rows


def changed_lines(cwd: Path, old: str, new: str) -> int:
    """Lines added plus removed between two revisions (binary files count as one)."""
    done = _git(cwd, "diff", "--numstat", old, new)
    total = 0
    for line in done.stdout.decode(errors="replace").splitlines():
        added, removed, _ = line.split("\t", 2)
        total += (int(added) if added.isdigit() else 1) + (int(removed) if removed.isdigit() else 0)
    return total
