"""Page parses and the operations built from them, kept between builds: a rebuild redoes only what changed.

:class:`PageCache` is what ``parse(..., cache=...)`` reuses, from a store the
caller keeps (``manila_ssm.builder.cache``). Three kinds of entries, each
valid only where everything it was made from is the same:

* a page of a tree, parsed on its own (``_splice``, ``_units``);
* a page parsed as a document of its own (a toctree page, a page nobody
  includes), keyed by its text and the roles registered;
* the operations and sections built from one such walk (``_operations``),
  keyed by the walk's identity and the document it belongs to.

Every entry lists the files it read or looked for with their SHA-256
(``_files.fingerprint``) and is used only when they still match. Building
operations records what it does to the parse's shared state as events (its
findings, and where it first uses a parameters or status file), which are
replayed in order, so the findings come out in the order a whole parse gives.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docutils import nodes, utils

from manila_ssm._pickling import by_fields
from manila_ssm.apiref._context import Context, Loaded, load
from manila_ssm.apiref._directives import DirectiveData, apiref_node, role_labels
from manila_ssm.apiref._files import UnreadableFile, confined
from manila_ssm.apiref._observed import fingerprint, note, observing
from manila_ssm.apiref._operations import build_operation
from manila_ssm.apiref._rst import parse_document
from manila_ssm.apiref._splice import Splicer, UnitStore
from manila_ssm.apiref._walk import Shelved, Walked, walk
from manila_ssm.errors import Finding, Location
from manila_ssm.model import Admonition, Operation, Section


@dataclass(frozen=True, slots=True)
class Part:
    """A run of a document's walk; ``ident`` names the cached parse it came from, if any."""

    source: Walked | Shelved
    ident: str | None = None

    @property
    def walked(self) -> Walked:
        return self.source if isinstance(self.source, Walked) else self.source.walked()

    @property
    def stray_methods(self) -> tuple[DirectiveData, ...]:
        return self.source.stray_methods


@by_fields
@dataclass(frozen=True, slots=True)
class Use:
    """The point where building operations uses a parameters or status file (the first use reports it)."""

    kind: str
    path: Path
    at: Location


@by_fields
@dataclass(frozen=True, slots=True)
class Built:
    """The operations and sections of one part, and the events building them left in the parse."""

    operations: tuple[Operation, ...]
    sections: tuple[Section, ...]
    events: tuple[Finding | Use, ...]
    reads: tuple[tuple[str, str], ...] = ()


@by_fields
@dataclass(frozen=True, slots=True)
class PageParse:
    """A page parsed as a document of its own (its toctree entries are resolved by the caller)."""

    walk: Shelved
    findings: tuple[Finding, ...]
    included: tuple[str, ...]
    includers: tuple[tuple[str, str], ...]
    toctrees: tuple[DirectiveData, ...]
    reads: tuple[tuple[str, str], ...]
    ident: str
    """The identity of this parse: its key and what it read."""


@dataclass(slots=True)
class _Recording(Context):
    """A context that records, instead of applying, what building operations does to the parse."""

    cache: PageCache | None = None

    def use(self, kind: str, path: Path, at: Location) -> Any:
        self.findings.append(Use(kind, path, at))  # type: ignore[arg-type]
        assert self.cache is not None
        return self.cache.table(self, kind, path)


