"""Migration scenarios as steps: start, watch progress, complete or cancel, watch the outcome.

Every progress answer seen on the way is checked for the invariants the
contract promises (range, monotonic, known task states, a stable destination
id), so a scenario checks far more than its end state. Waits are bounded by the
configured wait timeout and reported on a progress line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from manila_ssm.suite import catalogue as cat
from manila_ssm.suite import known_defects
from manila_ssm.suite.fixtures import Conformance, parameters
from manila_ssm.suite.outcomes import Exchange

PHASE1_DONE = "migration_driver_phase1_done"
# manila/common/constants.py task states, plus "" before a destination is linked
TASK_STATES = frozenset({
    "", "migration_starting", "migration_in_progress", "migration_completing", "migration_success",
    "migration_error", "migration_cancelled", "migration_cancel_in_progress", "migration_driver_starting",
    "migration_driver_in_progress", PHASE1_DONE,
})


def _enum_of(node: Any, contract: Any, depth: int = 0) -> frozenset[Any] | None:
    """The ``enum`` of ``task_state`` in the progress response schema, following refs."""
    if depth > 8 or not isinstance(node, dict):
        return None
    if "$ref" in node and isinstance(node["$ref"], str) and node["$ref"].startswith("#/"):
        target: Any = contract.document
        for part in node["$ref"][2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return _enum_of(target, contract, depth + 1)
    if "enum" in node:
        return frozenset(node["enum"])
    for key in ("oneOf", "anyOf", "allOf"):
        values: set[Any] = set()
        for branch in node.get(key, ()):
            found = _enum_of(branch, contract, depth + 1)
            if found:
                values |= found
        if values:
            return frozenset(values)
    return None


def allowed_task_states(ssm: Conformance) -> frozenset[Any]:
    schema = ssm.contract.actions["migration_get_progress"].response_schema or {}
    resolved = schema
    if "$ref" in schema:
        target: Any = ssm.contract.document
        for part in str(schema["$ref"])[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        resolved = target
    prop = (resolved.get("properties") or {}).get("task_state") if isinstance(resolved, dict) else None
    found = _enum_of(prop, ssm.contract) if prop else None
    return found or TASK_STATES


@dataclass
class Migration:
    """One migration of ``source`` to ``host``, watched through its progress answers."""

    ssm: Conformance
    source: str
    host: str
    destination: str | None = None
    last_progress: int = -1
    seen_states: list[str] = field(default_factory=list)

    def start(self, **overrides: Any) -> None:
        exchange = self.ssm.action(self.source, "migration_start", parameters(self.host, **overrides))
        self.ssm.verify.success("migration_start", exchange, self.ssm.version)

    def progress(self) -> dict[str, Any]:
        """One get_progress answer, checked against the schema and every progress invariant."""
        verify = self.ssm.verify
        action = "migration_get_progress"
        terms = self.ssm.contract.actions[action]
        exchange = self.ssm.action(self.source, action)
        if known_defects.progress_race(exchange.status, self.seen_states[-1] if self.seen_states else None):
            exchange = self._after_progress_race(exchange)
        verify.status(cat.status_id(action, terms.success_code), exchange, terms.success_code, action=action)
        # The invariants first, so that a bad value is named by its own requirement, then the schema.
        body = exchange.json if isinstance(exchange.json, dict) else {}
        value = body.get("total_progress")
        verify.require("SSM-PROGRESS-RANGE", type(value) is int and 0 <= value <= 100,
                       f"total_progress must be an integer 0..100, got {value!r}", exchange, action=action)
        verify.require("SSM-PROGRESS-MONOTONIC", type(value) is int and value >= self.last_progress,
                       f"total_progress went down from {self.last_progress} to {value}", exchange, action=action)
        self.last_progress = value
        state = body.get("task_state")
        allowed = allowed_task_states(self.ssm)
        verify.require("SSM-TASK-STATE-VALUES", isinstance(state, (str, type(None))) and state in allowed,
                       f"task_state {state!r} is none of the contract's task states", exchange, action=action)
        self.seen_states.append(state)
        destination = body.get("destination_share_server_id")
        if destination:
            verify.require("SSM-DEST-ID-STABLE", self.destination in (None, destination),
                           f"destination id changed from {self.destination} to {destination}", exchange,
                           action=action)
            self.destination = destination
        verify.success(action, exchange, self.ssm.version)
        return body

    def _after_progress_race(self, exchange: Exchange) -> Exchange:
        """Note upstream's 500 at the end of phase 1 as the known defect it is, and ask once more."""
        self.ssm.note_progress_race(exchange)
        return self.ssm.action(self.source, "migration_get_progress")

    def wait_phase1(self) -> None:
        def probe() -> tuple[bool | None, str]:
            body = self.progress()
            note = f"{body.get('task_state') or '-'} {body.get('total_progress')}%"
            return (True if body.get("task_state") == PHASE1_DONE else None), note

        result = self.ssm.session.poller().wait("phase 1", probe)
        self.ssm.verify.require(
            "SSM-LIFECYCLE-PHASE1-DONE", result.done,
            f"phase 1 not done after {result.elapsed:.1f}s ({result.polls} polls); last seen: {result.last_note}",
            action=None,  # the verdict is on start and get_progress together: the matrix shows it under both
        )

    def complete(self) -> None:
        exchange = self.ssm.action(self.source, "migration_complete")
        body = self.ssm.verify.success("migration_complete", exchange, self.ssm.version)
        returned = body.get("destination_share_server_id") if isinstance(body, dict) else None
        self.ssm.verify.require("SSM-DEST-ID-STABLE", returned == self.destination,
                                f"complete names destination {returned!r}, progress named {self.destination!r}",
                                exchange, action="migration_complete")

    def cancel(self) -> None:
        exchange = self.ssm.action(self.source, "migration_cancel")
        self.ssm.verify.success("migration_cancel", exchange, self.ssm.version)

    def find_destination(self) -> str | None:
        """The destination as the server list shows it (tempest's way), when progress has not named it."""
        if self.destination:
            return self.destination
        exchange = self.ssm.admin.get(f"/share-servers?source_share_server_id={self.source}", version=self.ssm.version)
        servers = exchange.json.get("share_servers") if isinstance(exchange.json, dict) else None
        for server in servers or ():
            if isinstance(server, dict) and server.get("id") and server.get("id") != self.source:
                self.destination = str(server["id"])
        return self.destination

    def wait_views(self, what: str, requirement: str, action: str,
                   settled: Callable[[dict[str, Any] | None, dict[str, Any] | None], str | None]) -> None:
        """Poll both servers until ``settled(source_view, destination_view)`` returns ``None`` (no complaint)."""
        def probe() -> tuple[bool | None, str]:
            source = self.ssm.server_view(self.source)
            destination = self.ssm.server_view(self.destination) if self.destination else None
            complaint = settled(source, destination)
            return (True if complaint is None else None), complaint or "settled"

        result = self.ssm.session.poller().wait(what, probe)
        self.ssm.verify.require(requirement, result.done,
                                f"{what}: not reached within {result.elapsed:.1f}s: {result.last_note}", action=action)


def status_of(view: dict[str, Any] | None) -> str:
    if view is None:
        return "gone"
    return f"{view.get('status')}/{view.get('task_state')}"
