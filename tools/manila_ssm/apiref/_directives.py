"""The os-api-ref directives as plain docutils directives (no Sphinx).

Each directive only records what the page wrote (arguments, options, content
lines with their file and line) in an :class:`apiref_node`; meaning (resolving
references, reading samples) is given later by ``_operations``. Directives keep
no state of their own, and :func:`registered` installs them only for the
duration of one parse, so nothing leaks from one parse into the next or into
other users of docutils in the process.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive, directives, languages, roles
from docutils.parsers.rst.directives import admonitions
from docutils.statemachine import string2lines

from manila_ssm._pickling import by_fields
from manila_ssm.apiref._files import UnreadableFile, read_text
from manila_ssm.apiref._flattened import Flattened, repair


@by_fields
@dataclass(frozen=True, slots=True)
class Line:
    """One content line of a directive and where it came from (1-based line)."""

    text: str
    source: str
    line: int


@by_fields
@dataclass(frozen=True, slots=True)
class DirectiveData:
    name: str
    arguments: tuple[str, ...]
    options: dict[str, Any]
    lines: tuple[Line, ...]
    source: str
    line: int


class apiref_node(nodes.General, nodes.Element):  # noqa: N801 - docutils names nodes in lowercase
    """Carries one directive's :class:`DirectiveData` as ``node.data``."""

    data: DirectiveData


class _ApirefDirective(Directive):
    """Common part: record the directive as an ``apiref_node``."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        return [self.make_node()]

    def make_node(self) -> apiref_node:
        source, line = self.state_machine.get_source_and_line(self.lineno)
        node = apiref_node(self.block_text)
        node.data = DirectiveData(
            name=self.name,
            arguments=tuple(self.arguments),
            options=dict(self.options),
            lines=self._content_lines(),
            source=str(source),
            line=int(line or self.lineno),
        )
        node.source, node.line = node.data.source, node.data.line
        return node

    def _content_lines(self) -> tuple[Line, ...]:
        result = []
        for index, text in enumerate(self.content):
            source, offset = self.content.info(index)
            result.append(Line(text, str(source), (offset or 0) + 1))
        return tuple(line for line in result if line.text.strip())


class RestMethod(_ApirefDirective):
    """``.. rest_method:: METHOD URL``; further content lines may set ``min_version: X``."""


class RestParameters(_ApirefDirective):
    """``.. rest_parameters:: parameters.yaml`` with a YAML list ``- name: reference``."""

    required_arguments = 1


class RestStatusCode(_ApirefDirective):
    """``.. rest_status_code:: success|error status.yaml`` with ``- 404`` or ``- 404: reason``."""

    required_arguments = 2


class RestExpandAll(_ApirefDirective):
    """A rendering control (the "expand all" button); kept so that it is not unknown."""


class LiteralInclude(_ApirefDirective):
    """Sphinx's ``literalinclude``: only the file and ``:language:`` matter to the model."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = False
    option_spec = {
        name: directives.unchanged
        for name in (
            "language",
            "linenos",
            "lineno-start",
            "lines",
            "emphasize-lines",
            "caption",
            "name",
            "class",
            "encoding",
            "dedent",
            "tab-width",
            "force",
            "pyobject",
        )
    }


class VersionNote(_ApirefDirective):
    """Sphinx's ``versionadded``/``versionchanged``/``deprecated``: ``VERSION [text]`` plus content."""

    required_arguments = 1
    optional_arguments = 1
    final_argument_whitespace = True


class Toctree(_ApirefDirective):
    """Sphinx's ``toctree``: its entries are pages of the tree (``parse`` reads them), nothing else."""

    option_spec = {
        name: directives.unchanged
        for name in ("maxdepth", "caption", "name", "glob", "hidden", "includehidden", "numbered", "titlesonly", "reversed", "class")
    }


class _Container(Directive):
    """Sphinx directives whose content is ordinary body text for our purposes (``only``, ``glossary``,
    ``centered``, ``hlist``, ``rst-class``): the content is parsed in place, inside a container."""

    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec = {name: directives.unchanged for name in ("columns", "sorted", "class", "name")}

    def run(self) -> list[nodes.Node]:
        node = nodes.container("\n".join(self.content))
        if self.content:
            self.state.nested_parse(self.content, self.content_offset, node)
        if not self.content and self.arguments and self.name == "centered":
            node += nodes.paragraph(text=self.arguments[0])
        return [node]


class _Code(Directive):
    """Sphinx's ``code-block``/``sourcecode`` (and docutils' ``code``): a literal block, no highlighting."""

    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec = {
        name: directives.unchanged
        for name in ("linenos", "lineno-start", "emphasize-lines", "caption", "name", "class", "dedent", "force", "number-lines")
    }

    def run(self) -> list[nodes.Node]:
        text = "\n".join(self.content)
        return [nodes.literal_block(text, text)]


