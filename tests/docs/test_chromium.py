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

import html as html_lib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from manila_ssm import paths
from manila_ssm.docs import render_html
from ssm_testing import require_chromium, run_cli

EFFECTIVE = paths.spec_dir() / "openapi" / "effective.json"  # the generated contract users read
ACTIONS = ("migration_check", "migration_start", "migration_get_progress", "migration_complete", "migration_cancel")
REPORTS = Path(__file__).parents[2] / "reports"
PROSE_TREE = Path(__file__).parent / "fixtures" / "prose-tree"
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


# Appended to a copy of the page: follows every table-of-contents link as a reader
# would (a fragment navigation) and records where its target landed.
TOC_CHECK = """<script>
(function () {
  var results = [];
  document.querySelectorAll('#toc a[href^="#"]').forEach(function (link) {
    var id = link.getAttribute("href").slice(1), target = document.getElementById(id);
    var seen = {id: id, found: !!target};
    if (target) {
      window.location.hash = id;
      var heading = target.matches("h1,h2,h3,h4") ? target : target.querySelector("h1,h2,h3,h4");
      var box = heading ? heading.getBoundingClientRect() : null;
      seen.heading = heading ? heading.textContent.trim() : "";
      seen.inView = !!box && box.height > 0 && box.top >= -1 && box.bottom <= window.innerHeight + 1;
      var hit = box ? document.elementFromPoint(box.left + 4, box.top + box.height / 2) : null;
      seen.onTop = !!hit && (hit === heading || heading.contains(hit));
    }
    results.push(seen);
  });
  var out = document.createElement("pre");
  out.id = "toc-check";
  out.textContent = JSON.stringify(results);
  document.body.appendChild(out);
}());
</script>"""


def toc_landings(tmp_path: Path, html: str) -> list[dict[str, Any]]:
    """Where each table-of-contents link of ``html`` lands, seen in Chromium."""
    probe = tmp_path / "toc-probe.html"
    probe.write_text(html.replace("</body>", TOC_CHECK + "</body>"), encoding="utf-8")
    dom, console = chromium(tmp_path, probe.as_uri(), "--dump-dom", "--window-size=1400,900")
    assert console == []
    found = re.search(r'<pre id="toc-check">(.*?)</pre>', dom, re.S)
    assert found, "the probe script did not run"
    return json.loads(html_lib.unescape(found.group(1)))


def _misses(landings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [seen for seen in landings if not (seen["found"] and seen["heading"] and seen["inView"] and seen["onTop"])]


def test_every_toc_link_lands_on_a_visible_heading(page_file: Path, tmp_path: Path) -> None:
    landings = toc_landings(tmp_path, page_file.read_text(encoding="utf-8"))
    assert len(landings) >= 1 + 1 + len(ACTIONS)  # the tag, the operation, each action
    assert _misses(landings) == []


def test_toc_landing_check_catches_hidden_and_missing_targets(tmp_path: Path) -> None:
    html = ('<!doctype html><html><body><ol id="toc"><li><a href="#gone">gone</a></li>'
            '<li><a href="#shut">shut</a></li><li><a href="#fine">fine</a></li></ol>'
            '<section id="shut" hidden><h2>Shut</h2></section><section id="fine"><h2>Fine</h2></section></body></html>')
    misses = {seen["id"] for seen in _misses(toc_landings(tmp_path, html))}
    assert misses == {"gone", "shut"}


def test_a_tree_renders_its_prose_and_every_toc_link_lands(tmp_path: Path, read_page: Any) -> None:
    """``spec docs TREE``: notes, lists, tables, inline markup and links survive, in a real browser."""
    output = tmp_path / "tree.html"
    code, _, err = run_cli("spec", "docs", PROSE_TREE, "-o", output)
    assert code == 0, err
    html = output.read_text(encoding="utf-8")
    dom, console = chromium(tmp_path, output.as_uri(), "--dump-dom")
    assert console == []
    for fragment in ("<strong>Note:</strong> The <code>{project_id}</code>",
                     "<strong>Warning:</strong> Plants listed here may have been <em>eaten</em> since.",
                     "<li><code>bed</code>: only the plants of one bed;</li>",
                     "<th>Status</th>", "<td>ready to harvest</td>",
                     '<a href="https://example.org/guide">planting guide</a>',
                     '<a href="https://example.org/projects">projects</a>'):
        assert fragment in dom, fragment
    assert _misses(toc_landings(tmp_path, html)) == []
    markup = html.split("<script>")[0]  # the page's script builds selectors of its own
    ids = re.findall(r'\sid="([^"]+)"', markup)
    assert len(ids) == len(set(ids))
    assert set(re.findall(r'href="#([^"]+)"', markup)) <= set(ids)  # the prose's own "#show-a-plant" link too
