"""The build cache is never stale: after any edit a cached build equals a build without the cache.

Each edit is made to a tree built once with the cache; the cached build must
write the same files, report the same findings and exit with the same code as
a build with ``SSM_BUILD_CACHE=off`` from the same output folder. The table
also says how much the cache may reuse: whether the whole result is reused,
and which pages docutils must parse again (the rest come from the page cache,
``apiref.PageCache``), or that the tree must be parsed whole. So a cache that
silently reparsed everything fails here as surely as a stale one.
"""

from __future__ import annotations

import io
import os
import pickle
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import manila_ssm.apiref
from manila_ssm import cli
from manila_ssm.apiref import PageCache
from manila_ssm.builder import cache
from robustness.corrupt_trees import write_base

WHOLE = "whole"
"""The tree is parsed whole (the page cache cannot show a spliced parse exact)."""

SPROCKETS = """\
.. -*- rst -*-

==========
Sprockets
==========

Show a sprocket
===============

.. rest_method:: GET /v2/{project_id}/sprockets/{widget_id}

Shows a sprocket.

.. include:: common/note.rst

Response codes
--------------

.. rest_status_code:: success status.yaml

   - 200

Request
-------

.. rest_parameters:: parameters.yaml

   - project_id: project_id_path
   - widget_id: widget_id_path
"""

NOTE = """\
.. note::

   Sprockets turn `clockwise <https://example.org/clockwise>`_.
"""


def write_tree(root: Path) -> None:
    """The robustness base tree, plus a third page that includes a snippet, and a target in widgets.inc."""
    write_base(root)
    (root / "sprockets.inc").write_text(SPROCKETS, encoding="utf-8")
    (root / "common").mkdir()
    (root / "common/note.rst").write_text(NOTE, encoding="utf-8")
    index = root / "index.rst"
    index.write_text(index.read_text(encoding="utf-8") + ".. include:: sprockets.inc\n", encoding="utf-8")
    _replace("widgets.inc", "Resize a widget\n", ".. _resize:\n\nResize a widget\n")(root)
    (root / "conf.py").write_text('project = "Gizmo API"\n', encoding="utf-8")


