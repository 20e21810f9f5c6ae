"""Ten years of Manila's api-ref, each revision built from the previous one's cache: equal to a build without it.

For a fixed sample of consecutive revision pairs whose second revision
changes pages (``.inc``/``.rst``), revision N is built into the cache, then
N+1 is checked out in the same folder and built from it; that build must
write the same files, report the same findings and exit as a build of N+1
with ``SSM_BUILD_CACHE=off``. The page cache must take the fast path (the
whole history can be spliced) and parse again only some of the pages.
"""

from __future__ import annotations

import io
import pickle
import shutil
import subprocess
from pathlib import Path

import pytest

import manila_ssm.apiref
from manila_ssm import cli, tarsafe
from manila_ssm.apiref import PageCache, parse
from manila_ssm.builder.history import Revision, open_repository, revisions, spread
from ssm_testing import require_shared

PAIRS = 8


class _Watched(PageCache):
    made: list[_Watched] = []

    def __post_init__(self) -> None:
        super().__post_init__()
        _Watched.made.append(self)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Revision]]:
    bundle = require_shared() / "upstream" / "manila-api-ref-history.bundle"
    repo = open_repository(bundle, tmp_path_factory.mktemp("history"))
    return repo, revisions(repo)


def _changes_pages(repo: Path, old: Revision, new: Revision) -> bool:
    names = subprocess.run(["git", "-C", str(repo), "diff", "--name-only", old.commit, new.commit],
                           check=True, capture_output=True, text=True).stdout.split()
    return any(name.endswith((".inc", ".rst")) for name in names)


def _pairs(repo: Path, every: list[Revision]) -> list[tuple[Revision, Revision]]:
    paged = [(old, new) for old, new in zip(every, every[1:]) if _changes_pages(repo, old, new)]
    chosen = spread([new for _, new in paged], PAIRS)
    return [(old, new) for old, new in paged if new in chosen]


def _checkout(repo: Path, revision: Revision, tree: Path) -> None:
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir()
    tarsafe.unpack(subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", revision.commit],
                                  check=True, capture_output=True).stdout, tree)


def _build(tree: Path, out: Path, *options: str) -> tuple[int, str, dict[str, str]]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli.run(["spec", "build", str(tree / "index.rst"), "-o", str(out), *options], stdout, stderr)
    return code, stderr.getvalue(), {str(p.relative_to(out)): p.read_text(encoding="utf-8") for p in sorted(out.rglob("*.json"))}


def _compare(tree: Path, out: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch, store: Path, *options: str) -> PageCache:
    """Build ``tree`` with the cache, then without from the same output folder; both must agree."""
    monkeypatch.setenv("SSM_BUILD_CACHE", str(store))
    shutil.copytree(out, scratch)
    _Watched.made = []
    cached = _build(tree, out, *options)
    (page_cache,) = _Watched.made
    monkeypatch.setenv("SSM_BUILD_CACHE", "off")
    shutil.rmtree(out)
    shutil.copytree(scratch, out)
    shutil.rmtree(scratch)
    assert cached == _build(tree, out, *options)
    return page_cache


def test_each_revision_built_from_the_last_ones_cache_equals_an_uncached_build(
    history: tuple[Path, list[Revision]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, every = history
    pairs = _pairs(repo, every)
    assert len(pairs) == PAIRS
    monkeypatch.setattr(manila_ssm.apiref, "PageCache", _Watched)
    tree, out, store, scratch = tmp_path / "tree", tmp_path / "out", tmp_path / "cache", tmp_path / "before"
    out.mkdir()
    for old, new in pairs:
        # N from the last pair's cache (years apart: most pages differ), then N+1 from N's.
        _checkout(repo, old, tree)
        _compare(tree, out, scratch, monkeypatch, store)
        _checkout(repo, new, tree)
        page_cache = _compare(tree, out, scratch, monkeypatch, store)
        pages = len(list(tree.glob("*.inc")))
        assert page_cache.whole is None, (new.commit[:10], page_cache.whole)
        assert 0 < len(page_cache.parsed) < pages, (new.commit[:10], page_cache.parsed)


def test_the_effective_contract_built_from_the_cache_equals_an_uncached_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The errata overlay rewrites the migration page's path items after the build: nothing the memo keeps may leak."""
    tree, out, store = tmp_path / "tree", tmp_path / "out", tmp_path / "cache"
    shutil.copytree(require_shared() / "upstream" / "manila-api-ref", tree)
    monkeypatch.setattr(manila_ssm.apiref, "PageCache", _Watched)
    monkeypatch.setenv("SSM_BUILD_CACHE", str(store))
    _build(tree, out, "--contract", "effective")
    page = tree / "share-server-migration.inc"
    for old, new in (("\n.. rest_method::", "\nOne more sentence.\n\n.. rest_method::"), ("One more sentence.", "Two more. Here.")):
        page.write_text(page.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
        page_cache = _compare(tree, out, tmp_path / "before", monkeypatch, store, "--contract", "effective")
        assert [Path(p).name for p in page_cache.parsed] == ["share-server-migration.inc"]


class _Memory(dict):  # type: ignore[type-arg]
    """A store in memory, pickling as the build cache's does (what comes out is a copy)."""

    def get(self, key: str) -> object:  # type: ignore[override]
        data = dict.get(self, key)
        return None if data is None else pickle.loads(data)

    def put(self, key: str, value: object) -> None:
        self[key] = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


@pytest.mark.parametrize("tree", ["nova/api-ref/source", "keystone/api-ref/source/v3", "glance/api-ref/source",
                                  "glance/api-ref/source/v2", "placement/api-ref/source"])
def test_other_services_trees_parse_as_without_the_page_cache(tree: str) -> None:
    """Other os-api-ref trees (Nova's includes a page twice; Glance's v2 has one that must be parsed whole)."""
    index = require_shared() / "upstream" / tree / "index.rst"
    store = _Memory()
    whole = parse(index, tolerant=True)
    first, again = PageCache(store), PageCache(store)
    assert parse(index, tolerant=True, cache=first) == whole
    assert parse(index, tolerant=True, cache=again) == whole
    assert again.parsed == [] or again.whole is not None, again.parsed
