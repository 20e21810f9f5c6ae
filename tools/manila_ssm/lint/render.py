"""A lint report as text, JSON, or SARIF 2.1.0 (for code-scanning UIs).

Every format is deterministic for the same findings: no timestamps, no
absolute paths (locations are relative to the tree root; SARIF marks them with
the ``SRCROOT`` base id, which the consumer maps to the tree's checkout).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from manila_ssm import jsonio
from manila_ssm.apiref.rules import RULES
from manila_ssm.errors import Finding, Severity
from manila_ssm.lint._run import LintReport
from manila_ssm.lint.baseline import fingerprint

FORMATS = ("text", "json", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
TOOL_NAME = "ssm-conformance spec lint"


def _summary(report: LintReport) -> dict[str, int]:
    return {str(s): report.count(s) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)}


def _text_line(finding: Finding, accepted: bool) -> str:
    first, newline, rest = finding.format().partition("\n")
    return f"{first} (accepted by the baseline){newline}{rest}" if accepted else f"{first}{newline}{rest}"


def render_text(report: LintReport) -> str:
    lines = [_text_line(f, f in report.accepted) for f in report.findings]
    counts = _summary(report)
    extra = f", {len(report.accepted)} accepted by the baseline" if report.accepted else ""
    lines.append(
        f"{report.source}: {len(report.findings)} finding{'' if len(report.findings) == 1 else 's'} "
        f"({counts['error']} errors, {counts['warning']} warnings, {counts['info']} info{extra}); "
        f"{len(report.explained)} more explained by os-api-ref conventions"
    )
    return "\n".join(lines) + "\n"


def _finding_json(finding: Finding, accepted: bool = False) -> dict[str, Any]:
    return {
        "accepted": accepted,
        "rule": finding.rule_id,
        "severity": str(finding.severity),
        "file": finding.location.file,
        "line": finding.location.line,
        "message": finding.message,
        "hint": finding.hint,
    }


def render_json(report: LintReport) -> str:
    return jsonio.dumps({
        "source": report.source, "summary": _summary(report),
        "findings": [_finding_json(f, f in report.accepted) for f in report.findings],
        "explained": [{**_finding_json(f), "convention": why} for f, why in report.explained],
    })


def _sarif_rule(rule_id: str) -> dict[str, Any]:
    rule = RULES[rule_id]
    return {
        "id": rule.id,
        "shortDescription": {"text": rule.summary},
        "help": {"text": rule.hint},
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
    }


def _artifact(file: str) -> dict[str, str]:
    """Tree-relative files are relative to ``SRCROOT``; a file outside the tree is a ``file:`` URI."""
    if PurePosixPath(file).is_absolute():
        return {"uri": PurePosixPath(file).as_uri()}
    return {"uri": quote(file), "uriBaseId": "SRCROOT"}


def _sarif_result(finding: Finding, index: int, baseline_state: str | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(finding.location.file)}
    if finding.location.line:
        physical["region"] = {"startLine": finding.location.line}
    # The rule's hint is its `help`; only a hint of the finding's own is repeated in the message.
    own_hint = finding.hint and finding.hint != RULES[finding.rule_id].hint
    text = f"{finding.message}. Fix: {finding.hint}" if own_hint else finding.message
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index,
        "level": _SARIF_LEVEL[finding.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {"ssmLint/v1": "|".join(fingerprint(finding))},
    }
    if baseline_state is not None:
        result["baselineState"] = baseline_state
    return result


def _state(report: LintReport, finding: Finding) -> str | None:
    if not report.with_baseline:
        return None
    return "unchanged" if finding in report.accepted else "new"


def sarif(report: LintReport) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log: one run, the catalogue's rules, one result per finding."""
    rule_ids = sorted(RULES)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "rules": [_sarif_rule(r) for r in rule_ids],
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"description": {"text": f"the api-ref tree {report.source}"}}},
                "results": [
                    _sarif_result(f, index[f.rule_id], _state(report, f)) for f in report.findings
                ],
            }
        ],
    }


def render(report: LintReport, fmt: str) -> str:
    if fmt == "text":
        return render_text(report)
    if fmt == "json":
        return render_json(report)
    if fmt == "sarif":
        return jsonio.dumps(sarif(report))
    raise ValueError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
