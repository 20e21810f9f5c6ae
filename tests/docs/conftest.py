"""Reading a rendered page back (``read_page`` fixture): which parts exist, whether hidden, their samples."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest


@dataclass
class PartSeen:
    hidden: bool
    samples: list[str] = field(default_factory=list)
    text: str = ""


class PageReader(HTMLParser):
    """Collects ``section.part`` elements by ``data-action`` with the text of their ``pre`` samples."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: dict[str, PartSeen] = {}
        self.body: dict[str, str | None] = {}
        self.external: list[str] = []
        self._current: str | None = None
        self._depth = 0
        self._in_pre = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name in ("src", "href"):
            value = attributes.get(name) or ""
            if value and not value.startswith("#"):
                self.external.append(value)
        if tag == "body":
            self.body = attributes
        if tag == "section":
            if self._current is not None:
                self._depth += 1
            elif attributes.get("data-action"):
                self._current = str(attributes["data-action"])
                self.parts[self._current] = PartSeen(hidden="hidden" in attributes)
                self._depth = 0
        if tag == "pre" and self._current is not None:
            self._in_pre = True
            self.parts[self._current].samples.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._in_pre = False
        if tag == "section" and self._current is not None:
            if self._depth == 0:
                self._current = None
            else:
                self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self.parts[self._current].text += data
        if self._in_pre and self._current is not None:
            self.parts[self._current].samples[-1] += data


def _read(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    return reader


@pytest.fixture
def read_page() -> Callable[[str], PageReader]:
    return _read
