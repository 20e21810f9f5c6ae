"""The conformance suite: a pytest plugin that holds a target to the migration contract.

The test modules users read live in ``conformance/``; this package is the
machinery they use (configuration, HTTP client, catalogue, checks, reports).
"""

from manila_ssm.suite.outcomes import Exchange, Outcome, Record, RequirementFailure

__all__ = ["Exchange", "Outcome", "Record", "RequirementFailure"]
