"""Tests that need more than `pip install -e '.[test]'` skip on a fresh machine and say why; CI fails instead.

Chromium's absence is faked with an empty ``PATH`` in a subprocess running the
real browser tests; ``../shared``'s with a patched ``paths.shared_dir``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import ssm_testing
from manila_ssm import paths

ROOT = Path(__file__).parents[1]


def _browser_test_count() -> int:
    return (ROOT / "tests" / "docs" / "test_chromium.py").read_text(encoding="utf-8").count("\ndef test_")


def _run_browser_tests(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """tests/docs/test_chromium.py with no Chromium on PATH (python is called by its full path)."""
    empty = tmp_path / "bin"
    empty.mkdir(exist_ok=True)
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "SSM_REQUIRE_BROWSER", "PYTEST_ADDOPTS")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/docs/test_chromium.py", "-p", "no:randomly", "-rs",
         # plugins these tests do not use, left out for speed (importing Hypothesis alone takes seconds)
         "-q", *(f"-pno:{name}" for name in ("xdist", "hypothesispytest", "schemathesis", "manila_ssm", "anyio"))],
        cwd=ROOT, env={**clean, "PATH": str(empty), **env}, capture_output=True, text=True, timeout=120, check=False,
    )


def test_without_chromium_browser_tests_skip_with_the_install_command(tmp_path: Path) -> None:
    done = _run_browser_tests(tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"{_browser_test_count()} skipped" in done.stdout
    assert "needs headless Chromium: apt-get install chromium" in done.stdout
    assert "prerequisites missing" in done.stdout  # the closing summary of tests/conftest.py


def test_in_ci_a_missing_chromium_fails(tmp_path: Path) -> None:
    done = _run_browser_tests(tmp_path, CI="true")
    assert done.returncode == 1, done.stdout[-2000:]
    assert f"{_browser_test_count()} failed" in done.stdout and "headless Chromium is required here" in done.stdout


@pytest.mark.parametrize(("environ", "outcome"), [({}, pytest.skip.Exception),
                                                    ({"CI": "true"}, pytest.fail.Exception),
                                                    ({"SSM_REQUIRE_SHARED": "1"}, pytest.fail.Exception)])
def test_without_shared_tests_skip_saying_so_and_ci_fails(monkeypatch: pytest.MonkeyPatch, environ, outcome) -> None:
    for name in ("CI", "SSM_REQUIRE_SHARED"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(paths, "shared_dir", lambda: None)
    with pytest.raises(outcome, match=r"\.\./shared.*clone the team's shared folder"):
        ssm_testing.require_shared()


def test_ci_run_requires_shared_and_chromium_and_sets_ci() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "export CI=true" in script
    assert "../shared" in script and "exit 1" in script
    assert script.index("../shared") < script.index("pip install")  # fails early, before any install