@dataclass
class PageCache:
    """Reuse of earlier parses for ``parse``; afterwards it tells what it had to redo."""

    store: UnitStore
    parsed: list[str] = field(default_factory=list)
    """The pages docutils parsed in this run (the rest came from the store)."""
    built: int = 0
    """How many parts had their operations built (the rest came from the store)."""
    whole: str | None = None
    """Why the tree was parsed whole, when it was."""
    _prints: dict[str, str] = field(default_factory=dict)
    _tables: dict[tuple[str, Path], Loaded] = field(default_factory=dict)
    _origins: dict[int, str] = field(default_factory=dict)

    def origin(self, operation: Operation) -> str | None:
        """What names ``operation``'s content: the cached build it came from (``None`` for one not cached)."""
        return self._origins.get(id(operation))

    def __post_init__(self) -> None:
        self._prints = getattr(self.store, "prints", self._prints)  # the store's: each file is hashed once per build

    def fingerprint(self, path: str) -> str:
        """The file's fingerprint, taken once per run, noted for the build cache."""
        digest = self._prints.get(path)
        if digest is None:
            digest = self._prints[path] = fingerprint(Path(path))
        note(path, digest)
        return digest

    def valid(self, reads: tuple[tuple[str, str], ...]) -> bool:
        return all(self.fingerprint(path) == digest for path, digest in reads)

    def splicer(self, ctx: Context) -> Splicer:
        return Splicer(self.store, ctx.root, ctx.bound or ctx.root, ctx.locate, self.fingerprint, self.parsed)

    def page(self, ctx: Context, path: Path, text: str) -> PageParse:
        """``path`` parsed as a document of its own, from the store when its text and roles are the same."""
        labels = role_labels()
        key = _key("page", ctx.root, ctx.bound, path, hashlib.sha256(text.encode()).hexdigest(), labels)
        found = self.store.get(key) if labels is not None else None
        if isinstance(found, PageParse) and self.valid(found.reads):
            return found
        self.parsed.append(str(path))
        dependencies = utils.DependencyList()
        with observing() as reads:
            document, findings = parse_document(path, text, ctx.locate, dependencies, ctx.root, ctx.bound)
        walked = walk(document)
        page = PageParse(
            Shelved.of(walked, any(True for _ in document.findall(nodes.section))), tuple(findings), tuple(dependencies.list),
            tuple((included, by) for included, found in document.__dict__.get("apiref_includers", {}).items() for by in sorted(found)),
            tuple(node.data for node in document.findall(apiref_node) if node.data.name == "toctree"),
            tuple(reads.items()),
            _key(key, tuple(reads.items())),
        )
        if labels is not None and role_labels() == labels:
            self.store.put(key, page)
        return page

    def build(self, ctx: Context, part: Part) -> Built:
        """The operations and sections of ``part``, replayed into ``ctx`` (from the store when it has them)."""
        key = _key("operations", ctx.root, ctx.bound, ctx.document, part.ident) if part.ident else None
        found = self.store.get(key) if key else None
        if not (isinstance(found, Built) and self.valid(found.reads)):
            found = self._build(ctx, part.walked)
            if key:
                self.built += 1
                self.store.put(key, found)
        if key:
            named = _key(key, found.reads)  # the key and what the build read determine the operations
            for index, operation in enumerate(found.operations):
                self._origins[id(operation)] = f"{named}:{index}"
        for event in found.events:
            if isinstance(event, Use):
                files = ctx.parameter_files if event.kind == "parameters" else ctx.status_files
                if event.path not in files:
                    loaded = self.outcome(ctx, event.kind, event.path)
                    ctx.findings.extend(loaded.findings_at(event.at))
                    files[event.path] = loaded.value
            else:
                ctx.findings.append(event)
        return found

    def _build(self, ctx: Context, walked: Walked) -> Built:
        recording = _Recording(root=ctx.root, bound=ctx.bound, _resolved=ctx._resolved, _shown=ctx._shown, document=ctx.document, cache=self)
        with observing() as reads:
            operations = tuple(build_operation(recording, raw) for raw in walked.operations)
        sections = tuple(
            Section(raw.title, raw.description, ctx.locate(raw.source, raw.line),
                    tuple(Admonition(n.tagname, n.text, ctx.locate(n.source or raw.source, n.line)) for n in raw.admonitions))
            for raw in walked.sections
        )
        return Built(operations, sections, tuple(recording.findings), tuple(reads.items()))

    def outcome(self, ctx: Context, kind: str, path: Path) -> Loaded:
        """What loading the file found (its table replaced by ``True``: replaying needs only whether there is one)."""
        key = _key("outcome", kind, path, self._content(ctx, path), ctx.bound or ctx.root, ctx.display(path))
        found = self.store.get(key)
        if isinstance(found, Loaded):
            return found
        loaded = self._load(ctx, kind, path)
        light = Loaded(True if loaded.value is not None else None, loaded.findings, loaded.problem)
        self.store.put(key, light)
        return light

    def table(self, ctx: Context, kind: str, path: Path) -> Any:
        key = _key("table", kind, path, self._content(ctx, path), ctx.bound or ctx.root, ctx.display(path))
        found = self._tables.get((kind, path))
        if found is None:
            stored = self.store.get(key)
            found = stored if isinstance(stored, Loaded) else self._load(ctx, kind, path)
            self._tables[(kind, path)] = found
            if not isinstance(stored, Loaded):
                self.store.put(key, found)
        return found.value

    def _content(self, ctx: Context, path: Path) -> str:
        """The file's fingerprint; a file outside the tree is refused unread, whatever it holds."""
        try:
            confined(path, ctx.bound or ctx.root)
        except UnreadableFile:
            return "outside the tree"
        return self.fingerprint(str(path))

    def _load(self, ctx: Context, kind: str, path: Path) -> Loaded:
        loaded = self._tables.get((kind, path))
        if loaded is None:
            loaded = self._tables[(kind, path)] = load(kind, path, ctx.bound or ctx.root, ctx.display(path))
        return loaded


def _key(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


__all__ = ["Built", "PageCache", "PageParse", "Part", "Use"]
