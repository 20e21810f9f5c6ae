"""The prose of a section as CommonMark text, for OpenAPI ``description`` fields.

OpenAPI descriptions are CommonMark, so the body elements os-api-ref pages
use are written in its syntax: paragraphs as their text, bullet and numbered
lists as ``-``/``1.`` items, admonitions (``note``, ``important``, ...) as a
block quote led by the bold kind (``> **Note:** ...``), tables as GFM pipe
tables, literal blocks as fenced code, definition lists as a bold term and
its text. The content of Sphinx's ``only`` and of containers is rendered in
place. Inline markup is kept as its plain text.
"""

from __future__ import annotations

from collections.abc import Iterable

from docutils import nodes

_INDENT = "   "


def is_prose(node: nodes.Node) -> bool:
    """Whether ``node`` is a body element whose text belongs to a description."""
    return isinstance(
        node,
        (
            nodes.paragraph,
            nodes.bullet_list,
            nodes.enumerated_list,
            nodes.block_quote,
            nodes.Admonition,
            nodes.table,
            nodes.literal_block,
            nodes.definition_list,
            nodes.container,
            nodes.line_block,
            nodes.field_list,
        ),
    )


def render(children: Iterable[nodes.Node]) -> str:
    """The prose among ``children`` (other nodes are skipped), blocks separated by a blank line."""
    blocks = [_block(child) for child in children if is_prose(child)]
    return "\n\n".join(block for block in blocks if block.strip())


def _block(node: nodes.Node) -> str:
    if isinstance(node, nodes.paragraph):
        return node.astext().strip()
    if isinstance(node, (nodes.bullet_list, nodes.enumerated_list)):
        ordered = isinstance(node, nodes.enumerated_list)
        items = []
        for number, item in enumerate(node.children, start=1):
            marker = f"{number}. " if ordered else "- "
            items.append(_hang(marker, render(item.children) or item.astext().strip()))
        return "\n".join(items)
    if isinstance(node, nodes.Admonition):
        return _admonition(node)
    if isinstance(node, nodes.table):
        return _table(node)
    if isinstance(node, nodes.literal_block):
        return "```\n" + node.astext().rstrip() + "\n```"
    if isinstance(node, nodes.definition_list):
        entries = []
        for item in node.children:
            term = " ".join(c.astext().strip() for c in item.children if isinstance(c, nodes.term))
            body = " ".join(render(c.children) for c in item.children if isinstance(c, nodes.definition))
            entries.append(f"**{term}**: {body}".strip())
        return "\n\n".join(entries)
    if isinstance(node, nodes.field_list):
        return "\n".join(
            f"**{field[0].astext().strip()}**: {render(field[1].children)}" for field in node.children if len(field) == 2
        )
    if isinstance(node, nodes.line_block):
        return "  \n".join(line.astext() for line in node.findall(nodes.line))
    # block_quote, container (Sphinx's `only`): their children, in place
    return render(node.children) or node.astext().strip()


def _hang(marker: str, text: str) -> str:
    lines = text.splitlines() or [""]
    pad = " " * len(marker)
    return "\n".join([marker + lines[0], *((pad + line) if line else "" for line in lines[1:])])


def _admonition(node: nodes.Admonition) -> str:
    title = next((c.astext().strip() for c in node.children if isinstance(c, nodes.title)), "")
    kind = title or node.tagname.capitalize()
    text = render(c for c in node.children if not isinstance(c, nodes.title)) or node.astext().strip()
    quoted = [f"> **{kind}:** " + (text.splitlines() or [""])[0]]
    quoted += [("> " + line) if line else ">" for line in text.splitlines()[1:]]
    return "\n".join(quoted)


def _table(node: nodes.table) -> str:
    rows: list[list[str]] = []
    header = any(True for _ in node.findall(nodes.thead))
    for row in node.findall(nodes.row):
        rows.append([" ".join(entry.astext().split()).replace("|", "\\|") for entry in row.findall(nodes.entry)])
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    head = rows[0] if header else [""] * width
    body = rows[1:] if header else rows
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    title = next((c.astext().strip() for c in node.children if isinstance(c, nodes.title)), "")
    return (f"**{title}**\n\n" if title else "") + "\n".join(lines)
