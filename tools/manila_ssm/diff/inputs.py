"""Turning a ``spec diff`` argument into an OpenAPI document.

An argument is an OpenAPI file (JSON or YAML), an api-ref page or tree (parsed
by ``manila_ssm.apiref`` and built by ``manila_ssm.builder``, the same code as
``spec build``), or ``REV:path`` naming either of those in a git revision
(root-relative, as git reads it). Bad input raises ``UsageError`` or
``SpecError`` naming the file and line.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from manila_ssm import tarsafe
from manila_ssm.cli_support import UsageError
from manila_ssm.errors import Finding, Location, Severity, SpecError

TreeBuilder = Callable[[Path], Mapping[str, Any]]
_OPENAPI_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class Loaded:
    name: str
    document: Mapping[str, Any]


def load(argument: str, cwd: Path, build_tree: TreeBuilder | None = None) -> Loaded:
    """The OpenAPI document ``argument`` names; ``build_tree`` turns api-ref sources into one."""
    path = cwd / argument
    if not path.exists() and ":" in argument:
        return _from_git(argument, cwd, build_tree or build_from_apiref)
    return Loaded(argument, _from_path(path, argument, build_tree or build_from_apiref))


def _from_path(path: Path, name: str, build_tree: TreeBuilder) -> Mapping[str, Any]:
    if path.is_dir() or path.suffix in (".rst", ".inc"):
        return build_tree(path)
    if not path.is_file():
        raise UsageError(f"{name}: no such file or directory (give an OpenAPI file, an api-ref tree or REV:path)")
    if path.suffix not in _OPENAPI_SUFFIXES:
        raise UsageError(f"{name}: not an OpenAPI file (.json, .yaml), an api-ref page (.rst, .inc) or a tree")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{name}: cannot read: {error}") from None
    return parse_openapi(text, name, yaml_syntax=path.suffix != ".json")


def parse_openapi(text: str, name: str, *, yaml_syntax: bool) -> Mapping[str, Any]:
    """Parse an OpenAPI document, reporting syntax errors with their line."""
    try:
        document = yaml.safe_load(text) if yaml_syntax else json.loads(text)
    except json.JSONDecodeError as error:
        raise SpecError(_bad(Location(name, error.lineno), f"invalid JSON: {error.msg} (column {error.colno})",
                             "fix the JSON syntax")) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        raise SpecError(_bad(Location(name, line), f"invalid YAML: {problem}", "fix the YAML syntax")) from None
    if not isinstance(document, dict) or "openapi" not in document:
        raise SpecError(_bad(Location(name), "not an OpenAPI document: no top-level 'openapi' key",
                             "give an OpenAPI 3.x document, or an api-ref tree to build one from"))
    if not isinstance(document.get("paths", {}), dict):
        raise SpecError(_bad(Location(name), "'paths' is not a mapping", "fix the document's paths"))
    return document


def _bad(where: Location, message: str, hint: str) -> Finding:
    return Finding("diff-input", Severity.ERROR, where, message, hint)


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, check=False)


def _from_git(argument: str, cwd: Path, build_tree: TreeBuilder) -> Loaded:
    revision, _, inner = argument.partition(":")
    if _git(cwd, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").returncode != 0:
        raise UsageError(f"{argument}: no such file, and {revision!r} is not a git revision here ({cwd})")
    kind = _git(cwd, "cat-file", "-t", f"{revision}:{inner}")
    if kind.returncode != 0:
        raise UsageError(f"{argument}: git revision {revision} has no {inner!r} (paths are relative to the repository root)")
    if kind.stdout.strip() == b"blob" and Path(inner).suffix in _OPENAPI_SUFFIXES:
        text = _git(cwd, "show", f"{revision}:{inner}").stdout.decode("utf-8", errors="replace")
        return Loaded(argument, parse_openapi(text, argument, yaml_syntax=Path(inner).suffix != ".json"))
    # api-ref sources include files beside them (samples, parameters): take the whole revision
    archive = _git(cwd, "archive", "--format=tar", revision)
    if archive.returncode != 0:
        raise UsageError(f"{argument}: git archive failed: {archive.stderr.decode(errors='replace').strip()}")
    with tempfile.TemporaryDirectory(prefix="ssm-diff-") as tmp:
        tarsafe.unpack(archive.stdout, Path(tmp))
        return Loaded(argument, _from_path(Path(tmp) / inner, argument, build_tree))


def apiref_builder(options_file: Path | None = None, contract: str = "documented") -> TreeBuilder:
    """A tree builder that does what ``spec build SOURCE --contract ... --options ...`` does."""

    def build(path: Path) -> Mapping[str, Any]:
        from manila_ssm.apiref import parse
        from manila_ssm.builder.contracts import effective_from_documented
        from manila_ssm.builder.detect import options_for
        from manila_ssm.builder.openapi import build_openapi
        from manila_ssm.builder.options import load_options

        # the tree's own options unless given: Manila's apply to Manila's tree only
        options = load_options(options_file) if options_file else options_for(path)
        api = parse(path, tolerant=True)  # as `spec build`: nothing in one revision is fatal
        # sources relative to the tree root, so both sides of a diff name the same files
        document = build_openapi(api, options, Path(api.root)).document
        return effective_from_documented(document).document if contract == "effective" else document

    return build


def build_from_apiref(path: Path) -> Mapping[str, Any]:
    """Parse and build an api-ref page or tree as ``spec build`` does by default (documented)."""
    return apiref_builder()(path)


def revisions_pair(old: str, new: str, cwd: Path) -> bool:
    """Whether OLD and NEW are two git revisions (and not files or folders here)."""
    from manila_ssm.diff import _git

    if (cwd / old).exists() or (cwd / new).exists() or ":" in old or ":" in new:
        return False
    try:
        return _git.toplevel(cwd) is not None and _git.is_revision(cwd, old) and _git.is_revision(cwd, new)
    except _git.GitError:
        return False


def load_revision(revision: str, tree: str, cwd: Path, build_tree: TreeBuilder) -> Loaded:
    """The api-ref tree ``tree`` (root-relative; empty: the root) at ``revision``."""
    return _from_git(f"{revision}:{tree}", cwd, build_tree)


def against_base(revision: str, tree: str, cwd: Path, build_tree: TreeBuilder) -> tuple[Loaded, Loaded]:
    """``tree`` at git ``revision`` and as it is in the work tree (``spec diff --base REV TREE``)."""
    from manila_ssm.diff import _git

    path = cwd / tree
    if not path.exists():
        raise UsageError(f"{tree}: no such api-ref tree or file")
    try:
        root, inner = _git.relative_to_toplevel(path, cwd)
    except _git.GitError as error:
        raise UsageError(f"--base {revision}: {error}") from None
    if not _git.is_revision(root, revision):
        raise UsageError(f"--base {revision}: not a git revision in {root} (try HEAD~1, main, or a merge base)")
    old = _from_git(f"{revision}:{inner}", root, build_tree)
    return Loaded(f"{revision}:{inner or '.'}", old.document), load(tree, cwd, build_tree)
