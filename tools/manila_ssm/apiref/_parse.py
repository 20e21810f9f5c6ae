"""``parse``: an os-api-ref page or tree into an :class:`~manila_ssm.model.ApiRef`."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import docutils
from docutils import utils

from manila_ssm.apiref import rules
from manila_ssm.apiref._context import Context
from manila_ssm.apiref._directives import DirectiveData, apiref_node
from manila_ssm.apiref._files import UnreadableFile, read_text
from manila_ssm.apiref._incremental import PageCache, Part
from manila_ssm.apiref._operations import build_operation
from manila_ssm.apiref._rst import dismantle, parse_document
from manila_ssm.apiref._splice import Unspliceable
from manila_ssm.apiref._walk import Marker, Walked, walk, walk_parts
from manila_ssm.errors import Finding, Location, Severity, SpecError
from manila_ssm.model import Admonition, ApiRef, Operation, Section

_HTTP_WORD = re.compile(r"^[A-Z]+$")
_PAGE_SUFFIXES = (".inc", ".rst")
SPLICING_DOCUTILS = ((0, 23),)
"""docutils versions whose parser ``_splice`` is shown exact for (the tests run on them); others parse trees whole."""


def _page_and_root(source: Path) -> tuple[Path, Path, bool]:
    """The file to read, the tree root, and whether it is a whole tree (index.rst)."""
    if source.is_dir():
        return source / "index.rst", source, True
    return source, source.parent, source.name == "index.rst"


@dataclass(frozen=True, slots=True)
class _Page:
    parts: tuple[Part, ...]
    title: str
    findings: list[Finding]
    included: frozenset[Path]
    includers: dict[str, set[str]]
    """Who included whom (page → the pages that include it), from the ``include`` directive."""
    toctree: tuple[Path, ...] = ()


def _read_page(ctx: Context, page: Path, cache: PageCache | None = None, tree: bool = False) -> _Page | None:
    """A page parsed as a document; with ``cache``, from earlier parses (a tree's pages spliced, ``_splice``)."""
    try:
        text = read_text(page, ctx.bound or ctx.root)
    except UnreadableFile as error:
        ctx.add(rules.finding(error.rule, Location(ctx.display(page), error.line), f"cannot read the page: {error.reason}"))
        return None
    dependencies = utils.DependencyList()
    if cache is not None and not tree:
        parsed = cache.page(ctx, page, text)
        findings = list(parsed.findings)
        toctree = _toctree_pages(ctx, parsed.toctrees, findings)
        includers: dict[str, set[str]] = {}
        for included, by in parsed.includers:
            includers.setdefault(included, set()).add(by)
        parts: tuple[Part, ...] = (Part(parsed.walk, parsed.ident),)
        return _Page(parts, parsed.walk.title, findings, frozenset(ctx.path(n) for n in parsed.included), includers, toctree)
    splice = cache.splicer(ctx) if cache is not None else None
    document, findings = parse_document(page, text, ctx.locate, dependencies, ctx.root, ctx.bound, splice=splice)
    toctrees = (
        node.data if isinstance(node, apiref_node) else data
        for node in document.findall(lambda n: isinstance(n, (apiref_node, Marker)))
        for data in (node.toctrees if isinstance(node, Marker) else (node.data,))
    )
    toctree = _toctree_pages(ctx, (data for data in toctrees if data.name == "toctree"), findings)
    includers = document.__dict__.get("apiref_includers", {})
    if splice is None:
        walked = walk(document)
        parts, title = (Part(walked),), walked.title
    else:
        split = walk_parts(document)
        parts = tuple(Part(walked, ident) for walked, _, ident in split)
        title = next((walked.title for walked, has_sections, _ in split if has_sections), "")
        dismantle(document)
    return _Page(parts, title, findings, frozenset(ctx.path(name) for name in dependencies.list), includers, toctree)


def _toctree_pages(ctx: Context, entries: Iterable[DirectiveData], findings: list[Finding]) -> tuple[Path, ...]:
    """The pages a page's ``toctree`` entries name, as Sphinx finds them (``name`` + ``.rst``)."""
    pages: list[Path] = []
    for data in entries:
        for line in data.lines:
            entry = line.text.strip()
            if entry.endswith(">") and "<" in entry:
                entry = entry[entry.rindex("<") + 1 : -1].strip()
            if not entry or entry == "self" or "://" in entry:
                continue
            base = ctx.root if entry.startswith("/") else ctx.path(data.source).parent
            if "glob" in data.options and any(c in entry for c in "*?["):
                found = sorted(p for p in base.glob(entry.lstrip("/") + ".rst") if p.is_file())
            else:
                target = base / (entry.lstrip("/") + ".rst")
                found = [target] if target.is_file() else [base / entry.lstrip("/")]
                if not found[0].is_file():
                    findings.append(
                        rules.finding(
                            "toctree-missing-page",
                            ctx.locate(line.source, line.line),
                            f"the toctree entry `{line.text.strip()}` names no page",
                        )
                    )
                    continue
            pages.extend(ctx.path(p) for p in found)
    return tuple(pages)


def _orphans(ctx: Context, root: Path, index: Path, included: frozenset[Path], cache: PageCache | None) -> list[tuple[Path, _Page]]:
    """Pages of the tree that no ``include`` reaches, parsed (os-api-ref keeps pages beside index.rst).

    A page that only another orphan includes (a snippet) is not an orphan itself.
    """
    candidates = sorted(
        ctx.path(p)
        for p in root.rglob("*")
        if p.suffix in _PAGE_SUFFIXES
        and p.is_file()
        and not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)
    )
    parsed = [
        (path, page)
        for path in candidates
        if path != ctx.path(index) and path not in included
        for page in [_read_page(ctx, path, cache)]
        if page is not None
    ]
    reached = frozenset().union(*(page.included for _, page in parsed))
    return [(path, page) for path, page in parsed if path not in reached]