def _replace(name: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        path = root / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return edit


def _delete(name: str) -> Callable[[Path], None]:
    return lambda root: (root / name).unlink()


def _write(name: str, text: str) -> Callable[[Path], None]:
    return lambda root: (root / name).write_text(text, encoding="utf-8")


def _append(name: str, text: str) -> Callable[[Path], None]:
    return lambda root: (root / name).write_text((root / name).read_text(encoding="utf-8") + text, encoding="utf-8")


# Titles of its own only: a title another page has too, once unique and now twice here, would change
# the state of that name for the pages after it (docutils' duplicate-name rules), and they are parsed again.
NEW_OPERATION = """\
Show a gizmo
============

.. rest_method:: GET /v2/{project_id}/gizmos/{widget_id}

Shows a gizmo.

.. rest_status_code:: success status.yaml

   - 200

.. rest_parameters:: parameters.yaml

   - project_id: project_id_path
   - widget_id: widget_id_path

"""


@dataclass(frozen=True)
class Edit:
    edit: Callable[[Path], None]
    reused: bool
    """Whether the whole result of the first build may be reused."""
    parsed: frozenset[str] | str = frozenset()
    """The pages docutils must parse again (the rest come from the page cache), or ``WHOLE``."""


def _pages(*names: str) -> frozenset[str]:
    return frozenset(names)


EDITS: dict[str, Edit] = {
    "nothing": Edit(lambda root: None, True),
    "rewrite a page with the same bytes": Edit(_replace("gizmos.inc", "Lists gizmos.", "Lists gizmos."), True),
    "add a sentence to a page": Edit(_replace("gizmos.inc", "Lists gizmos.", "Lists gizmos. Every one of them."), False, _pages("gizmos.inc")),
    "add an operation to a page": Edit(_replace("gizmos.inc", "List gizmos\n", NEW_OPERATION + "List gizmos\n"), False, _pages("gizmos.inc")),
    "edit a rest_method": Edit(_replace("gizmos.inc", "GET /v2/{project_id}/gizmos", "GET /v2/{project_id}/gizmos/detail"), False, _pages("gizmos.inc")),
    "change a parameter of a page": Edit(_replace("widgets.inc", "- new_size: new_size", "- new_size: limit"), False, _pages("widgets.inc")),
    # The first page's subsections take a new title style: every later page starts from other styles.
    "change a title style, shifting the levels after it": Edit(
        _replace("gizmos.inc", "List gizmos\n===========", "List gizmos\n~~~~~~~~~~~"), False,
        _pages("gizmos.inc", "widgets.inc", "sprockets.inc")),
    "put a paragraph before a page's first title": Edit(_replace("widgets.inc", "========\nWidgets", "A widget page.\n\n========\nWidgets"), False, WHOLE),
    "put a comment before a page's first title": Edit(_replace("widgets.inc", "========\nWidgets", ".. another comment\n\n========\nWidgets"), False, _pages("widgets.inc")),
    # widgets.inc's `.. _resize:` becomes the duplicate: it is parsed again from the new names.
    "add a target another page already defines": Edit(_replace("gizmos.inc", "List gizmos\n", ".. _resize:\n\nList gizmos\n"), False, _pages("gizmos.inc", "widgets.inc")),
    "add a link whose name another page's link has, to another address": Edit(
        _replace("gizmos.inc", "Lists gizmos.", "Lists `clockwise <https://example.org/other>`_ gizmos."), False,
        _pages("gizmos.inc", "sprockets.inc")),
    # docutils unnames the first definition of a substitution another page defines again (the cached
    # stand-in for it must carry its name, or the duplicate crashes the build)
    "define a substitution in two pages": Edit(
        lambda root: (_append("gizmos.inc", "\n.. |spin| replace:: one\n")(root),
                      _append("widgets.inc", "\n.. |spin| replace:: two\n")(root)), False, _pages("gizmos.inc", "widgets.inc")),
    "use a substitution another page defines": Edit(
        lambda root: (_append("gizmos.inc", "\n.. |spin| replace:: turn\n")(root),
                      _replace("widgets.inc", "========\nWidgets", "========\nWidgets |spin|")(root)), False,
        _pages("gizmos.inc", "widgets.inc")),
    "define a role in a page": Edit(_replace("gizmos.inc", "Lists gizmos.", ".. role:: spin\n\nLists :spin:`gizmos`."), False, WHOLE),
    "leave index content in a page's section": Edit(_append("index.rst", "\nA closing word.\n"), False, WHOLE),
    # widgets.inc is parsed as a page of its own now; sprockets.inc follows other names than before
    # ("Request" had been defined twice before it, now once).
    "remove a page from index.rst": Edit(_replace("index.rst", ".. include:: widgets.inc\n", ""), False, _pages("widgets.inc", "sprockets.inc")),
    "include a page inside a directive of index.rst": Edit(_replace("index.rst", ".. include:: sprockets.inc\n", ".. only:: html\n\n   .. include:: sprockets.inc\n"), False, WHOLE),
    "include a page twice": Edit(_append("index.rst", ".. include:: sprockets.inc\n"), False, _pages("sprockets.inc")),
    "edit a snippet a page includes": Edit(_replace("common/note.rst", "Sprockets turn", "Sprockets spin"), False, _pages("sprockets.inc")),
    "edit a sample": Edit(_replace("samples/widget-resize-request.json", "3", "4"), False),
    "break a sample": Edit(_replace("samples/widget-resize-request.json", "}", ""), False),
    "delete a sample": Edit(_delete("samples/gizmos-list-response.json"), False),
    "edit a parameter in parameters.yaml": Edit(_replace("parameters.yaml", "The most gizmos to list.", "At most this many."), False),
    "edit a status text": Edit(_replace("status.yaml", "Request is accepted.", "Accepted."), False),
    "add a page nobody includes": Edit(_write("orphan.inc", "Orphans\n=======\n\nShow\n----\n\n.. rest_method:: GET /v2/orphans\n"), False, _pages("orphan.inc")),
    "add an unrelated file": Edit(_write("notes.txt", "hello\n"), False),
    # The document's title comes from conf.py (read, not run): the options change, every group with them.
    "edit conf.py": Edit(_replace("conf.py", "Gizmo API", "Gadget API"), False),
}


def _build(tree: Path, out: Path) -> tuple[int, str, dict[str, str]]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli.run(["spec", "build", str(tree / "index.rst"), "-o", str(out)], stdout, stderr)
    files = {str(p.relative_to(out)): p.read_text(encoding="utf-8") for p in sorted(out.rglob("*.json"))}
    return code, stderr.getvalue(), files


class _Watched(PageCache):
    """The page cache, remembered by the test (what it had to parse again)."""

    made: list[_Watched] = []

    def __post_init__(self) -> None:
        super().__post_init__()
        _Watched.made.append(self)


def _compare(tree: Path, out: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[bool, list[PageCache]]:
    """Build with the cache and without it from the same output folder; both must agree. Returns what the cache did."""
    computed = []
    original = cache.cached

    def spy(question, root, compute, read=None):  # type: ignore[no-untyped-def]
        def counted(store):  # type: ignore[no-untyped-def]
            computed.append(True)
            return compute(store)
        return original(question, root, counted, read)

    monkeypatch.setattr("manila_ssm.builder.commands.cached", spy)
    _Watched.made = []
    monkeypatch.setattr(manila_ssm.apiref, "PageCache", _Watched)
    shutil.copytree(out, scratch)  # both builds start from the same output folder
    cached = _build(tree, out)
    reused, used = not computed, list(_Watched.made)
    monkeypatch.setenv("SSM_BUILD_CACHE", "off")
    shutil.rmtree(out)
    shutil.copytree(scratch, out)
    fresh = _build(tree, out)
    assert cached == fresh
    return reused, used


@pytest.mark.parametrize("name", EDITS)
def test_a_cached_build_equals_an_uncached_one(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = EDITS[name]
    tree, out = tmp_path / "tree", tmp_path / "out"
    write_tree(tree)
    monkeypatch.setenv("SSM_BUILD_CACHE", str(tmp_path / "cache"))
    _build(tree, out)  # fills the cache
    expected.edit(tree)
    reused, pages = _compare(tree, out, tmp_path / "before", monkeypatch)
    assert reused == expected.reused
    if reused:
        assert pages == []
        return
    (page,) = pages
    if expected.parsed == WHOLE:
        assert page.whole is not None
    else:
        assert page.whole is None, page.whole
        assert {Path(p).relative_to(tree).as_posix() for p in page.parsed} == expected.parsed


def test_edits_one_after_another_stay_exact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every edit of the table in turn on one tree, each build from the last one's cache."""
    tree, out = tmp_path / "tree", tmp_path / "out"
    write_tree(tree)
    monkeypatch.setenv("SSM_BUILD_CACHE", str(tmp_path / "cache"))
    _build(tree, out)
    for index, (name, expected) in enumerate(EDITS.items()):
        if expected.parsed == WHOLE or name in ("break a sample", "delete a sample"):
            continue  # they leave the tree as later edits do not expect it
        expected.edit(tree)
        _compare(tree, out, tmp_path / f"before-{index}", monkeypatch)
        monkeypatch.setenv("SSM_BUILD_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("damage", ["truncated file", "foreign pickle", "damaged entry"])
def test_a_damaged_cache_is_ignored(damage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree, out = tmp_path / "tree", tmp_path / "out"
    write_tree(tree)
    monkeypatch.setenv("SSM_BUILD_CACHE", str(tmp_path / "cache"))
    _build(tree, out)
    (stored,) = (tmp_path / "cache").glob("*.pickle")
    data = stored.read_bytes()
    if damage == "truncated file":
        stored.write_bytes(data[: len(data) // 2])
    elif damage == "foreign pickle":
        stored.write_bytes(pickle.dumps(["not", "a", "store"]))
    else:  # every entry's bytes cut short: each must be a miss, not a traceback
        entries = pickle.loads(data)
        stored.write_bytes(pickle.dumps({key: value[: len(value) // 2] for key, value in entries.items()}))
    _replace("gizmos.inc", "Lists gizmos.", "Lists gizmos, again.")(tree)
    reused, pages = _compare(tree, out, tmp_path / "before", monkeypatch)
    assert not reused and {Path(p).name for p in pages[0].parsed} >= {"gizmos.inc", "widgets.inc"}


def test_a_changed_toolkit_does_not_reuse_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "tree"
    write_base(tree)
    monkeypatch.setenv("SSM_BUILD_CACHE", str(tmp_path / "cache"))
    _build(tree, tmp_path / "out")
    monkeypatch.setattr(cache, "toolkit_version", lambda: "another version")
    calls = []
    value, hit = cache.cached(("spec build", str(tree)), tree, lambda store: calls.append(1))
    assert not hit and calls == [1]


def test_off_and_the_default_place(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SSM_BUILD_CACHE", "off")
    assert cache.cache_dir() is None
    monkeypatch.delenv("SSM_BUILD_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "manila-ssm" / "build"
    assert os.path.isabs(cache.cache_dir())
