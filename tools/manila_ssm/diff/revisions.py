"""An api-ref tree at a git revision, built once: the model, the OpenAPI document, or why not.

``spec diff OLD_REV NEW_REV``, ``spec diff --base REV`` and the history report
all build trees from git revisions. A build is keyed by the git object id of
the tree (equal ids, equal sources) and the builder's options, so a cache
folder (``cache``) makes a second run over the same history fast.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manila_ssm.diff import _git
from manila_ssm.errors import SpecError
from manila_ssm.model import ApiRef

_CACHE_FORMAT = "2"


@dataclass(frozen=True, slots=True)
class Built:
    """One revision's tree: ``document`` and ``api`` when it built, else ``failure`` says why."""

    revision: str
    tree: str
    api: ApiRef | None
    document: Mapping[str, Any] | None
    failure: str | None = None


def build_tree(folder: Path, options_file: Path | None = None) -> tuple[ApiRef, Mapping[str, Any]]:
    """Parse and build the api-ref tree in ``folder``; source locations relative to ``folder``."""
    from manila_ssm.apiref import parse
    from manila_ssm.builder.detect import options_for
    from manila_ssm.builder.openapi import build_openapi
    from manila_ssm.builder.options import load_options

    options = load_options(options_file) if options_file else options_for(folder)
    api = parse(folder, tolerant=True)  # as `spec build`: nothing in one revision is fatal
    return api, build_openapi(api, options, folder).document


def _key(tree: str, options_file: Path | None) -> str:
    salt = options_file.read_bytes() if options_file else b"default"
    return hashlib.sha256(f"{_CACHE_FORMAT}:{tree}:".encode() + salt).hexdigest()[:24]


def built_at(repo: Path, revision: str, inner: str = "", *, options_file: Path | None = None,
             cache: Path | None = None) -> Built:
    """The tree ``inner`` (root-relative folder or ``index.rst``) of ``repo`` at ``revision``."""
    tree = _git.tree_id(repo, revision, inner)
    cached = cache / f"{_key(tree, options_file)}.pickle.gz" if cache is not None else None
    if cached is not None and cached.is_file():
        try:
            with gzip.open(cached, "rb") as handle:
                api, document, failure = pickle.load(handle)
            return Built(revision, tree, api, document, failure)
        except (EOFError, OSError, pickle.UnpicklingError):
            pass  # a torn or foreign cache entry: build again

    with tempfile.TemporaryDirectory(prefix="ssm-rev-") as tmp:
        _git.export(repo, revision, Path(tmp))
        source = Path(tmp) / inner
        try:
            api, document = build_tree(source if source.is_dir() else source.parent, options_file)
            failure = None
        except SpecError as error:
            api, document = None, None
            failure = "; ".join(f.format().splitlines()[0] for f in error.findings[:3])
        except Exception as error:  # noqa: BLE001 - a builder bug must not stop a history run
            api, document = None, None
            failure = f"internal error: {type(error).__name__}: {error}"
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.part")
        with gzip.open(partial, "wb") as handle:
            pickle.dump((api, document, failure), handle)
        partial.replace(cached)  # atomic: a reader never sees half a file
    return Built(revision, tree, api, document, failure)
