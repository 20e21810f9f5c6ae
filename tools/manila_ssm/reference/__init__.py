"""The reference target: an embedded, faithful implementation of Manila's Share Server
Migration API (the conformance suite's default target).

``ReferenceTarget.start(TargetConfig.default())`` serves it on loopback; the
README's "Reference target" section documents the deployment, the fixture API
under ``/_reference/`` (not part of Manila's API) and the deliberate
differences from upstream (``manila_ssm.reference.deviations``).
"""

from __future__ import annotations

from manila_ssm.reference.config import (
    ADMIN_TOKEN,
    DEMO_TOKEN,
    Backend,
    Capabilities,
    Fault,
    ShareNetwork,
    TargetConfig,
    Timings,
)
from manila_ssm.reference.server import ReferenceTarget

__all__ = [
    "ADMIN_TOKEN",
    "DEMO_TOKEN",
    "Backend",
    "Capabilities",
    "Fault",
    "ReferenceTarget",
    "ShareNetwork",
    "TargetConfig",
    "Timings",
]
