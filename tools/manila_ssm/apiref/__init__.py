"""The os-api-ref parser: RST pages, ``parameters.yaml``, ``status.yaml`` and samples into the model.

``parse`` reads a page, a tree's ``index.rst`` or a folder; ``load_parameters``
and ``load_status_codes`` read the YAML files on their own. Every finding names
a rule of :mod:`manila_ssm.apiref.rules`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from manila_ssm.apiref._files import StatusDef, load_parameters, load_status_codes
    from manila_ssm.apiref._incremental import PageCache
    from manila_ssm.apiref._parse import parse
    from manila_ssm.apiref.rules import RULES, Rule

# Imported on first use: the build cache reads file fingerprints (``_files``) without docutils.
_HOME = {
    "PageCache": "_incremental",
    "StatusDef": "_files", "load_parameters": "_files", "load_status_codes": "_files",
    "parse": "_parse", "RULES": "rules", "Rule": "rules",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)


__all__ = ["RULES", "PageCache", "Rule", "StatusDef", "load_parameters", "load_status_codes", "parse"]
