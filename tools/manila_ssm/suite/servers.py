"""Which share servers the suite may migrate, and where to.

Safety first: the suite only ever sends a state-changing action to a server it
created itself (through the reference target's fixture API) or that the user
named explicitly (``--ssm-server-ids`` / ``--ssm-servers-file``). Anything else
is refused with :class:`UnsafeServer` before a request leaves the suite.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from manila_ssm.suite.client import ManilaClient

FIXTURE_PREFIX = "/_reference"


class UnsafeServer(RuntimeError):
    """The suite was about to touch a share server nobody gave it."""


@dataclass(slots=True)
class ServerPool:
    """Hands out servers for scenarios: ``idle`` ones are shared, ``fresh`` ones are used up."""

    admin: ManilaClient
    explicit: tuple[str, ...]
    fixture_api: bool
    source_hosts: tuple[str, ...] = ()
    created: list[str] = field(default_factory=list)
    consumed: set[str] = field(default_factory=set)
    # Lent to a scenario that should leave them active again; if that scenario
    # fails half-way the server may still be migrating, so never lend it twice.
    lent: set[str] = field(default_factory=set)
    _idle: str | None = None
    # Named in the servers file for the stateful test only (role "stateful"): never lent or consumed.
    stateful: tuple[str, ...] = ()
    # What the suite last observed of each server (suite/statejudge.py), made on first use.
    tracker: Any = None
    # Lanes (suite/lanes.py) take servers from several threads.
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def allowed(self, server_id: str) -> bool:
        return server_id in self.explicit or server_id in self.created

    def adopt(self, destination: str, source: str, view: Mapping[str, Any] | None) -> bool:
        """Let the suite act on the destination of a migration of a server it may touch.

        Only when the target's own view of it names ``source`` as its source: a
        destination id read from an answer is never trusted by itself.
        """
        with self._lock:
            if self.allowed(destination):
                return True
            if not self.allowed(source) or view is None or view.get("source_share_server_id") != source:
                return False
            self.created.append(destination)
            return True

    def guard(self, server_id: str) -> None:
        if not self.allowed(server_id):
            raise UnsafeServer(
                f"refusing to migrate share server {server_id}: the suite only migrates servers it "
                "created or that were named with --ssm-server-ids / --ssm-servers-file"
            )

    def _cannot_provision(self, purpose: str) -> str:
        return (f"{purpose}: the target offers no way to create share servers (no fixture API) and "
                "no more servers were named; give ids with --ssm-server-ids or --ssm-servers-file")

    def create(self, host: str | None = None, shares: int = 1) -> str:
        host = host or (self.source_hosts[0] if self.source_hosts else "")
        exchange = self.admin.request(
            "POST", f"{self.admin.endpoint.root}{FIXTURE_PREFIX}/share-servers",
            json_body={"host": host, "shares": shares, "snapshots": 0}, version=None,
        )
        server = exchange.json.get("share_server") if isinstance(exchange.json, dict) else None
        if exchange.status != 201 or not isinstance(server, dict) or "id" not in server:
            raise RuntimeError(f"the fixture API did not create a share server: {exchange.summary()} "
                               f"{exchange.response_body[:200]}")
        self.created.append(server["id"])
        return str(server["id"])

    def idle(self) -> str:
        """A server left idle for negative and fuzz tests (never migrated for good)."""
        with self._lock:
            if self._idle is None:
                if self.explicit:
                    self._idle = self.explicit[-1]
                elif self.fixture_api:
                    self._idle = self.create()
                else:
                    pytest.skip(self._cannot_provision("an idle share server"))
            return self._idle

    def fresh(self, purpose: str) -> str:
        """A server this scenario may migrate away (and so use up)."""
        with self._lock:
            if self.fixture_api and not self.explicit:
                return self.create()
            for server_id in self.explicit:
                if server_id in self.consumed or server_id in self.lent or server_id in self.stateful:
                    continue
                if server_id != self._idle or len(self.explicit) == 1:
                    self.consumed.add(server_id)
                    return server_id
            pytest.skip(self._cannot_provision(purpose))

    def reusable(self, purpose: str) -> str:
        """A server for a scenario that leaves it active again (cancel)."""
        with self._lock:
            if self.fixture_api and not self.explicit:
                return self.create()
            candidates = [s for s in self.explicit if s not in self.consumed and s not in self.lent
                          and s not in self.stateful]
            if not candidates:
                pytest.skip(self._cannot_provision(purpose))
            others = [s for s in candidates if s != self._idle and s != self.explicit[-1]]
            chosen = (others or candidates)[0]
            self.lent.add(chosen)
            return chosen


def backend_of(host: str) -> str:
    """``host@backend#pool`` -> ``host@backend``."""
    return host.split("#", 1)[0]


def pick_destination(source_host: str, hosts: tuple[str, ...]) -> str | None:
    """The first destination on another backend than the source (same backend means 409)."""
    source = backend_of(source_host)
    for host in hosts:
        if backend_of(host) != source:
            return host
    return None


def stateful_servers(servers_file: str) -> tuple[str, ...]:
    """Ids under a ``stateful`` key of the servers file: the servers the stateful test may walk around.

    The file was read and checked by the configuration already, so a file that
    cannot be read here simply names none.
    """
    if not servers_file:
        return ()
    try:
        document = json.loads(Path(servers_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    found: list[str] = []

    def walk(node: Any, role: str) -> None:
        if isinstance(node, dict):
            if role == "stateful" and isinstance(node.get("share_server_id"), str):
                found.append(node["share_server_id"])
            for key, child in node.items():
                walk(child, str(key).lower() if isinstance(child, (dict, list)) else role)
        elif isinstance(node, list):
            for child in node:
                if role == "stateful" and isinstance(child, str):
                    found.append(child)
                walk(child, role)

    walk(document, "")
    return tuple(dict.fromkeys(found))
