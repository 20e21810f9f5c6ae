"""The hooks of .pre-commit-hooks.yaml, run by ``pre-commit try-repo`` on a throwaway repository.

``language: python`` makes pre-commit install this project into a fresh
environment, which takes minutes; the test runs a copy of the hook repository
whose hooks say ``language: system`` instead, with this test's Python first on
PATH, so that it checks the hook definitions (entries, arguments, file
patterns, pass_filenames) and the gates within the CI budget.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
TREES = Path(__file__).parent / "trees"  # v2 makes an optional request field required

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is missing")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@example.org", "-c", "user.name=t", *args],
                   check=True, capture_output=True)


def _hook_repo(tmp: Path) -> Path:
    """A git repository holding this project's hooks, as language: system."""
    repo = tmp / "hooks"
    repo.mkdir()
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {h["id"] for h in hooks} == {"ssm-spec-lint", "ssm-spec-diff"}
    assert all(h["language"] == "python" for h in hooks)
    for hook in hooks:
        hook["language"] = "system"
    (repo / ".pre-commit-hooks.yaml").write_text(yaml.safe_dump(hooks), encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "hooks")
    return repo


def _project(tmp: Path) -> Path:
    """A project whose api-ref v1 is committed on main and v2 is staged."""
    repo = tmp / "project"
    (repo / "api-ref").mkdir(parents=True)
    shutil.copytree(TREES / "v1", repo / "api-ref" / "source")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "v1")
    shutil.rmtree(repo / "api-ref" / "source")
    shutil.copytree(TREES / "v2", repo / "api-ref" / "source")
    _git(repo, "add", "-A")
    return repo


def _try_repo(project: Path, hooks: Path, hook_id: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp / "pre-commit-home"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hooks), hook_id],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300)


def test_diff_hook_fails_on_a_breaking_change_against_the_merge_base(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    project, hooks = _project(tmp_path), _hook_repo(tmp_path)
    done = _try_repo(project, hooks, "ssm-spec-diff", tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "request-field-required-added" in done.stdout and "thing.size" in done.stdout
    _git(project, "commit", "-q", "-m", "v2")  # on main, HEAD is its own merge base: nothing new
    done = _try_repo(project, hooks, "ssm-spec-diff", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_lint_hook_lints_the_changed_tree(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    project, hooks = _project(tmp_path), _hook_repo(tmp_path)
    source = project / "api-ref" / "source"
    (source / "parameters.yaml").write_text(
        (source / "parameters.yaml").read_text(encoding="utf-8") + "\nbroken: [\n", encoding="utf-8")
    _git(project, "add", "-A")
    done = _try_repo(project, hooks, "ssm-spec-lint", tmp_path)
    assert done.returncode != 0 and "parameters.yaml" in done.stdout, done.stdout + done.stderr
