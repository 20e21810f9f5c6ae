"""The HTML conformance report: self-contained, verdict first, evidence that opens, in a real headless Chromium.

The browser is driven over the DevTools protocol (``ssm_browser.Page``): the
page must log no console error, exception or CSP violation (the policy
forbids every fetch, so this also proves it needs no network), show a row for
every requirement, and open a failure's evidence on a real mouse click.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from manila_ssm.suite import catalogue as cat
from manila_ssm.suite import contract as contracts
from manila_ssm.suite.html_report import to_html
from manila_ssm.suite.outcomes import Outcome, Record
from manila_ssm.suite.reports import Context, Summary, summarise

TOKEN = "admin:ad000000000000000000000000000001"
FAILED = "SSM-START-STATUS-202"
DEFECT = "SSM-CHECK-NETWORK-OPTIONAL"
SKIPPED = "SSM-CHECK-POLICY-403"


def _exchange(status: int, body: object, request_id: str) -> dict[str, object]:
    return {
        "request": {"method": "POST", "url": "http://127.0.0.1:8786/v2/p/share-servers/s1/action",
                    "headers": {"X-Auth-Token": TOKEN, "X-OpenStack-Manila-API-Version": "2.57"},
                    "body": json.dumps({"migration_start": {"host": "ref@beta", "writable": True}})},
        "response": {"status": status, "headers": {"Content-Type": "application/json",
                                                   "x-compute-request-id": request_id},
                     "body": json.dumps(body), "error": None, "elapsed_s": 0.01},
    }


@pytest.fixture(scope="module")
def summary() -> Summary:
    catalogue = cat.build(contracts.load("effective"))
    records = []
    for requirement in catalogue:
        test = f"conformance/test_x.py::test_{requirement.id.lower()}"
        if requirement.id == FAILED:
            records.append(Record(FAILED, Outcome.FAIL, test, "expected 202, got 200", action="migration_start",
                                  evidence=(_exchange(200, {"task_state": "migration_starting"}, "req-failed-1"),)))
        elif requirement.id == DEFECT:
            records.append(Record(DEFECT, Outcome.KNOWN_DEFECT, test, "SSM-DEFECT-CHECK-NO-NETWORK-500: 500",
                                  defect="SSM-DEFECT-CHECK-NO-NETWORK-500", action="migration_check",
                                  evidence=(_exchange(500, {"computeFault": {"code": 500}}, "req-defect-2"),)))
        elif requirement.id == SKIPPED:
            records.append(Record(SKIPPED, Outcome.SKIP, test, "no non-admin credentials configured "
                                                                "(--ssm-member-token)"))
        else:
            records.append(Record(requirement.id, Outcome.PASS, test))
    return summarise(catalogue, records, {})


CONTEXT = Context(config={"microversions": "2.57,max", "admin_token": "<redacted>"}, contract="effective",
                  target="http://127.0.0.1:8786/v2/p", max_version="2.99", seed=42,
                  command="ssm-conformance run --base-url=http://127.0.0.1:8786/v2/p "
                          "--admin-token=$SSM_ADMIN_TOKEN --seed=42")


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[str] = []
        self.external: list[str] = []
        self.order: list[str] = []
        self.csp = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name in ("src", "href", "action"):
            value = attributes.get(name) or ""
            if value and not value.startswith("#"):
                self.external.append(value)
        if tag == "tr" and attributes.get("data-requirement"):
            self.rows.append(str(attributes["data-requirement"]))
        if tag == "section" and attributes.get("id"):
            self.order.append(str(attributes["id"]))
        if tag == "meta" and attributes.get("http-equiv") == "Content-Security-Policy":
            self.csp = str(attributes.get("content"))


def test_report_is_self_contained_verdict_first_and_redacted(summary: Summary) -> None:
    page = to_html(summary, CONTEXT)
    reader = _Reader()
    reader.feed(page)
    assert reader.external == []
    assert reader.csp.startswith("default-src 'none'")
    assert reader.order[:2] == ["verdict", "run"]  # the verdict and its meaning come first
    assert reader.rows == [r.requirement.id for r in summary.results]
    assert TOKEN not in page and "&lt;redacted&gt;" in page
    assert "DOES NOT CONFORM" in page and summary.verdict.meaning in page
    assert "req-failed-1" in page and "req-defect-2" in page  # request ids shown
    assert '\n  &#34;task_state&#34;: &#34;migration_starting&#34;' in page  # bodies pretty-printed
    assert "--admin-token=$SSM_ADMIN_TOKEN --seed=42" in page
    assert "needs a non-admin token" in page


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from ssm_browser import Page

    page = Page(tmp_path_factory.mktemp("chromium") / "profile")
    try:
        yield page
    finally:
        page.close()


def test_report_in_chromium_opens_a_failures_evidence_on_click(summary: Summary, tmp_path: Path, browser) -> None:
    report = tmp_path / "conformance.html"
    report.write_text(to_html(summary, CONTEXT), encoding="utf-8")
    browser.open(report.as_uri())
    assert browser.evaluate("document.body.dataset.ready") == "yes"
    rows = browser.evaluate("[...document.querySelectorAll('#requirements tbody tr')].map(r => r.dataset.requirement)")
    assert rows == [r.requirement.id for r in summary.results]
    failure = f"#finding-{FAILED}"
    visible = f"document.querySelector('{failure} pre.response').checkVisibility()"
    assert browser.evaluate(f"document.querySelector('{failure}').open") is False
    assert browser.evaluate(visible) is False
    browser.click(f"{failure} > summary")
    assert browser.evaluate(f"document.querySelector('{failure}').open") is True
    assert browser.evaluate(visible) is True
    shown = browser.evaluate(f"document.querySelector('{failure} pre.response').innerText")
    assert '"task_state": "migration_starting"' in shown and "req-failed-1" in browser.evaluate(
        f"document.querySelector('{failure}').innerText")
    # the known defect opens from its cell in the matrix
    defect = f"#finding-{DEFECT}"
    browser.click(f"#req-{DEFECT} a[data-open]")
    assert browser.evaluate(f"document.querySelector('{defect}').open") is True
    # the outcome filter: unticking "pass" leaves the other rows
    browser.click("#filters input[value=pass]")
    shown_rows = browser.evaluate("[...document.querySelectorAll('#requirements tbody tr')]"
                                  ".filter(r => !r.hidden).map(r => r.dataset.requirement)")
    assert sorted(shown_rows) == sorted([FAILED, DEFECT, SKIPPED])
    assert browser.problems == []


def test_console_errors_and_fetches_would_be_caught(tmp_path: Path, browser) -> None:
    page = tmp_path / "broken.html"
    page.write_text('<!doctype html><meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
                    'script-src \'unsafe-inline\'"><img src="https://example.invalid/x.png">'
                    "<script>undefinedFunction()</script>", encoding="utf-8")
    browser.events.clear()
    browser.open(page.as_uri())
    problems = browser.problems
    assert any("undefinedFunction" in p for p in problems)
    assert any("Content Security Policy" in p for p in problems)