def confining_root(root: Path) -> Path:
    """The folder a tree's files must lie in: the tree itself, as Sphinx's source folder.

    Two layouts reach one level further on purpose: an OpenStack repository's
    ``<repo>/api-ref/source`` tree is confined to ``<repo>`` (Nova's pages
    include ``/../../doc/api_samples/...``), and our own ``spec/api-ref``
    (its samples are in ``samples/`` beside ``spec/``) to the project's data root.
    """
    if root.name == "source" and root.parent.name == "api-ref":
        return root.parent.parent
    try:
        from manila_ssm import paths

        spec = Path(os.path.abspath(paths.spec_dir()))
    except FileNotFoundError:
        return root
    return Path(os.path.abspath(paths.data_root())) if root == spec or spec in root.parents else root


def _pages_without_operations(
    ctx: Context, index: Path, first: _Page | None, operations: list[Operation], tree: bool
) -> list[Finding]:
    """A finding for each page that holds no ``rest_method`` (empty, cut short, or not an api-ref page).

    The pages are the one given, or in a tree those ``index.rst`` includes;
    a page counts operations of the snippets it includes.
    """
    if first is None:
        return []
    index_key = str(ctx.path(index))
    includers = first.includers
    if tree:
        pages = sorted(path for path, by in includers.items() if index_key in by)
    else:
        pages = [index_key]
    holding = {str(ctx.path(op.location.file if os.path.isabs(op.location.file) else ctx.root / op.location.file)) for op in operations}
    found = []
    for page in pages:
        reached, todo = set(), [page]
        while todo:  # the page and everything it includes
            current = todo.pop()
            if current not in reached:
                reached.add(current)
                todo.extend(path for path, by in includers.items() if current in by)
        if not reached & holding:
            found.append(rules.finding("page-no-operation", Location(ctx.display(page), 1), f"`{ctx.display(page)}` holds no `rest_method`, so it describes no operation"))
    if tree and not operations and not found:
        found.append(rules.finding("page-no-operation", Location(ctx.display(index), 1), f"the tree `{ctx.display(index)}` holds no `rest_method`, so it describes no operation"))
    return found


def _sections(ctx: Context, walked: Walked) -> list[Section]:
    result = []
    for raw in walked.sections:
        notes = tuple(Admonition(n.tagname, n.text, ctx.locate(n.source or raw.source, n.line)) for n in raw.admonitions)
        result.append(Section(raw.title, raw.description, ctx.locate(raw.source, raw.line), notes))
    return result


def _tree_pages(ctx: Context, first: _Page, index: Path, cache: PageCache | None) -> list[tuple[Path, _Page]]:
    """The pages the index's toctrees reach (transitively), in toctree order, each once."""
    seen = {ctx.path(index)}
    found: list[tuple[Path, _Page]] = []
    todo = list(first.toctree)
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        page = _read_page(ctx, path, cache)
        if page is not None:
            found.append((path, page))
            todo.extend(page.toctree)
    return found


