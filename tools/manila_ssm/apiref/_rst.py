"""Run docutils on one api-ref source, collecting its system messages instead of printing them."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

from docutils import frontend, nodes, utils
from docutils.parsers.rst import Parser

from manila_ssm.apiref import rules
from manila_ssm.apiref._directives import registered
from manila_ssm.errors import Finding, Location

Locate = Callable[[str | None, int | None], Location]
"""Maps a docutils source (path as docutils saw it) and 1-based line to a ``Location``."""

_UNKNOWN_DIRECTIVE = re.compile(r'Unknown directive type "([^"]+)"')
_INCLUDE_PROBLEM = re.compile(r'Problems with "include" directive path')
_LEVEL_RULE = {2: "rst-warning", 3: "rst-error", 4: "rst-severe"}


def _settings() -> frontend.Values:
    settings = frontend.get_default_settings(Parser)
    settings.report_level = 5  # nothing is printed: the observer collects every message
    settings.halt_level = 5
    settings.warning_stream = io.StringIO()
    settings.input_encoding = "utf-8"
    settings.file_insertion_enabled = True
    settings.raw_enabled = False
    return settings


def parse_document(
    path: Path, text: str, locate: Locate, dependencies: utils.DependencyList
) -> tuple[nodes.document, list[Finding]]:
    """The doctree of ``text`` (read from ``path``) and docutils' messages as findings.

    ``dependencies`` receives every file an ``include`` pulled in.
    """
    settings = _settings()
    settings.record_dependencies = dependencies
    document = utils.new_document(str(path), settings)
    messages: list[nodes.system_message] = []
    document.reporter.attach_observer(messages.append)
    with registered():
        Parser().parse(text, document)
    return document, [_finding(message, locate) for message in messages if message["level"] >= 2]


def _finding(message: nodes.system_message, locate: Locate) -> Finding:
    text = message.children[0].astext() if message.children else message.astext()
    text = " ".join(text.split())
    location = locate(message.get("source"), message.get("line"))
    unknown = _UNKNOWN_DIRECTIVE.search(text)
    if unknown:
        return rules.finding("directive-unknown", location, f"unknown directive `{unknown.group(1)}`")
    if _INCLUDE_PROBLEM.search(text):
        return rules.finding("source-missing-file", location, f"cannot include a file: {text}")
    return rules.finding(_LEVEL_RULE.get(message["level"], "rst-warning"), location, text)
