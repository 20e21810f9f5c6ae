"""The os-api-ref directives as plain docutils directives (no Sphinx).

Each directive only records what the page wrote (arguments, options, content
lines with their file and line) in an :class:`apiref_node`; meaning (resolving
references, reading samples) is given later by ``_operations``. Directives keep
no state of their own, and :func:`registered` installs them only for the
duration of one parse, so nothing leaks from one parse into the next or into
other users of docutils in the process.

A directive whose content lost its indentation (a copy from a web view that
flattened the page) has no content, and its would-be content follows it at
column 0; the directives detect that, mark the node ``flattened`` and recover
the following lines as content, so the page still yields a model.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive, directives, roles
from docutils.parsers.rst.directives import admonitions


@dataclass(frozen=True, slots=True)
class Line:
    """One content line of a directive and where it came from (1-based line)."""

    text: str
    source: str
    line: int


@dataclass(frozen=True, slots=True)
class DirectiveData:
    name: str
    arguments: tuple[str, ...]
    options: dict[str, Any]
    lines: tuple[Line, ...]
    source: str
    line: int
    flattened: bool = False


class apiref_node(nodes.General, nodes.Element):  # noqa: N801 - docutils names nodes in lowercase
    """Carries one directive's :class:`DirectiveData` as ``node.data``."""

    data: DirectiveData


_LIST_ITEM = re.compile(r"^-\s+\S")
_OPTION = re.compile(r"^:[\w-]+:")
_EXPLICIT = re.compile(r"^\.\.\s")


class _ApirefDirective(Directive):
    """Common part: turn the directive into an ``apiref_node``, recovering flattened content."""

    has_content = True
    # A flattened page puts the content at column 0: which following lines belong to us.
    flattened_line: Callable[[str], bool] = staticmethod(lambda text: bool(_LIST_ITEM.match(text)))
    content_required = True

    def run(self) -> list[nodes.Node]:
        lines = self._content_lines()
        flattened = False
        if not lines and self.content_required:
            lines = self._following_lines()
            flattened = bool(lines)
        return [self.make_node(lines, flattened=flattened)]

    def make_node(self, lines: tuple[Line, ...], *, options: dict[str, Any] | None = None, flattened: bool = False) -> apiref_node:
        source, line = self.state_machine.get_source_and_line(self.lineno)
        node = apiref_node(self.block_text)
        node.data = DirectiveData(
            name=self.name,
            arguments=tuple(self.arguments),
            options=dict(self.options if options is None else options),
            lines=lines,
            source=str(source),
            line=int(line or self.lineno),
            flattened=flattened,
        )
        node.source, node.line = node.data.source, node.data.line
        return node

    def _content_lines(self) -> tuple[Line, ...]:
        result = []
        for index, text in enumerate(self.content):
            source, offset = self.content.info(index)
            result.append(Line(text, str(source), (offset or 0) + 1))
        return tuple(line for line in result if line.text.strip())

    def _following_lines(self) -> tuple[Line, ...]:
        """Lines right after the directive (no blank line between) that look like its content."""
        machine = self.state_machine
        start = machine.line_offset + 1
        result = []
        for index in range(start, len(machine.input_lines)):
            text = machine.input_lines[index]
            if not text.strip() or not self.flattened_line(text):
                break
            source, offset = machine.input_lines.info(index)
            result.append(Line(text, str(source), (offset or 0) + 1))
        return tuple(result)


class RestMethod(_ApirefDirective):
    """``.. rest_method:: METHOD URL``; further content lines may set ``min_version: X``."""

    flattened_line = staticmethod(lambda text: text.startswith(("min_version:", "max_version:")))
    content_required = False


class RestParameters(_ApirefDirective):
    """``.. rest_parameters:: parameters.yaml`` with a YAML list ``- name: reference``."""

    required_arguments = 1


class RestStatusCode(_ApirefDirective):
    """``.. rest_status_code:: success|error status.yaml`` with ``- 404`` or ``- 404: reason``."""

    required_arguments = 2


