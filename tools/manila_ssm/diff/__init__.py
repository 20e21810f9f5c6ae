"""The breaking-change gate: compare two OpenAPI documents rule by rule.

``compare(old, new)`` returns every :class:`Change` with its rule id, its
classification (from the rules table, ``RULES``) and its place in both
documents. Actions of ``.../action`` operations are compared one by one.
"""

from manila_ssm.diff._compare import Change, Side, compare
from manila_ssm.diff._registry import RULES, Rule

__all__ = ["RULES", "Change", "Rule", "Side", "compare"]
