"""The page itself: a Jinja2 template with the CSS and JavaScript inlined.

Jinja2 earns its place here: autoescaping every value that came from the
api-ref (descriptions, samples) is what keeps a stray ``<`` from breaking the
page, and the template reads like the page it makes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2
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
    environment.filters["paragraphs"] = _paragraphs
    environment.filters["inline"] = _inline
    environment.filters["breakable"] = _breakable
    return environment


def _paragraphs(text: str) -> list[str]:
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", text or "") if block.strip()]


def _inline(text: str) -> Markup:
    """Escape, then show RST inline literals (````x````, as api-ref text uses them) as code."""
    return Markup(re.sub(r"``(.+?)``", r"<code>\1</code>", str(escape(text))))


def _breakable(text: str) -> Markup:
    """Let long URLs wrap after a slash rather than inside a word."""
    return Markup(str(escape(text)).replace("/", "/<wbr>"))


def render_html(document: Mapping[str, Any]) -> str:
    """One self-contained HTML page documenting every operation and action of ``document``."""
    return _environment().get_template("page.html.j2").render(page=page(document))