class _SeeAlso(admonitions.BaseAdmonition):
    """Sphinx's ``seealso``: an admonition titled "See also"."""

    node_class = nodes.admonition

    def run(self) -> list[nodes.Node]:
        self.arguments = ["See also"]
        return super().run()


class _Ignored(Directive):
    """Sphinx directives that only steer rendering or indexing (``index``, ``highlight``, ...)."""

    optional_arguments = 10
    final_argument_whitespace = True
    has_content = True
    option_spec = {name: directives.unchanged for name in ("linenothreshold", "force", "name")}

    def run(self) -> list[nodes.Node]:
        return []


SPHINX_DIRECTIVES: dict[str, type[Directive]] = {
    "toctree": Toctree,
    **{name: _Container for name in ("only", "glossary", "centered", "hlist", "rst-class", "tabs", "tab")},
    **{name: _Code for name in ("code-block", "sourcecode", "code")},
    "seealso": _SeeAlso,
    **{name: _Ignored for name in ("index", "highlight", "tabularcolumns", "sectionauthor", "codeauthor", "moduleauthor", "todo")},
}
"""Sphinx directives an os-api-ref site may use and we accept as Sphinx does, without modelling them."""


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
    **{name: getattr(admonitions, name.capitalize()) for name in ADMONITIONS},
    "admonition": admonitions.Admonition,
    **SPHINX_DIRECTIVES,
}
"""Everything we register (``include`` is added below, once defined)."""


def _sphinx_reference(
    name: str,
    rawtext: str,
    text: str,
    lineno: int,
    inliner: Any,
    options: dict[str, Any] | None = None,
    content: list[str] | None = None,
) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    """Sphinx's cross-reference roles (``:ref:``, ``:doc:``): keep the visible text."""
    shown = text.split("<", 1)[0].strip() if text.endswith(">") else text
    return [nodes.inline(rawtext, shown or text)], []


ROLES = {
    name: _sphinx_reference
    for name in (
        "ref", "doc", "term", "abbr", "command", "dfn", "envvar", "file", "guilabel", "kbd", "keyword",
        "mailheader", "makevar", "manpage", "menuselection", "mimetype", "newsgroup", "numref", "option",
        "program", "regexp", "samp", "token", "download", "any",
    )
}
"""Sphinx's roles: their visible text is kept (no cross-reference to resolve without Sphinx)."""

_ENGLISH_ROLES = languages.get_language("en")
_ROLE_USE = re.compile(r"(?<![\w`]):([A-Za-z][\w.+-]*):`")


def _extension_role(
    name: str,
    rawtext: str,
    text: str,
    lineno: int,
    inliner: Any,
    options: dict[str, Any] | None = None,
    content: list[str] | None = None,
) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    """A role a Sphinx extension of the site defines (``extlinks``): the visible text, and a warning."""
    inliner.reporter.warning(
        f"unknown role `:{name}:`; its text is kept as written",
        line=lineno,
        apiref_rule="role-unknown",
    )
    return _sphinx_reference(name, rawtext, text, lineno, inliner, options, content)


def register_extension_roles(lines: Any) -> None:
    """Register every role ``lines`` use that docutils does not know, as :func:`_extension_role`.

    Sphinx sites define roles in conf.py (``extlinks``); docutils would reject
    the whole paragraph. Only valid inside :func:`registered`, which removes them.
    """
    for line in lines:
        for name in _ROLE_USE.findall(str(line)):
            canonical = _ENGLISH_ROLES.roles.get(name.lower(), name.lower())  # `rfc` is docutils' `rfc-reference`
            if name.lower() not in roles._roles and canonical not in roles._role_registry:
                roles.register_local_role(name.lower(), _extension_role)


def role_labels() -> tuple[tuple[str, str], ...] | None:
    """docutils' registered roles by name, as values a cache key can hold; ``None`` when one has no such name.

    A role is ours (:data:`ROLES`), a site's (:func:`_extension_role`) or one of
    docutils' own (its canonical name); a ``.. role::`` a page defines is none
    of these, and a parse that meets one is not cached.
    """
    canonical = {id(function): name for name, function in sorted(roles._role_registry.items(), reverse=True)}
    labels = []
    for name, function in roles._roles.items():
        if function is _sphinx_reference:
            labels.append((name, "sphinx"))
        elif function is _extension_role:
            labels.append((name, "extension"))
        elif id(function) in canonical:
            labels.append((name, "docutils:" + canonical[id(function)]))
        else:
            return None
    return tuple(sorted(labels))


def set_roles(labels: tuple[tuple[str, str], ...]) -> None:
    """Make docutils' registered roles those ``labels`` name (inside :func:`registered`, which restores them)."""
    wanted = {}
    for name, label in labels:
        kind, _, canonical = label.partition(":")
        wanted[name] = {"sphinx": _sphinx_reference, "extension": _extension_role}.get(kind) or roles._role_registry[canonical]
    for name in set(roles._roles) - set(wanted):
        del roles._roles[name]
    roles._roles.update(wanted)


