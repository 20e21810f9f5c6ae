"""``parameters.yaml`` and ``status.yaml`` as typed values, with os-api-ref's checks.

os-api-ref warns when a parameters file is not grouped by ``in`` (header, path,
query, body) or not sorted case-insensitively inside a group; we report the
same, plus invalid ``in`` values, wrong field types and duplicate keys.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manila_ssm._pickling import by_fields
from manila_ssm.apiref import rules
from manila_ssm.apiref._observed import MAX_FILE_BYTES, fingerprint, note, observe, observing
from manila_ssm.errors import Finding, Location, SpecError
from manila_ssm.model import ParameterDef

SECTION_ORDER = {"header": 1, "path": 2, "query": 3, "body": 4}

class UnreadableFile(Exception):
    """A source file the toolkit refuses or cannot read; ``rule`` names the finding to report."""

    def __init__(self, rule: str, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.rule, self.reason, self.line = rule, reason, line


def confined(path: Path, root: Path) -> Path:
    """``path`` made absolute; ``UnreadableFile`` (``source-outside-tree``) when it lies outside ``root``.

    Callers read an absolute name from a directive against the source root
    first, as Sphinx does. The check is on the path as written (``abspath``,
    not ``resolve``): a symlinked folder inside the tree stays usable.
    """
    absolute = Path(os.path.abspath(path))
    if not _inside(absolute, root):
        raise UnreadableFile("source-outside-tree", f"`{path}` lies outside the tree `{root}`")
    return absolute


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def read_text(path: Path, root: Path | None = None) -> str:
    """The UTF-8 text of a regular file of at most ``MAX_FILE_BYTES``, inside ``root`` when given.

    Never blocks or grows without bound: FIFOs, devices and folders are
    refused before they are opened, and at most one byte past the limit is read.
    """
    if root is not None:
        path = confined(path, root)
    observe(path)
    try:
        info = os.stat(path)
    except OSError as error:
        raise UnreadableFile("source-missing-file", error.strerror or str(error)) from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a device, FIFO or socket)"
        raise UnreadableFile("source-not-regular", f"`{path.name}` is {kind}")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise UnreadableFile("source-missing-file", error.strerror or str(error)) from None
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile("source-too-large", f"`{path.name}` is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    try:
        return data.decode("utf-8-sig")  # a BOM from an editor is not content
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise UnreadableFile(
            "source-encoding", f"`{path.name}` is not UTF-8: byte {data[error.start]:#04x} at line {line}", line
        ) from None

_VERSION_FIELDS = ("min_version", "max_version")


@by_fields
@dataclass(frozen=True, slots=True)
class StatusDef:
    """One code of a ``status.yaml``: its reason texts by name (``default`` first)."""

    code: int
    reasons: dict[str, str]
    location: Location


def _read(path: Path, display: str, kind: str) -> tuple[list[tuple[Any, Any, int]], list[Finding]]:
    def locate(line: int | None) -> Location:
        return Location(display, line)

    try:
        text = read_text(path)
    except UnreadableFile as error:
        raise SpecError(
            rules.finding(error.rule, locate(error.line), f"cannot read the {kind} file: {error.reason}")
        ) from None
    from manila_ssm.apiref._yaml import load_entries  # PyYAML: imported when a YAML file is read

    try:
        entries, findings = load_entries(text, locate, kind)
    except (RecursionError, ValueError) as error:  # nesting deeper than Python's stack, a 5000-digit integer
        raise SpecError(
            rules.finding("yaml-syntax", locate(None), f"the {kind} file cannot be loaded: {_short(error)}")
        ) from None
    if entries is None:
        raise SpecError(findings)
    return entries, findings


class ParameterTable(dict[str, ParameterDef]):
    """The definitions of one parameters file, plus the keys it holds but rejected.

    A page that names a rejected key gets no second, misleading "not defined"
    finding: the file's own finding already says what is wrong with the entry.
    """

    def __init__(self) -> None:
        super().__init__()
        self.rejected: set[str] = set()


def load_parameters(path: Path, display: str | None = None) -> tuple[ParameterTable, list[Finding]]:
    """Parameter definitions of ``path`` in file order, and the non-fatal findings.

    ``display`` is the file name used in locations (default: ``path`` as given).
    Raises ``SpecError`` when the file is missing or is not valid YAML.
    """
    display = str(path) if display is None else display
    entries, findings = _read(path, display, "parameters")
    result = ParameterTable()
    last: tuple[str, str] | None = None
    for key, value, line in entries:
        here = Location(display, line)
        key = str(key)
        if not isinstance(value, dict):
            findings.append(
                rules.finding("param-invalid-field", here, f"parameter `{key}` is not a mapping of fields")
            )
            result.rejected.add(key)
            continue
        where = value.get("in")
        if where not in SECTION_ORDER:
            findings.append(
                rules.finding(
                    "param-invalid-in",
                    here,
                    f"`{where}` is not a valid value for `in` of parameter `{key}` "
                    f"(must be one of: {', '.join(sorted(SECTION_ORDER))})",
                )
            )
            result.rejected.add(key)
            continue
        findings.extend(_field_findings(key, value, here))
        result[key] = ParameterDef(
            key=key,
            in_=where,
            type=str(value.get("type", "")),
            required=value.get("required") is True,
            description=str(value.get("description", "") or "").strip(),
            location=here,
            min_version=_text(value.get("min_version")),
            max_version=_text(value.get("max_version")),
            format=_text(value.get("format")),
        )
        if last is not None:
            findings.extend(_order_findings(last, (key, where), here))
        last = (key, where)
    return result, findings


def _short(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) < 200 else text[:200] + "..."


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _field_findings(key: str, value: dict[str, Any], here: Location) -> list[Finding]:
    found = []
    for name, expected in (("type", str), ("description", str), ("required", bool)):
        if name not in value:
            found.append(rules.finding("param-invalid-field", here, f"parameter `{key}` has no `{name}`"))
        elif not isinstance(value[name], expected):
            found.append(
                rules.finding(
                    "param-invalid-field",
                    here,
                    f"`{name}` of parameter `{key}` should be a {expected.__name__}",
                )
            )
    return found


def _order_findings(last: tuple[str, str], current: tuple[str, str], here: Location) -> list[Finding]:
    (last_key, last_in), (key, where) = last, current
    if SECTION_ORDER[where] < SECTION_ORDER[last_in]:
        return [
            rules.finding(
                "param-section-order",
                here,
                f"`{key}` (in {where}) comes after `{last_key}` (in {last_in}); "
                f"all {where} parameters belong before the {last_in} ones",
            )
        ]
    if where == last_in and key.lower() < last_key.lower():
        return [
            rules.finding(
                "param-order", here, f"`{key}` should come before `{last_key}` (alphabetical order)"
            )
        ]
    return []


def load_status_codes(path: Path, display: str | None = None) -> tuple[dict[int, StatusDef], list[Finding]]:
    """Status code definitions of a ``status.yaml``, and the non-fatal findings."""
    display = str(path) if display is None else display
    entries, findings = _read(path, display, "status")
    result: dict[int, StatusDef] = {}
    for key, value, line in entries:
        here = Location(display, line)
        if not isinstance(key, int) or not isinstance(value, dict):
            findings.append(
                rules.finding(
                    "status-invalid", here, f"`{key}` is not `CODE:` followed by a mapping of reasons"
                )
            )
            continue
        reasons = {str(name): str(text or "").strip() for name, text in value.items()}
        if "default" not in reasons:
            findings.append(
                rules.finding("status-unknown-code", here, f"status {key} has no `default` reason")
            )
        result[key] = StatusDef(key, reasons, here)
    return result, findings


__all__ = [
    "MAX_FILE_BYTES",
    "SECTION_ORDER",
    "StatusDef",
    "UnreadableFile",
    "confined",
    "fingerprint",
    "note",
    "observe",
    "observing",
    "load_parameters",
    "load_status_codes",
    "read_text",
]
