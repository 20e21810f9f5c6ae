"""Pages whose directive content lost its indentation (copied from a web view).

A flattened page has its directive bodies at column 0, often without the blank
lines reStructuredText needs: ``rest_parameters`` then has no content and its
list becomes a separate bullet list, ``literalinclude`` options become text,
and without blank lines the whole page is one paragraph (an admonition's text
then ends, by our guess, at its first sentence end). We detect the
directives whose content sits at column 0 right after them, report each one,
and rebuild the page before docutils reads it: the recovered content indented
by three spaces, and blank lines around directives, titles and lists. Every
line keeps its original file and line number, so findings still point at the
page as written. A page without such a directive is left untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from docutils.statemachine import StringList

_DIRECTIVE = re.compile(r"^\.\.\s+([A-Za-z][\w-]*)::(.*)$")
_EXPLICIT = re.compile(r"^\.\.(\s|$)")
_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+<>_:.])\1{2,}\s*$")
_LIST_ITEM = re.compile(r"^[-*+]\s+\S")
_OPTION = re.compile(r"^:[\w-]+:")

LIST_CONTENT = frozenset({"rest_parameters", "rest_status_code"})
OPTION_CONTENT = frozenset({"literalinclude"})
TEXT_CONTENT = frozenset(
    {"attention", "caution", "danger", "error", "hint", "important", "note", "tip", "warning"}
)


@dataclass(frozen=True, slots=True)
class Flattened:
    """A directive (at 1-based ``line`` of its file) whose ``count`` content lines were at column 0."""

    name: str
    line: int
    count: int


def _is_title(lines: list[str], i: int) -> bool:
    text = lines[i]
    if not text.strip() or text[0].isspace() or _EXPLICIT.match(text) or _LIST_ITEM.match(text):
        return False
    if _UNDERLINE.match(text):
        return False
    following = lines[i + 1] if i + 1 < len(lines) else ""
    return bool(_UNDERLINE.match(following)) and len(following.rstrip()) >= len(text.rstrip())


def _content_at_column_0(lines: list[str], i: int, name: str, argument: str) -> range:
    """The indices of the lines after directive ``i`` that are its flattened content."""
    j = i + 1
    if name in LIST_CONTENT:
        while j < len(lines) and not lines[j].strip():
            j += 1
        end = j
        while end < len(lines) and _LIST_ITEM.match(lines[end]):
            end += 1
        return range(j, end)
    if name in OPTION_CONTENT:
        end = j
        while end < len(lines) and _OPTION.match(lines[end]):
            end += 1
        return range(j, end)
    if name in TEXT_CONTENT and not argument.strip():
        while j < len(lines) and not lines[j].strip():
            j += 1
        end = j
        while (
            end < len(lines)
            and lines[end].strip()
            and not lines[end][0].isspace()
            and not _EXPLICIT.match(lines[end])
            and not _is_title(lines, end)
            and not _LIST_ITEM.match(lines[end])
        ):
            end += 1
            if lines[end - 1].rstrip().endswith("."):
                break  # the blank line that ended the admonition is lost too: stop at its sentence end
        return range(j, end)
    return range(j, j)


def find_flattened(lines: list[str]) -> dict[int, range]:
    """Directive line index -> indices of its content found at column 0."""
    found = {}
    for i, text in enumerate(lines):
        match = _DIRECTIVE.match(text)
        if match:
            content = _content_at_column_0(lines, i, match.group(1), match.group(2))
            if len(content):
                found[i] = content
    return found


def repair(lines: list[str], source: str) -> tuple[StringList, list[Flattened]]:
    """``lines`` as docutils input, rebuilt when some directive's content is at column 0."""
    flattened = find_flattened(lines)
    if not flattened:
        return StringList(lines, source), []
    out = StringList()
    last = 0

    def emit(text: str, index: int) -> None:
        nonlocal last
        out.append(text, source, index)
        last = index

    def blank() -> None:
        if len(out) and out[-1].strip():
            out.append("", source, last)

    report: list[Flattened] = []
    content_of = {index: start for start, block in flattened.items() for index in block}
    i = 0
    while i < len(lines):
        text = lines[i]
        if i in flattened:
            blank()
            emit(text, i)
            name = _DIRECTIVE.match(text).group(1)  # type: ignore[union-attr]
            block = flattened[i]
            report.append(Flattened(name, i + 1, len(block)))
            if name not in OPTION_CONTENT:
                blank()
            for index in block:
                emit("   " + lines[index], index)
            blank()
            i = block.stop
            continue
        if i in content_of:  # already emitted with its directive
            i += 1
            continue
        if _EXPLICIT.match(text) or _is_title(lines, i):
            blank()
            emit(text, i)
            if _is_title(lines, i):
                emit(lines[i + 1], i + 1)
                i += 1
            i += 1
            if i < len(lines) and not lines[i][:1].isspace():
                blank()
            continue
        if _LIST_ITEM.match(text) and len(out) and out[-1].strip() and not _LIST_ITEM.match(out[-1]):
            blank()
        elif (
            text.strip()
            and not text[0].isspace()
            and len(out)
            and _LIST_ITEM.match(out[-1])
            and not _LIST_ITEM.match(text)
        ):
            blank()
        emit(text, i)
        i += 1
    return out, report
