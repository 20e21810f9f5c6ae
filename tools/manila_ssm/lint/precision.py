"""Lint precision on real api-ref trees: a hand-labelled sample of findings per tree.

For every tree of ``../shared/upstream`` (:data:`TREES`) the linter's findings
are sampled (all of them up to :data:`SAMPLE`, else the :data:`SAMPLE` whose
fingerprint hashes lowest, so the sample moves little when findings come and
go) into ``spec/lint/precision/<tree>.yaml``, where a person labels each one
``genuine: true`` or ``false`` with ``why``. ``spec/lint/precision.md`` is the
table of the labels. ``python -m manila_ssm.lint.precision`` rewrites both,
keeping every label whose finding is still sampled and leaving new ones
``genuine: null``; ``--check`` says whether they are stale or unlabelled.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from manila_ssm import paths
from manila_ssm.errors import Finding, SpecError
from manila_ssm.lint._run import LintReport, lint
from manila_ssm.lint.baseline import fingerprint

TREES: dict[str, str] = {
    "manila": "manila-api-ref",
    "nova": "nova/api-ref/source",
    "keystone": "keystone/api-ref/source",
    "glance": "glance/api-ref/source",
    "placement": "placement/api-ref/source",
}
SAMPLE = 40
GOAL = 0.95
REGENERATE = "python -m manila_ssm.lint.precision"


@dataclass(frozen=True, slots=True)
class TreeResult:
    name: str
    findings: int
    explained: int
    entries: list[dict[str, Any]]
    failure: str | None = None

    @property
    def genuine(self) -> int:
        return sum(1 for e in self.entries if e.get("genuine") is True)

    @property
    def false(self) -> int:
        return sum(1 for e in self.entries if e.get("genuine") is False)

    @property
    def unlabelled(self) -> int:
        return sum(1 for e in self.entries if e.get("genuine") is None)

    @property
    def precision(self) -> float | None:
        labelled = self.genuine + self.false
        return self.genuine / labelled if labelled else None


def _rank(finding: Finding) -> str:
    return hashlib.sha256("|".join(fingerprint(finding)).encode()).hexdigest()


def sample(report: LintReport, size: int = SAMPLE) -> list[Finding]:
    """The findings to label: all, or the ``size`` with the lowest fingerprint hash, in report order."""
    if len(report.findings) <= size:
        return list(report.findings)
    chosen = set(sorted(report.findings, key=_rank)[:size])
    return [f for f in report.findings if f in chosen]


def folder() -> Path:
    return paths.spec_dir() / "lint" / "precision"


def _old_labels(name: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    path = folder() / f"{name}.yaml"
    if not path.is_file():
        return {}
    rows = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {(r["rule"], r["file"], r["fingerprint"]): r for r in rows.get("sample", [])}


def evaluate(name: str, shared: Path) -> TreeResult:
    """Lint one tree and pair its sample with the committed labels."""
    tree = shared / "upstream" / TREES[name]
    try:
        report = lint(tree, name=TREES[name])
    except SpecError as error:
        return TreeResult(name, 0, 0, [], failure=error.findings[0].format().splitlines()[0])
    old = _old_labels(name)
    entries = []
    for finding in sample(report):
        rule, file, message = fingerprint(finding)
        label = old.get((rule, file, message), {})
        entries.append({
            "rule": rule, "file": file, "line": finding.location.line, "message": finding.message,
            "fingerprint": message, "genuine": label.get("genuine"), "why": label.get("why", ""),
        })
    return TreeResult(name, len(report.findings), len(report.explained), entries)


def labels_text(result: TreeResult) -> str:
    head = (f"# Lint findings of {TREES[result.name]} sampled for labelling ({REGENERATE}).\n"
            "# genuine: true (a defect the page's maintainers would fix) or false (the linter is wrong); why: the reason.\n")
    body = {"tree": TREES[result.name], "findings": result.findings, "sample": result.entries}
    return head + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=110)


def table_text(results: Sequence[TreeResult]) -> str:
    lines = [
        "# Lint precision on upstream api-ref trees",
        "",
        f"Hand-labelled samples in `spec/lint/precision/`; regenerate with `{REGENERATE}`.",
        f"Goal: at least {GOAL:.0%} of the sampled findings genuine, on every tree.",
        "",
        "| tree | findings | explained by conventions | sampled | genuine | false | unlabelled | precision |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.failure is not None:
            lines.append(f"| {TREES[r.name]} | does not lint: {r.failure.replace('|', '/')} | | | | | | |")
            continue
        precision = "n/a" if r.precision is None else f"{r.precision:.1%}"
        lines.append(f"| {TREES[r.name]} | {r.findings} | {r.explained} | {len(r.entries)} | {r.genuine} | "
                     f"{r.false} | {r.unlabelled} | {precision} |")
    return "\n".join(lines) + "\n"


def expected(shared: Path, names: Sequence[str] = tuple(TREES)) -> tuple[list[TreeResult], dict[str, str]]:
    """Each result and the text every file under ``spec/lint/`` should have."""
    results = [evaluate(name, shared) for name in names]
    files = {f"precision/{r.name}.yaml": labels_text(r) for r in results if r.failure is None}
    files["precision.md"] = table_text(results)
    return results, files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the files are stale; write nothing")
    args = parser.parse_args(argv)
    shared = paths.shared_dir()
    if shared is None or not (shared / "upstream").is_dir():
        print("error: ../shared/upstream is not beside this checkout", file=sys.stderr)
        return 2
    _, files = expected(shared)
    base = paths.spec_dir() / "lint"
    stale = [n for n, text in files.items()
             if not (base / n).is_file() or (base / n).read_text(encoding="utf-8") != text]
    if args.check:
        for name in stale:
            print(f"stale: spec/lint/{name} (run `{REGENERATE}`, then label new entries)", file=sys.stderr)
        return 1 if stale else 0
    for name, text in files.items():
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_text(text, encoding="utf-8")
        print(f"wrote spec/lint/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
