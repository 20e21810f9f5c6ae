"""The YAML loader every reader of the project's YAML uses."""

from __future__ import annotations

import yaml

# libyaml's safe loader when PyYAML was built with it (about ten times faster), PyYAML's own otherwise;
# the same documents, and node marks (lines) kept for the readers that locate their findings.
FastSafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

__all__ = ["FastSafeLoader"]