_LOCK = threading.RLock()  # a tree's parse parses its pages on their own inside its own (``_splice``)


@contextmanager
def registered() -> Iterator[None]:
    """Install :data:`DIRECTIVES` for one parse and restore docutils' registry afterwards."""
    # docutils keeps registrations in these module dicts; we put them back as they were.
    registries = ((directives._directives, DIRECTIVES), (roles._roles, ROLES))
    with _LOCK:
        saved = [{name: registry.get(name) for name in ours} for registry, ours in registries]
        before = set(roles._roles)
        for name, directive in DIRECTIVES.items():
            directives.register_directive(name, directive)
        for name, role in ROLES.items():
            roles.register_local_role(name, role)
        try:
            yield
        finally:
            for name in set(roles._roles) - before - set(ROLES):
                roles._roles.pop(name, None)
            for (registry, _), previous in zip(registries, saved):
                for name, value in previous.items():
                    if value is None:
                        registry.pop(name, None)
                    else:
                        registry[name] = value


def _includes_itself(document: nodes.document, including: str, path: str) -> bool:
    """Whether ``path`` is ``including`` or one of the pages that (transitively) included it.

    The record of who included whom belongs to the document, so it lives and
    dies with one parse. A snippet included from several pages is no cycle.
    """
    includers: dict[str, set[str]] = document.__dict__.setdefault("apiref_includers", {})
    reads: set[str] | None = document.__dict__.get("apiref_includer_reads")  # a page parsed on its own (``_units``)
    seen, todo = set(), [including]
    while todo:
        page = todo.pop()
        if page == path:
            return True
        if page not in seen:
            seen.add(page)
            if reads is not None:
                reads.add(page)
            todo.extend(includers.get(page, ()))
    includers.setdefault(path, set()).add(including)
    return False


class Include(Directive):
    """``.. include:: page.inc``: the page is read relative to the including page.

    Unlike docutils' own ``include`` it repairs a flattened page (see
    ``_flattened``) before inserting it, keeping its file and line numbers, and
    records the page in the document's dependency list (pages no include reaches
    are reported by ``parse``).
    """

    required_arguments = 1
    final_argument_whitespace = True

    def run(self) -> list[nodes.Node]:
        machine = self.state_machine
        reporter = machine.reporter
        including = machine.input_lines.source(self.lineno - machine.input_offset - 1)
        document = self.state.document
        name, root = self.arguments[0].strip(), getattr(document.settings, "apiref_root", None)
        if name.startswith("/") and root is not None:  # Sphinx reads an absolute name against the source root
            path = Path(os.path.abspath(Path(root) / name.lstrip("/")))
        else:
            path = Path(os.path.abspath(Path(including).parent / name))
        if _includes_itself(document, str(Path(os.path.abspath(including))), str(path)):
            return [
                reporter.error(
                    f"`{self.arguments[0]}` includes itself (directly or through other pages)",
                    line=self.lineno,
                    apiref_rule="include-recursive",
                )
            ]
        try:
            text = read_text(path, getattr(document.settings, "apiref_bound", None))
        except UnreadableFile as error:
            return [
                reporter.error(
                    f"cannot include `{self.arguments[0]}`: {error.reason}",
                    line=self.lineno,
                    apiref_rule=error.rule,
                )
            ]
        settings = document.settings
        settings.record_dependencies.add(str(path))
        # A tree's parse may take the page from its own parse instead (``_splice``): then only the
        # padding goes in, so that docutils reads the index on as it would after the page.
        splice = getattr(settings, "apiref_splice", None)
        length = splice.splice(self, str(path), text) if splice is not None else None
        if length is None:
            lines, flattened = repair(
                string2lines(text, tab_width=settings.tab_width, convert_whitespace=True), str(path)
            )
            register_extension_roles(lines)
            report_flattened(reporter, str(path), flattened)
            length = len(lines)
        # What StateMachine.insert_input does, with our line-numbered StringList.
        machine.input_lines.insert(
            machine.line_offset + 1, "", source="internal padding after " + str(path), offset=length
        )
        machine.input_lines.insert(
            machine.line_offset + 1, "", source="internal padding before " + str(path), offset=-1
        )
        if splice is None:
            machine.input_lines.insert(machine.line_offset + 2, lines)
        return []


DIRECTIVES["include"] = Include


def report_flattened(reporter: Any, source: str, flattened: list[Flattened]) -> None:
    """One system message (rule ``directive-flattened``) per directive whose content was at column 0."""
    for item in flattened:
        reporter.error(
            f"the content of `{item.name}` lost its indentation ({item.count} line(s) at column 0 after it "
            "were read as its content)",
            source=source,
            line=item.line,
            apiref_rule="directive-flattened",
            apiref_hint=f"indent the lines under `.. {item.name}::` by 3 spaces, after a blank line",
        )
