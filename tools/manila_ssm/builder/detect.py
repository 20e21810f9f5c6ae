"""Build options that belong to a tree, read from the tree itself.

A tree names its service in ``conf.py`` (read as text, never executed:
``project``, ``openstackdocs_repo_name``) and documents its microversion
header in its pages: the legacy ``X-OpenStack-<Service>-API-Version`` or
``OpenStack-API-Version: <service-type> X.Y``. Manila's tree (its pages name
``X-OpenStack-Manila-API-Version``, or conf.py names ``openstack/manila``)
gets Manila's options (``spec/build-options.yaml``); any other tree gets
neutral options with its own title, header and schema ``$id`` prefix, so no
Manila string reaches another service's document.
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from manila_ssm import paths
from manila_ssm.apiref._observed import MAX_FILE_BYTES, note, observe
from manila_ssm.builder.options import BuildOptions, load_options

_LEGACY = re.compile(r"\bX-OpenStack-([A-Za-z]+)-API-Version\b")
_MODERN = re.compile(r"\bOpenStack-API-Version:?\s+([a-z][a-z-]*)\s+(?:\d+\.\d+|latest)\b")
_PAGES = ("*.inc", "*.rst", "*.yaml")


@dataclass(frozen=True, slots=True)
class TreeFacts:
    """What a tree says about itself: service name, title, microversion header."""

    service: str
    title: str | None
    legacy_header: str | None
    modern_service_type: str | None
    is_manila: bool


def _root(source: Path) -> Path:
    return source if source.is_dir() else source.parent


_MAX_PEEK = 8 * 1024 * 1024  # as the parser's own limit on a source file


def _peek(path: Path) -> str:
    """A regular file's text, or OSError: a FIFO, device or huge file is not read (it could hang
    or exhaust memory; the parser reports it with its location)."""
    if not path.is_file() or path.stat().st_size > _MAX_PEEK:
        observe(path)  # the build cache: options detected from this file hold while it does
        raise OSError(f"{path}: not a regular file of reasonable size")
    data = path.read_bytes()
    if len(data) <= MAX_FILE_BYTES:
        note(str(path), hashlib.sha256(data).hexdigest())  # ``fingerprint``'s digest, from the bytes read
    else:
        observe(path)
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")  # as read_text reads


def _conf_values(root: Path) -> dict[str, str]:
    """String assignments at the top level of ``conf.py`` (parsed, not run), from the root or its parent."""
    for conf in (root / "conf.py", root.parent / "conf.py"):
        try:
            tree = ast.parse(_peek(conf))
        except (OSError, SyntaxError, ValueError):
            continue
        values: dict[str, str] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        values[target.id] = node.value.value
        return values
    return {}


def _page_text(root: Path) -> str:
    chunks = []
    for pattern in _PAGES:
        for path in sorted(root.rglob(pattern)):
            if not any(part.startswith((".", "_")) for part in path.relative_to(root).parts):
                try:
                    chunks.append(_peek(path))
                except OSError:
                    continue
    return "\n".join(chunks)


def _index_title(root: Path) -> str | None:
    try:
        lines = _peek(root / "index.rst").splitlines()
    except OSError:
        return None
    for line, below in zip(lines, lines[1:]):
        text = line.strip()
        if text and not text.startswith("..") and re.fullmatch(r"([=\-~^*#])\1{2,}", below.strip()):
            return text
    return None


def _first(pattern: re.Pattern[str], literal: str, text: str) -> re.Match[str] | None:
    """``pattern.search(text)`` for a pattern whose matches start with ``literal``, found by the literal.

    A pattern led by ``\\b`` is tried at every position of the tree's text (a megabyte);
    ``str.find`` goes to the candidates.
    """
    start = text.find(literal)
    while start != -1:
        match = pattern.match(text, start)
        if match is not None:
            return match
        start = text.find(literal, start + 1)
    return None


def tree_facts(source: Path) -> TreeFacts:
    """The facts of the tree holding ``source`` (a page, an index.rst or a folder)."""
    root = _root(source)
    conf = _conf_values(root)
    text = _page_text(root)
    legacy = _first(_LEGACY, "X-OpenStack-", text)
    modern = _first(_MODERN, "OpenStack-API-Version", text)
    repo = conf.get("openstackdocs_repo_name", "")
    service = (
        repo.rsplit("/", 1)[-1]
        or conf.get("openstackdocs_bug_project")
        or (legacy.group(1).lower() if legacy else None)
        or (modern.group(1) if modern else None)
        or root.name
    )
    is_manila = service.lower() == "manila" or (legacy is not None and legacy.group(1).lower() == "manila")
    title = conf.get("project") or conf.get("html_title") or _index_title(root)
    return TreeFacts(
        service=service.lower(),
        title=title,
        legacy_header=legacy.group(0) if legacy else None,
        modern_service_type=modern.group(1) if modern else None,
        is_manila=is_manila,
    )


def manila_options(load: Callable[[Path], BuildOptions] = load_options) -> BuildOptions:
    """Manila's options: ``spec/build-options.yaml`` (read by ``load``)."""
    return load(paths.spec_dir() / "build-options.yaml")


def options_for(source: Path, load: Callable[[Path], BuildOptions] = load_options) -> BuildOptions:
    """The options of the tree holding ``source``: Manila's for Manila's tree, detected ones otherwise.

    ``load`` reads an options file (the build cache keeps them by content).
    """
    facts = tree_facts(source)
    if facts.is_manila:
        return manila_options(load)
    return BuildOptions(
        title=facts.title or f"{facts.service.capitalize()} API",
        schema_id_prefix=f"urn:openstack:{_slug(facts.service)}:schema",
        microversion_header=facts.legacy_header or ("OpenStack-API-Version" if facts.modern_service_type else None),
        microversion_service=None if facts.legacy_header else facts.modern_service_type,
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-") or "api"
