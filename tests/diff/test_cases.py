"""Every rule has a fixture pair, checked in both directions against ``expected.yaml``.

Regenerate an ``expected.yaml`` only after reading the change it records:
``python tests/diff/test_cases.py --regenerate``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from manila_ssm.diff import RULES, compare

CASES = Path(__file__).parent / "cases"
CASE_DIRS = sorted(p for p in CASES.iterdir() if p.is_dir())


def _load(case: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    old = json.loads((case / "old.json").read_text(encoding="utf-8"))
    new = json.loads((case / "new.json").read_text(encoding="utf-8"))
    expected = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
    return old, new, expected


def _observed(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"rule": c.rule, "breaking": c.breaking, "location": c.location, "old": c.old.pointer, "new": c.new.pointer}
        for c in compare(old, new)
    ]


@pytest.mark.parametrize("case", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
@pytest.mark.parametrize("direction", ["forward", "reverse"])
def test_case(case: Path, direction: str) -> None:
    old, new, expected = _load(case)
    if direction == "reverse":
        old, new = new, old
    assert _observed(old, new) == expected[direction]


@pytest.mark.parametrize("case", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_case_is_named_after_what_it_shows(case: Path) -> None:
    _, _, expected = _load(case)
    assert expected["description"].strip()
    if case.name.startswith("unchanged-"):
        assert expected["forward"] == expected["reverse"] == []
    else:  # the pair exists to show its rule, forward, and nothing else
        assert {c["rule"] for c in expected["forward"]} == {case.name}


def test_every_breaking_rule_has_a_case() -> None:
    breaking = {rule_id for rule_id, rule in RULES.items() if rule.breaking}
    shown = set()
    for case in CASE_DIRS:
        _, _, expected = _load(case)
        shown |= {c["rule"] for c in expected["forward"] + expected["reverse"] if c["breaking"]}
    assert breaking <= shown, f"breaking rules without a fixture pair: {sorted(breaking - shown)}"


def test_readme_rules_table_matches_the_code() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    rows = {}
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`") and cells[0].strip("`") in RULES:
            rows[cells[0].strip("`")] = cells[1]
    assert rows == {rule_id: "breaking" if rule.breaking else "non-breaking" for rule_id, rule in RULES.items()}


if __name__ == "__main__" and sys.argv[1:] == ["--regenerate"]:
    for case in CASE_DIRS:
        old, new, expected = _load(case)
        expected["forward"], expected["reverse"] = _observed(old, new), _observed(new, old)
        (case / "expected.yaml").write_text(yaml.safe_dump(expected, sort_keys=False, width=200), encoding="utf-8")
