"""Unpacking a ``git archive`` on every Python the project supports.

tarfile's extraction filters (``filter="data"``) arrived in Python 3.11.4;
Debian 12's Python is 3.11.2, where the keyword is a TypeError.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path


def extract(tar: tarfile.TarFile, into: Path) -> None:
    """With tarfile's "data" filter where Python has it, else only the regular files and folders whose
    names stay inside ``into`` (links and devices are skipped)."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(into, filter="data")
        return
    root = Path(into).resolve()
    safe = [member for member in tar.getmembers()
            if (member.isfile() or member.isdir()) and (root / member.name).resolve().is_relative_to(root)]
    tar.extractall(into, members=safe)  # noqa: S202 (members checked above)


def unpack(archive: bytes, into: Path) -> None:
    """A ``git archive`` (tar bytes) unpacked into ``into`` with :func:`extract`."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        extract(tar, into)
