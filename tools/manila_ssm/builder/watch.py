"""``spec build SOURCE --watch``: keep the process, build again when a source changes (as sphinx-autobuild does).

A build in a process that stays pays no interpreter start-up and no imports,
and the build cache makes it redo only the pages that changed; what a user
editing pages waits for is then the in-process rebuild. Changes are noticed
by polling the size, modification time and inode of every file under the
tree and every file the last build read (samples and options outside the
tree too): that only decides *when* to build; what is reused is decided by
content, as in any build. A change made while a build runs is seen at the
next poll, since the files are looked at before each build; an edit that
keeps a file's size within the file system's timestamp resolution can go
unseen until the next change.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

Build = Callable[[], tuple[int, Iterable[str]]]
"""One build: its exit code and the files it read."""


def watch(build: Build, root: Path, err: TextIO, interval: float = 0.5) -> int:
    """Build, then build again whenever a watched file changes; Ctrl-C stops with the last build's exit code."""
    watched: set[str] = set()
    before = _state(root, watched)
    code, read = build()
    seen = _after(before, read, watched)
    print(f"watching {root} and {len(watched)} files the build read; Ctrl-C stops", file=err)
    try:
        while True:
            time.sleep(interval)
            before = _state(root, watched)
            if before == seen:
                continue
            start = time.perf_counter()
            code, read = build()
            seen = _after(before, read, watched)
            print(f"built again in {time.perf_counter() - start:.2f} s", file=err)
    except KeyboardInterrupt:
        return code


def _after(before: dict[str, tuple[int, int, int] | None], read: Iterable[str], watched: set[str]) -> dict[str, tuple[int, int, int] | None]:
    """What to compare the next poll with: the files as they were before the build, and files it newly read."""
    new = set(read) - watched
    watched |= new
    return {**{name: _stat(name) for name in new}, **before}


def _state(root: Path, files: Iterable[str]) -> dict[str, tuple[int, int, int] | None]:
    """Size, modification time and inode of every file under ``root`` and of ``files`` (``None``: missing)."""
    state: dict[str, tuple[int, int, int] | None] = {}
    for folder, _, names in os.walk(root):
        for name in names:
            state[os.path.join(folder, name)] = _stat(os.path.join(folder, name))
    for name in files:
        if name not in state:
            state[name] = _stat(name)
    return state


def _stat(path: str) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns, info.st_ino


__all__ = ["watch"]
