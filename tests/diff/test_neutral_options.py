"""``spec diff`` of another service's tree builds it with that tree's options, never Manila's (issue 13 item 2)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from manila_ssm.diff.inputs import apiref_builder, load_revision
from manila_ssm.diff.revisions import build_tree

TREE = Path(__file__).parent / "trees" / "v1"


def _manila_free(document: object) -> None:
    text = json.dumps(document).lower()
    assert "manila" not in text, [line for line in text.split(",") if "manila" in line][:5]


def test_the_fixture_tree_is_not_manilas() -> None:
    assert not any("manila" in path.read_text(encoding="utf-8").lower() for path in TREE.rglob("*") if path.is_file())


def test_diff_builds_a_foreign_tree_without_manila_options() -> None:
    document = apiref_builder()(TREE)
    assert document["paths"], "the fixture tree built no operation"
    _manila_free(document)


def test_history_builds_a_foreign_tree_without_manila_options() -> None:
    _, document = build_tree(TREE)
    assert document["paths"]
    _manila_free(document)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_git_revision_of_a_foreign_tree_builds_without_manila_options(tmp_path: Path) -> None:
    shutil.copytree(TREE, tmp_path / "api-ref")
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for command in (["init", "-q"], ["add", "."], ["commit", "-qm", "one"]):
        subprocess.run([*git, *command], check=True)
    loaded = load_revision("HEAD", "api-ref", tmp_path, apiref_builder())
    assert loaded.document["paths"]
    _manila_free(loaded.document)
