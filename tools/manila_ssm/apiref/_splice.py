"""A tree's ``index.rst`` parsed with its pages spliced in from their own parses, cached.

docutils parses ``index.rst`` as usual, but each ``.. include::`` of the index
itself is taken over: the page comes from the cache when it was parsed before
from the same parser state (``_units.Start``, then what the page read of the
registries, validated), else it is parsed on its own (``_units.parse_unit``).
The index's document then holds, in the page's place, a :class:`Marker`
carrying the page's walk and placeholders for the sections the page left
open, and the parser state moves on as the page moved it (title styles,
names, roles, includes). The ``include`` directive still inserts its two
padding lines, so docutils reads the index on as it would after the page.
The result equals the whole tree's parse; where that cannot be shown the
tree is :class:`Unspliceable` and is parsed whole: an include inside another
construct (a directive's content, a list), a page that ends inside a
construct or leaves content in a section it did not open, sections hung
under an operation of another page, index content left in a page's section,
and ``.. role::`` definitions.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from docutils import nodes, utils
from docutils.statemachine import string2lines

from manila_ssm.apiref._directives import register_extension_roles, report_flattened, role_labels, set_roles
from manila_ssm.apiref._flattened import repair
from manila_ssm.apiref._machines import Pool
from manila_ssm.apiref._rst import Locate, to_findings
from manila_ssm.apiref._units import Frame, Start, UnitParse, name_state, parse_unit, sections_above, set_name_state
from manila_ssm.apiref._walk import Marker, Placeholder, methods_of, title_of

_INVISIBLE = (nodes.comment, nodes.target, nodes.system_message, Marker, Placeholder)
_KEPT = 4
"""Parses kept under one key (the same page and start, other registries)."""


class Unspliceable(Exception):
    """The tree's parse cannot be put together from its pages' own parses (the reason says why)."""


class UnitStore(Protocol):
    """Where page parses are kept between builds (``manila_ssm.builder.cache``)."""

    def get(self, key: str) -> Any: ...

    def put(self, key: str, value: Any) -> None: ...


class Splicer:
    """Takes over the index's includes during one parse of ``index.rst`` (``settings.apiref_splice``)."""

    def __init__(self, store: UnitStore, root: Path, bound: Path | None, locate: Locate,
                 fingerprint: Callable[[str], str], parsed: list[str]) -> None:
        self.store, self.root, self.bound, self.locate = store, root, bound, locate
        self.fingerprint = fingerprint
        self.parsed = parsed
        """Where the pages docutils parsed (not taken from the store) are listed."""
        self.messages: list[Any] = []
        self.pool = Pool()
        """State machines the pages' own parses share; released with the tree's parse (``finish``)."""
        self.placeholders: list[Placeholder] = []
        self.assumed: list[tuple[str, list[nodes.Element]]] = []

    def splice(self, directive: Any, path: str, text: str) -> int:
        """Put the page ``path`` (its ``text``) in place of ``directive``; return its number of lines.

        ``Unspliceable`` when that would not be exact.
        """
        machine, state = directive.state_machine, directive.state
        top = machine
        while getattr(top, "parent_state_machine", None) is not None:
            top = top.parent_state_machine
        node = state.parent
        nested_list = machine is not top and machine.parent_state_machine is top and type(state).__name__ == "Explicit"
        if (machine is not top and not nested_list) or node is not top.node or not isinstance(node, (nodes.section, nodes.document)):
            raise Unspliceable(f"{path} is included inside another construct")
        document = state.document
        chain = sections_above(node)
        frames = tuple(_frame(section) for section in chain)
        labels = role_labels()
        if labels is None:
            raise Unspliceable("a role the cache cannot name (`.. role::`)")
        styles = state.memo.title_styles
        start = Start(tuple(styles), len(chain), labels)
        key = _key("unit", self.root, self.bound, document["source"], path, hashlib.sha256(text.encode()).hexdigest(), start)
        kept = self.store.get(key)
        kept = tuple(unit for unit in kept if isinstance(unit, UnitParse)) if isinstance(kept, tuple) else ()
        unit = next((unit for unit in kept if self._holds(unit, frames, document)), None)
        if unit is None:
            unit = self._parse(path, text, directive, frames, list(styles))
            self.parsed.append(path)
            # A page included twice from the same state but other names before it has two parses under one key.
            self.store.put(key, (unit, *kept[: _KEPT - 1]))
        ident = _key(key, unit.frames, unit.names_read, unit.substitutions_read, unit.includers_read, unit.reads)
        self._apply(unit, ident, directive, node, [document, *chain])
        return unit.length

    def _parse(self, path: str, text: str, directive: Any, frames: tuple[Frame, ...], styles: list[Any]) -> UnitParse:
        """What ``Include`` does with the page, then the page's own parse (``_units.parse_unit``)."""
        document = directive.state.document
        lines, flattened = repair(string2lines(text, tab_width=document.settings.tab_width, convert_whitespace=True), path)
        register_extension_roles(lines)
        messages: list[nodes.system_message] = []
        reporter = utils.Reporter(path, 5, 5, io.StringIO())
        reporter.attach_observer(messages.append)
        report_flattened(reporter, path, flattened)
        unit = parse_unit(
            path, lines, document_source=document["source"], frames=frames, styles=styles,
            names={name: name_state(document, name) for name in document.names},  # type: ignore[misc]
            substitutions=frozenset(document.substitution_defs),
            includers=document.__dict__.setdefault("apiref_includers", {}),
            root=self.root, bound=self.bound, locate=self.locate, fingerprint=self.fingerprint, pool=self.pool,
        )
        if unit is None:
            raise Unspliceable(f"{path} cannot be parsed on its own")
        return replace(unit, findings=(*to_findings(messages, self.locate), *unit.findings), length=len(lines))

    def _holds(self, unit: UnitParse, frames: tuple[Frame, ...], document: nodes.document) -> bool:
        """Whether what ``unit`` read of the parser state and the files is as it was."""
        includers = document.__dict__.get("apiref_includers", {})
        return (
            unit.frames == frames[: len(unit.frames)]
            and all(name_state(document, name) == state for name, state in unit.names_read)
            and all((name in document.substitution_defs) == held for name, held in unit.substitutions_read)
            and all(frozenset(includers.get(page, ())) == by for page, by in unit.includers_read)
            and all(self.fingerprint(path) == digest for path, digest in unit.reads)
        )

    def _apply(self, unit: UnitParse, ident: str, directive: Any, node: nodes.Element, spine: list[nodes.Element]) -> None:
        """Move the parser state on as the page's own parse did, and mark its place."""
        marker = Marker()
        marker.shelved, marker.ident, marker.toctrees = unit.walk, ident, unit.toctrees
        node += marker
        self.messages.append(unit.findings)
        parent = spine[unit.exit_depth]
        for frame in unit.exit:
            placeholder = Placeholder()
            placeholder += nodes.title("", frame.title)
            placeholder.source, placeholder.methods = frame.source, frame.methods
            parent += placeholder
            parent = placeholder
            self.placeholders.append(placeholder)
        directive.state.memo.title_styles[:] = unit.styles
        machine = directive.state_machine
        while machine is not None:
            machine.node = parent
            machine = getattr(machine, "parent_state_machine", None)
        document = directive.state.document
        for name, state in unit.names_written:
            set_name_state(document, name, state)
        for name in unit.substitutions_written:
            document.substitution_defs.setdefault(name, nodes.substitution_definition(names=[name]))
        includers = document.__dict__.setdefault("apiref_includers", {})
        for page, by in unit.includers_added:
            includers.setdefault(page, set()).add(by)
        for dependency in unit.dependencies:
            document.settings.record_dependencies.add(dependency)
        set_roles(unit.roles)
        self.assumed.append((unit.walk.title, spine[1 : unit.attach + 1]))

    def finish(self, document: nodes.document) -> None:
        """Check what the pages assumed of the sections they hang under, now that the index is parsed."""
        self.pool.release()
        for placeholder in self.placeholders:
            if any(not isinstance(child, _INVISIBLE) for child in placeholder.children[1:]):
                raise Unspliceable("the index leaves content in a section a page opened")
        for page, sections in self.assumed:
            if any(_frame(section).methods for section in sections):
                raise Unspliceable(f"the sections of {page!r} would be parts of an operation of the index")


def _key(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _frame(section: nodes.Element) -> Frame:
    if isinstance(section, Placeholder):
        return Frame(title_of(section), section.source, section.methods)
    return Frame(title_of(section), section.source, bool(methods_of(section)))


__all__ = ["Splicer", "UnitStore", "Unspliceable"]
