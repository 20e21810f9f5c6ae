"""Run docutils on one api-ref source, collecting its system messages instead of printing them."""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from docutils import frontend, nodes, utils
from docutils.parsers.rst import Parser, states
from docutils.statemachine import StringList, string2lines

from manila_ssm.apiref import rules
from manila_ssm.apiref._directives import register_extension_roles, registered, report_flattened
from manila_ssm.apiref._flattened import repair
from manila_ssm.apiref._machines import TopMachine
from manila_ssm.errors import Finding, Location

Locate = Callable[[str | None, int | None], Location]
"""Maps a docutils source (path as docutils saw it) and 1-based line to a ``Location``."""

_UNKNOWN_DIRECTIVE = re.compile(r'Unknown directive type "([^"]+)"')
_UNKNOWN_ROLE = re.compile(r'Unknown interpreted text role "([^"]+)"')
_NO_ROLE = re.compile(r'No role entry for "([^"]+)"')
_LEVEL_RULE = {2: "rst-warning", 3: "rst-error", 4: "rst-severe"}


@cache
def _defaults() -> frontend.Values:
    """docutils' default settings for the reST parser (building them takes a millisecond: once per process)."""
    return frontend.get_default_settings(Parser)


def _settings() -> frontend.Values:
    settings = copy.copy(_defaults())
    settings.report_level = 5  # nothing is printed: the observer collects every message
    settings.halt_level = 5
    settings.warning_stream = io.StringIO()
    settings.input_encoding = "utf-8"
    settings.file_insertion_enabled = True
    settings.raw_enabled = False
    return settings


def settings_for(root: Path, bound: Path | None) -> frontend.Values:
    """docutils settings of one parse: includes read absolute names against ``root``, only files inside ``bound``."""
    settings = _settings()
    settings.apiref_root, settings.apiref_bound = str(root), bound
    return settings


def parse_document(
    path: Path, text: str, locate: Locate, dependencies: utils.DependencyList,
    root: Path | None = None, bound: Path | None = None, *, pooled: bool = True,
    splice: Any = None,
) -> tuple[nodes.document, list[Finding]]:
    """The doctree of ``text`` (read from ``path``) and docutils' messages as findings.

    ``dependencies`` receives every file an ``include`` pulled in; includes
    read absolute names against ``root`` and only files inside ``bound``.
    ``pooled=False`` runs docutils' own state machines (the tests compare both).
    ``splice`` takes over the page's own includes (``_splice``).
    """
    settings = settings_for(root if root is not None else path.parent, bound or root)
    settings.record_dependencies = dependencies
    settings.apiref_splice = splice
    document = utils.new_document(str(path), settings)
    messages: list[Any] = []
    document.reporter.attach_observer(messages.append)
    if splice is not None:
        splice.messages = messages
    lines, flattened = repair(
        string2lines(text, tab_width=settings.tab_width, convert_whitespace=True), str(path)
    )
    with registered():
        register_extension_roles(lines)
        report_flattened(document.reporter, str(path), flattened)
        LineParser(pooled).parse_lines(lines, document)
        if splice is not None:
            splice.finish(document)
            settings.apiref_splice = None
    return document, to_findings(messages, locate)


def dismantle(document: nodes.document) -> None:
    """Break a doctree's parent/child cycles once it is read, so that it is freed without the cycle collector."""
    todo: list[nodes.Node] = [document]
    while todo:
        node = todo.pop()
        if isinstance(node, nodes.Element):
            todo += node.children
            node.children = []
        node.parent = None
    document.__dict__.clear()  # its registries (ids, names) and settings, and what was hooked onto it


def to_findings(messages: list[Any], locate: Locate) -> list[Finding]:
    """docutils' warnings and errors as findings (its infos are not); a spliced page's findings go in place."""
    found: list[Finding] = []
    for message in messages:
        if not isinstance(message, nodes.system_message):
            found += message  # a page parsed on its own (``_splice``): its findings, already made
        elif message["level"] >= 2:
            finding = _finding(message, locate)
            if finding is not None:
                found.append(finding)
    return found


class LineParser(Parser):
    """docutils' reST parser fed with a ``StringList`` whose lines carry their own file and line.

    Its nested state machines are reused within the parse (``_machines``).
    """

    def __init__(self, pooled: bool = True) -> None:
        super().__init__()
        self.pooled = pooled

    def parse_lines(self, lines: StringList, document: nodes.document, machine: TopMachine | None = None) -> None:
        """Run the parse; ``machine`` is the document's state machine (default: a fresh one)."""
        self.setup_parse("\n".join(lines), document)
        debug = document.reporter.debug_flag
        if not self.pooled:
            self.statemachine = states.RSTStateMachine(self.state_classes, self.initial_state, debug)
            self.statemachine.run(lines, document, inliner=self.inliner)
            self.finish_parse()
            return
        machine = machine or TopMachine(initial_state=self.initial_state, debug=debug)
        self.statemachine = machine
        try:
            machine.run(lines, document, inliner=self.inliner)
        finally:
            machine.release()
        self.finish_parse()


def _finding(message: nodes.system_message, locate: Locate) -> Finding | None:
    text = message.children[0].astext() if message.children else message.astext()
    text = " ".join(text.split())
    location = locate(message.get("source"), message.get("line"))
    if message.get("apiref_rule"):
        return rules.finding(message["apiref_rule"], location, text, message.get("apiref_hint"))
    unknown = _UNKNOWN_DIRECTIVE.search(text)
    if unknown:
        return rules.finding("directive-unknown", location, f"unknown directive `{unknown.group(1)}`; its content is left out")
    role = _UNKNOWN_ROLE.search(text)
    if role:
        return rules.finding("role-unknown", location, f"unknown role `:{role.group(1)}:`; its text is kept as written")
    if _NO_ROLE.search(text):
        return None
    return rules.finding(_LEVEL_RULE.get(message["level"], "rst-warning"), location, text)
