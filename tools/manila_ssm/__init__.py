"""Conformance suite and spec toolkit for OpenStack Manila's Share Server Migration API."""

from manila_ssm.errors import Finding, Location, Severity, SpecError

__all__ = ["Finding", "Location", "Severity", "SpecError"]
