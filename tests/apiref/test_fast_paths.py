"""The parser's fast paths give what the slow ones give: pooled docutils state machines, plain ``rest_parameters`` lists."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from docutils import utils

from manila_ssm import paths
from manila_ssm.apiref import _machines, _rst
from manila_ssm.apiref._context import Context
from manila_ssm.apiref._directives import Line
from manila_ssm.apiref._files import read_text
from manila_ssm.apiref._operations import _simple_list
from manila_ssm.apiref._parse import confining_root
from manila_ssm.yamlio import FastSafeLoader
from ssm_testing import require_shared

# Every construct that runs a nested state machine, some inside others, and the
# quoted literal block (whose state edits its own transitions).
CONSTRUCTS = """\
Title
=====

1. one
2. two

   a. nested enumerated
   b. second

      - bullet in it
      - another

#. auto
#. numbered

i. roman
ii. two

term
   definition with *emphasis*

   - a list in a definition

:field: value
:other: value

  continued block quote

-a         option one
--bee=x    option two

| line block
|    indented line

.. note::

   - a list in a note
   - second

   1. and numbers

.. |sub| replace:: substitution

::

> quoted literal
> block

Sub
---

+-----+-----+
| a   | b   |
+=====+=====+
| 1   | - x |
+-----+-----+

===  ===
a    b
===  ===
1    2
===  ===

.. warning:: inline
   continued

   3. starts at three
   4. four

A paragraph with |sub| and ``literal``.

Broken
~~~~

* unclosed *emphasis
"""


def _parse(page: Path, pooled: bool) -> tuple[str, list[str], list[str]]:
    ctx = Context(Path(os.path.abspath(page.parent)))
    ctx.bound = confining_root(ctx.root)
    dependencies = utils.DependencyList()
    document, findings = _rst.parse_document(
        page, read_text(page, ctx.bound), ctx.locate, dependencies, ctx.root, ctx.bound, pooled=pooled
    )
    return document.pformat(), [finding.format() for finding in findings], list(dependencies.list)


def _pages() -> list[Path]:
    tests = Path(__file__).parent
    pages = sorted(paths.spec_dir().joinpath("api-ref").glob("*.inc"))
    pages += sorted(p for p in tests.joinpath("cases").rglob("*") if p.suffix in (".rst", ".inc"))
    return pages


@pytest.mark.parametrize("page", _pages(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_pooled_machines_parse_as_docutils_does(page: Path) -> None:
    assert _parse(page, pooled=True) == _parse(page, pooled=False)


def test_pooled_machines_on_every_nested_construct(tmp_path: Path) -> None:
    page = tmp_path / "constructs.rst"
    page.write_text(CONSTRUCTS * 3, encoding="utf-8")  # three times: machines are reused
    pooled, plain = _parse(page, pooled=True), _parse(page, pooled=False)
    assert pooled == plain
    assert "enumerated_list" in plain[0] and "line_block" in plain[0] and "literal_block" in plain[0]


def test_pooled_machines_on_the_upstream_tree() -> None:
    """The whole Manila tree (its index.rst includes 40 pages): the same doctree, from far fewer machines."""
    index = require_shared() / "upstream/manila-api-ref/index.rst"
    built: list[int] = []
    original = _machines._PooledMachine.__init__

    def counting(self: _machines._PooledMachine, *args: object) -> None:
        built.append(1)
        original(self, *args)  # type: ignore[arg-type]

    _machines._PooledMachine.__init__ = counting  # type: ignore[method-assign]
    try:
        pooled = _parse(index, pooled=True)
    finally:
        _machines._PooledMachine.__init__ = original  # type: ignore[method-assign]
    assert pooled == _parse(index, pooled=False)
    assert 0 < len(built) < 50  # docutils alone builds about 1,300


ENTRIES = [
    "- share_id: share_id_path",
    "- project_id: project_id_path\n- share: share\n- share.name: share_name_1",
    "- _x: a-b.c",
    "- yes: share",  # YAML 1.1 booleans and nulls are left to YAML
    "- share: No",
    "- share: NULL",
    "- on: off",
    "- share: ~",
    "- share: 2.57",
    "- share: share # comment",
    "- share: 'quoted'",
    "- share:  two_spaces",
    "- share: share ",
    "  - share: indented",
    "- share:\n    nested: map",
    "- share: share\n  more: keys",
    "- name: value: more",
    "- share: inf\n- share: nan\n- e: E",
    "share: share",
    "-share: share",
    "- 200",
    "- 400\n- 401\n- 403\n- 404\n- 9999",
    "- 0",
    "- 010",
    "- 1_000",
    "- 12345",
    "- 404: Not found",
    "- 200\n- share: share",
    "- +200",
]


@pytest.mark.parametrize("text", ENTRIES)
def test_simple_rest_parameters_read_as_yaml_reads_them(text: str) -> None:
    lines = tuple(Line(line, "page.inc", number) for number, line in enumerate(text.splitlines(), 1))
    simple = _simple_list(lines)
    if simple is not None:
        assert simple == yaml.load(text, Loader=FastSafeLoader)
        assert all(type(entry) is int or type(entry) is dict for entry in simple)


def test_simple_rest_parameters_cover_the_usual_content() -> None:
    lines = tuple(Line(text, "p.inc", 1) for text in ("- share_id: share_id_path", "- name: name_9"))
    assert _simple_list(lines) == [{"share_id": "share_id_path"}, {"name": "name_9"}]
    assert _simple_list((Line("- share: yes", "p.inc", 1),)) is None
    assert _simple_list((Line("- 200", "p.inc", 1), Line("- 404", "p.inc", 2))) == [200, 404]
