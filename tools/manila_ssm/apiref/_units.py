"""One page of a tree parsed on its own, from the parser state the tree's parse includes it in.

``index.rst`` pulls its pages in with ``.. include::``, so the tree is one
docutils document and a page's doctree depends on what came before it: the
title styles seen so far (which decide a title's level), the sections open
(its sections hang under them), the names and substitutions defined (a
duplicate is a warning) and the roles docutils has registered. A page parsed
here starts from exactly that state, rebuilt in a document of its own:
placeholder sections with the open sections' titles and files, the title
styles, a copy of the name and substitution registries and of the record of
who included whom. What the page read of that state is recorded
(:class:`UnitParse`), so that a cached parse is reused only where it started
from the same state, and what it changed is recorded for the pages after it.

Since docutils 0.22 section titles do not start nested state machines: the
whole document is one machine whose insertion point moves, so these are all
of the state a page's lines meet. The page's lines are framed as the
``include`` directive frames them (padding lines named after the page), led
by an empty comment (the ``include`` directive itself, after which docutils
reads explicit markup in a nested machine) and followed by a sentinel
comment: if the sentinel does not come out as a comment of its own, the page
ended inside a construct that would have swallowed the tree's next line, and
the page cannot be parsed on its own (``None``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docutils import nodes, utils
from docutils.statemachine import StringList

from manila_ssm._pickling import by_fields
from manila_ssm.apiref._directives import DirectiveData, apiref_node, role_labels
from manila_ssm.apiref._machines import Pool, TopMachine
from manila_ssm.apiref._observed import observing
from manila_ssm.apiref._rst import LineParser, Locate, dismantle, settings_for, to_findings
from manila_ssm.apiref._walk import Placeholder, Shelved, methods_of, title_of, walk
from manila_ssm.errors import Finding

SYNTHETIC = "<apiref: the include directive>"
_SENTINEL = "apiref-sentinel: the line after the page"
_INVISIBLE = (nodes.comment, nodes.target, nodes.system_message)
"""What a page may leave in a section it did not open: nothing the walk reads (``_walk``)."""

Style = str | tuple[str, str]
"""A title style as docutils records it: the underline character, or overline and underline."""

NameState = tuple[bool, tuple[str | None, str | None] | None]
"""A reference name in docutils' registry: explicit or not, and the ``refname``/``refuri`` of the
element holding it (``None`` when the name is a duplicate nobody holds)."""


@by_fields
@dataclass(frozen=True, slots=True)
class Frame:
    """One open section where a page starts: what the walk reads of it."""

    title: str
    source: str | None
    methods: bool


@by_fields
@dataclass(frozen=True, slots=True)
class Start:
    """The part of the parser state a cached page parse is looked up by."""

    styles: tuple[Style, ...]
    depth: int
    roles: tuple[tuple[str, str], ...]


@by_fields
@dataclass(frozen=True, slots=True)
class UnitParse:
    """A page parsed on its own: its walk, its messages, what it assumed and what it changed."""

    walk: Shelved
    findings: tuple[Finding, ...]
    toctrees: tuple[DirectiveData, ...]
    attach: int
    """The deepest open section its own sections hang under (0: the document; -1: it has none)."""
    frames: tuple[Frame, ...]
    """The open sections down to ``attach``: it is valid only under the same ones."""
    exit_depth: int
    """How many of the open sections at its start are still open at its end."""
    exit: tuple[Frame, ...]
    """Its own sections still open at its end (the next page starts inside them)."""
    styles: tuple[Style, ...]
    roles: tuple[tuple[str, str], ...]
    names_read: tuple[tuple[str, NameState | None], ...]
    names_written: tuple[tuple[str, NameState | None], ...]
    substitutions_read: tuple[tuple[str, bool], ...]
    substitutions_written: tuple[str, ...]
    includers_read: tuple[tuple[str, frozenset[str]], ...]
    includers_added: tuple[tuple[str, str], ...]
    dependencies: tuple[str, ...]
    reads: tuple[tuple[str, str], ...]
    """Every file the parse read or looked for, with its ``fingerprint``."""
    length: int = 0
    """How many lines the page has (after repair): the ``include`` directive's padding names it."""


