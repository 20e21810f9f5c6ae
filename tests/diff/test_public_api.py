"""The public surface of the diff and docs packages is small and pinned."""

from __future__ import annotations

import manila_ssm.diff
import manila_ssm.docs


def test_public_names() -> None:
    assert sorted(manila_ssm.diff.__all__) == ["Change", "RULES", "Rule", "Side", "compare"]
    assert manila_ssm.docs.__all__ == ["render_html"]


def test_every_rule_has_a_summary_and_a_known_scope() -> None:
    for rule_id, rule in manila_ssm.diff.RULES.items():
        assert rule.id == rule_id and rule.summary.endswith(".")
        assert set(rule.scopes) <= {"document", "operation", "endpoint", "request", "response"}
