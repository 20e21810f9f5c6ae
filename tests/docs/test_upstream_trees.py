"""``spec docs TREE`` on every upstream api-ref in ../shared (issue 13, item 7: each tree renders).

Without a browser: every id unique, every table-of-contents link lands on an
element of the page, the tree's own title (never Manila's outside Manila's
tree), and the page's notes kept (each of these trees has admonitions).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ssm_testing import require_shared, run_cli

TREES = {  # folder under ../shared/upstream → whether it is Manila's
    "manila-api-ref": True,
    "nova/api-ref/source": False,
    "keystone/api-ref/source": False,
    "glance/api-ref/source": False,
    "placement/api-ref/source": False,
}


@pytest.mark.parametrize(("tree", "is_manila"), TREES.items(), ids=list(TREES))
def test_tree_renders_with_unique_ids_and_landing_links(tree: str, is_manila: bool, tmp_path: Path) -> None:
    source = require_shared() / "upstream" / tree
    output = tmp_path / "page.html"
    code, _, err = run_cli("spec", "docs", source, "-o", output)
    assert code == 0, err
    markup = output.read_text(encoding="utf-8").split("<script>")[0]  # the script builds selectors of its own
    ids = re.findall(r'\sid="([^"]+)"', markup)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})[:10]
    toc = re.findall(r'<li class="toc-[a-z]+"[^>]*><a href="#([^"]+)"', markup)
    assert toc and set(toc) <= set(ids)
    title = re.search(r"<title>(.*?)</title>", markup)
    assert title and ("Manila" in title.group(1)) == is_manila, title
    assert "<blockquote>" in markup  # the tree's notes and warnings are shown
