"""A content-keyed cache of ``spec build`` results, like Sphinx's pickled environment.

Where: ``$SSM_BUILD_CACHE`` (a folder; ``off`` disables it), else
``$XDG_CACHE_HOME/manila-ssm/build`` (``~/.cache/manila-ssm/build``). One
file per build question (tree, contract, options file, output folder,
toolkit version), a :class:`PageStore`; delete the folder to clear it.

The result of the last build answers a build in which nothing changed. It
records every file the build read, with a SHA-256 of its bytes (or why it
could not be read: missing, not a regular file, too large), plus the names
of all files under the tree (pages nobody includes are parsed too); it is
used only when every recorded file still has the same content and the
listing is the same. Otherwise the build runs, with the store's other
entries: each page's parse and operations (``apiref.PageCache``), each
operation group, example verdict and text piece (``builder.memo``), each
valid on its own terms, so that a build after an edit redoes only what the
edit touched. The toolkit's own source files are part of the key, so a
changed builder never reuses an old entry. Content, not modification times,
decides (a ``git checkout`` that restores a file restores its entries).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from manila_ssm.apiref._observed import fingerprint, observing

T = TypeVar("T")

def cache_dir() -> Path | None:
    """The cache folder, or ``None`` when ``SSM_BUILD_CACHE=off``."""
    configured = os.environ.get("SSM_BUILD_CACHE")
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "manila-ssm" / "build"


_LIBRARIES = ("docutils", "PyYAML", "jsonschema", "jsonschema-rs", "openapi-spec-validator", "openapi-schema-validator")


@cache
def toolkit_version() -> str:
    """A digest of the toolkit's own source files and the versions of the libraries that shape a build."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    versions = _installed_versions()
    for name in _LIBRARIES:
        found = versions.get(_normalized(name))
        digest.update(f"{name}={found}".encode() if found else name.encode())
    return digest.hexdigest()


def _installed_versions() -> dict[str, str]:
    """The versions of the libraries in ``_LIBRARIES``, as importlib.metadata finds them (first on sys.path).

    Read from the names of the ``<name>-<version>.dist-info`` folders:
    importing importlib.metadata and asking it took a tenth of a rebuild's
    process. A library installed otherwise is asked about the usual way.
    """
    wanted = {_normalized(name) for name in _LIBRARIES}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in names:
            if folder.endswith(".dist-info") and "-" in folder:
                name, _, version = folder[: -len(".dist-info")].partition("-")
                if _normalized(name) in wanted:
                    found.setdefault(_normalized(name), version)
    missing = wanted - set(found)
    if missing:
        from importlib.metadata import PackageNotFoundError, version

        for name in missing:
            try:
                found[name] = version(name)
            except PackageNotFoundError:
                pass
    return found


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def listing(root: Path) -> str:
    """A digest of the names of every file and folder under ``root`` (new or removed pages matter).

    The names ``root.rglob("*")`` gives (symlinked folders listed, not entered), from ``os.walk``.
    """
    names = []
    for folder, subfolders, files in os.walk(root):
        prefix = os.path.relpath(folder, root)
        prefix = "" if prefix == "." else prefix + os.sep
        names += (prefix + name for name in (*subfolders, *files))
    return hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class _Entry:
    reads: dict[str, str]
    listing: str
    value: Any
    token: str = ""
    """Names the build that wrote it: entries of that build that refer to its value (text spans) carry it too."""


def _unpickled(data: bytes) -> Any:
    """``pickle.loads``, or ``None`` for a corrupt or foreign pickle (the cache folder is the user's)."""
    try:
        return pickle.loads(data)
    except Exception:  # noqa: BLE001 - unpickling damaged bytes raises nearly anything; a bad entry is a miss
        return None


class PageStore:
    """The entries one build question's last build kept: its result, and what it made of each page.

    One file per question (``<key>.pickle``), read whole at the start (its
    entries stay pickled until asked for) and replaced at the end by the
    entries this build used, so it holds one build's worth. Each entry is
    valid on its own terms (whoever reads it checks what it was made from),
    so a store left by any earlier build, or none, only changes how much is
    reused, never the result. ``prints`` holds the fingerprints taken in this
    build, so that each file is hashed once.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            kept = _unpickled(path.read_bytes())
        except OSError:
            kept = None
        self._old: dict[str, bytes] = kept if isinstance(kept, dict) else {}
        self._new: dict[str, bytes] = {}
        self.prints: dict[str, str] = {}
        self.token = secrets.token_hex(16)
        previous = self._unpickle(self._old.get(_RESULT))
        self.previous: _Entry | None = previous if isinstance(previous, _Entry) else None
        """The last build's result, whether or not it still holds."""

    def get(self, key: str) -> Any:
        data = self._new.get(key) or self._old.get(key)
        value = self._unpickle(data)
        if value is not None:
            self._new[key] = data  # type: ignore[assignment]
        return value

    @staticmethod
    def _unpickle(data: bytes | None) -> Any:
        return _unpickled(data) if isinstance(data, bytes) else None

    def put(self, key: str, value: Any) -> None:
        try:
            self._new[key] = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, RecursionError, TypeError, AttributeError):
            pass  # an entry that cannot be kept only costs time

    def fingerprint(self, path: str) -> str:
        digest = self.prints.get(path)
        if digest is None:
            digest = self.prints[path] = fingerprint(Path(path))
        return digest

    def save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(pickle.dumps(self._new, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(temporary, self.path)
        except OSError:
            pass  # a cache that cannot be written only costs time


_RESULT = "result"


def _key(question: tuple[str, ...]) -> str:
    return hashlib.sha256("\0".join((toolkit_version(), *question)).encode()).hexdigest()


def cached(question: tuple[str, ...], root: Path, compute: Callable[[PageStore | None], T],
           read: set[str] | None = None) -> tuple[T, bool]:
    """``compute(store)``'s result for ``question`` over the tree ``root``, and whether it came from the cache.

    ``compute`` gets the question's :class:`PageStore` (``None`` with the cache off) to reuse parts of
    earlier builds. ``read`` receives the files the result depends on.
    """
    folder = cache_dir()
    if folder is None:
        if read is None:
            return compute(None), False
        with observing() as reads:
            value = compute(None)
        read.update(reads)
        return value, False
    store = PageStore(folder / f"{_key(question)}.pickle")
    entry = store.previous
    before = listing(root)
    if (
        entry is not None
        and entry.listing == before
        and all(store.fingerprint(name) == digest for name, digest in entry.reads.items())
    ):
        if read is not None:
            read.update(entry.reads)
        return entry.value, True
    with observing() as reads:
        value = compute(store)
    if read is not None:
        read.update(reads)
    if listing(root) == before:  # a tree that changed under the build is not worth keeping
        store.put(_RESULT, _Entry(dict(reads), before, value, store.token))
    store.save()
    return value, False


__all__ = ["PageStore", "cache_dir", "cached", "listing", "toolkit_version"]
