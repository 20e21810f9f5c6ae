"""Every report of a run, written into the reports folder: JSON, Markdown, HTML and JUnit XML."""

from __future__ import annotations

from pathlib import Path

from manila_ssm import jsonio
from manila_ssm.suite.html_report import to_html
from manila_ssm.suite.junit import to_junit
from manila_ssm.suite.reports import Context, Summary, to_json, to_markdown

NAMES = ("conformance.html", "conformance.json", "conformance.md", "junit.xml")


def write_all(directory: Path, summary: Summary, context: Context) -> list[Path]:
    """Write the four reports; their paths, the human one first."""
    directory.mkdir(parents=True, exist_ok=True)
    html, json_path, markdown, junit = (directory / name for name in NAMES)
    html.write_text(to_html(summary, context), encoding="utf-8")
    jsonio.write(json_path, to_json(summary, context))
    markdown.write_text(to_markdown(summary, context), encoding="utf-8")
    junit.write_text(to_junit(summary, context), encoding="utf-8")
    return [html, json_path, markdown, junit]
