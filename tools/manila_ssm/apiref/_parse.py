"""``parse``: an os-api-ref page or tree into an :class:`~manila_ssm.model.ApiRef`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from docutils import nodes, utils

from manila_ssm.apiref import rules
from manila_ssm.apiref._context import Context
from manila_ssm.apiref._directives import apiref_node
from manila_ssm.apiref._operations import build_operation
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
    toctree: tuple[Path, ...] = ()


def _read_page(ctx: Context, page: Path) -> _Page | None:
    try:
        text = page.read_text(encoding="utf-8-sig")  # a BOM from an editor is not content
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        ctx.add(
            rules.finding(
                "source-missing-file", Location(ctx.display(page)), f"cannot read the page: {reason}"
            )
        )
        return None
    dependencies = utils.DependencyList()
    document, findings = parse_document(page, text, ctx.locate, dependencies, ctx.root)
    toctree = _toctree_pages(ctx, document, findings)
    return _Page(walk(document), findings, frozenset(ctx.path(name) for name in dependencies.list), toctree)


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


def _sections(ctx: Context, walked: Walked) -> list[Section]:
    result = []
    for raw in walked.sections:
        notes = tuple(
            Admonition(n.tagname, n.astext().strip(), ctx.locate(n.source or raw.source, n.line))
            for n in raw.admonitions
        )
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
            operations.append(build_operation(ctx, raw))
        sections.extend(_sections(ctx, result))
        for stray in result.stray_methods:
            ctx.add(
                rules.finding(
                    "method-outside-section",
                    ctx.locate(stray.source, stray.line),
                    "this rest_method is not directly inside a titled section, so it names no operation",
                )
            )
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
