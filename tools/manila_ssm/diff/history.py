"""Ten years of Manila's api-ref as the test of the diff gate: every consecutive pair, diffed.

``python -m manila_ssm.diff.history`` clones ``../shared/upstream/manila-api-ref-history.bundle``
(or takes ``--repo``), builds every revision (cached by git tree id in
``--cache``), runs ``spec diff`` on every consecutive pair and writes
``spec/history/manila-api-ref.json`` and ``.md``: per commit, the breaking
changes found, each with its label from ``spec/history/labels.yaml`` (genuine
or not, and why). A revision that does not build is listed with the reason and
its pairs are skipped. ``--only-cached`` uses only revisions already built;
``--jobs N`` builds the revisions missing from ``--cache`` N at a time first;
``--relabel`` only applies the labels again to the committed report.

The bundle is upstream's history made linear: Gerrit lands a reviewed change
either directly (its parent was the branch tip) or through a merge commit
``Merge "<its subject>"``, and the bundle keeps both the change (written on an
older mainline commit) and its merge, in history order. So a commit is compared
with its *predecessor*, not the commit before it:

- a mainline commit (a merge, or a change that landed directly) with the
  mainline commit before it: the first parent, so the mainline's diffs add up
  to the whole history and each change shows once;
- a change that landed through a merge with the mainline commit it was
  written on: of the :data:`WINDOW` mainline commits before it, the one whose
  files differ from it least.

A change and its merge show the same edit. It is reported once, at the change
(whose subject says what it did), and only as far as the merge brought it to
the mainline; the merge reports what is left (conflict resolutions, drift).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from manila_ssm import jsonio, paths
from manila_ssm.diff import _git
from manila_ssm.diff._compare import Change, Side, compare
from manila_ssm.diff.revisions import Built, built_at

BUNDLE = "manila-api-ref-history.bundle"
REGENERATE = "python -m manila_ssm.diff.history"
NAME = "manila-api-ref"
WINDOW = 20
_MERGE = re.compile(r'Merge "(?P<subject>.*)"')


def folder() -> Path:
    return paths.spec_dir() / "history"


def clone_bundle(dest: Path) -> Path:
    shared = paths.shared_dir()
    bundle = shared / "upstream" / BUNDLE if shared is not None else None
    if bundle is None or not bundle.is_file():
        raise FileNotFoundError(f"../shared/upstream/{BUNDLE} is not beside this checkout")
    subprocess.run(["git", "clone", "-q", str(bundle), str(dest)], check=True, capture_output=True)
    return dest


@dataclass(frozen=True, slots=True)
class _Located:
    """A change read back from the report: its rule and location are all a label looks at."""

    change: Change
    location: str

    @property
    def rule(self) -> str:
        return self.change.rule


_NO_SIDE = Side("", "")


def label_key(commit: str, change: Change) -> str:
    return f"{commit[:10]} {change.rule} {change.location}"


def load_labels() -> list[dict[str, Any]]:
    """The labels: each names one change by ``key`` (commit, rule, location), or a group of one
    commit's changes by ``commit``, ``rule`` and a ``location`` pattern (``*`` and ``?``), with
    ``genuine`` and ``why``. A change takes the first label that names it."""
    path = folder() / "labels.yaml"
    if not path.is_file():
        return []
    return list(yaml.safe_load(path.read_text(encoding="utf-8")) or [])


def label_for(labels: Sequence[dict[str, Any]], commit: str, change: Change | _Located) -> dict[str, Any]:
    key = f"{commit[:10]} {change.rule} {change.location}"
    for label in labels:
        if label.get("key") == key or (
                "key" not in label and commit.startswith(str(label.get("commit")))
                and label.get("rule") in (None, change.rule)
                and fnmatch.fnmatchcase(change.location, str(label.get("location", "*")))):
            return label
    return {}


def pair_report(old: Built, new: Built) -> list[Change]:
    """The breaking changes from ``old`` to ``new`` (both built)."""
    assert old.document is not None and new.document is not None
    return [c for c in compare(old.document, new.document, old_name=old.revision[:10], new_name=new.revision[:10])
            if c.breaking]


def _change_row(change: Change, labels: Sequence[dict[str, Any]], commit: str) -> dict[str, Any]:
    label = label_for(labels, commit, change)
    return {
        "rule": change.rule, "location": change.location, "message": change.message,
        "old": {"pointer": change.old.pointer, "source": change.old.source},
        "new": {"pointer": change.new.pointer, "source": change.new.source},
        "key": label_key(commit, change), "genuine": label.get("genuine"), "why": label.get("why", ""),
    }


@dataclass(frozen=True, slots=True)
class Lineage:
    """Which commits of the linear history are merges of which changes (indexes into the log)."""

    merge_of: dict[int, int]
    """merge commit -> the change it merged"""
    merged_by: dict[int, int]
    """change -> the merge commit that brought it to the mainline"""

    def mainline(self, index: int) -> bool:
        return index not in self.merged_by


def lineage(subjects: Sequence[str]) -> Lineage:
    """Pair every ``Merge "S"`` with the latest earlier commit titled ``S`` not yet paired."""
    merge_of: dict[int, int] = {}
    merged_by: dict[int, int] = {}
    for index, subject in enumerate(subjects):
        found = _MERGE.fullmatch(subject)
        if found is None:
            continue
        change = next((i for i in range(index - 1, -1, -1)
                       if subjects[i] == found["subject"] and i not in merged_by), None)
        if change is not None:
            merge_of[index], merged_by[change] = change, index
    return Lineage(merge_of, merged_by)


def predecessor(repo: Path, shas: Sequence[str], index: int, lines: Lineage | None = None) -> str | None:
    """The commit the report compares ``shas[index]`` with (see the module docstring)."""
    if lines is None:
        lines = lineage([subject for _, _, subject in _git.log(repo)])
    mainline = [i for i in range(index) if lines.mainline(i)]
    if not mainline:
        return None
    if lines.mainline(index):
        return shas[mainline[-1]]
    window = [shas[i] for i in reversed(mainline[-WINDOW:])]  # nearest first: ties go to the latest
    return min(window, key=lambda other: _git.changed_lines(repo, other, shas[index]))


def history(repo: Path, cache: Path | None, only_cached: bool = False) -> Iterator[dict[str, Any]]:
    """One row per revision, oldest first: what it broke against its predecessor, or why it was skipped."""
    labels = load_labels()
    commits = _git.log(repo)
    shas = [sha for sha, _, _ in commits]
    lines = lineage([subject for _, _, subject in commits])
    built: dict[str, Built] = {}
    found: dict[int, list[Change] | str] = {}  # the pair's breaking changes, or why it was not compared
    befores = [predecessor(repo, shas, index, lines) for index in range(len(shas))]

    def build(sha: str) -> Built:
        if sha not in built:
            if only_cached and not (cache is not None and _is_cached(repo, sha, cache)):
                built[sha] = Built(sha, "", None, None, "not built in this run (regenerate to build it)")
            else:
                built[sha] = built_at(repo, sha, cache=cache)
        return built[sha]

    def compared(index: int) -> list[Change] | str:
        if index not in found:
            before = befores[index]
            current = build(shas[index])
            previous = build(before) if before is not None else None
            if current.failure is not None:
                found[index] = f"this revision does not build: {current.failure}"
            elif previous is None:
                found[index] = "first revision: nothing to compare with"
            elif previous.failure is not None:
                found[index] = f"the previous revision ({previous.revision[:10]}) does not build"
            else:
                found[index] = pair_report(previous, current)
        return found[index]

    for index, (sha, date, subject) in enumerate(commits):
        before = befores[index]
        row: dict[str, Any] = {"commit": sha[:10], "date": date, "subject": subject,
                               "compared_with": before[:10] if before else None, "breaking": []}
        if index in lines.merged_by:
            row["merged_by"] = shas[lines.merged_by[index]][:10]
        if index in lines.merge_of:
            row["merges"] = shas[lines.merge_of[index]][:10]
        own = compared(index)
        if isinstance(own, str):
            row["skipped"] = own
            yield row
            continue
        if index in lines.merged_by:  # only what the merge brought to the mainline
            landed = compared(lines.merged_by[index])
            if not isinstance(landed, str):
                keys = {(c.rule, c.location) for c in landed}
                own = [c for c in own if (c.rule, c.location) in keys]
        elif index in lines.merge_of:  # what the change itself did not already report
            change = compared(lines.merge_of[index])
            if not isinstance(change, str):
                keys = {(c.rule, c.location) for c in change}
                own = [c for c in own if (c.rule, c.location) not in keys]
        row["breaking"] = [_change_row(c, labels, sha) for c in own]
        yield row


def _is_cached(repo: Path, sha: str, cache: Path) -> bool:
    from manila_ssm.diff.revisions import _key

    return (cache / f"{_key(_git.tree_id(repo, sha), None)}.pickle.gz").is_file()


def summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    changes = [c for r in rows for c in r["breaking"]]
    compared = [r for r in rows if "skipped" not in r]
    return {
        "revisions": len(rows),
        "pairs_compared": len(compared),
        "pairs_skipped": len(rows) - len(compared),
        "commits_with_breaking_changes": sum(1 for r in compared if r["breaking"]),
        "breaking_changes": len(changes),
        "labelled_genuine": sum(1 for c in changes if c["genuine"] is True),
        "labelled_not_genuine": sum(1 for c in changes if c["genuine"] is False),
        "unlabelled": sum(1 for c in changes if c["genuine"] is None),
    }


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    figures = summary(rows)
    lines = [
        "# spec diff over the history of Manila's api-ref",
        "",
        f"Regenerate with `{REGENERATE}` (every consecutive pair of the {figures['revisions']} revisions "
        f"of `../shared/upstream/{BUNDLE}`); labels live in `spec/history/labels.yaml`.",
        "",
        "| figure | value |",
        "|---|---|",
        *(f"| {name.replace('_', ' ')} | {value} |" for name, value in figures.items()),
        "",
        "## Commits with breaking changes",
        "",
    ]
    for row in rows:
        if not row["breaking"]:
            continue
        lines.append(f"### {row['commit']} {row['date']} {row['subject']}")
        lines.append("")
        merged = f"; landed through merge {row['merged_by']}" if row.get("merged_by") else ""
        lines.append(f"Compared with {row['compared_with']}{merged}.")
        lines.append("")
        for change in row["breaking"]:
            verdict = {True: "genuine", False: "NOT genuine", None: "unlabelled"}[change["genuine"]]
            where = f"{change['old']['source'] or '-'} → {change['new']['source'] or '-'}"
            why = f": {change['why']}" if change["why"] else ""
            lines.append(f"- `{change['rule']}` {change['location']} ({where}) — {verdict}{why}")
        lines.append("")
    skipped = [r for r in rows if "skipped" in r and not r["skipped"].startswith("first")]
    if skipped:
        lines += ["## Skipped pairs", "", "| commit | date | reason |", "|---|---|---|"]
        lines += [f"| {r['commit']} | {r['date']} | {r['skipped'].replace('|', '/')} |" for r in skipped]
    return "\n".join(lines) + "\n"


def _warm_one(job: tuple[str, str, str]) -> None:
    built_at(Path(job[0]), job[1], cache=Path(job[2]))


def warm(repo: Path, cache: Path, jobs: int) -> None:
    """Build every revision not yet in ``cache``, ``jobs`` at a time (the report then reads them from it)."""
    from concurrent.futures import ProcessPoolExecutor

    todo = [(str(repo), sha, str(cache)) for sha, _, _ in _git.log(repo) if not _is_cached(repo, sha, cache)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(_warm_one, todo))


def relabel(rows: Sequence[dict[str, Any]], labels: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with every change's label taken again from ``labels``."""
    out = []
    for row in rows:
        changes = []
        for change in row["breaking"]:
            stub = Change(change["rule"], True, change["message"], "", None, "", _NO_SIDE, _NO_SIDE)
            label = label_for(labels, row["commit"], _Located(stub, change["location"]))
            changes.append({**change, "genuine": label.get("genuine"), "why": label.get("why", "")})
        out.append({**row, "breaking": changes})
    return out


