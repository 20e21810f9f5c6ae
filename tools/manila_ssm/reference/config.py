"""The reference target's deployment: back ends, share networks, users, timings, faults.

A ``TargetConfig`` is a frozen value; ``TargetConfig.default()`` is the
deployment the conformance suite expects, ``TargetConfig.load(path)`` reads a
YAML file and reports every mistake with its ``file:line``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from manila_ssm.errors import Finding, Location, Severity, SpecError

#: Task states at which a back end's driver can be told to fail (``fail_at``).
#: Phase-1 states end the migration in ``migration_error`` with the source
#: back to ``active``; ``migration_completing`` leaves source, destination and
#: shares in ``error``; ``migration_cancel_in_progress`` leaves the source stuck
#: there, as upstream's manager does (no error handling around driver cancel).
FAIL_AT_STATES: tuple[str, ...] = (
    "migration_starting",
    "migration_in_progress",
    "migration_driver_starting",
    "migration_driver_in_progress",
    "migration_completing",
    "migration_cancel_in_progress",
)

ADMIN_PROJECT = "ad000000000000000000000000000001"
DEMO_PROJECT = "de000000000000000000000000000002"
ADMIN_TOKEN = f"admin:{ADMIN_PROJECT}"
DEMO_TOKEN = f"demo:{DEMO_PROJECT}"

_RULE = "target-config"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a back end's driver reports to ``migration_check`` (Manila's dummy driver by default)."""

    compatible: bool = True
    writable: bool = True
    nondisruptive: bool = False
    preserve_snapshots: bool = True
    migration_cancel: bool = True
    migration_get_progress: bool = True


@dataclass(frozen=True, slots=True)
class Backend:
    """One ``manila-share`` service, named ``host@backend``, with one pool."""

    name: str
    availability_zone: str = "nova"
    up: bool = True
    capabilities: Capabilities = field(default_factory=Capabilities)
    fail_at: str | None = None

    @property
    def pool(self) -> str:
        return f"{self.name}#pool_{self.name.partition('@')[2]}"


@dataclass(frozen=True, slots=True)
class ShareNetwork:
    """A share network created at start-up; ``availability_zones`` None means a default subnet."""

    name: str
    id: str | None = None
    project_id: str = ADMIN_PROJECT
    availability_zones: tuple[str, ...] | None = None
    neutron_net_id: str | None = None
    neutron_subnet_id: str | None = None


@dataclass(frozen=True, slots=True)
class Timings:
    """How fast the simulated drivers move: seconds between steps, percent per progress step."""

    step: float = 0.04
    progress_step: int = 25


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault injected into one back end: a driver error at a task state, or the service down."""

    backend: str
    fail_at: str | None = None
    down: bool = False


@dataclass(frozen=True, slots=True)
class TargetConfig:
    """Everything that shapes one reference target; see the README's "Reference target"."""

    backends: tuple[Backend, ...]
    share_networks: tuple[ShareNetwork, ...] = ()
    #: token user (``admin``) or whole token (``admin:<project>``) -> roles
    users: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: {"admin": ("admin",)})
    default_roles: tuple[str, ...] = ("member",)
    timings: Timings = field(default_factory=Timings)
    faults: tuple[Fault, ...] = ()
    database: Path | None = None

    @classmethod
    def default(cls) -> TargetConfig:
        """Three dummy-like back ends and one that supports nondisruptive migration."""
        return cls(
            backends=(
                Backend("ref@alpha"),
                Backend("ref@beta"),
                Backend("ref@gamma"),
                Backend("ref@delta", capabilities=Capabilities(nondisruptive=True)),
            )
        )

    @classmethod
    def load(cls, path: str | Path) -> TargetConfig:
        """Read a YAML file; raise ``SpecError`` naming ``file:line`` for every mistake."""
        from manila_ssm.reference._config_yaml import parse_config

        return parse_config(Path(path))

    def effective_backends(self) -> tuple[Backend, ...]:
        """The back ends with the configured faults applied."""
        result = []
        for backend in self.backends:
            for fault in self.faults:
                if fault.backend == backend.name:
                    if fault.down:
                        backend = dataclasses.replace(backend, up=False)
                    if fault.fail_at:
                        backend = dataclasses.replace(backend, fail_at=fault.fail_at)
            result.append(backend)
        return tuple(result)

    def roles_for(self, user: str, project: str) -> tuple[str, ...]:
        for key in (f"{user}:{project}", user):
            if key in self.users:
                return self.users[key]
        return self.default_roles


def config_error(path: Path, line: int | None, message: str, hint: str = "") -> Finding:
    return Finding(_RULE, Severity.ERROR, Location(str(path), line), message, hint)


def raise_findings(findings: list[Finding]) -> None:
    if findings:
        raise SpecError(findings)


def as_plain(value: Any) -> Any:
    """A JSON-friendly rendering of a config value (for the fixture API)."""
    if dataclasses.is_dataclass(value):
        return {f.name: as_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [as_plain(v) for v in value]
    return value
