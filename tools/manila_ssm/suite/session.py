"""One run of the suite against one target: what it talks to and what it found out.

Built once per pytest session (lazily, by the first conformance test), so an
ordinary pytest run that collects no conformance test never starts a target
or sends a request.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from manila_ssm.suite import catalogue as cat
from manila_ssm.suite import contract as contracts
from manila_ssm.suite.client import (
    Breaker,
    Endpoint,
    ManilaClient,
    Redactor,
    TargetUnreachable,
    TransportStats,
)
from manila_ssm.suite.config import MIN_VERSION, ConfigError, SuiteConfig, version_key
from manila_ssm.suite.servers import FIXTURE_PREFIX, ServerPool, backend_of, stateful_servers
from manila_ssm.suite.waits import Poller, Progress, WaitClock

# The reference target's default deployment (manila_ssm.reference): noauth tokens.
REFERENCE_ADMIN_TOKEN = "admin:ad000000000000000000000000000001"
REFERENCE_MEMBER_TOKEN = "demo:de000000000000000000000000000002"
REFERENCE_PROJECT = "ad000000000000000000000000000001"


@dataclass
class SuiteSession:
    config: SuiteConfig
    contract: contracts.Contract
    catalogue: cat.Catalogue
    endpoint: Endpoint
    admin: ManilaClient
    member: ManilaClient | None
    pool: ServerPool
    dest_hosts: tuple[str, ...]
    max_version: str | None
    microversions: tuple[str, ...]
    clock: WaitClock = field(default_factory=WaitClock)
    progress: Progress | None = None
    _target: Any = None
    _previous_sigterm: Any = None

    def poller(self, timeout: float | None = None) -> Poller:
        """A bounded wait; only the main thread's waits show on the progress line (lanes wait quietly)."""
        main = threading.current_thread() is threading.main_thread()
        return Poller(timeout or self.config.wait_timeout, self.clock, self.progress if main else None)

    def close(self) -> None:
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None
        for client in (self.admin, self.member):
            if client is not None:
                client.close()
        if self._target is not None:
            with contextlib.suppress(Exception):
                self._target.stop()
            self._target = None


def start(config: SuiteConfig, contract: contracts.Contract, progress: Progress | None = None) -> SuiteSession:
    """Start the embedded target if none is configured, then discover what the target offers."""
    target = None
    admin_token, member_token = config.admin_token, config.member_token
    if config.embedded:
        from manila_ssm.reference import ReferenceTarget  # the target is only needed when embedded

        target = ReferenceTarget.start()
        endpoint = Endpoint.parse(target.base_url, config.project_id or REFERENCE_PROJECT)
        admin_token = admin_token or REFERENCE_ADMIN_TOKEN
        member_token = member_token or REFERENCE_MEMBER_TOKEN
    else:
        endpoint = config.endpoint()
    redactor = Redactor((admin_token, member_token, *config.secrets()))
    stats, breaker = TransportStats(), Breaker()
    admin = ManilaClient(endpoint, admin_token, timeout=config.request_timeout, redactor=redactor, stats=stats,
                         breaker=breaker)
    member = (ManilaClient(member_endpoint(endpoint, member_token), member_token, timeout=config.request_timeout,
                           redactor=redactor, stats=stats, breaker=breaker) if member_token else None)
    probe = admin.request("GET", f"{endpoint.root}/v2/", version=None)
    if probe.status is None:
        if target is not None:
            target.stop()
        raise TargetUnreachable(f"the target at {redactor.text(endpoint.root)} does not answer ({probe.error}); "
                                "check --ssm-base-url and that the API is up")
    max_version = discover_max_version(admin)
    versions = tuple(dict.fromkeys(
        (max_version or MIN_VERSION) if v == "max" else v for v in config.microversions
    ))
    too_high = [v for v in versions if max_version and _above(v, max_version)]
    if too_high:
        if target is not None:
            target.stop()
        raise ConfigError(f"--ssm-microversions: {', '.join(too_high)} is above the target's maximum "
                          f"{max_version} (GET /v2/); give versions up to {max_version}, or 'max'")
    explicit = config.server_ids
    fixture_api = not explicit and offers_fixture_api(admin)
    hosts = config.dest_hosts or discover_hosts(admin)
    pool = ServerPool(admin, explicit, fixture_api, source_hosts=hosts,
                      stateful=stateful_servers(config.servers_file))
    return SuiteSession(
        config=config, contract=contract, catalogue=cat.build(contract), endpoint=endpoint, admin=admin,
        member=member, pool=pool, dest_hosts=hosts, max_version=max_version, microversions=versions,
        progress=progress, _target=target, _previous_sigterm=sigterm_as_interrupt(),
    )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


def sigterm_as_interrupt() -> Any:
    """Make SIGTERM stop the run as Ctrl-C does, so pytest still writes the partial reports.

    Only from the main thread and only over the default action (a caller with
    its own handler keeps it). Returns the handler to restore, or None.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        return None
    signal.signal(signal.SIGTERM, _interrupt)
    return previous


def _above(version: str, maximum: str) -> bool:
    try:
        return version_key(version) > version_key(maximum)
    except ValueError:  # a maximum the target spells oddly is SSM-DISCOVERY-MAX-VERSION's business
        return False


def member_endpoint(endpoint: Endpoint, token: str) -> Endpoint:
    """The non-admin's own project in URLs (noauth ``user:project``), else project-less URLs.

    Manila answers 400 when the URL's project differs from the token's, before
    policy is consulted, so the admin's project cannot be reused here.
    """
    _, _, project = token.partition(":")
    usable = project and all(c in "0123456789abcdef-" for c in project.lower())
    return Endpoint(endpoint.root, project if usable else None)


def discover_max_version(admin: ManilaClient) -> str | None:
    exchange = admin.request("GET", f"{admin.endpoint.root}/v2/", version=None)
    body = exchange.json if isinstance(exchange.json, dict) else {}
    versions = body.get("versions") or ([body["version"]] if isinstance(body.get("version"), dict) else [])
    for entry in versions:
        if isinstance(entry, dict) and isinstance(entry.get("version"), str) and entry["version"]:
            return entry["version"]
    return None


def discover_hosts(admin: ManilaClient) -> tuple[str, ...]:
    exchange = admin.get("/scheduler-stats/pools")
    pools = exchange.json.get("pools") if isinstance(exchange.json, dict) else None
    names = [backend_of(p["name"]) for p in pools or () if isinstance(p, dict) and isinstance(p.get("name"), str)]
    return tuple(dict.fromkeys(names))


def offers_fixture_api(admin: ManilaClient) -> bool:
    exchange = admin.request("GET", f"{admin.endpoint.root}{FIXTURE_PREFIX}/backends", version=None)
    return exchange.status == 200 and exchange.json_ok
