"""Per-parse state: the tree root, the findings so far, and the files read once per parse.

One ``Context`` lives for exactly one call of :func:`manila_ssm.apiref.parse`;
nothing is cached across parses (os-api-ref's module-global YAML cache is the
thing to avoid).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manila_ssm._pickling import by_fields
from manila_ssm.apiref import rules
from manila_ssm.apiref._files import ParameterTable, StatusDef, UnreadableFile, confined, load_parameters, observe, load_status_codes
from manila_ssm.errors import Finding, Location, SpecError


@dataclass(slots=True)
class Context:
    root: Path
    bound: Path | None = None
    """Files may be read only inside this folder (``confining_root``); ``None``: the root."""
    findings: list[Finding] = field(default_factory=list)
    parameter_files: dict[Path, ParameterTable | None] = field(default_factory=dict)
    status_files: dict[Path, dict[int, StatusDef] | None] = field(default_factory=dict)
    _resolved: dict[str, Path] = field(default_factory=dict)
    _shown: dict[str, str] = field(default_factory=dict)
    document: Path | None = None
    """The page being read as a Sphinx document (index.rst, a toctree page), not an included one."""

    def path(self, source: str | Path) -> Path:
        """An absolute path for a docutils source (which may be relative to the working directory)."""
        key = str(source)
        found = self._resolved.get(key)
        if found is None:
            # abspath, not resolve: a symlinked samples/ folder still shows as inside the tree
            found = self._resolved[key] = Path(os.path.abspath(source))
        return found

    def display(self, path: str | Path) -> str:
        """``path`` relative to the tree root when it lies inside it, else absolute."""
        key = str(path)
        shown = self._shown.get(key)
        if shown is None:
            resolved = self.path(path)
            try:
                shown = resolved.relative_to(self.root).as_posix()
            except ValueError:
                shown = resolved.as_posix()
            self._shown[key] = shown
        return shown

    def locate(self, source: str | Path | None, line: int | None) -> Location:
        return Location(self.display(source) if source else "<unknown>", line)

    def beside(self, source: str, name: str) -> Path:
        """A file named by a directive, resolved relative to the page that names it, else to the document.

        As in Sphinx, a name starting with ``/`` is relative to the tree root (the
        source folder): Nova's pages include ``/../../doc/api_samples/...``.
        """
        if name.startswith("/"):
            return self.path(self.root / name.lstrip("/"))
        beside = self.path(self.path(source).parent / name)
        if not beside.exists() and self.document is not None:
            observe(beside)  # the build cache: which file is read depends on this one being absent
            # Sphinx resolves relative to the document, not the included page (Keystone's federation pages).
            in_document = self.path(self.document.parent / name)
            if in_document.exists():
                return in_document
        return beside

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def parameters(self, path: Path, at: Location) -> ParameterTable | None:
        if path not in self.parameter_files:
            self.parameter_files[path] = self.use("parameters", path, at)
        return self.parameter_files[path]

    def statuses(self, path: Path, at: Location) -> dict[int, StatusDef] | None:
        if path not in self.status_files:
            self.status_files[path] = self.use("status", path, at)
        return self.status_files[path]

    def use(self, kind: str, path: Path, at: Location) -> Any:
        """The first use of a parameters or status file, at ``at``: load it, with its findings."""
        loaded = self.load(kind, path)
        self.findings.extend(loaded.findings_at(at))
        return loaded.value

    def load(self, kind: str, path: Path) -> Loaded:
        return load(kind, path, self.bound or self.root, self.display(path))


@by_fields
@dataclass(frozen=True, slots=True)
class Loaded:
    """A parameters or status file as loaded, and what loading it found."""

    value: Any
    """The table, or ``None`` when the file is refused, missing or unreadable."""
    findings: tuple[Finding, ...]
    problem: tuple[str, str] | None = None
    """``(rule, message)`` of a refused or missing file, reported where it is first used."""

    def findings_at(self, at: Location) -> list[Finding]:
        if self.problem is not None:
            return [rules.finding(self.problem[0], at, self.problem[1])]
        return list(self.findings)


def load(kind: str, path: Path, bound: Path, display: str) -> Loaded:
    """Load the ``kind`` ("parameters" or "status") file ``path``, confined to ``bound``."""
    try:
        confined(path, bound)
    except UnreadableFile as error:
        return Loaded(None, (), (error.rule, f"the {kind} file `{display}` is refused: {error.reason}"))
    observe(path)  # a missing file that appears later must not reuse a cached build
    if not path.exists():
        return Loaded(None, (), ("source-missing-file", f"the {kind} file `{display}` does not exist"))
    loader = load_parameters if kind == "parameters" else load_status_codes
    try:
        table, findings = loader(path, display)
    except SpecError as error:
        return Loaded(None, tuple(error.findings))
    return Loaded(table, tuple(findings))
