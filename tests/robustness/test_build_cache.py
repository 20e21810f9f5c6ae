"""The build cache is never stale: after any edit a cached build equals a build without the cache."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from manila_ssm import cli
from manila_ssm.builder import cache
from robustness.corrupt_trees import write_base


def _replace(name: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        path = root / name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    return edit


def _delete(name: str) -> Callable[[Path], None]:
    return lambda root: (root / name).unlink()


def _write(name: str, text: str) -> Callable[[Path], None]:
    return lambda root: (root / name).write_text(text, encoding="utf-8")


EDITS: dict[str, tuple[Callable[[Path], None], bool]] = {
    # name: (edit, whether the cached entry may be reused)
    "nothing": (lambda root: None, True),
    "rewrite a page with the same bytes": (_replace("gizmos.inc", "Lists gizmos.", "Lists gizmos."), True),
    "edit a page's prose": (_replace("gizmos.inc", "Lists gizmos.", "Lists every gizmo."), False),
    "edit a rest_method": (_replace("gizmos.inc", "GET /v2/{project_id}/gizmos", "GET /v2/{project_id}/gizmos/detail"), False),
    "edit a parameter": (_replace("parameters.yaml", "The most gizmos to list.", "At most this many."), False),
    "edit a status text": (_replace("status.yaml", "Request is accepted.", "Accepted."), False),
    "edit a sample": (_replace("samples/widget-resize-request.json", "3", "4"), False),
    "break a sample": (_replace("samples/widget-resize-request.json", "}", ""), False),
    "delete a sample": (_delete("samples/gizmos-list-response.json"), False),
    "add a page nobody includes": (_write("orphan.inc", "Orphans\n=======\n\nShow\n----\n\n.. rest_method:: GET /v2/orphans\n"), False),
    "add an unrelated file": (_write("notes.txt", "hello\n"), False),
    "edit index.rst": (_replace("index.rst", ".. include:: widgets.inc", ""), False),
}


def _build(tree: Path, out: Path) -> tuple[int, str, dict[str, str]]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli.run(["spec", "build", str(tree / "index.rst"), "-o", str(out)], stdout, stderr)
    files = {str(p.relative_to(out)): p.read_text(encoding="utf-8") for p in sorted(out.rglob("*.json"))}
    return code, stderr.getvalue(), files


@pytest.mark.parametrize("name", EDITS)
def test_a_cached_build_equals_an_uncached_one(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit, reusable = EDITS[name]
    tree, out = tmp_path / "tree", tmp_path / "out"
    write_base(tree)
    monkeypatch.setenv("SSM_BUILD_CACHE", str(tmp_path / "cache"))
    _build(tree, out)  # fills the cache
    edit(tree)
    computed = []
    original = cache.cached

    def spy(question, root, compute):  # type: ignore[no-untyped-def]
        def counted(store):  # type: ignore[no-untyped-def]
            computed.append(True)
            return compute(store)
        return original(question, root, counted)

    monkeypatch.setattr("manila_ssm.builder.commands.cached", spy)
    shutil.copytree(out, tmp_path / "before")  # both builds start from the same output folder
    cached = _build(tree, out)
    assert computed == ([] if reusable else [True])
    monkeypatch.setenv("SSM_BUILD_CACHE", "off")
    shutil.rmtree(out)
    shutil.copytree(tmp_path / "before", out)
    fresh = _build(tree, out)
    assert cached == fresh


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
