"""Drive real Manila through the suite's scenarios and save them as cassettes.

Stateful scenarios (a migration run to completion, a cancelled one) are
code; the one-shot probes (bad bodies, headers, unknown ids) are tables in
scenarios.py. Polls are recorded once, as their final answer plus the
condition that ended them, so a cassette does not depend on timing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import requests
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manila_ssm.realmanila import fixtures as fixture_phase
from manila_ssm.realmanila import scenarios
from manila_ssm.realmanila.cassette import Cassette, Substitutions, interaction, note_state
from manila_ssm.realmanila.client import OMIT, Exchange, ManilaClient
from manila_ssm.realmanila.config import (
    ADMIN_PROJECT,
    ADMIN_TOKEN,
    DEMO_PROJECT,
    DEMO_TOKEN,
    HarnessConfig,
)
from manila_ssm.realmanila.install import installed_version
from manila_ssm.realmanila.procs import HarnessError
from manila_ssm.realmanila.services import api_mode

POLL_TIMEOUT = 180.0


@dataclass(slots=True)
class Recording:
    """The exchanges of one scenario, made deployment-neutral as they are recorded."""

    config: HarnessConfig
    fixtures: fixture_phase.FixtureSet
    subs: Substitutions
    items: list[dict[str, Any]] = field(default_factory=list)

    def client(self, token: str = "admin") -> ManilaClient:
        if token == "non_admin":
            return ManilaClient(self.config.api_root, DEMO_TOKEN, DEMO_PROJECT)
        return ManilaClient(self.config.api_root, ADMIN_TOKEN, ADMIN_PROJECT)

    def server(self, role: str) -> str:
        return self.fixtures.server(role)["share_server_id"]

    def call(self, name: str, role: str | None, body: Any = OMIT, *, token: str = "admin",
             server_id: str | None = None, **options: Any) -> Exchange:
        sid = server_id or (self.server(role) if role else scenarios.UNKNOWN_ID)
        exchange = self.client(token).action(sid, body, **options)
        self.items.append(interaction(name, exchange, self.subs))
        return exchange

    def poll(self, name: str, role: str, until: Mapping[str, Any], body: Any = None,
             server_id: str | None = None, learn: bool = False) -> Exchange:
        """Repeat an action until its answer matches ``until``; record only that answer."""
        sid = server_id or self.server(role)
        client = self.client()
        deadline = time.monotonic() + POLL_TIMEOUT
        seen: list[dict[str, Any]] = []
        while True:
            exchange = client.action(sid, body if body is not None else {"migration_get_progress": None})
            note_state(seen, exchange.status, exchange.json())
            if matches(exchange, until):
                if learn:
                    self.learn_destination(role, exchange)
                self.items.append(interaction(name, exchange, self.subs,
                                              poll={"until": dict(until), "seen": self.subs.value(seen)}))
                return exchange
            if time.monotonic() > deadline:
                raise HarnessError("recorder", f"{name}: {until} not reached in {POLL_TIMEOUT:.0f} s; "
                                   f"last answer {exchange.status} {exchange.response_body[:200]!r}",
                                   self.config.log_dir / "manila-share.log")
            time.sleep(0.5)

    def learn_destination(self, role: str, exchange: Exchange) -> None:
        body = exchange.json() or {}
        destination = body.get("destination_share_server_id")
        if destination:
            self.subs.add(destination, f"{{server:{role}-destination}}")


def matches(exchange: Exchange, until: Mapping[str, Any]) -> bool:
    """Whether an answer meets a poll's end condition (status, then body fields)."""
    if exchange.status != until.get("status", 200):
        return False
    body = exchange.json() or {}
    return all(isinstance(body, dict) and body.get(key) == value
               for key, value in until.items() if key != "status")


def substitutions(config: HarnessConfig, fixtures: fixture_phase.FixtureSet) -> Substitutions:
    subs = Substitutions()
    subs.add(ADMIN_TOKEN, "{token:admin}")
    subs.add(DEMO_TOKEN, "{token:non_admin}")
    subs.add(ADMIN_PROJECT, "{project:admin}")
    subs.add(DEMO_PROJECT, "{project:non_admin}")
    for backend in config.backends:
        subs.add(config.backend_host(backend), f"{{host:{backend}}}")
    subs.add(config.host, "{host:bare}")
    subs.add(config.api_root, "{api:root}")
    document = fixtures.document
    subs.add(document["new_share_network_id"], "{share_network:new}")
    for role, server in document["share_servers"].items():
        subs.add(server["share_server_id"], f"{{server:{role}}}")
        subs.add(server["share_network_id"], f"{{share_network:{role}}}")
        subs.add(server["share_id"], f"{{share:{role}}}")
    return subs


Scenario = Callable[[Recording], None]


def record_all(config: HarnessConfig, out: Path, only: tuple[str, ...] = (),
               report: Callable[[str], None] = print) -> list[Path]:
    """Record every scenario (or ``only`` these) against the running deployment."""
    chosen = {name: run for name, run in scenarios.SCENARIOS.items() if not only or name in only}
    unknown = set(only) - set(scenarios.SCENARIOS)
    if unknown:
        raise HarnessError("recorder", f"no scenario named {', '.join(sorted(unknown))}; "
                           f"choose from {', '.join(scenarios.SCENARIOS)}")
    written = []
    for name, (description, run) in chosen.items():
        # Migrations use servers up, so every scenario starts from a usable set.
        try:
            fixtures, _ = fixture_phase.ensure(config)
        except requests.RequestException:
            raise HarnessError("manila-api", f"not answering on {config.api_root}; "
                               "run `ssm-conformance real-manila up` first") from None
        except (RuntimeError, TimeoutError) as error:
            raise HarnessError("fixtures", str(error), config.log_dir / "manila-share.log") from None
        recording = Recording(config, fixtures, substitutions(config, fixtures))
        started = time.monotonic()
        try:
            run(recording)
        except requests.RequestException as error:
            raise HarnessError("manila-api", f"{name}: {error}", config.log_dir / "manila-api.log") from None
        cassette = Cassette(
            scenario=name,
            description=description,
            recorded_with={"manila": installed_version(config) or config.manila_version, "api_server": api_mode(config),
                           "dummy_back_ends": ",".join(config.backends)},
            interactions=tuple(recording.items),
        )
        written.append(cassette.write(out / "probes" if name in scenarios.PROBE_SCENARIOS else out))
        report(f"[real-manila] {name}: {len(recording.items)} exchanges in "
               f"{time.monotonic() - started:.1f} s")
    return written
