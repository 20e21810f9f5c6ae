"""The ``ssm`` fixture's object: everything a conformance test module needs, in one place."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from manila_ssm.suite import catalogue as cat
from manila_ssm.suite import known_defects, statemodel
from manila_ssm.suite.checks import Verifier, upstream_defect
from manila_ssm.suite.client import NOT_SET, ManilaClient
from manila_ssm.suite.contract import ACTIONS, Contract
from manila_ssm.suite.outcomes import Exchange, Outcome, Record
from manila_ssm.suite.servers import pick_destination
from manila_ssm.suite.session import SuiteSession
from manila_ssm.suite.statejudge import TRANSITION_REQUIREMENT, Divergence, Tracker

if TYPE_CHECKING:
    from manila_ssm.suite.fuzz import Generated, Prefetch

FLAGS = ("writable", "nondisruptive", "preserve_snapshots")


def parameters(host: str, **overrides: Any) -> dict[str, Any]:
    """A complete check/start parameter object (``new_share_network_id`` sent as null, as tempest does)."""
    body: dict[str, Any] = {"host": host, "writable": True, "nondisruptive": False,
                            "preserve_snapshots": False, "new_share_network_id": None}
    body.update(overrides)
    return body


@dataclass
class Conformance:
    session: SuiteSession
    verify: Verifier
    unknown_server: str = field(default_factory=lambda: str(uuid.uuid4()))
    prefetch: Prefetch | None = None

    @property
    def admin(self) -> ManilaClient:
        return self.session.admin

    @property
    def contract(self) -> Contract:
        return self.session.contract

    @property
    def version(self) -> str:
        """The microversion scenarios use: the first configured one."""
        return self.session.microversions[0]

    def member(self) -> ManilaClient:
        if self.session.member is None:
            pytest.skip("no non-admin credentials configured (--ssm-member-token)")
        return self.session.member

    def generated_cases(self, action: str, mode: str) -> list[Generated] | None:
        """The fuzz cases of ``action`` in ``mode`` generated beforehand, or None: generate them in-process."""
        config = self.session.config
        if self.prefetch is None or config.seed is None:
            return None
        return self.prefetch.cases(self.contract, action, mode, config.max_examples, config.seed)

    def idle_server(self) -> str:
        return self.session.pool.idle()

    def server(self, server_id: str, client: ManilaClient | None = None) -> Exchange:
        return (client or self.admin).get(f"/share-servers/{server_id}", version=self.version)

    def server_view(self, server_id: str) -> dict[str, Any] | None:
        """The server as GET shows it (None once it is gone); the state model takes note."""
        exchange = self.server(server_id)
        body = exchange.json.get("share_server") if exchange.status == 200 and isinstance(exchange.json, dict) else None
        view = body if isinstance(body, dict) else None
        if view is not None or exchange.status == 404:
            known = self.tracker.knows(server_id)
            divergence = self.tracker.observe(server_id, view)
            self._diverged(divergence, exchange, None)
            if known and divergence is None:
                self.verify.passed(TRANSITION_REQUIREMENT, exchange)
        return view

    @property
    def tracker(self) -> Tracker:
        """What the suite last observed of each server, shared by every test of the session."""
        pool = self.session.pool
        if pool.tracker is None:
            codes = {name: terms.success_code for name, terms in self.contract.actions.items()}
            pool.tracker = Tracker(statemodel.shipped(), codes, progress_values=self.contract.name == "effective")
        return pool.tracker

    def judged(self, server_id: str, action: str, exchange: Exchange) -> None:
        """Hold an answer to the state model, given what the suite last observed of the server."""
        if upstream_defect(exchange, action) is not None:
            return  # a known upstream 500: its own requirement reports it
        if self.in_progress_race(server_id, action, exchange):
            return  # upstream's phase-1 race (known_defects.PROGRESS_RACE): the scenario notes it and asks again
        divergence, decided = self.tracker.judge(server_id, action, exchange.status, exchange.json)
        self._diverged(divergence, exchange, action)
        for requirement in decided:
            self.verify.passed(requirement, exchange, action=action)
        if action == "migration_check" and exchange.status == self.contract.actions[action].success_code:
            self.verify.check_answer(exchange, exact=self.contract.name == "effective")

    def in_progress_race(self, server_id: str, action: str, exchange: Exchange) -> bool:
        """Whether a get_progress 500 may be upstream's phase-1 race: the model says the driver may be running."""
        if action != "migration_get_progress" or exchange.status != 500 or not self.tracker.knows(server_id):
            return False
        belief = self.tracker.beliefs[server_id].closure(self.tracker.model)
        return bool(known_defects.RACE_MODEL_STATES & set(belief.states()))

    def note_progress_race(self, exchange: Exchange) -> None:
        """Record upstream's 500 at the end of phase 1 as the known defect it is (the caller asks again)."""
        action = "migration_get_progress"
        requirement = cat.status_id(action, self.contract.actions[action].success_code)
        defect = known_defects.PROGRESS_RACE
        sink = self.verify.sink
        sink.add(Record(requirement, Outcome.KNOWN_DEFECT, sink.test, f"{defect.id}: {defect.cause}",
                        defect=defect.id, action=action, evidence=(exchange.to_dict(),)))

    def _diverged(self, divergence: Divergence | None, exchange: Exchange, action: str | None) -> None:
        if divergence is not None:
            # Recorded, not raised: the test's own checks still run and name their requirements too.
            self.verify.defer(divergence.requirement, divergence.message, exchange, action)

    def know(self, server_id: str) -> None:
        """Make sure the model has a belief about ``server_id`` (one GET the first time)."""
        if self.tracker.knows(server_id):
            return
        if server_id == self.unknown_server:
            self.tracker.assume(server_id, ["unknown"])
        else:
            self.server_view(server_id)

    def destination(self, server_id: str) -> str:
        """A destination host on another backend than ``server_id``'s; skips when the target has none."""
        view = self.server_view(server_id) or {}
        host = pick_destination(str(view.get("host", "")), self.session.dest_hosts)
        if host is None:
            pytest.skip(f"the target offers no destination host on another backend than {view.get('host')!r} "
                        "(give --ssm-dest-hosts)")
        return host

    def same_backend(self, server_id: str) -> str:
        view = self.server_view(server_id) or {}
        host = str(view.get("host", ""))
        if "@" not in host:
            pytest.skip(f"share server {server_id} shows no host@backend")
        return host.split("#", 1)[0]

    def action(self, server_id: str, action: str, value: Any = None, *, client: ManilaClient | None = None,
               version: str | None = NOT_SET, **kwargs: Any) -> Exchange:
        """Send one action; refuses any server the suite may not touch."""
        if server_id != self.unknown_server:
            self.session.pool.guard(server_id)
        # Only answers from the action's own code are the model's business: admin, a tested
        # microversion, a plain {action: value} JSON body (kwargs would change headers or body).
        modelled = (client in (None, self.admin) and action in ACTIONS and set(kwargs) <= {"with_project"}
                    and (version is NOT_SET or version in self.session.microversions))
        if modelled:
            self.know(server_id)
        exchange = (client or self.admin).action(
            server_id, action, value, version=self.version if version is NOT_SET else version, **kwargs
        )
        if modelled:
            self.judged(server_id, action, exchange)
        return exchange

    def error(self, requirement: str, action: str | None, exchange: Exchange, expected: int | tuple[int, ...],
              **kwargs: Any) -> None:
        """Check an expected error answer (see :meth:`Verifier.error`) at the scenario version."""
        kwargs.setdefault("version", self.version)
        self.verify.error(requirement, action, exchange, expected, **kwargs)

    def valid_value(self, action: str, server_id: str) -> Any:
        """A request value that is valid for ``action`` (check/start need a destination)."""
        if action in ("migration_check", "migration_start"):
            return parameters(self.destination(server_id))
        return None
