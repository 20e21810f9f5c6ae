"""Builders: an os-api-ref model as OpenAPI 3.1 and JSON Schemas, and the two contracts.

``build_openapi`` is the general tool (any os-api-ref tree; service specifics
are ``BuildOptions``); ``contracts`` knows the migration page's documented and
effective contracts; ``overlay`` applies OpenAPI Overlay 1.0 documents.
"""

from manila_ssm.builder.openapi import BuildResult, build_openapi
from manila_ssm.builder.options import BuildOptions, load_options
from manila_ssm.builder.overlay import Erratum, Overlay, apply_overlay, load_overlay

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
