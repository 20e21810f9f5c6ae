"""The documented-contract drift report: where the upstream page and real
Manila part ways, each divergence explained by an erratum.

Two sources feed it: the suite's own documented-contract run against the
live deployment (its failed requirements), and the suite's per-action
requirements decided on every recorded cassette exchange (verdicts.py),
which reaches steps a live run stops short of. Every failure is split into
its separate messages and matched to an erratum by drift-rules.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from manila_ssm.realmanila.cassette import Cassette
from manila_ssm.realmanila.verdicts import decide
from manila_ssm.suite.contract import Contract


@dataclass(frozen=True, slots=True)
class Failure:
    """One documented-contract failure message, and where it was seen."""

    requirement: str
    message: str
    seen_in: str  # "cassette <scenario>: <interaction>" or "live <test>"


def rules() -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath("drift-rules.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["rules"]


def errata_titles(overlay: Mapping[str, Any]) -> dict[str, str]:
    """Erratum id -> title, from x-erratum entries and x-errata-not-applied."""
    titles: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            erratum = node.get("x-erratum")
            if isinstance(erratum, dict) and "id" in erratum:
                titles[erratum["id"]] = erratum.get("title", "")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(overlay)
    for entry in overlay.get("x-errata-not-applied", []):
        titles.setdefault(entry["id"], entry.get("title", ""))
    return titles


def _parts(message: str) -> list[str]:
    """Schema failures join several errors with "; "; each may need another erratum."""
    preface, sep, rest = message.partition(": ")
    if not sep or "/" in preface or "(body)" in preface:
        preface, rest = "", message
    parts = rest.split("; ")
    return [f"{preface}: {part}" if preface else part for part in parts]


def from_cassettes(cassettes: Iterable[Cassette], contract: Contract) -> tuple[list[Failure], list[dict[str, Any]]]:
    failures, defects = [], []
    for cassette in cassettes:
        for verdict in decide(cassette, contract):
            where = f"cassette {verdict.scenario}: {verdict.interaction}"
            if verdict.outcome == "fail":
                failures += [Failure(verdict.requirement, part, where) for part in _parts(verdict.message)]
            elif verdict.outcome == "known-defect":
                defects.append({"defect": verdict.defect, "seen_in": where, "status": verdict.status})
    return failures, defects


def from_live_report(report: Mapping[str, Any]) -> list[Failure]:
    failures = []
    for requirement in report.get("requirements", []):
        for result in requirement.get("results", []):
            if result.get("outcome") == "fail":
                failures.append(Failure(requirement["id"], result.get("message") or "",
                                        f"live {result.get('test', '')}"))
    return failures


def _match(failure: Failure, table: list[dict[str, str]]) -> str | None:
    for rule in table:
        if re.search(rule["requirement"], failure.requirement) and re.search(rule.get("message", ""), failure.message):
            return rule["erratum"]
    return None


def build(failures: list[Failure], defects: list[dict[str, Any]], titles: Mapping[str, str],
          context: Mapping[str, Any]) -> dict[str, Any]:
    """The drift document: divergences grouped by erratum and requirement."""
    table = rules()
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    unexplained = []
    for failure in failures:
        erratum = _match(failure, table)
        if erratum is None or erratum not in titles:
            unexplained.append({"requirement": failure.requirement, "message": failure.message,
                                "seen_in": failure.seen_in, "rule_erratum": erratum})
            continue
        entry = grouped.setdefault((erratum, failure.requirement), {
            "erratum": erratum, "title": titles[erratum], "requirement": failure.requirement,
            "observed": set(), "seen_in": set()})
        entry["observed"].add(_generic(failure.message))
        entry["seen_in"].add(failure.seen_in)
    divergences = []
    for key in sorted(grouped):
        entry = grouped[key]
        seen = sorted(entry["seen_in"])
        divergences.append({**entry, "observed": sorted(entry["observed"]), "occurrences": len(seen),
                            "examples": seen[:3], "sources": sorted({s.split()[0] for s in seen})})
        del divergences[-1]["seen_in"]
    explained = {d["erratum"] for d in divergences}
    return {
        "title": "Upstream api-ref page versus real Manila: documented-contract drift",
        **context,
        "divergences": divergences,
        "unexplained": sorted(unexplained, key=lambda u: (u["requirement"], u["seen_in"], u["message"])),
        "known_upstream_defects": sorted({d["defect"] for d in defects}),
        "errata_observed": sorted(explained),
        "errata_not_observed": sorted(set(titles) - explained),
    }


def _generic(message: str) -> str:
    """A message without per-request detail, so equal divergences group together."""
    message = re.sub(r"^\d+ of \d+ generated requests: ", "", message)
    return re.sub(r"'[^']*' is not of type", "<value> is not of type",
                  re.sub(r"\b(True|False|None|-?\d+)\b is not of type", "<value> is not of type", message))


def markdown(document: Mapping[str, Any]) -> str:
    lines = [f"# {document['title']}", "",
             f"Generated by `{document['generated_by']}` from {document['sources']}. "
             f"Real Manila {document['manila']}; do not edit by hand.", "",
             *_live_lines(document),
             "| erratum | what the page gets wrong | requirement | real Manila | seen |",
             "|---|---|---|---|---|"]
    for item in document["divergences"]:
        observed = "<br>".join(o.replace("|", "\\|") for o in item["observed"])
        lines.append(f"| {item['erratum']} | {item['title']} | {item['requirement']} | {observed} | "
                     f"{item['occurrences']} ({', '.join(item['sources'])}) |")
    lines += ["", f"Unexplained divergences: {len(document['unexplained'])}."]
    for item in document["unexplained"]:
        lines.append(f"- {item['requirement']}: {item['message']} ({item['seen_in']})")
    lines += ["", "Known upstream defects (500s, reported as such, not as drift): "
              + (", ".join(document["known_upstream_defects"]) or "none") + ".", "",
              "Errata with no divergence observed here (not exercised by the dummy back end or the "
              "scenarios, or prose-only): " + (", ".join(document["errata_not_observed"]) or "none") + ".", ""]
    return "\n".join(lines)


def _live_lines(document: Mapping[str, Any]) -> list[str]:
    live = document.get("live_run")
    if not live:
        return []
    counts = ", ".join(f"{n} {k}" for k, n in sorted((live.get("counts") or {}).items()) if n)
    note = f" {live['note']}" if live.get("note") else ""
    return [f"Live run: seed {live.get('seed')}, {counts}.{note}", ""]


def write(directory: Path, document: Mapping[str, Any]) -> list[Path]:
    from manila_ssm import jsonio

    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = directory / "drift.json", directory / "drift.md"
    jsonio.write(json_path, document)
    md_path.write_text(markdown(document), encoding="utf-8")
    return [json_path, md_path]
