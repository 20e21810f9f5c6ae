"""A baseline of accepted lint findings, so a CI gate fails only on new ones.

A finding is known by its rule, its file and its message with line numbers
taken out (``parameters.yaml:1838`` -> ``parameters.yaml``), so that edits
elsewhere in a file do not make an accepted finding new again. The file is
JSON: ``{"version": 1, "findings": [{"rule", "file", "message"}, ...]}``,
written by ``spec lint --write-baseline FILE``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from manila_ssm import jsonio
from manila_ssm.errors import Finding

_LINE = re.compile(r"(\.\w+):\d+")
Fingerprint = tuple[str, str, str]


class BaselineError(ValueError):
    """A baseline file that cannot be read; the message names the file and the fix."""


def fingerprint(finding: Finding) -> Fingerprint:
    return finding.rule_id, finding.location.file, _LINE.sub(r"\1", finding.message)


def write(path: Path, findings: Iterable[Finding]) -> int:
    """Write every finding as accepted; returns how many."""
    rows = sorted(fingerprint(f) for f in findings)
    jsonio.write(path, {"version": 1, "findings": [{"rule": r, "file": f, "message": m} for r, f, m in rows]})
    return len(rows)


def load(path: Path) -> Counter[Fingerprint]:
    """The accepted fingerprints of ``path`` (a finding repeated N times is accepted N times)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BaselineError(f"{path}: cannot read the baseline: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise BaselineError(f"{path}:{error.lineno}: invalid JSON in the baseline: {error.msg}; "
                            "regenerate it with `spec lint --write-baseline FILE`") from None
    rows = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(document, dict) or document.get("version") != 1 or not isinstance(rows, list):
        raise BaselineError(f"{path}: not a lint baseline (expected {{\"version\": 1, \"findings\": [...]}}); "
                            "write one with `spec lint --write-baseline FILE`")
    accepted: Counter[Fingerprint] = Counter()
    for index, row in enumerate(rows):
        if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in ("rule", "file", "message")):
            raise BaselineError(f"{path}: findings[{index}] needs string `rule`, `file` and `message`")
        accepted[(row["rule"], row["file"], row["message"])] += 1
    return accepted


def split(findings: Iterable[Finding], accepted: Counter[Fingerprint]) -> tuple[list[Finding], list[Finding]]:
    """(new findings, findings the baseline accepts)."""
    left = Counter(accepted)
    new, known = [], []
    for finding in findings:
        key = fingerprint(finding)
        if left[key] > 0:
            left[key] -= 1
            known.append(finding)
        else:
            new.append(finding)
    return new, known
