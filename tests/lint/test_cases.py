"""Data-driven lint cases: each folder of cases/ is a small api-ref tree and its expected findings.

``expected.yaml``: ``description``, optional ``errata`` (an overlay file in the
case), and ``findings``, the exact list of ``{rule, file, line}`` the tree
yields (every finding, not a subset: a case is also a test that nothing else fires).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from manila_ssm.apiref.rules import RULES
from manila_ssm.lint import LINT_RULES, lint

CASES = Path(__file__).parent / "cases"
CASE_KEYS = {"description", "errata", "findings"}
# The checks the issue names that the parser already performs; each needs a case too.
PARSER_RULES = {
    "param-order", "param-section-order", "param-invalid-in", "param-unknown-ref", "path-param-not-declared",
    "yaml-duplicate-key", "directive-flattened", "sample-undeclared-key", "sample-missing-parameter",
    "param-invalid-entry",
}


def _load(case: Path) -> dict[str, Any]:
    return yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))


ALL = sorted(p for p in CASES.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", ALL, ids=[p.name for p in ALL])
def test_case_yields_exactly_the_expected_findings(case: Path) -> None:
    expected = _load(case)
    errata = case / expected["errata"] if "errata" in expected else None
    report = lint(case, errata=errata)
    found = Counter((f.rule_id, f.location.file, f.location.line) for f in report.findings)
    wanted = Counter((f["rule"], f["file"], f["line"]) for f in expected["findings"])
    assert found == wanted, "\n".join(f.format() for f in report.findings)
    assert all(f.hint and f.message for f in report.findings)


def test_case_files_are_well_formed() -> None:
    descriptions = []
    for case in ALL:
        expected = _load(case)
        assert set(expected) <= CASE_KEYS and {"description", "findings"} <= set(expected), case.name
        descriptions.append(expected["description"])
        for item in expected["findings"]:
            assert set(item) == {"rule", "file", "line"} and item["rule"] in RULES, (case.name, item)
            assert (case / item["file"]).is_file(), (case.name, item)
    assert len(descriptions) == len(set(descriptions)), "two cases share a description"


def test_every_rule_of_the_issue_has_a_case_that_fires_it() -> None:
    fired = {item["rule"] for case in ALL for item in _load(case)["findings"]}
    missing = ({rule.id for rule in LINT_RULES} | PARSER_RULES) - fired
    assert not missing, f"rules without a case: {sorted(missing)}"
