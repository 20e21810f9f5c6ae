"""Builders: an os-api-ref model as OpenAPI 3.1 and JSON Schemas, and the two contracts.

``build_openapi`` is the general tool (any os-api-ref tree; service specifics
are ``BuildOptions``); ``contracts`` knows the migration page's documented and
effective contracts; ``overlay`` applies OpenAPI Overlay 1.0 documents.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from manila_ssm.builder.openapi import BuildResult, build_openapi
    from manila_ssm.builder.options import BuildOptions, load_options
    from manila_ssm.builder.overlay import Erratum, Overlay, apply_overlay, load_overlay

# Imported on first use, so that a command importing one builder module pays for no other
# (the overlay's JSONPath parser is only for the effective contract).
_HOME = {
    "BuildResult": "openapi", "build_openapi": "openapi",
    "BuildOptions": "options", "load_options": "options",
    "Erratum": "overlay", "Overlay": "overlay", "apply_overlay": "overlay", "load_overlay": "overlay",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)


__all__ = [
    "BuildOptions",
    "BuildResult",
    "Erratum",
    "Overlay",
    "apply_overlay",
    "build_openapi",
    "load_options",
    "load_overlay",
]