def _relabel() -> int:
    path = folder() / f"{NAME}.json"
    rows = relabel(json.loads(path.read_text(encoding="utf-8"))["commits"], load_labels())
    _write(rows)
    return 0


def _write(rows: Sequence[dict[str, Any]]) -> None:
    folder().mkdir(parents=True, exist_ok=True)
    jsonio.write(folder() / f"{NAME}.json", {"summary": summary(rows), "commits": list(rows)})
    (folder() / f"{NAME}.md").write_text(markdown(rows), encoding="utf-8")
    print(f"wrote spec/history/{NAME}.json and .md: {summary(rows)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, help="a clone of the history (default: clone the bundle)")
    parser.add_argument("--cache", type=Path, help="folder for built revisions (speeds up a second run)")
    parser.add_argument("--only-cached", action="store_true", help="use only revisions already in --cache")
    parser.add_argument("--jobs", type=int, default=1, help="with --cache: build revisions this many at a time first")
    parser.add_argument("--relabel", action="store_true",
                        help="only apply spec/history/labels.yaml to the committed report (no builds, no diffs)")
    args = parser.parse_args(argv)
    if args.relabel:
        return _relabel()
    with tempfile.TemporaryDirectory(prefix="ssm-history-") as tmp:
        try:
            repo = args.repo or clone_bundle(Path(tmp) / "history")
        except FileNotFoundError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        if args.cache is not None and args.jobs > 1 and not args.only_cached:
            warm(repo, args.cache, args.jobs)
        rows = list(history(repo, args.cache, args.only_cached))
    _write(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
