"""The rendered page in a real headless Chromium: it loads cleanly, shows every action and sample.

Console errors are read from Chromium's own log (``--enable-logging=stderr``
prints every console message and uncaught exception as an ``INFO:CONSOLE``
line), so no DevTools client is needed; our page logs nothing, so any such
line is a failure. The page's Content-Security-Policy forbids every fetch, and
a blocked fetch is such a console line too: this proves the page needs no
network. The script marks ``<body data-ready>`` when it has run, and
``--dump-dom`` gives the DOM after scripts, so the search box is tested
through its ``?q=`` parameter.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from manila_ssm import paths
from manila_ssm.docs import render_html
from ssm_testing import require_chromium

EFFECTIVE = paths.spec_dir() / "openapi" / "effective.json"  # the generated contract users read
ACTIONS = ("migration_check", "migration_start", "migration_get_progress", "migration_complete", "migration_cancel")
REPORTS = Path(__file__).parents[2] / "reports"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0",
)


def chromium(tmp_path: Path, url: str, *extra: str) -> tuple[str, list[str]]:
    """Run Chromium once on ``url``; its stdout and its console lines."""
    binary = require_chromium()  # skips without Chromium, fails in CI
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    done = subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *extra, url],
                          capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("docs") / "api.html"
    target.write_text(render_html(json.loads(EFFECTIVE.read_text(encoding="utf-8"))), encoding="utf-8")
    return target


def test_page_loads_without_console_errors_and_shows_every_action(page_file: Path, tmp_path: Path, read_page: Any) -> None:
    dom, console = chromium(tmp_path, page_file.as_uri(), "--dump-dom")
    assert console == []
    page = read_page(dom)
    assert page.body.get("data-ready") == "yes"
    for action in ACTIONS:
        assert action in page.parts, f"{action} is missing"
        assert not page.parts[action].hidden
        assert page.parts[action].samples, f"{action} shows no sample"
        for text in page.parts[action].samples:
            json.loads(text)  # shown as the JSON it is


def test_search_box_narrows_the_page(page_file: Path, tmp_path: Path, read_page: Any) -> None:
    query = "migration_start"
    dom, console = chromium(tmp_path, f"{page_file.as_uri()}?q={query}", "--dump-dom")
    assert console == []
    parts = read_page(dom).parts
    visible = {name for name, part in parts.items() if not part.hidden}
    assert visible == {name for name, part in parts.items() if query in part.text.lower()}
    assert "migration_start" in visible and "migration_cancel" not in visible


def test_console_errors_would_be_caught(tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text("<!doctype html><script>undefinedFunction()</script>", encoding="utf-8")
    _, console = chromium(tmp_path, broken.as_uri(), "--dump-dom")
    assert any("undefinedFunction" in line for line in console)


def test_screenshot(page_file: Path, tmp_path: Path) -> None:
    shot = tmp_path / "docs-screenshot.png"
    _, console = chromium(tmp_path, page_file.as_uri(), f"--screenshot={shot}",
                          "--window-size=1400,2400", "--hide-scrollbars")
    assert console == []
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # a blank page is a few KiB
    REPORTS.mkdir(exist_ok=True)
    shutil.copyfile(shot, REPORTS / "docs-screenshot.png")
