"""What a build read: each file's fingerprint, collected for the build cache (``builder.cache``).

Kept apart from the readers so that a build the cache answers imports neither
PyYAML nor docutils to check its entry.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

MAX_FILE_BYTES = 8 * 1024 * 1024
"""The largest page, parameters file or sample we read (upstream's largest file is 120 kB)."""


_OBSERVED: ContextVar[dict[str, str] | None] = ContextVar("manila_ssm_observed_files", default=None)


def fingerprint(path: Path) -> str:
    """The SHA-256 of a regular file's bytes, or why the reader refuses it (what a build saw of it)."""
    try:
        info = os.stat(path)
    except OSError:
        return "missing"
    if not stat.S_ISREG(info.st_mode):
        return f"not-regular:{stat.S_IFMT(info.st_mode)}"
    if info.st_size > MAX_FILE_BYTES:
        return f"too-large:{info.st_size}"
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read(MAX_FILE_BYTES + 1)).hexdigest()
    except OSError as error:
        return f"unreadable:{error.errno}"


def observe(path: Path) -> None:
    """Note ``path`` for the build cache (``observing``); nothing happens outside such a block."""
    seen = _OBSERVED.get()
    if seen is not None:
        seen[os.path.abspath(path)] = fingerprint(path)


def note(path: str, digest: str) -> None:
    """Note ``path`` as ``observe`` does, with a fingerprint already taken in this build."""
    seen = _OBSERVED.get()
    if seen is not None:
        seen[os.path.abspath(path)] = digest


@contextmanager
def observing() -> Iterator[dict[str, str]]:
    """Collect every file read (or looked for) in the block: absolute path → ``fingerprint``.

    Blocks nest: what an inner block saw, the outer one saw too.
    """
    seen: dict[str, str] = {}
    outer = _OBSERVED.get()
    token = _OBSERVED.set(seen)
    try:
        yield seen
    finally:
        _OBSERVED.reset(token)
        if outer is not None:
            outer.update(seen)


__all__ = ["MAX_FILE_BYTES", "fingerprint", "note", "observe", "observing"]
