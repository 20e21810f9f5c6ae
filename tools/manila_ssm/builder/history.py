"""``spec build`` on every revision of an api-ref's git history: the report and its figures.

Each revision's tree is extracted (``git archive``) into a temporary folder and
built exactly as ``spec build TREE`` builds it (options detected from the
tree, nothing fatal), then validated. A revision passes when the build writes
a valid OpenAPI 3.1 document and would exit 0 or 1, without a crash.

Regenerate the committed report of Manila's whole history (slow: minutes per
core; ``--jobs`` runs revisions in parallel)::

    python -m manila_ssm.builder.history ../shared/upstream/manila-api-ref-history.bundle \\
        -o spec/upstream/manila-history-build.json --jobs 2

``--sample N`` builds only the fixed, evenly spread sample of N revisions the
tests use (first and last included); ``--check`` compares with the report
instead of writing it (exit 1 when stale).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from manila_ssm import jsonio, tarsafe
from manila_ssm.errors import Location, Severity

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Revision:
    commit: str
    date: str
    upstream: str | None
    subject: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What building one revision gave; ``crash`` is the exception's last line (a bug) or ``None``."""

    commit: str
    date: str
    upstream: str | None
    exit: int
    valid: bool
    operations: int
    paths: int
    version: str
    errors: int
    warnings: int
    rules: dict[str, int]
    crash: str | None

    def comparable(self) -> dict[str, Any]:
        """The facts a fresh build must reproduce (no timings)."""
        return asdict(self)


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def open_repository(source: Path, workdir: Path) -> Path:
    """A git directory for ``source``: the repository itself, or a clone of a bundle file into ``workdir``."""
    if source.is_file():
        target = workdir / "history.git"
        if not target.exists():
            subprocess.run(["git", "clone", "--quiet", "--bare", str(source), str(target)], check=True, capture_output=True)
        return target
    return source


def revisions(repo: Path) -> list[Revision]:
    """Every revision of the default branch, oldest first."""
    text = _git(repo, "log", "--reverse", "--format=%H%x1f%as%x1f%s%x1f%b%x1e").decode("utf-8", "replace")
    found = []
    for record in text.split("\x1e"):
        if not record.strip():
            continue
        commit, date, subject, body = (record.strip("\n").split("\x1f") + ["", "", ""])[:4]
        upstream = next((line.split(":", 1)[1].strip() for line in body.splitlines() if line.startswith("upstream-commit:")), None)
        found.append(Revision(commit.strip(), date, upstream, subject))
    return found


def spread(items: Sequence[Revision], count: int) -> list[Revision]:
    """``count`` revisions evenly spread over ``items``, the first and the last included."""
    if count >= len(items):
        return list(items)
    if count <= 1:
        return [items[-1]]
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]


def build_revision(repo: Path, revision: Revision) -> Outcome:
    """Extract ``revision`` and build it as ``spec build`` would; a crash is recorded, not raised."""
    from manila_ssm.builder.contracts import build_source
    from manila_ssm.builder.validate import validate_openapi

    with tempfile.TemporaryDirectory(prefix="ssm-history-") as folder:
        archive = _git(repo, "archive", "--format=tar", revision.commit)
        tarsafe.unpack(archive, Path(folder))
        try:
            built = build_source(Path(folder))
            invalid = validate_openapi(built.document, Location("openapi.json"))
        except Exception as error:  # noqa: BLE001 - a crash is what this run looks for
            last = traceback.format_exception_only(type(error), error)[-1].strip()
            return Outcome(revision.commit, revision.date, revision.upstream, 3, False, 0, 0, "", 0, 0, {}, last)
    findings = built.findings
    errors = sum(1 for f in findings if f.severity >= Severity.ERROR)
    document = built.document
    return Outcome(
        commit=revision.commit,
        date=revision.date,
        upstream=revision.upstream,
        exit=1 if errors or invalid else 0,
        valid=not invalid,
        operations=sum(len(item) for item in document.get("paths", {}).values()),
        paths=len(document.get("paths", {})),
        version=str(document.get("info", {}).get("version", "")),
        errors=errors,
        warnings=sum(1 for f in findings if f.severity == Severity.WARNING),
        rules=dict(sorted(Counter(f.rule_id for f in findings if f.severity >= Severity.ERROR).items())),
        crash=None,
    )


def _build_one(job: tuple[str, Revision]) -> Outcome:
    return build_revision(Path(job[0]), job[1])


def run(repo: Path, chosen: Sequence[Revision], jobs: int = 1) -> list[Outcome]:
    work = [(str(repo), revision) for revision in chosen]
    if jobs <= 1:
        return [_build_one(job) for job in work]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_build_one, work))


def report(outcomes: Sequence[Outcome], total: int, seconds: float | None = None) -> dict[str, Any]:
    """The report document: a summary and one entry per revision."""
    summary = {
        "revisions": len(outcomes),
        "of": total,
        "valid": sum(o.valid for o in outcomes),
        "exit-0": sum(o.exit == 0 for o in outcomes),
        "exit-1": sum(o.exit == 1 for o in outcomes),
        "crashed": sum(o.crash is not None for o in outcomes),
    }
    document: dict[str, Any] = {"schema-version": SCHEMA_VERSION, "summary": summary, "revisions": [o.comparable() for o in outcomes]}
    if seconds is not None:
        document["summary"]["seconds"] = round(seconds)
    return document


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m manila_ssm.builder.history", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="a git repository or bundle of an api-ref tree's history")
    parser.add_argument("-o", "--output", type=Path, help="write the JSON report here (default: print a summary only)")
    parser.add_argument("--sample", type=int, metavar="N", help="only N revisions, evenly spread (first and last included)")
    parser.add_argument("--jobs", type=int, default=1, help="revisions built in parallel (default 1)")
    parser.add_argument("--check", type=Path, metavar="REPORT", help="compare the built revisions with REPORT; exit 1 when they differ")
    args = parser.parse_args(argv)
    if not args.source.exists():
        print(f"{args.source}: no such repository or bundle", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ssm-history-") as workdir:
        repo = open_repository(args.source, Path(workdir))
        every = revisions(repo)
        chosen = spread(every, args.sample) if args.sample else every
        started = time.monotonic()
        outcomes = run(repo, chosen, args.jobs)
        elapsed = time.monotonic() - started
    built = report(outcomes, len(every), elapsed)
    summary = built["summary"]
    print(
        f"{summary['revisions']} of {summary['of']} revisions: {summary['valid']} valid, exit 0: {summary['exit-0']}, "
        f"exit 1: {summary['exit-1']}, crashed: {summary['crashed']} ({elapsed:.0f} s, {args.jobs} job(s))"
    )
    for outcome in outcomes:
        if outcome.crash or not outcome.valid:
            print(f"  {outcome.commit[:10]} {outcome.date}: {'crash: ' + outcome.crash if outcome.crash else 'invalid OpenAPI'}")
    if args.check:
        committed = {entry["commit"]: entry for entry in json.loads(args.check.read_text(encoding="utf-8"))["revisions"]}
        stale = [o.commit for o in outcomes if committed.get(o.commit) != o.comparable()]
        for commit in stale:
            print(f"  {commit[:10]}: differs from {args.check}", file=sys.stderr)
        return 1 if stale else 0
    if args.output:
        jsonio.write(args.output, built)
        print(f"wrote {args.output}")
    return 0 if summary["crashed"] == 0 and summary["valid"] == summary["revisions"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
