"""Per-parse state: the tree root, the findings so far, and the files read once per parse.

One ``Context`` lives for exactly one call of :func:`manila_ssm.apiref.parse`;
nothing is cached across parses (os-api-ref's module-global YAML cache is the
thing to avoid).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

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
            # Sphinx resolves relative to the document, not the included page (Keystone's federation pages).
            in_document = self.path(self.document.parent / name)
            if in_document.exists():
                return in_document
        return beside

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def parameters(self, path: Path, at: Location) -> ParameterTable | None:
        if path not in self.parameter_files:
            self.parameter_files[path] = self._load(load_parameters, path, at, "parameters")
        return self.parameter_files[path]

    def statuses(self, path: Path, at: Location) -> dict[int, StatusDef] | None:
        if path not in self.status_files:
            self.status_files[path] = self._load(load_status_codes, path, at, "status")
        return self.status_files[path]

    def _load(self, loader, path: Path, at: Location, kind: str):  # type: ignore[no-untyped-def]
        try:
            confined(path, self.bound or self.root)
        except UnreadableFile as error:
            self.add(rules.finding(error.rule, at, f"the {kind} file `{self.display(path)}` is refused: {error.reason}"))
            return None
        observe(path)  # a missing file that appears later must not reuse a cached build
        if not path.exists():
            self.add(
                rules.finding(
                    "source-missing-file", at, f"the {kind} file `{self.display(path)}` does not exist"
                )
            )
            return None
        try:
            loaded, findings = loader(path, self.display(path))
        except SpecError as error:
            self.findings.extend(error.findings)
            return None
        self.findings.extend(findings)
        return loaded