def name_state(document: nodes.document, name: str) -> NameState | None:
    if name not in document.names:
        return None
    holder = document.names[name]
    return bool(document.nametypes.get(name)), None if holder is None else (holder.get("refname"), holder.get("refuri"))


def set_name_state(document: nodes.document, name: str, state: NameState | None) -> None:
    """Put ``state`` in the registry, held by a stand-in target (only its refname/refuri are read)."""
    if state is None:
        document.names.pop(name, None)
        document.nametypes.pop(name, None)
        return
    explicit, held = state
    holder = None
    if held is not None:
        holder = nodes.target(names=[name])
        for key, value in zip(("refname", "refuri"), held):
            if value is not None:
                holder[key] = value
    document.names[name] = holder
    document.nametypes[name] = explicit


@dataclass(slots=True)
class _Recorder:
    """What the page's parse reads of the registries, in the order it first reads each entry."""

    names: dict[str, NameState | None]
    substitutions: dict[str, bool]
    includers: set[str]


def _instrument(document: nodes.document, seen: _Recorder) -> None:
    note_names, has_name, note_substitution_def = document.note_names, document.has_name, document.note_substitution_def

    def noting_names(node: nodes.Element, msgnode: Any = None, explicit: bool = False) -> None:
        for name in node["names"]:
            seen.names.setdefault(name, name_state(document, name))
        note_names(node, msgnode, explicit)

    def asking(name: str) -> bool:
        seen.names.setdefault(name, name_state(document, name))
        return has_name(name)

    def noting_substitution(subdef: Any, def_name: str, msgnode: Any = None) -> None:
        name = nodes.whitespace_normalize_name(def_name)
        seen.substitutions.setdefault(name, name in document.substitution_defs)
        note_substitution_def(subdef, def_name, msgnode)

    document.note_names = noting_names  # type: ignore[method-assign]
    document.has_name = asking  # type: ignore[method-assign]
    document.note_substitution_def = noting_substitution  # type: ignore[method-assign]
    document.apiref_includer_reads = seen.includers


class _SeededMachine(TopMachine):
    """The document's machine, started inside the open sections with the title styles seen so far."""

    def __init__(self, styles: list[Style], node: nodes.Element, pool: Pool | None) -> None:
        super().__init__(pool=pool)
        self.seed_styles, self.seed_node = styles, node

    def runtime_init(self) -> None:
        super().runtime_init()
        if self.memo is not None:  # the top machine's run: seed its state before the first line
            self.memo.title_styles[:] = self.seed_styles
            self.seed_styles = self.memo.title_styles  # the live list: read after the run
            self.node = self.seed_node


