"""A diff verdict as text (terminals), JSON (tools) or Markdown (a CI comment)."""

from __future__ import annotations

from typing import Any

from manila_ssm import jsonio
from manila_ssm.diff._compare import Change
from manila_ssm.diff.ignores import Verdict

FORMATS = ("text", "json", "markdown", "sarif")


def render(verdict: Verdict, old_name: str, new_name: str, output_format: str) -> str:
    renderers = {"text": _text, "json": _json, "markdown": _markdown, "sarif": _sarif}
    return renderers[output_format](verdict, old_name, new_name)


def _summary(verdict: Verdict) -> str:
    return (f"{len(verdict.breaking)} breaking, {len(verdict.ignored)} breaking but ignored, "
            f"{len(verdict.other)} non-breaking")


def _text(verdict: Verdict, old_name: str, new_name: str) -> str:
    lines = [f"spec diff {old_name} -> {new_name}: {_summary(verdict)}"]

    def block(title: str, changes: list[tuple[Change, str]]) -> None:
        if changes:
            lines.extend(["", f"{title}:"])
        for change, note in changes:
            action = f" [{change.action}]" if change.action else ""
            lines.append(f"  [{change.rule}] {change.operation}{action}: {change.message}{note}")
            lines.append(f"      old: {change.old.pointer}" + (f" ({change.old.source})" if change.old.source else ""))
            lines.append(f"      new: {change.new.pointer}" + (f" ({change.new.source})" if change.new.source else ""))

    block("Breaking", [(c, "") for c in verdict.breaking])
    block("Breaking, ignored", [(c, f" (ignored: {i.reason}, {i.where})") for c, i in verdict.ignored])
    block("Non-breaking", [(c, "") for c in verdict.other])
    for ignore in verdict.unused:
        lines.append(f"warning: {ignore.where}: ignore entry matched no breaking change "
                     f"({ignore.rule} at {ignore.location!r}); remove it")
    return "\n".join(lines) + "\n"


def as_document(verdict: Verdict, old_name: str, new_name: str) -> dict[str, Any]:
    """The JSON output; ``breaking`` lists only the changes that fail the gate."""
    return {
        "old": old_name, "new": new_name,
        "summary": {"breaking": len(verdict.breaking), "ignored": len(verdict.ignored),
                    "non_breaking": len(verdict.other)},
        "breaking": [c.as_dict() for c in verdict.breaking],
        "ignored": [{**c.as_dict(), "reason": i.reason, "ignore": str(i.where)} for c, i in verdict.ignored],
        "non_breaking": [c.as_dict() for c in verdict.other],
        "unused_ignores": [{"rule": i.rule, "location": i.location, "where": str(i.where)} for i in verdict.unused],
    }


def _json(verdict: Verdict, old_name: str, new_name: str) -> str:
    return jsonio.dumps(as_document(verdict, old_name, new_name))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(verdict: Verdict, old_name: str, new_name: str) -> str:
    icon = ":x:" if verdict.breaking else ":white_check_mark:"
    lines = [f"### {icon} API diff `{old_name}` → `{new_name}`", "", _summary(verdict) + "."]

    def table(title: str, rows: list[tuple[Change, str]], extra: str = "") -> None:
        if not rows:
            return
        head = "| Rule | Where | Change | Old | New |" + (f" {extra} |" if extra else "")
        lines.extend(["", f"#### {title}"] if title else [])
        lines.extend(["", head, "|" + "---|" * (6 if extra else 5)])
        for change, note in rows:
            action = f" [{change.action}]" if change.action else ""
            cells = [f"`{change.rule}`", _cell(change.operation + action), _cell(change.message),
                     f"`{_cell(change.old.pointer)}`", f"`{_cell(change.new.pointer)}`"]
            if extra:
                cells.append(_cell(note))
            lines.append("| " + " | ".join(cells) + " |")

    table("Breaking", [(c, "") for c in verdict.breaking])
    table("Breaking, ignored", [(c, i.reason) for c, i in verdict.ignored], "Reason")
    if verdict.other:
        lines.extend(["", "<details><summary>Non-breaking changes</summary>", ""])
        table("", [(c, "") for c in verdict.other])
        lines.extend(["", "</details>"])
    if verdict.unused:
        lines.extend(["", "Unused ignore entries (remove them):", ""])
        lines.extend(f"- `{i.rule}` at `{_cell(i.location)}` ({i.where})" for i in verdict.unused)
    return "\n".join(lines) + "\n"


def _sarif_location(change: Change) -> dict[str, Any]:
    """Where the change is in the new api-ref (its old place for a removal), plus the operation."""
    location: dict[str, Any] = {"logicalLocations": [{
        "name": change.subject, "fullyQualifiedName": change.location, "kind": "member"}]}
    source = change.new.source or change.old.source
    if source:
        file, _, line = source.rpartition(":")
        file, line = (file, line) if line.isdigit() else (source, "")
        physical: dict[str, Any] = {"artifactLocation": {"uri": file, "uriBaseId": "SRCROOT"}}
        if line:
            physical["region"] = {"startLine": int(line)}
        location["physicalLocation"] = physical
    return location


def sarif(verdict: Verdict, old_name: str, new_name: str) -> dict[str, Any]:
    """Breaking changes (and ignored ones, suppressed) as SARIF 2.1.0 results of the rules table."""
    from manila_ssm.diff._registry import RULES

    rule_ids = sorted(RULES)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}

    def result(change: Change, ignored_reason: str | None) -> dict[str, Any]:
        text = (f"{change.message} ({change.location}; old {change.old.pointer}"
                f"{' at ' + change.old.source if change.old.source else ''}; new {change.new.pointer}"
                f"{' at ' + change.new.source if change.new.source else ''})")
        entry: dict[str, Any] = {
            "ruleId": change.rule, "ruleIndex": index[change.rule], "level": "error",
            "message": {"text": text}, "locations": [_sarif_location(change)],
            "partialFingerprints": {"ssmDiff/v1": f"{change.rule}|{change.location}"},
            "properties": {"oldPointer": change.old.pointer, "newPointer": change.new.pointer},
        }
        if ignored_reason is not None:
            entry["suppressions"] = [{"kind": "external", "justification": ignored_reason}]
        return entry

    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "ssm-conformance spec diff", "rules": [
                {"id": r, "shortDescription": {"text": RULES[r].summary},
                 "defaultConfiguration": {"level": "error" if RULES[r].breaking else "note"}}
                for r in rule_ids]}},
            "originalUriBaseIds": {"SRCROOT": {"description": {"text": f"the api-ref tree of {new_name}"}}},
            "results": [result(c, None) for c in verdict.breaking]
            + [result(c, i.reason) for c, i in verdict.ignored],
        }],
    }


def _sarif(verdict: Verdict, old_name: str, new_name: str) -> str:
    return jsonio.dumps(sarif(verdict, old_name, new_name))
