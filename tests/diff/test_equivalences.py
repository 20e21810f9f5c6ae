"""What the gate treats as the same contract written differently (with the fixture pairs in cases/).

Each equivalence has a case folder named ``unchanged-...`` or after its non-breaking rule; these
tests pin its edges: what still counts as a change.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from manila_ssm.diff import compare
from manila_ssm.diff._endpoint_rules import above_known
from manila_ssm.diff._surface import optional_segments, stated_version

CASES = Path(__file__).parent / "cases"


def _load(case: str, side: str) -> dict[str, Any]:
    return json.loads((CASES / case / f"{side}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("texts", "floor"), [
    (["User messages (since API 2.37)"], "2.37"),
    (["(Since API v2.11) Indicates whether a share has replicas or not."], "2.11"),
    (["Share access rules (since API v2.45)", "(Since version 2.15) The name."], "2.15"),
    (["Manage share (New in version 2.7)"], "2.7"),
    (["Since API v2.28, the state of each access rule is independent."], None),  # prose, not a floor
    (["Supported since 2.10 for admins"], None),
    (["Added in 2.9"], None),
    ([""], None),
])
def test_stated_version_reads_only_a_parenthesised_floor(texts: list[str], floor: str | None) -> None:
    assert stated_version(texts) == floor


@pytest.mark.parametrize(("ceiling", "known", "expected"), [
    ("2.50", "2.50", True),   # the old page's newest microversion keeps the field
    ("2.51", "2.50", True),
    ("2.49", "2.50", False),  # clients at 2.50 lose it
    ("2.9", "2.10", False),   # numeric, not lexical
    ("2.10", "2.9", True),
    ("2.50", None, False),    # a document without a microversion: every ceiling counts
    (None, "2.50", False),
])
def test_a_ceiling_is_at_a_new_microversion_when_the_old_document_did_not_know_past_it(
        ceiling: str | None, known: str | None, expected: bool) -> None:
    assert above_known(ceiling, known) is expected


def test_a_stated_floor_that_differs_from_the_new_data_floor_is_still_a_change() -> None:
    old = _load("unchanged-min-version-stated-in-heading", "old")
    new = _load("unchanged-min-version-stated-in-heading", "new")
    for document in (old, new):
        for item in document["paths"].values():
            for operation in item.values():
                if isinstance(operation, dict) and "tags" in operation:
                    operation["tags"] = ["Share server migration (since API v2.58)"]
    assert [c.rule for c in compare(old, new) if c.breaking] == ["min-version-raised"]


def test_the_project_segment_is_optional_only_where_a_document_routes_both_forms() -> None:
    both = _load("unchanged-optional-project-segment", "old")
    bare = _load("unchanged-optional-project-segment", "new")
    assert optional_segments(both) == {"v2"} and optional_segments(bare) == frozenset()
    with_project = copy.deepcopy(both)
    with_project["paths"] = {p: v for p, v in both["paths"].items() if "{project_id}" in p}
    assert optional_segments(with_project) == frozenset()
    # neither document says the segment is optional: the operations moved, and old URLs stop routing
    assert [c.rule for c in compare(with_project, bare) if c.breaking] == ["operation-path-changed"] * 2
