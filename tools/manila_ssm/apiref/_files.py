"""``parameters.yaml`` and ``status.yaml`` as typed values, with os-api-ref's checks.

os-api-ref warns when a parameters file is not grouped by ``in`` (header, path,
query, body) or not sorted case-insensitively inside a group; we report the
same, plus invalid ``in`` values, wrong field types and duplicate keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manila_ssm.apiref import rules
from manila_ssm.apiref._yaml import load_entries
from manila_ssm.errors import Finding, Location, SpecError
from manila_ssm.model import ParameterDef

SECTION_ORDER = {"header": 1, "path": 2, "query": 3, "body": 4}
_VERSION_FIELDS = ("min_version", "max_version")


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
        text = path.read_text(encoding="utf-8-sig")  # a BOM from an editor is not content
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise SpecError(
            rules.finding("source-missing-file", locate(None), f"cannot read the {kind} file: {reason}")
        ) from None
    entries, findings = load_entries(text, locate, kind)
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


__all__ = ["SECTION_ORDER", "StatusDef", "load_parameters", "load_status_codes"]
