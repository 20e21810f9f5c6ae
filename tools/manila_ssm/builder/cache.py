"""A content-keyed cache of ``spec build`` results, like Sphinx's pickled environment.

Where: ``$SSM_BUILD_CACHE`` (a folder; ``off`` disables it), else
``$XDG_CACHE_HOME/manila-ssm/build`` (``~/.cache/manila-ssm/build``). One
pickle per build question (tree, contract, options, output folder, toolkit
version); delete the folder to clear it.

Never stale: an entry records every file the build read, with a SHA-256 of
its bytes (or why it could not be read: missing, not a regular file, too
large), plus the names of all files under the tree (pages nobody includes are
parsed too). An entry is used only when every recorded file still has the
same content and the listing is the same; the toolkit's own source files are
part of the key, so a changed builder never reuses an old result. Content,
not modification times, decides (a ``git checkout`` that restores a file
restores its entry).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from manila_ssm.apiref._files import fingerprint, observing

T = TypeVar("T")

def cache_dir() -> Path | None:
    """The cache folder, or ``None`` when ``SSM_BUILD_CACHE=off``."""
    configured = os.environ.get("SSM_BUILD_CACHE")
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "manila-ssm" / "build"


@cache
def toolkit_version() -> str:
    """A digest of the toolkit's own source files and the versions of the libraries that shape a build."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    for name in ("docutils", "PyYAML", "jsonschema", "jsonschema-rs", "openapi-spec-validator", "openapi-schema-validator"):
        try:
            digest.update(f"{name}={version(name)}".encode())
        except PackageNotFoundError:
            digest.update(name.encode())
    return digest.hexdigest()


def listing(root: Path) -> str:
    """A digest of the names of every file and folder under ``root`` (new or removed pages matter)."""
    names = sorted(str(path.relative_to(root)) for path in root.rglob("*"))
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class _Entry:
    reads: dict[str, str]
    listing: str
    value: Any


def cached(question: tuple[str, ...], root: Path, compute: Callable[[], T]) -> tuple[T, bool]:
    """``compute()``'s result for ``question`` over the tree ``root``, and whether it came from the cache."""
    folder = cache_dir()
    if folder is None:
        return compute(), False
    key = hashlib.sha256("\0".join((toolkit_version(), *question)).encode()).hexdigest()
    path = folder / f"{key}.pickle"
    try:
        entry = pickle.loads(path.read_bytes())
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        entry = None
    if (
        isinstance(entry, _Entry)
        and entry.listing == listing(root)
        and all(fingerprint(Path(name)) == digest for name, digest in entry.reads.items())
    ):
        return entry.value, True
    before = listing(root)
    with observing() as reads:
        value = compute()
    if listing(root) == before:  # a tree that changed under the build is not worth keeping
        try:
            folder.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(pickle.dumps(_Entry(dict(reads), before, value), protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(temporary, path)
        except (OSError, pickle.PicklingError, RecursionError):
            pass  # a cache that cannot be written only costs time
    return value, False


__all__ = ["cache_dir", "cached", "listing", "toolkit_version"]
