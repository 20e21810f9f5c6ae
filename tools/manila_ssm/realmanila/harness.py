"""``up``, ``down`` and ``status`` as plain functions with timed phases.

Each phase is idempotent, so ``up`` on a running deployment only checks and
returns; the caller prints the timings the functions return.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import requests

from manila_ssm.realmanila import fixtures as fixture_phase
from manila_ssm.realmanila import install as install_phase
from manila_ssm.realmanila import ports, services
from manila_ssm.realmanila.config import HarnessConfig, write_configs
from manila_ssm.realmanila.procs import HarnessError


@dataclass(slots=True)
class Timings:
    """Seconds per phase, in the order the phases ran."""

    phases: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str, report: Callable[[str], None]) -> Iterator[None]:
        report(f"[real-manila] {name} ...")
        started = time.monotonic()
        try:
            yield
        finally:
            self.phases[name] = round(time.monotonic() - started, 1)
            report(f"[real-manila] {name}: {self.phases[name]:.1f} s")

    def total(self) -> float:
        return round(sum(self.phases.values()), 1)


def prepare(config: HarnessConfig) -> HarnessConfig:
    """``config`` with its ports settled and recorded in the base (see ports.assign)."""
    running = {name: pid is not None for name, pid in services.status(config).items()}
    return ports.assign(config, running)


def up(config: HarnessConfig, report: Callable[[str], None], fresh_fixtures: bool = False,
       timings: Timings | None = None) -> tuple[fixture_phase.FixtureSet, Timings]:
    """Install if needed, start everything, and make sure a usable fixture set exists.

    ``config`` must come from :func:`prepare`. If a step fails, the daemons
    this call started are stopped again; those that ran before are left alone.
    """
    timings = timings or Timings()
    if any(getattr(config, name) == 0 for name in ports.PORT_FIELDS):
        raise HarnessError("harness", "ports not assigned; call harness.prepare(config) first")
    before = {name for name, pid in services.status(config).items() if pid is not None}
    try:
        with timings.phase("install", report):
            install_phase.install(config)
        with timings.phase("start-up", report):
            write_configs(config)
            services.start_all(config)
        with timings.phase("fixtures", report):
            try:
                fixtures, created = fixture_phase.ensure(config, fresh=fresh_fixtures)
            except (RuntimeError, TimeoutError, requests.RequestException) as error:
                raise HarnessError("fixtures", str(error), config.log_dir / "manila-share.log") from None
            report(f"[real-manila] fixtures {'created' if created else 'reused'}: {config.fixtures_file}")
    except BaseException:
        stopped = services.stop_started(config, before)
        report(f"[real-manila] up failed; stopped what it had started: {', '.join(stopped) or 'nothing'}")
        raise
    return fixtures, timings


def down(config: HarnessConfig, report: Callable[[str], None]) -> list[str]:
    started = time.monotonic()
    stopped = services.stop_all(config)
    report(f"[real-manila] stopped {', '.join(stopped) or 'nothing (nothing was running)'} "
           f"in {time.monotonic() - started:.1f} s")
    return stopped


def status(config: HarnessConfig) -> dict[str, int | None]:
    return services.status(config)