def parse(source: Path, *, strict: bool = False, tolerant: bool = False, cache: PageCache | None = None) -> ApiRef:
    """Parse an os-api-ref page (``.inc``/``.rst``), a tree's ``index.rst``, or a folder holding one.

    Defects come back as ``ApiRef.findings``. Input that cannot be modelled
    (a missing file, malformed YAML or JSON) raises ``SpecError`` carrying every
    such finding of the run (``rules.is_fatal``) and, for context, the run's
    other error-severity findings; with ``strict`` every error is fatal. With
    ``tolerant`` nothing is fatal, as in Sphinx: what cannot be read is left
    out (a sample, a parameters file, an included page) and stays a finding.
    A tree's ``toctree`` entries are its pages too.
    Locations are relative to the tree root (the folder of ``source``).
    With ``cache``, pages and operations parsed before are reused where that
    gives the same result (``_incremental``).
    """
    source = Path(source)
    if cache is not None and docutils.__version_info__[:2] not in SPLICING_DOCUTILS:
        cache.whole = f"docutils {docutils.__version__} is not one the page cache is shown exact for"
        cache = None
    if cache is not None:
        try:
            return _parse(source, strict, tolerant, cache)
        except Unspliceable as error:
            cache.whole = str(error)
    return _parse(source, strict, tolerant, None)


def _parse(source: Path, strict: bool, tolerant: bool, cache: PageCache | None) -> ApiRef:
    page, root, tree = _page_and_root(source)
    ctx = Context(Path(os.path.abspath(root)))
    ctx.bound = confining_root(ctx.root)
    pages: list[_Page] = []
    documents: list[Path] = []
    first = _read_page(ctx, page, cache, tree)
    if first is not None:
        pages.append(first)
        documents.append(ctx.path(page))
        ctx.findings.extend(first.findings)
        if tree:
            reached = _tree_pages(ctx, first, page, cache)
            included = first.included.union(*(p.included for _, p in reached), (path for path, _ in reached))
            for path, parsed in reached:
                pages.append(parsed)
                documents.append(path)
                ctx.findings.extend(parsed.findings)
            for orphan, parsed in _orphans(ctx, root, page, included, cache):
                ctx.add(
                    rules.finding(
                        "page-not-included",
                        Location(ctx.display(orphan)),
                        f"`{ctx.display(orphan)}` is not included by `{ctx.display(page)}`; parsed on its own",
                    )
                )
                pages.append(parsed)
                documents.append(orphan)
                ctx.findings.extend(parsed.findings)
    operations: list[Operation] = []
    sections: list[Section] = []
    for document, parsed in zip(documents, pages):
        ctx.document = document
        for part in parsed.parts:
            if cache is not None:
                built = cache.build(ctx, part)
                found, sections_found = list(built.operations), built.sections
            else:
                walked = part.walked
                found = [build_operation(ctx, raw) for raw in walked.operations]
                sections_found = tuple(_sections(ctx, walked))
            # `rest_method:: /v2/x` (no method) was reported as directive-invalid; its URL is not a
            # method, so there is no operation to build (Sphinx renders nothing useful either).
            operations += (operation for operation in found if operation.path and _HTTP_WORD.match(operation.method))
            sections.extend(sections_found)
        for stray in (stray for part in parsed.parts for stray in part.stray_methods):
            ctx.add(
                rules.finding(
                    "method-outside-section",
                    ctx.locate(stray.source, stray.line),
                    "this rest_method is not directly inside a titled section, so it names no operation",
                )
            )
    ctx.findings.extend(_pages_without_operations(ctx, page, first, operations, tree))
    fatal = [f for f in ctx.findings if rules.is_fatal(f) or (strict and f.severity >= Severity.ERROR)]
    if fatal and not tolerant:
        # The other errors go along: they often explain the fatal ones (a flattened page).
        raise SpecError([f for f in ctx.findings if rules.is_fatal(f) or f.severity >= Severity.ERROR])
    return ApiRef(
        root=ctx.root.as_posix(),
        title=pages[0].title if pages else "",
        operations=tuple(operations),
        sections=tuple(sections),
        parameter_files=tuple(
            ctx.display(p) for p, table in ctx.parameter_files.items() if table is not None
        ),
        findings=tuple(ctx.findings),
    )
