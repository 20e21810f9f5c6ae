"""Prose of an api-ref page as CommonMark, the text format OpenAPI descriptions use.

``astext()`` flattens a list, a table or a ``.. note::`` into run-on words, and
the rendered reference then loses them. Converting the parsed docutils nodes
keeps their structure: lists stay lists, admonitions become block quotes led by
their kind, tables become pipe tables (the GitHub extension every OpenAPI
renderer reads), and inline literals, emphasis and links keep their markup.
Anything unknown degrades to its text, so no prose is ever dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from docutils import nodes

# Characters that would start markup of their own if left bare in CommonMark text.
_SPECIAL = re.compile(r"([\\`*\[\]<])")
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_LINE_START = re.compile(r"^(\s*)([#>+\-]|\d+[.)])(\s)", re.MULTILINE)

BODY_ELEMENTS: tuple[type[nodes.Element], ...] = (
    nodes.paragraph, nodes.bullet_list, nodes.enumerated_list, nodes.block_quote, nodes.table,
    nodes.Admonition, nodes.literal_block, nodes.definition_list, nodes.line_block, nodes.field_list,
    nodes.container,  # Sphinx's `only` and containers: their content, in place
)


def to_markdown(blocks: Iterable[nodes.Node]) -> str:
    """CommonMark for a sequence of body elements (paragraphs, lists, tables, admonitions...)."""
    return "\n\n".join(text for text in (_block(node) for node in blocks) if text.strip()).strip()


def _escape(text: str) -> str:
    text = _SPECIAL.sub(r"\\\1", text)
    text = _EDGE_UNDERSCORE.sub(r"\\_", text)
    return _LINE_START.sub(r"\1\\\2\3", text)


def _code_span(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _inline(node: nodes.Node) -> str:
    if isinstance(node, nodes.Text):
        return _escape(str(node).replace("\n", " "))
    if isinstance(node, (nodes.literal, nodes.title_reference)):
        return _code_span(node.astext().replace("\n", " "))
    if isinstance(node, (nodes.system_message, nodes.comment, nodes.target)):
        return ""
    inner = "".join(_inline(child) for child in node.children) if isinstance(node, nodes.Element) else ""
    if isinstance(node, nodes.emphasis):
        return f"*{inner}*" if inner.strip() else inner
    if isinstance(node, nodes.strong):
        return f"**{inner}**" if inner.strip() else inner
    if isinstance(node, nodes.reference) and node.get("refuri"):
        return f"[{inner}](<{node['refuri']}>)"
    return inner


def _inlines(node: nodes.Element) -> str:
    return " ".join("".join(_inline(child) for child in node.children).split())


def _indent(text: str, prefix: str, first: str) -> str:
    lines = text.splitlines()
    return "\n".join((first if i == 0 else prefix if line else "") + line for i, line in enumerate(lines))


def _list(node: nodes.Element, ordered: bool) -> str:
    items = []
    for number, item in enumerate((c for c in node.children if isinstance(c, nodes.list_item)), start=1):
        marker = f"{number}. " if ordered else "- "
        body = to_markdown(item.children) or _escape(item.astext())
        items.append(_indent(body, " " * len(marker), marker))
    return "\n".join(items)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def _admonition(node: nodes.Element) -> str:
    title_nodes = [c for c in node.children if isinstance(c, nodes.title)]
    label = _inlines(title_nodes[0]) if title_nodes else node.tagname.capitalize()
    body = to_markdown(c for c in node.children if not isinstance(c, nodes.title))
    return _quote(f"**{label}:** {body}" if body else f"**{label}**")


def _cell(entry: nodes.Element) -> str:
    parts = [_inlines(c) if isinstance(c, nodes.paragraph) else _escape(c.astext()) for c in entry.children]
    return " ".join(" ".join(parts).split()).replace("|", "\\|") or " "


def _table(node: nodes.Element) -> str:
    head: list[list[str]] = []
    body: list[list[str]] = []
    for group in node.findall(nodes.tgroup):
        for part in group.children:
            rows = [[_cell(e) for e in row.children if isinstance(e, nodes.entry)]
                    for row in part.children if isinstance(row, nodes.row)]
            (head if isinstance(part, nodes.thead) else body).extend(rows)
    if not head and body:
        head, body = [body[0]], body[1:]  # a pipe table needs a header row; the first row leads
    if not head:
        return ""
    width = max(len(row) for row in head + body)
    lines = [head[0] + [" "] * (width - len(head[0])), ["---"] * width]
    lines += [row + [" "] * (width - len(row)) for row in head[1:] + body]
    title = [c for c in node.children if isinstance(c, nodes.title)]
    caption = f"**{_inlines(title[0])}**\n\n" if title else ""
    return caption + "\n".join("| " + " | ".join(row) + " |" for row in lines)


def _literal_block(node: nodes.Element) -> str:
    text = node.astext()
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    language = next((c for c in node.get("classes", []) if c != "code"), "")
    return f"{fence}{language}\n{text}\n{fence}"


def _definitions(node: nodes.Element) -> str:
    items = []
    for item in node.findall(nodes.definition_list_item):
        term = next((c for c in item.children if isinstance(c, nodes.term)), None)
        definition = next((c for c in item.children if isinstance(c, nodes.definition)), None)
        text = to_markdown(definition.children) if definition is not None else ""
        items.append(_indent(f"**{_inlines(term) if term is not None else ''}**: {text}", "  ", "- "))
    return "\n".join(items)


def _fields(node: nodes.Element) -> str:
    items = []
    for field in node.findall(nodes.field):
        name, body = field.children[0], field.children[1]
        items.append(_indent(f"**{_inlines(name)}**: {to_markdown(body.children)}", "  ", "- "))
    return "\n".join(items)


def _block(node: nodes.Node) -> str:
    if isinstance(node, nodes.paragraph):
        return _inlines(node)
    if isinstance(node, nodes.bullet_list):
        return _list(node, ordered=False)
    if isinstance(node, nodes.enumerated_list):
        return _list(node, ordered=True)
    if isinstance(node, nodes.Admonition):
        return _admonition(node)
    if isinstance(node, nodes.block_quote):
        return _quote(to_markdown(c for c in node.children if not isinstance(c, nodes.attribution)))
    if isinstance(node, nodes.table):
        return _table(node)
    if isinstance(node, nodes.literal_block):
        return _literal_block(node)
    if isinstance(node, nodes.definition_list):
        return _definitions(node)
    if isinstance(node, nodes.field_list):
        return _fields(node)
    if isinstance(node, nodes.line_block):
        return "\\\n".join(_inlines(line) for line in node.findall(nodes.line) if isinstance(line, nodes.Element))
    if isinstance(node, (nodes.system_message, nodes.comment, nodes.target, nodes.title)):
        return ""
    if isinstance(node, nodes.Element) and any(isinstance(c, nodes.Body) for c in node.children):
        return to_markdown(node.children)
    return _escape(node.astext()) if isinstance(node, nodes.Node) else ""
