"""Ignore files: breaking changes a team has decided to accept, each with a reason.

The file is a YAML list of ``{rule, location, reason}``. ``location`` matches a
change's location (``METHOD /path [action] subject``) or either JSON pointer,
exactly or as a pattern where ``*`` and ``?`` are the only wildcards
(``POST /v2/*/action [migration_*] *``).
A missing reason is an input error: an exception nobody can explain is not
an exception but a bug.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from manila_ssm.diff._compare import Change
from manila_ssm.diff._registry import RULES
from manila_ssm.errors import Finding, Location, Severity, SpecError

_KEYS = ("rule", "location", "reason")


@dataclass(frozen=True, slots=True)
class Ignore:
    rule: str
    location: str
    reason: str
    where: Location

    def matches(self, change: Change) -> bool:
        if self.rule != change.rule:
            return False
        names = (change.location, change.old.pointer, change.new.pointer)
        pattern = self.location.replace("[", "[[]")  # locations contain "[action]": only * and ? are wildcards
        return any(self.location == name or fnmatch.fnmatchcase(name, pattern) for name in names)


def load_ignores(path: Path) -> tuple[Ignore, ...]:
    """Read and check an ignore file; every problem is a finding with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(_bad(Location(str(path)), f"cannot read the ignore file: {error}", "check the path")) from None
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise SpecError(_bad(Location(str(path), mark.line + 1 if mark else None),
                             f"invalid YAML: {getattr(error, 'problem', None) or error}", "fix the YAML syntax")) from None
    if root is None:
        return ()
    if not isinstance(root, yaml.SequenceNode):
        raise SpecError(_bad(Location(str(path), root.start_mark.line + 1),
                             "the ignore file must be a YAML list", "write '- {rule: ..., location: ..., reason: ...}'"))
    findings: list[Finding] = []
    ignores: list[Ignore] = []
    for entry in root.value:
        where = Location(str(path), entry.start_mark.line + 1)
        fields = _fields(entry, where, findings)
        if fields is not None:
            ignores.append(Ignore(fields["rule"], fields["location"], fields["reason"], where))
    if findings:
        raise SpecError(findings)
    return tuple(ignores)


def _fields(entry: yaml.Node, where: Location, findings: list[Finding]) -> dict[str, str] | None:
    if not isinstance(entry, yaml.MappingNode):
        findings.append(_bad(where, "an ignore entry must be a mapping", f"give the keys {', '.join(_KEYS)}"))
        return None
    fields = {key.value: value for key, value in entry.value if isinstance(key, yaml.ScalarNode)}
    found: dict[str, str] = {}
    for key in fields.keys() - set(_KEYS):
        findings.append(_bad(where, f"unknown key {key!r} in an ignore entry", f"use only {', '.join(_KEYS)}"))
    for key in _KEYS:
        node = fields.get(key)
        value = node.value.strip() if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":str") else ""
        if not value:
            hint = "say why this breaking change is acceptable" if key == "reason" else f"give {key} as a string"
            findings.append(_bad(where, f"ignore entry without a {key}", hint))
        found[key] = value
    if found["rule"] and found["rule"] not in RULES:
        findings.append(_bad(where, f"unknown rule {found['rule']!r}", "use a rule id from `ssm-conformance spec diff --rules`"))
    return found if len(found) == len(_KEYS) and all(found.values()) else None


def _bad(where: Location, message: str, hint: str) -> Finding:
    return Finding("diff-ignore", Severity.ERROR, where, message, hint)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The changes split by the ignore file, and the entries that matched nothing."""

    breaking: tuple[Change, ...]
    ignored: tuple[tuple[Change, Ignore], ...]
    other: tuple[Change, ...]
    unused: tuple[Ignore, ...]


def judge(changes: Sequence[Change], ignores: Sequence[Ignore]) -> Verdict:
    breaking, ignored, other = [], [], []
    used: set[int] = set()
    for change in changes:
        match = next((i for i, ignore in enumerate(ignores) if ignore.matches(change)), None)
        if not change.breaking:
            other.append(change)
        elif match is None:
            breaking.append(change)
        else:
            used.add(match)
            ignored.append((change, ignores[match]))
    unused = tuple(ignore for i, ignore in enumerate(ignores) if i not in used)
    return Verdict(tuple(breaking), tuple(ignored), tuple(other), unused)
