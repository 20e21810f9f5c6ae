"""The page itself: a Jinja2 template with the CSS and JavaScript inlined.

Jinja2 earns its place here: autoescaping every value that came from the
api-ref (descriptions, samples) is what keeps a stray ``<`` from breaking the
page, and the template reads like the page it makes. Descriptions are
CommonMark (as OpenAPI defines them; the builder writes lists, tables and
admonitions that way), rendered by markdown-it-py with raw HTML escaped and
images off: the page may fetch nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from manila_ssm.docs._view import page


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("manila_ssm.docs", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    environment.filters["markdown"] = _markdown
    environment.filters["breakable"] = _breakable
    return environment


@cache
def _commonmark() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")


# reStructuredText inline markup that parameters.yaml text still carries (it is not
# parsed as a page is): `text <url>`_ links and :role:`target` references.
_RST_LINK = re.compile(r"`([^`<]+?)\s*<([^`>]+)>`__?")
_RST_ROLE = re.compile(r":[a-z][\w:+-]*:`([^`]+)`")


def _markdown(text: str) -> Markup:
    """Render a description: CommonMark, tolerating the RST inline markup of parameter text."""
    text = _RST_ROLE.sub(lambda m: "`" + re.sub(r"\s*<[^>]*>$", "", m.group(1)) + "`", text or "")
    text = _RST_LINK.sub(lambda m: f"[{m.group(1).strip()}](<{m.group(2).strip()}>)", text)
    return Markup(_commonmark().render(text))


def _breakable(text: str) -> Markup:
    """Let long URLs wrap after a slash rather than inside a word."""
    return Markup(str(escape(text)).replace("/", "/<wbr>"))


def render_html(document: Mapping[str, Any]) -> str:
    """One self-contained HTML page documenting every operation and action of ``document``."""
    return _environment().get_template("page.html.j2").render(page=page(document))
