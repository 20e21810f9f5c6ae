"""Which loopback ports a deployment uses, chosen at ``up`` and kept in its base.

A port given by flag or environment is used as given; a port left at 0 is
the one recorded in the base's ``ports.json`` by an earlier ``up``, or, when
none was recorded or the recorded one is now taken by someone else, a free
one below the kernel's ephemeral range (so no outgoing connection takes it
before its daemon starts). While any daemon of the base runs, the recorded
ports are the only truth: ``status``, ``run`` and ``down`` reach that
deployment, never whatever else listens on a well-known port.
"""

from __future__ import annotations

import json
import random
import socket
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from manila_ssm import jsonio
from manila_ssm.realmanila.config import PORT_FIELDS, HarnessConfig
from manila_ssm.realmanila.procs import HarnessError, port_open


def recorded(config: HarnessConfig) -> dict[str, int]:
    """The ports the last ``up`` of this base wrote down ({} if none)."""
    try:
        document = json.loads(config.ports_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {name: int(document[name]) for name in PORT_FIELDS if isinstance(document.get(name), int)}


def with_recorded(config: HarnessConfig) -> HarnessConfig:
    """``config`` with every port left at 0 filled from the base's record (for status, down, record)."""
    known = recorded(config)
    return replace(config, **{name: known[name] for name in PORT_FIELDS
                              if getattr(config, name) == 0 and name in known})


EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 10000  # below: well-known and registered services


def ephemeral_start(source: Path = EPHEMERAL_RANGE) -> int:
    """The first port the kernel hands to outgoing connections (32768 unless tuned)."""
    try:
        return int(source.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_ports(count: int, rng: random.Random | None = None, ceiling: int | None = None) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 now, below the ephemeral range.

    A port the kernel picks with ``bind(0)`` comes from the ephemeral range,
    where any outgoing connection may take it before the daemon binds it
    minutes later (seen: Keystone's port taken while a soak beside it made
    thousands of requests). All are held open until all are chosen.
    """
    rng = rng or random.SystemRandom()
    ceiling = ceiling or ephemeral_start()
    if ceiling - _LOWEST < 4 * count:
        raise HarnessError("harness", f"the ephemeral port range starts at {ceiling}, leaving too few ports "
                           f"from {_LOWEST}; give each port with its flag")
    with ExitStack() as stack:
        chosen: list[int] = []
        while len(chosen) < count:
            port = rng.randrange(_LOWEST, ceiling)
            if port in chosen:
                continue
            probe = stack.enter_context(socket.socket())
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            chosen.append(port)
    return chosen


def assign(config: HarnessConfig, running: Mapping[str, bool],
           taken: Callable[[int], bool] = port_open) -> HarnessConfig:
    """The ports ``up`` will use, recorded in the base before anything starts.

    ``running`` says, per daemon name, whether this base's daemon runs. A port
    whose daemon runs keeps its recorded value (a flag that disagrees is an
    error); a port whose daemon is stopped must be free, or ``up`` stops here,
    before it has started anything.
    """
    known = recorded(config)
    values: dict[str, int] = {}
    wanted = []
    for name, daemon in PORT_FIELDS.items():
        given = getattr(config, name)
        if running.get(daemon) and name in known:
            if given and given != known[name]:
                raise HarnessError(daemon, f"runs on port {known[name]} (recorded in {config.ports_file}), "
                                   f"not {given}; run `real-manila down` first to move it")
            values[name] = known[name]
        elif given:
            if taken(given):
                raise HarnessError(daemon, f"port 127.0.0.1:{given} ({_flag(name)}) is taken by a process "
                                   "this base did not start; choose another, or 0 to pick a free one")
            values[name] = given
        elif name in known and not taken(known[name]):
            values[name] = known[name]
        else:
            wanted.append(name)
    in_use = set(values.values())
    fresh = [port for port in free_ports(len(wanted) + len(in_use)) if port not in in_use]
    values.update(zip(wanted, fresh, strict=False))
    if len(set(values.values())) != len(values):
        raise HarnessError("harness", f"two ports are the same: {values}; give each its own port")
    config = replace(config, **values)
    config.base.mkdir(parents=True, exist_ok=True)
    jsonio.write(config.ports_file, {**values, "rabbit_node": config.node_name})
    return config


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")