def parse_unit(
    path: str, lines: StringList, *, document_source: str, frames: tuple[Frame, ...], styles: list[Style],
    names: Mapping[str, NameState], substitutions: frozenset[str], includers: Mapping[str, set[str]],
    root: Path, bound: Path, locate: Locate, fingerprint: Callable[[str], str], pool: Pool | None = None,
) -> UnitParse | None:
    """Parse the page ``path`` (its ``lines``, repaired) as the tree's parse would, or ``None`` when it cannot be.

    ``pool`` holds state machines the tree's other pages finished with (``_machines.Pool``).
    """
    settings = settings_for(root, bound)
    dependencies = utils.DependencyList()
    settings.record_dependencies = dependencies
    document = utils.new_document(document_source, settings)
    messages: list[nodes.system_message] = []
    document.reporter.attach_observer(messages.append)
    for name, state in names.items():
        set_name_state(document, name, state)
    for name in substitutions:
        document.substitution_defs[name] = nodes.substitution_definition(names=[name])  # a duplicate unnames it
    document.apiref_includers = {page: set(by) for page, by in includers.items()}
    seen = _Recorder({}, {}, set())
    _instrument(document, seen)
    stubs: list[nodes.Element] = [document]
    for frame in frames:
        stub = Placeholder()
        stub += nodes.title("", frame.title)
        stub.source = frame.source
        stubs[-1] += stub
        stubs.append(stub)
    counts = [len(stub.children) for stub in stubs]
    text = StringList([".."], source=SYNTHETIC)
    text.append("", f"internal padding before {path}", -1)
    text.extend(lines)
    text.append("", f"internal padding after {path}", len(lines))
    text.append(f".. {_SENTINEL}", SYNTHETIC, 1)
    machine = _SeededMachine(list(styles), stubs[-1], pool)
    with observing() as reads:
        LineParser().parse_lines(text, document, machine)
        after = role_labels()  # still inside the tree's registration: the page's own roles are there
    if after is None or any(m.get("source") == SYNTHETIC for m in messages):
        return None
    exit_node = _sentinel_parent(document)
    leading = stubs[-1].children[counts[-1]] if len(stubs[-1].children) > counts[-1] else None
    if exit_node is None or not isinstance(leading, nodes.comment) or leading.astext():
        return None
    stubs[-1].remove(leading)
    attach = -1
    for depth, (stub, count) in enumerate(zip(stubs, counts)):
        added = stub.children[count:]
        if any(not isinstance(node, (nodes.section, *_INVISIBLE)) for node in added):
            return None  # content before the page's first title, in a section another page opened
        if any(isinstance(node, nodes.section) for node in added):
            attach = depth
    if any(frame.methods for frame in frames[: max(attach, 0)]):
        return None  # its sections would be parts of another page's operation
    chain = sections_above(exit_node)
    exit_depth = sum(1 for section in chain if isinstance(section, Placeholder))
    has_sections = any(not isinstance(s, Placeholder) for s in document.findall(nodes.section))
    unit = UnitParse(
        walk=Shelved.of(walk(document), has_sections),
        findings=tuple(to_findings(messages, locate)),
        toctrees=tuple(n.data for n in document.findall(apiref_node) if n.data.name == "toctree"),
        attach=attach,
        frames=frames[: max(attach, 0)],
        exit_depth=exit_depth,
        exit=tuple(Frame(title_of(s), s.source, bool(methods_of(s))) for s in chain[exit_depth:]),
        styles=tuple(machine.seed_styles),
        roles=after,
        names_read=tuple(seen.names.items()),
        names_written=tuple((name, name_state(document, name)) for name in seen.names),
        substitutions_read=tuple(seen.substitutions.items()),
        substitutions_written=tuple(seen.substitutions),
        includers_read=tuple((page, frozenset(includers.get(page, ()))) for page in sorted(seen.includers)),
        includers_added=tuple(
            (page, by) for page, found in document.apiref_includers.items() for by in sorted(found - includers.get(page, set()))
        ),
        dependencies=tuple(dependencies.list),
        reads=tuple(reads.items()),
    )
    dismantle(document)
    return unit


def _sentinel_parent(document: nodes.document) -> nodes.Element | None:
    """The section the page ended in, when the sentinel came out as its last child, a comment of its own."""
    node: nodes.Node = document
    while isinstance(node, nodes.Element) and node.children and not isinstance(node, nodes.comment):
        node = node.children[-1]
    if not isinstance(node, nodes.comment) or node.astext() != _SENTINEL or node.parent is None:
        return None
    parent = node.parent
    parent.remove(node)
    return parent if isinstance(parent, (nodes.section, nodes.document)) else None


def sections_above(node: nodes.Element) -> list[nodes.section]:
    """``node`` and the sections it sits in, outermost first (``node`` itself when it is a section)."""
    chain = []
    while isinstance(node, nodes.section):
        chain.append(node)
        node = node.parent
    return chain[::-1]


__all__ = ["Frame", "NameState", "Start", "Style", "SYNTHETIC", "UnitParse", "name_state", "parse_unit", "sections_above", "set_name_state"]
