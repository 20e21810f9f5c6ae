"""Every test file on disk is collected by the README's test command (``pytest``).

pytest's default ``norecursedirs`` silently skips folders such as ``build`` and
``dist``; a test file there would never run, in CI or anywhere. This asks
pytest itself which files it collects, from the repository root, as the README
does, and compares with the files on disk.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Folders whose test-looking files are data, not tests (inputs of data-driven cases).
DATA_FOLDERS = ("tests/cassettes",)


def _on_disk() -> set[str]:
    found: set[str] = set()
    for pattern in ("test_*.py", "*_test.py"):
        for path in (ROOT / "tests").rglob(pattern):
            relative = path.relative_to(ROOT).as_posix()
            if not relative.startswith(DATA_FOLDERS):
                found.add(relative)
    return found


def _collected() -> set[str]:
    # --collect-only -q prints node ids; the file is the part before "::".
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {line.split("::", 1)[0] for line in result.stdout.splitlines() if "::" in line}


def test_every_test_file_on_disk_is_collected() -> None:
    missing = _on_disk() - _collected()
    assert not missing, f"test files pytest does not collect (rename their folder): {sorted(missing)}"


def test_no_source_or_test_folder_has_a_name_tools_skip_as_build_output() -> None:
    skipped_names = {"build", "dist", "target", "out", "node_modules", "venv"}
    offending = sorted(
        path.relative_to(ROOT).as_posix()
        for top in ("tools", "tests", "conformance")
        for path in (ROOT / top).rglob("*")
        if path.is_dir() and path.name in skipped_names
    )
    assert not offending, f"folders named like build output (rename them): {offending}"