class RestExpandAll(_ApirefDirective):
    content_required = False


class LiteralInclude(_ApirefDirective):
    """Sphinx's ``literalinclude``: only the file and ``:language:`` matter to the model."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = False
    option_spec = {
        name: directives.unchanged
        for name in (
            "language", "linenos", "lineno-start", "lines", "emphasize-lines", "caption",
            "name", "class", "encoding", "dedent", "tab-width", "force", "pyobject",
        )
    }
    flattened_line = staticmethod(lambda text: bool(_OPTION.match(text)))

    def run(self) -> list[nodes.Node]:
        lines = () if self.options else self._following_lines()
        options = dict(self.options)
        for line in lines:
            _, name, value = line.text.split(":", 2)
            options.setdefault(name.strip(), value.strip())
        return [self.make_node(lines, options=options, flattened=bool(lines))]


class VersionNote(_ApirefDirective):
    """Sphinx's ``versionadded``/``versionchanged``/``deprecated``: ``VERSION [text]`` plus content."""

    required_arguments = 1
    optional_arguments = 1
    final_argument_whitespace = True
    content_required = False


def _admonition(base: type[admonitions.BaseAdmonition]) -> type[Directive]:
    class FlattenAware(base):  # type: ignore[valid-type,misc]
        """The docutils admonition, but an empty one followed by text at column 0 is flattened."""

        def run(self) -> list[nodes.Node]:
            if self.content:
                return super().run()
            helper = _ApirefDirective(
                self.name, self.arguments, self.options, self.content, self.lineno,
                self.content_offset, self.block_text, self.state, self.state_machine,
            )
            helper.flattened_line = lambda text: not _EXPLICIT.match(text)  # type: ignore[method-assign]
            lines = helper._following_lines()
            if not lines:
                return super().run()
            return [helper.make_node(lines, flattened=True)]

    FlattenAware.__name__ = base.__name__
    return FlattenAware


ADMONITIONS = ("attention", "caution", "danger", "error", "hint", "important", "note", "tip", "warning")

DIRECTIVES: dict[str, type[Directive]] = {
    "rest_method": RestMethod,
    "rest_parameters": RestParameters,
    "rest_status_code": RestStatusCode,
    "rest_expand_all": RestExpandAll,
    "literalinclude": LiteralInclude,
    "versionadded": VersionNote,
    "versionchanged": VersionNote,
    "deprecated": VersionNote,
    "versionremoved": VersionNote,
    **{name: _admonition(getattr(admonitions, name.capitalize())) for name in ADMONITIONS},
}
"""Everything we register; ``include`` is docutils' own (paths relative to the including file)."""



def _sphinx_reference(
    name: str, rawtext: str, text: str, lineno: int, inliner: Any,
    options: dict[str, Any] | None = None, content: list[str] | None = None,
) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    """Sphinx's cross-reference roles (``:ref:``, ``:doc:``): keep the visible text."""
    shown = text.split("<", 1)[0].strip() if text.endswith(">") else text
    return [nodes.inline(rawtext, shown or text)], []


ROLES = {"ref": _sphinx_reference, "doc": _sphinx_reference, "term": _sphinx_reference}

_LOCK = threading.Lock()


@contextmanager
def registered() -> Iterator[None]:
    """Install :data:`DIRECTIVES` for one parse and restore docutils' registry afterwards."""
    # docutils keeps registrations in these module dicts; we put them back as they were.
    registries = ((directives._directives, DIRECTIVES), (roles._roles, ROLES))
    with _LOCK:
        saved = [{name: registry.get(name) for name in ours} for registry, ours in registries]
        for name, directive in DIRECTIVES.items():
            directives.register_directive(name, directive)
        for name, role in ROLES.items():
            roles.register_local_role(name, role)
        try:
            yield
        finally:
            for (registry, _), previous in zip(registries, saved):
                for name, value in previous.items():
                    if value is None:
                        registry.pop(name, None)
                    else:
                        registry[name] = value
