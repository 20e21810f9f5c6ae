"""``lint``: parse a page or tree, run every check, and return the findings in a stable order."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from manila_ssm.apiref import parse, rules
from manila_ssm.errors import Finding, Location, Severity, SpecError
from manila_ssm.lint import _sample_checks, _schema_checks, _spec_checks  # noqa: F401 - register the checks
from manila_ssm.lint._conventions import Conventions
from manila_ssm.lint._errata import load_claims
from manila_ssm.lint._registry import Subject, run_checks
from manila_ssm.model import ApiRef

_PAGE_SUFFIXES = (".inc", ".rst")


@dataclass(frozen=True, slots=True)
class LintReport:
    """The findings of one run, sorted by file, line and rule; locations relative to the tree root."""

    source: str
    findings: tuple[Finding, ...]
    explained: tuple[tuple[Finding, str], ...] = ()
    """Parser findings an os-api-ref convention explains (see ``_conventions``), with the reason."""
    accepted: frozenset[Finding] = frozenset()
    """Findings a baseline accepts (``--baseline``): reported, but they do not fail the run."""
    with_baseline: bool = False

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def at_or_above(self, threshold: Severity) -> tuple[Finding, ...]:
        """The findings that fail a gate at ``threshold`` (a baseline's accepted ones never do)."""
        return tuple(f for f in self.findings if f.severity >= threshold and f not in self.accepted)


def _pages(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in _PAGE_SUFFIXES and p.is_file())


def _parse(source: Path) -> tuple[ApiRef, Path, bool]:
    """The model of ``source``, its root folder, and whether it is a whole tree."""
    if source.is_file():
        return parse(source, tolerant=True), source.parent, source.name == "index.rst"
    if (source / "index.rst").is_file():
        return parse(source, tolerant=True), source, True
    pages = _pages(source)
    if not pages:
        raise SpecError(
            rules.finding("source-missing-file", Location(str(source)), "no index.rst and no .inc or .rst page in this folder")
        )
    # A folder of pages without an index: each page on its own, one report for all of them.
    parts = [parse(page, tolerant=True) for page in pages]
    merged = replace(
        parts[0],
        operations=tuple(op for part in parts for op in part.operations),
        sections=tuple(s for part in parts for s in part.sections),
        parameter_files=tuple(dict.fromkeys(f for part in parts for f in part.parameter_files)),
        findings=tuple(f for part in parts for f in part.findings),
    )
    return merged, source, True


_ABSOLUTE = re.compile(r"(?<![\w/.])(/[^\s`'\",;]+)")


def _portable(finding: Finding, root: Path) -> Finding:
    """``finding`` with absolute paths in its message (samples outside the tree) made relative to ``root``.

    Messages are fingerprints (baselines, precision labels): they must not name
    the folder this checkout happens to sit in.
    """
    def relative(match: re.Match[str]) -> str:
        path = match.group(1)  # URL paths such as `/v2/servers` are not files and stay as they are
        return Path(os.path.relpath(path, root)).as_posix() if os.path.isfile(path) else match.group(0)

    message = _ABSOLUTE.sub(relative, finding.message)
    return finding if message == finding.message else replace(finding, message=message)


def _order(finding: Finding) -> tuple[str, int, str, str]:
    return (finding.location.file, finding.location.line or 0, finding.rule_id, finding.message)


def lint(
    source: Path, *, errata: Path | None = None, name: str | None = None, errata_name: str | None = None
) -> LintReport:
    """Lint an os-api-ref page, tree (``index.rst`` or its folder) or folder of pages.

    ``errata`` is an overlay whose ``x-erratum`` status claims are checked
    against the pages. Input that cannot be read at all raises ``SpecError``.
    ``name`` and ``errata_name`` are how the report names them (default: the paths as given).
    """
    source = Path(source)
    if not source.exists():
        raise SpecError(rules.finding("source-missing-file", Location(str(source)), "no such file or folder"))
    claims = load_claims(errata, errata_name or Path(errata).as_posix()) if errata is not None else ()
    api, root, whole_tree = _parse(source)
    subject = Subject(api, Path(os.path.abspath(root)), whole_tree, claims)
    conventions = Conventions(api, subject.root)
    findings: set[Finding] = set()
    explained: dict[Finding, str] = {}
    for found in (*api.findings, *run_checks(subject)):
        reason = conventions.explain(found)
        finding = _portable(found, subject.root)
        if reason is None:
            findings.add(finding)
        else:
            explained[finding] = reason
    return LintReport(
        name or source.as_posix(), tuple(sorted(findings, key=_order)),
        tuple(sorted(explained.items(), key=lambda item: _order(item[0]))),
    )
