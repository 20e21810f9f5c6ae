"""Ten years of Manila's api-ref as the test of the diff gate: every consecutive pair, diffed.

``python -m manila_ssm.diff.history`` clones ``../shared/upstream/manila-api-ref-history.bundle``
(or takes ``--repo``), builds every revision (cached by git tree id in
``--cache``), runs ``spec diff`` on every consecutive pair and writes
``spec/history/manila-api-ref.json`` and ``.md``: per commit, the breaking
changes found, each with its label from ``spec/history/labels.yaml`` (genuine
or not, and why). A revision that does not build is listed with the reason and
its pairs are skipped. ``--only-cached`` uses only revisions already built.

The bundle is upstream's history made linear: a change reviewed on a branch
follows whatever merged before it, so the commit just before it in the bundle
is often not its parent, and a plain consecutive diff would show the other
branch's edits undone. Each commit is therefore compared with its
*predecessor*: of the :data:`WINDOW` commits before it, the one whose files
differ from it least (the parent it was written on, or the mainline a merge
joined); the report names it. A sibling on another branch can be nearer
than the parent, and then shows that branch's edits undone; so a change counts
as the commit's own only when it also shows against the second-nearest
commit (which, for a sibling, is the shared parent).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from manila_ssm import jsonio, paths
from manila_ssm.diff import _git
from manila_ssm.diff._compare import Change, compare
from manila_ssm.diff.revisions import Built, built_at

BUNDLE = "manila-api-ref-history.bundle"
REGENERATE = "python -m manila_ssm.diff.history"
NAME = "manila-api-ref"
WINDOW = 12


def folder() -> Path:
    return paths.spec_dir() / "history"


def clone_bundle(dest: Path) -> Path:
    shared = paths.shared_dir()
    bundle = shared / "upstream" / BUNDLE if shared is not None else None
    if bundle is None or not bundle.is_file():
        raise FileNotFoundError(f"../shared/upstream/{BUNDLE} is not beside this checkout")
    subprocess.run(["git", "clone", "-q", str(bundle), str(dest)], check=True, capture_output=True)
    return dest


def label_key(commit: str, change: Change) -> str:
    return f"{commit[:10]} {change.rule} {change.location}"


def load_labels() -> dict[str, dict[str, Any]]:
    path = folder() / "labels.yaml"
    if not path.is_file():
        return {}
    rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return {row["key"]: row for row in rows}


def pair_report(old: Built, new: Built) -> list[Change]:
    """The breaking changes from ``old`` to ``new`` (both built)."""
    assert old.document is not None and new.document is not None
    return [c for c in compare(old.document, new.document, old_name=old.revision[:10], new_name=new.revision[:10])
            if c.breaking]


def _change_row(change: Change, labels: dict[str, dict[str, Any]], commit: str) -> dict[str, Any]:
    label = labels.get(label_key(commit, change), {})
    return {
        "rule": change.rule, "location": change.location, "message": change.message,
        "old": {"pointer": change.old.pointer, "source": change.old.source},
        "new": {"pointer": change.new.pointer, "source": change.new.source},
        "key": label_key(commit, change), "genuine": label.get("genuine"), "why": label.get("why", ""),
    }


def history(repo: Path, cache: Path | None, only_cached: bool = False) -> Iterator[dict[str, Any]]:
    """One row per revision, oldest first: what it broke against its predecessor, or why it was skipped."""
    labels = load_labels()
    commits = _git.log(repo)
    built: dict[str, Built] = {}

    def build(sha: str) -> Built:
        if sha not in built:
            if only_cached and not (cache is not None and _is_cached(repo, sha, cache)):
                built[sha] = Built(sha, "", None, None, "not built in this run (regenerate to build it)")
            else:
                built[sha] = built_at(repo, sha, cache=cache)
        return built[sha]

    for index, (sha, date, subject) in enumerate(commits):
        current = build(sha)
        nearest = predecessors(repo, [c[0] for c in commits], index)
        before = nearest[0] if nearest else None
        previous = build(before) if before is not None else None
        second = build(nearest[1]) if len(nearest) > 1 else None
        row: dict[str, Any] = {"commit": sha[:10], "date": date, "subject": subject,
                               "compared_with": before[:10] if before else None, "breaking": []}
        if current.failure is not None:
            row["skipped"] = f"this revision does not build: {current.failure}"
        elif previous is None:
            row["skipped"] = "first revision: nothing to compare with"
        elif previous.failure is not None:
            row["skipped"] = f"the previous revision ({previous.revision[:10]}) does not build"
        else:
            found = pair_report(previous, current)
            if found and second is not None and second.failure is None:
                also = {(c.rule, c.location) for c in pair_report(second, current)}
                found = [c for c in found if (c.rule, c.location) in also]
            row["breaking"] = [_change_row(c, labels, sha) for c in found]
        yield row


def predecessors(repo: Path, shas: Sequence[str], index: int) -> list[str]:
    """The commits among the :data:`WINDOW` before ``shas[index]``, those whose files differ from it least first."""
    window = list(reversed(shas[max(0, index - WINDOW):index]))  # nearest first: ties go to the latest
    return sorted(window, key=lambda other: _git.changed_lines(repo, other, shas[index]))


def predecessor(repo: Path, shas: Sequence[str], index: int) -> str | None:
    """The commit the report compares ``shas[index]`` with (see the module docstring)."""
    nearest = predecessors(repo, shas, index)
    return nearest[0] if nearest else None


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, help="a clone of the history (default: clone the bundle)")
    parser.add_argument("--cache", type=Path, help="folder for built revisions (speeds up a second run)")
    parser.add_argument("--only-cached", action="store_true", help="use only revisions already in --cache")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ssm-history-") as tmp:
        try:
            repo = args.repo or clone_bundle(Path(tmp) / "history")
        except FileNotFoundError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        rows = list(history(repo, args.cache, args.only_cached))
    folder().mkdir(parents=True, exist_ok=True)
    jsonio.write(folder() / f"{NAME}.json", {"summary": summary(rows), "commits": rows})
    (folder() / f"{NAME}.md").write_text(markdown(rows), encoding="utf-8")
    print(f"wrote spec/history/{NAME}.json and .md: {summary(rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
