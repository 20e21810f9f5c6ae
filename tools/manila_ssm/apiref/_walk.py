"""From a doctree to raw operations and sections: which directive belongs to which operation.

A section whose direct children include a ``rest_method`` is an operation; its
title is the operation's title. Everything inside it (down to, but not into,
nested operation sections) belongs to it, and each directive remembers the
title of the innermost subsection it sits in ("Request", "Response example"),
which later decides request versus response. ``Operation.section`` (the tag) is
the title of the outermost section that starts in the same file as the
``rest_method``, i.e. the page's top-level title; failing that, the nearest
enclosing section that is not an operation.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field

from docutils import nodes

from manila_ssm._pickling import by_fields
from manila_ssm.apiref._directives import DirectiveData, apiref_node
from manila_ssm.apiref._markdown import BODY_ELEMENTS, to_markdown


@by_fields
@dataclass(frozen=True, slots=True)
class Note:
    """An admonition as the model needs it (``.. note::``), without its doctree.

    Walk results hold no docutils nodes, so that they can be kept in the build
    cache (a node pickles its whole document through its parent).
    """

    tagname: str
    text: str
    source: str | None
    line: int | None

    @classmethod
    def of(cls, node: nodes.Element) -> Note:
        return cls(node.tagname, node.astext().strip(), node.source, node.line)


@by_fields
@dataclass(frozen=True, slots=True)
class Scoped:
    """A directive or admonition inside an operation, with its innermost subsection title."""

    item: DirectiveData | Note
    subsection: str | None


@by_fields
@dataclass(slots=True)
class RawOperation:
    title: str
    tag: str
    method: DirectiveData
    description: str
    items: list[Scoped] = field(default_factory=list)


@by_fields
@dataclass(frozen=True, slots=True)
class RawSection:
    title: str
    description: str
    source: str
    line: int
    admonitions: tuple[Note, ...]


@by_fields
@dataclass(frozen=True, slots=True)
class Walked:
    title: str
    operations: tuple[RawOperation, ...]
    sections: tuple[RawSection, ...]
    stray_methods: tuple[DirectiveData, ...]


def _title(section: nodes.section) -> str:
    first = section.children[0] if section.children else None
    return first.astext().strip() if isinstance(first, nodes.title) else ""


def _is_method(node: nodes.Node) -> bool:
    return isinstance(node, apiref_node) and node.data.name == "rest_method"


def _methods(section: nodes.section) -> list[apiref_node]:
    return [child for child in section.children if _is_method(child)]


def is_item(node: nodes.Node) -> bool:
    return (isinstance(node, apiref_node) and not _is_method(node)) or isinstance(node, nodes.Admonition)


def _description(section: nodes.section) -> str:
    """The prose of a section, as CommonMark: paragraphs, lists, tables and admonitions
    directly in it, and the admonitions of its "Request"/"Response" subsections (a note
    after a parameter table is still the operation's), not directives or nested operations."""
    return to_markdown(_prose(section))


def _prose(section: nodes.section) -> list[nodes.Node]:
    found: list[nodes.Node] = []
    for child in section.children:
        if isinstance(child, BODY_ELEMENTS):
            found.append(child)
        elif isinstance(child, nodes.section) and _methods(section) and not _methods(child):
            found.extend(node for node in child.findall(nodes.Admonition) if not _inside_nested_operation(node, child))
    return found


def _inside_nested_operation(node: nodes.Node, top: nodes.section) -> bool:
    parent = node.parent
    while parent is not None and parent is not top:
        if isinstance(parent, nodes.section) and _methods(parent):
            return True
        parent = parent.parent
    return False


def _nested_title(outer: str | None, inner: str) -> str:
    """A subsection's title, prefixed by the outer one when it names neither side ("Response" > "Parameters")."""
    words = inner.lower()
    if outer is None or "request" in words or "response" in words:
        return inner
    return f"{outer} {inner}"


def _items(section: nodes.section, subsection: str | None) -> list[tuple[nodes.Node, str | None]]:
    """Nodes of ``section`` in document order with their innermost subsection title."""
    found: list[tuple[nodes.Node, str | None]] = []
    for child in section.children:
        if isinstance(child, nodes.section):
            if not _methods(child):
                found.extend(_items(child, _nested_title(subsection, _title(child))))
        elif _is_method(child) or is_item(child):
            found.append((child, subsection))
        elif isinstance(child, nodes.Element):
            found.extend((node, subsection) for node in child.findall(include_self=False) if is_item(node))
    return found


def _tag(section: nodes.section, source: str) -> str:
    chain = []
    parent = section.parent
    while isinstance(parent, nodes.section):
        chain.append(parent)
        parent = parent.parent
    same_file = [s for s in chain if s.source == source]
    if same_file:
        return _title(same_file[-1])
    plain = [s for s in chain if not _methods(s)]
    return _title(plain[0]) if plain else _title(section)


def _inside_operation(section: nodes.section) -> bool:
    parent = section.parent
    while isinstance(parent, nodes.section):
        if _methods(parent):
            return True
        parent = parent.parent
    return False


title_of = _title
methods_of = _methods


def _scoped(node: nodes.Node, subsection: str | None) -> Scoped:
    return Scoped(node.data if isinstance(node, apiref_node) else Note.of(node), subsection)  # type: ignore[arg-type]


class Placeholder(nodes.section):
    """A section that another parse opened: the walk knows its title and file, and skips it.

    A page parsed on its own starts inside placeholders for the sections open
    where the tree includes it (``_units``); the tree's own parse holds
    placeholders for the sections a page left open (``_splice``).
    """

    methods = False
    """Whether the section it stands for holds a ``rest_method`` (its children do not say)."""


@by_fields
@dataclass(frozen=True, slots=True)
class Shelved:
    """A walk kept pickled until its operations are built (a cached page whose operations are cached needs only this)."""

    title: str
    has_sections: bool
    stray_methods: tuple[DirectiveData, ...]
    data: bytes

    @classmethod
    def of(cls, walked: Walked, has_sections: bool) -> Shelved:
        return cls(walked.title, has_sections, walked.stray_methods, pickle.dumps(walked, protocol=pickle.HIGHEST_PROTOCOL))

    def walked(self) -> Walked:
        return pickle.loads(self.data)  # type: ignore[no-any-return]


class Marker(nodes.Invisible, nodes.Element):
    """Where a page parsed on its own (``shelved``) goes in the tree's document order."""

    shelved: Shelved
    ident: str
    """The identity of the cached parse it comes from (``_splice``)."""
    toctrees: tuple[DirectiveData, ...]


def _is_marker(node: nodes.Node) -> bool:
    return isinstance(node, Marker)


def walk(document: nodes.document) -> Walked:
    """Operations, sections and stray methods of ``document`` in document order (markers spliced in)."""
    parts = [(part if isinstance(part, Walked) else part.walked(), has_sections) for part, has_sections, _ in walk_parts(document)]
    return Walked(
        next((part.title for part, has_sections in parts if has_sections), ""),
        tuple(op for part, _ in parts for op in part.operations),
        tuple(section for part, _ in parts for section in part.sections),
        tuple(stray for part, _ in parts for stray in part.stray_methods),
    )


def walk_parts(document: nodes.document) -> list[tuple[Walked | Shelved, bool, str | None]]:
    """``walk`` in parts: the document's own runs between markers, and each marker's page.

    Each part comes with whether it holds a section (the first such gives the
    title) and, for a marker's page, the identity of its cached parse.
    """
    parts: list[tuple[Walked | Shelved, bool, str | None]] = []
    operations: list[RawOperation] = []
    sections: list[RawSection] = []
    titles: list[str] = []
    runs: list[tuple[list[RawOperation], list[RawSection], list[str]] | Marker] = []

    def close() -> None:
        runs.append((list(operations), list(sections), list(titles)))
        operations.clear()
        sections.clear()
        titles.clear()

    for section in document.findall(lambda n: isinstance(n, (nodes.section, Marker))):
        if isinstance(section, Marker):
            close()
            runs.append(section)
            continue
        if isinstance(section, Placeholder):
            continue
        titles.append(_title(section))
        _walk_section(section, operations, sections)
    close()
    placed = {id(op.method) for run in runs if not isinstance(run, Marker) for op in run[0]}
    strays: list[list[DirectiveData]] = [[]]
    for node in document.findall(lambda n: _is_method(n) or _is_marker(n)):
        if isinstance(node, Marker):
            strays.append([])
        elif id(node.data) not in placed:
            strays[-1].append(node.data)
    index = 0
    for run in runs:
        if isinstance(run, Marker):
            parts.append((run.shelved, run.shelved.has_sections, run.ident))
            continue
        ops, secs, seen = run
        parts.append((Walked(seen[0] if seen else "", tuple(ops), tuple(secs), tuple(strays[index])), bool(seen), None))
        index += 1
    return parts


def _walk_section(section: nodes.section, operations: list[RawOperation], sections: list[RawSection]) -> None:
    methods = _methods(section)
    if not methods:
        if _inside_operation(section):
            return  # "Request", "Response example": parts of an operation, not sections
        admonitions = tuple(Note.of(c) for c in section.children if isinstance(c, nodes.Admonition))
        sections.append(RawSection(_title(section), _description(section), str(section.source), int(section.line or 1), admonitions))
        return
    title = _title(section)
    current: RawOperation | None = None
    pending: list[Scoped] = []
    for node, subsection in _items(section, None):
        if _is_method(node):
            data = node.data
            current = RawOperation(title, _tag(section, data.source), data, _description(section))
            current.items.extend(pending)
            pending.clear()
            operations.append(current)
        elif current is None:
            pending.append(_scoped(node, subsection))
        else:
            current.items.append(_scoped(node, subsection))
