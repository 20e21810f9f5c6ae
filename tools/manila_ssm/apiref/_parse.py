"""``parse``: an os-api-ref page or tree into an :class:`~manila_ssm.model.ApiRef`."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from docutils import nodes, utils

from manila_ssm.apiref import rules
from manila_ssm.apiref._context import Context
from manila_ssm.apiref._directives import apiref_node
from manila_ssm.apiref._files import UnreadableFile, read_text
from manila_ssm.apiref._operations import build_operation

_HTTP_WORD = re.compile(r"^[A-Z]+$")
from manila_ssm.apiref._rst import parse_document
from manila_ssm.apiref._walk import Walked, walk
from manila_ssm.errors import Finding, Location, Severity, SpecError
from manila_ssm.model import Admonition, ApiRef, Operation, Section

_PAGE_SUFFIXES = (".inc", ".rst")


def _page_and_root(source: Path) -> tuple[Path, Path, bool]:
    """The file to read, the tree root, and whether it is a whole tree (index.rst)."""
    if source.is_dir():
        return source / "index.rst", source, True
    return source, source.parent, source.name == "index.rst"


@dataclass(frozen=True, slots=True)
class _Page:
    walked: Walked
    findings: list[Finding]
    included: frozenset[Path]
    includers: dict[str, set[str]]
    """Who included whom (page → the pages that include it), from the ``include`` directive."""
    toctree: tuple[Path, ...] = ()


def _read_page(ctx: Context, page: Path) -> _Page | None:
    try:
        text = read_text(page, ctx.bound or ctx.root)
    except UnreadableFile as error:
        ctx.add(rules.finding(error.rule, Location(ctx.display(page), error.line), f"cannot read the page: {error.reason}"))
        return None
    dependencies = utils.DependencyList()
    document, findings = parse_document(page, text, ctx.locate, dependencies, ctx.root, ctx.bound)
    toctree = _toctree_pages(ctx, document, findings)
    includers = document.__dict__.get("apiref_includers", {})
    return _Page(walk(document), findings, frozenset(ctx.path(name) for name in dependencies.list), includers, toctree)


def _toctree_pages(ctx: Context, document: nodes.document, findings: list[Finding]) -> tuple[Path, ...]:
    """The pages a page's ``toctree`` entries name, as Sphinx finds them (``name`` + ``.rst``)."""
    pages: list[Path] = []
    for node in document.findall(apiref_node):
        data = node.data
        if data.name != "toctree":
            continue
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


def _orphans(ctx: Context, root: Path, index: Path, included: frozenset[Path]) -> list[tuple[Path, _Page]]:
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
        for page in [_read_page(ctx, path)]
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


def _tree_pages(ctx: Context, first: _Page, index: Path) -> list[tuple[Path, _Page]]:
    """The pages the index's toctrees reach (transitively), in toctree order, each once."""
    seen = {ctx.path(index)}
    found: list[tuple[Path, _Page]] = []
    todo = list(first.toctree)
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        page = _read_page(ctx, path)
        if page is not None:
            found.append((path, page))
            todo.extend(page.toctree)
    return found


def parse(source: Path, *, strict: bool = False, tolerant: bool = False) -> ApiRef:
    """Parse an os-api-ref page (``.inc``/``.rst``), a tree's ``index.rst``, or a folder holding one.

    Defects come back as ``ApiRef.findings``. Input that cannot be modelled
    (a missing file, malformed YAML or JSON) raises ``SpecError`` carrying every
    such finding of the run (``rules.is_fatal``) and, for context, the run's
    other error-severity findings; with ``strict`` every error is fatal. With
    ``tolerant`` nothing is fatal, as in Sphinx: what cannot be read is left
    out (a sample, a parameters file, an included page) and stays a finding.
    A tree's ``toctree`` entries are its pages too.
    Locations are relative to the tree root (the folder of ``source``).
    """
    source = Path(source)
    page, root, tree = _page_and_root(source)
    ctx = Context(Path(os.path.abspath(root)))
    ctx.bound = confining_root(ctx.root)
    walked: list[Walked] = []
    documents: list[Path] = []
    first = _read_page(ctx, page)
    if first is not None:
        walked.append(first.walked)
        documents.append(ctx.path(page))
        ctx.findings.extend(first.findings)
        if tree:
            reached = _tree_pages(ctx, first, page)
            included = first.included.union(*(p.included for _, p in reached), (path for path, _ in reached))
            for path, parsed in reached:
                walked.append(parsed.walked)
                documents.append(path)
                ctx.findings.extend(parsed.findings)
            for orphan, parsed in _orphans(ctx, root, page, included):
                ctx.add(
                    rules.finding(
                        "page-not-included",
                        Location(ctx.display(orphan)),
                        f"`{ctx.display(orphan)}` is not included by `{ctx.display(page)}`; parsed on its own",
                    )
                )
                walked.append(parsed.walked)
                documents.append(orphan)
                ctx.findings.extend(parsed.findings)
    operations: list[Operation] = []
    sections: list[Section] = []
    for document, result in zip(documents, walked):
        ctx.document = document
        for raw in result.operations:
            operation = build_operation(ctx, raw)
            # `rest_method:: /v2/x` (no method) was reported as directive-invalid; its URL is not a
            # method, so there is no operation to build (Sphinx renders nothing useful either).
            if operation.path and _HTTP_WORD.match(operation.method):
                operations.append(operation)
        sections.extend(_sections(ctx, result))
        for stray in result.stray_methods:
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
        title=walked[0].title if walked else "",
        operations=tuple(operations),
        sections=tuple(sections),
        parameter_files=tuple(
            ctx.display(p) for p, table in ctx.parameter_files.items() if table is not None
        ),
        findings=tuple(ctx.findings),
    )
