"""``spec lint``: os-api-ref's own warnings plus semantic checks of pages, samples and errata.

The parser's findings (``manila_ssm.apiref``) are the first half of a lint run;
the checks here (one function per rule id) add what needs the whole model.
Rules and their severities are in :data:`manila_ssm.apiref.rules.RULES`.
"""

from manila_ssm.lint._catalogue import LINT_RULES
from manila_ssm.lint._run import LintReport, lint
from manila_ssm.lint.render import FORMATS, render

__all__ = ["FORMATS", "LINT_RULES", "LintReport", "lint", "render"]
