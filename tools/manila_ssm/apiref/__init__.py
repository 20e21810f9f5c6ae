"""The os-api-ref parser: RST pages, ``parameters.yaml``, ``status.yaml`` and samples into the model.

``parse`` reads a page, a tree's ``index.rst`` or a folder; ``load_parameters``
and ``load_status_codes`` read the YAML files on their own. Every finding names
a rule of :mod:`manila_ssm.apiref.rules`.
"""

from manila_ssm.apiref._files import StatusDef, load_parameters, load_status_codes
from manila_ssm.apiref._parse import parse
from manila_ssm.apiref.rules import RULES, Rule

__all__ = ["RULES", "Rule", "StatusDef", "load_parameters", "load_status_codes", "parse"]
