"""Read a target configuration from YAML, keeping the line of every value for error messages.

Parsing walks PyYAML's composed node tree (each node has a ``start_mark``)
rather than plain loaded data, so that every finding names ``file:line``.
All mistakes in a file are collected before one ``SpecError`` is raised.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from manila_ssm.errors import Finding
from manila_ssm.reference.config import (
    FAIL_AT_STATES,
    Backend,
    Capabilities,
    Fault,
    ShareNetwork,
    TargetConfig,
    Timings,
    config_error,
    raise_findings,
)

T = TypeVar("T")
_HOST = re.compile(r"^[^@#\s]+@[^@#\s]+$")
_PROJECT = re.compile(r"^[0-9a-f-]+$")
_TOP_KEYS = ("backends", "share_networks", "users", "default_roles", "timings", "faults", "database")


class _Reader:
    def __init__(self, path: Path, loader: yaml.SafeLoader) -> None:
        self.path = path
        self.loader = loader
        self.findings: list[Finding] = []

    def fail(self, node: yaml.Node, message: str, hint: str = "") -> None:
        self.findings.append(config_error(self.path, node.start_mark.line + 1, message, hint))

    def value(self, node: yaml.Node) -> Any:
        return self.loader.construct_object(node, deep=True)

    def mapping(self, node: yaml.Node, what: str, allowed: tuple[str, ...]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{what} must be a mapping", f"write it as `key: value` lines; keys: {', '.join(allowed)}")
            return {}
        result: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if key not in allowed:
                self.fail(key_node, f"unknown key {key!r} in {what}", f"use one of: {', '.join(allowed)}")
            else:
                result[key] = value_node
        return result

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, f"{what} must be a list", "write one `- ...` item per line")
            return []
        return list(node.value)

    def typed(self, node: yaml.Node, what: str, kind: type[T] | tuple[type, ...], default: T) -> T:
        value = self.value(node)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and kind is not bool:
            value = None
        if not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.fail(node, f"{what} must be a {names}, not {self.value(node)!r}")
            return default
        return value  # type: ignore[return-value]

    def text(self, node: yaml.Node, what: str, check: Callable[[str], bool] | None = None,
             hint: str = "") -> str:
        value = self.typed(node, what, str, "")
        if value and check is not None and not check(value):
            self.fail(node, f"{what} {value!r} is not valid", hint)
        return value


def parse_config(path: Path) -> TargetConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise_findings([config_error(path, None, f"cannot read the configuration: {error.strerror}",
                                     "pass an existing YAML file to --config")])
        raise AssertionError  # unreachable
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise_findings([config_error(path, mark.line + 1 if mark else None, f"not valid YAML: {error}")])
        raise AssertionError
    defaults = TargetConfig.default()
    if root is None:
        return defaults
    reader = _Reader(path, loader)
    top = reader.mapping(root, "the configuration", _TOP_KEYS)
    config = TargetConfig(
        backends=tuple(_backend(reader, n) for n in reader.sequence(top["backends"], "backends"))
        if "backends" in top else defaults.backends,
        share_networks=tuple(_network(reader, n) for n in reader.sequence(top["share_networks"], "share_networks"))
        if "share_networks" in top else (),
        users=_users(reader, top["users"]) if "users" in top else defaults.users,
        default_roles=_roles(reader, top["default_roles"], "default_roles")
        if "default_roles" in top else defaults.default_roles,
        timings=_timings(reader, top["timings"]) if "timings" in top else defaults.timings,
        faults=tuple(_fault(reader, n) for n in reader.sequence(top["faults"], "faults"))
        if "faults" in top else (),
        database=Path(reader.text(top["database"], "database")) if "database" in top else None,
    )
    _cross_check(reader, config, top)
    raise_findings(reader.findings)
    return config


def _host_ok(name: str) -> bool:
    return bool(_HOST.match(name))


def _backend(reader: _Reader, node: yaml.Node) -> Backend:
    fields = reader.mapping(node, "a back end", ("name", "availability_zone", "up", "capabilities", "fail_at"))
    if "name" not in fields:
        reader.fail(node, "a back end needs a name", "add `name: host@backend`")
    name = reader.text(fields["name"], "back end name", _host_ok, "write it as host@backend") if "name" in fields else ""
    caps = Capabilities()
    if "capabilities" in fields:
        names = tuple(f.name for f in dataclasses.fields(Capabilities))
        cap_nodes = reader.mapping(fields["capabilities"], "capabilities", names)
        caps = Capabilities(**{k: reader.typed(v, f"capability {k}", bool, getattr(caps, k))
                               for k, v in cap_nodes.items()})
    return Backend(
        name=name,
        availability_zone=reader.text(fields["availability_zone"], "availability_zone")
        if "availability_zone" in fields else "nova",
        up=reader.typed(fields["up"], "up", bool, True) if "up" in fields else True,
        capabilities=caps,
        fail_at=_fail_at(reader, fields["fail_at"]) if "fail_at" in fields else None,
    )


def _fail_at(reader: _Reader, node: yaml.Node) -> str | None:
    value = reader.value(node)
    if value is None:
        return None
    if value not in FAIL_AT_STATES:
        reader.fail(node, f"fail_at {value!r} is not a task state a driver can fail at",
                    f"use one of: {', '.join(FAIL_AT_STATES)}")
        return None
    return str(value)


def _network(reader: _Reader, node: yaml.Node) -> ShareNetwork:
    keys = ("name", "id", "project_id", "availability_zones", "neutron_net_id", "neutron_subnet_id")
    fields = reader.mapping(node, "a share network", keys)
    azs = None
    if "availability_zones" in fields and reader.value(fields["availability_zones"]) is not None:
        azs = tuple(reader.text(n, "availability zone")
                    for n in reader.sequence(fields["availability_zones"], "availability_zones"))
    project = "ad000000000000000000000000000001"
    if "project_id" in fields:
        project = reader.text(fields["project_id"], "project_id", lambda p: bool(_PROJECT.match(p)),
                              "Manila project ids are hex digits and dashes")

    def opt(key: str) -> str | None:
        return reader.text(fields[key], key) if key in fields and reader.value(fields[key]) is not None else None

    return ShareNetwork(
        name=reader.text(fields["name"], "name") if "name" in fields else "",
        id=opt("id"), project_id=project, availability_zones=azs,
        neutron_net_id=opt("neutron_net_id"), neutron_subnet_id=opt("neutron_subnet_id"),
    )


def _roles(reader: _Reader, node: yaml.Node, what: str) -> tuple[str, ...]:
    return tuple(reader.text(n, f"a role in {what}") for n in reader.sequence(node, what))


def _users(reader: _Reader, node: yaml.Node) -> dict[str, tuple[str, ...]]:
    if not isinstance(node, yaml.MappingNode):
        reader.fail(node, "users must be a mapping", "write `admin: [admin]` (user or user:project -> roles)")
        return {}
    return {str(reader.value(k)): _roles(reader, v, f"users.{reader.value(k)}") for k, v in node.value}


def _timings(reader: _Reader, node: yaml.Node) -> Timings:
    fields = reader.mapping(node, "timings", ("step", "progress_step"))
    step = reader.typed(fields["step"], "timings.step", float, 0.04) if "step" in fields else Timings().step
    if not 0 <= step <= 3600:
        reader.fail(fields["step"], "timings.step must be between 0 and 3600 seconds")
    pstep = (reader.typed(fields["progress_step"], "timings.progress_step", int, 25)
             if "progress_step" in fields else Timings().progress_step)
    if not 1 <= pstep <= 100:
        reader.fail(fields["progress_step"], "timings.progress_step must be a percentage from 1 to 100")
    return Timings(step=step, progress_step=pstep)


def _fault(reader: _Reader, node: yaml.Node) -> Fault:
    fields = reader.mapping(node, "a fault", ("backend", "fail_at", "down"))
    if "backend" not in fields:
        reader.fail(node, "a fault needs the back end it applies to", "add `backend: host@backend`")
    return Fault(
        backend=reader.text(fields["backend"], "fault backend") if "backend" in fields else "",
        fail_at=_fail_at(reader, fields["fail_at"]) if "fail_at" in fields else None,
        down=reader.typed(fields["down"], "down", bool, False) if "down" in fields else False,
    )


def _cross_check(reader: _Reader, config: TargetConfig, top: dict[str, yaml.Node]) -> None:
    names = [b.name for b in config.backends]
    if "backends" in top:
        seen: set[str] = set()
        for backend, node in zip(config.backends, top["backends"].value, strict=False):
            if backend.name and backend.name in seen:
                reader.fail(node, f"back end {backend.name!r} is listed twice", "give every back end its own name")
            seen.add(backend.name)
    if "faults" in top:
        for fault, node in zip(config.faults, top["faults"].value, strict=False):
            if fault.backend and fault.backend not in names:
                reader.fail(node, f"fault names an unknown back end {fault.backend!r}",
                            f"use one of: {', '.join(names)}")
