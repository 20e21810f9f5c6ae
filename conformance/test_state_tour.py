"""The state tour on a real target: every state a migration holds, reached by polling.

A real target has no ``advance``: its own workers move a migration on. Some
states hold still until the suite acts (phase 1 done, the destination while it
is ``server_migrating_to``, the source after a cancel, the cancelled
destination); others last as long as the back end takes (completing, cancel in
progress, the retired source). The tour reaches each by polling, sends every
action that does not move the migration on, and lets the state model judge each
answer (``ssm.action``), which decides the model's requirements.

It walks the first server named under a ``stateful`` key of
``--ssm-servers-file``: one migration completes (the shares move to the
destination server, which the suite then adopts as its stateful server) and one
more is cancelled from there. On the reference target
``test_stateful.py::test_every_state_answers_as_modelled`` does the same with
exact steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from manila_ssm.suite.fixtures import parameters

CANCEL_EARLY = "SSM-CANCEL-EARLY-400"
AFTER_SUCCESS = "SSM-AFTER-SUCCESS-REFUSES"
COMPLETE_LATE = "SSM-COMPLETE-LATE-400"
CANCEL_LATE = "SSM-CANCEL-LATE-400"
REQUIREMENTS = (CANCEL_EARLY, COMPLETE_LATE, CANCEL_LATE, "SSM-AFTER-CANCEL-400", AFTER_SUCCESS,
                "SSM-DESTINATION-REFUSES", "SSM-NOT-ACTIVE-REFUSES")
NO_SERVER = ("the state tour needs a share server it may migrate for good: name it under a \"stateful\" key "
             "of --ssm-servers-file (e.g. {\"stateful\": [{\"share_server_id\": \"...\"}]})")
PHASE1_DONE = "migration_driver_phase1_done"
COMPLETING, CANCELLING = "migration_completing", "migration_cancel_in_progress"  # last until the back end is done
LATE = ("migration_complete", "migration_cancel")  # refused in both
EARLY = ("migration_starting", "migration_in_progress", "migration_driver_starting")  # before the driver runs
# Polled this often while a state that lasts only as long as the back end's work may be showing.
TRANSIENT_POLL = 0.05
CANCEL_ROUNDS = 3  # cancels tried in all to catch cancel-in-progress, if completing was missed
STARTS = 3  # starts tried to find the server in a state before the driver runs


@pytest.mark.ssm_requirement(*REQUIREMENTS)
@pytest.mark.ssm_lane("stateful", server="stateful")
def test_every_state_on_a_real_target(ssm) -> None:
    pool = ssm.session.pool
    if pool.fixture_api and not pool.explicit:
        pytest.skip("on the reference target test_stateful.py walks every state with the fixture API's advance")
    if not pool.stateful:
        for requirement in REQUIREMENTS:
            ssm.verify.skip(requirement, NO_SERVER)
        pytest.skip(NO_SERVER)
    verify = ssm.verify
    asked_late: set[tuple[str, str]] = set()  # (state shown, action): sent while the source showed it
    asked_retired = False  # get_progress sent while the completed source still existed (inactive, deleting)

    def every_action(server: str, host: str, skip: tuple[str, ...] = ()) -> None:
        """The refusals first: an accepted start would move the server on."""
        ssm.server_view(server)  # the model judges from what it last saw: look first
        for action in ("migration_complete", "migration_cancel", "migration_get_progress", "migration_check",
                       "migration_start"):
            if action not in skip:
                ssm.action(server, action, parameters(host) if action in ("migration_check", "migration_start")
                           else None)

    def shown(server: str) -> str:
        view = ssm.server_view(server)
        return "gone" if view is None else f"{view.get('status')}/{view.get('task_state')}"

    def wait(what: str, server: str, done: Callable[[str], bool], interval: float | None = None) -> tuple[bool, str]:
        """Poll the server's view until ``done``: whether it came, and the view last shown."""
        poller = ssm.session.poller()
        if interval is not None:
            poller.first_interval = poller.max_interval = interval

        def probe() -> tuple[str | None, str]:
            seen = shown(server)
            return (seen if done(seen) else None), seen

        result = poller.wait(what, probe)
        return result.done, result.last_note

    def ended(seen: str) -> bool:
        """The view of a server no migration runs on (any more)."""
        return seen == "gone" or seen.startswith(("active/", "error"))

    def undecided(why: str) -> None:
        for requirement in REQUIREMENTS:
            verify.skip(requirement, why)

    def migrate_to_phase1(server: str, host: str, early: bool = False) -> str | None:
        """Start a migration and wait for phase 1 done; the destination server's id, adopted, or None.

        ``early``: cancel at once while the server shows a state before the driver runs (400); a
        target that was quicker accepts the cancel, and the migration is started again.
        """
        cancel_accepted = ssm.contract.actions["migration_cancel"].success_code
        for attempt in range(STARTS):
            started = ssm.action(server, "migration_start", parameters(host))
            if started.status != ssm.contract.actions["migration_start"].success_code:
                undecided(f"the stateful server {server} did not start a migration to {host}: {started.summary()}")
                return None
            if not early:
                break
            before = shown(server)
            if not before.endswith(EARLY):
                if attempt == STARTS - 1:
                    verify.skip(CANCEL_EARLY, f"the stateful server {server} was past {', '.join(EARLY)} "
                                              f"whenever the suite looked right after a start ({STARTS} starts)")
                    break
                ssm.action(server, "migration_cancel")  # past the early states already: start again
                if not wait("the cancelled migration", server, ended)[0]:
                    undecided(f"the stateful server {server} did not come back after a cancel")
                    return None
                continue
            cancel = ssm.action(server, "migration_cancel")
            if cancel.status != cancel_accepted:
                break  # refused before the driver runs, as it should be; the migration goes on
            # Accepted: only right if the driver had started after all, and then the migration is cancelled.
            _, last = wait("the cancelled migration", server, ended)
            if last != "active/migration_cancelled":
                verify.fail(CANCEL_EARLY, f"migration_cancel was accepted while {server} showed {before}, but the "
                                          f"migration was not cancelled: {last}", cancel)
            if attempt == STARTS - 1:  # the driver always started first: no early moment here
                verify.skip(CANCEL_EARLY, f"the stateful server {server}'s driver had started whenever the suite "
                                          f"cancelled right after a start ({STARTS} starts)")
                return migrate_to_phase1(server, host)
        came, seen = wait("phase 1 done", server, lambda s: s.endswith(PHASE1_DONE) or ended(s))
        if not (came and seen.endswith(PHASE1_DONE)):
            undecided(f"the migration of {server} to {host} did not reach {PHASE1_DONE} (last seen: {seen})")
            return None
        body: Any = ssm.action(server, "migration_get_progress").json
        destination = body.get("destination_share_server_id") if isinstance(body, dict) else None
        if not (isinstance(destination, str) and pool.adopt(destination, server, ssm.server_view(destination))):
            undecided(f"the migration of {server} names no destination server whose view names it as source")
            return None
        return destination

    def ask_late(server: str, transient: str) -> None:
        """Complete and cancel while the source shows ``transient`` (a state its worker leaves by itself),
        then its progress if it still shows it (the model's progress rows for that state; asked last, so
        that it takes no time from the refusals)."""
        came, seen = wait(transient, server, lambda s: not s.endswith(PHASE1_DONE), interval=TRANSIENT_POLL)
        for action in (*LATE, "migration_get_progress"):
            if not (came and seen.endswith(transient)):
                return
            ssm.action(server, action)  # judged in the state just seen
            asked_late.add((transient, action))
            seen = shown(server)

    source = pool.stateful[0]
    if not wait("the stateful server active", source, lambda s: s.startswith("active/"))[0]:
        undecided(f"the stateful server {source} is not active")
        pytest.skip(f"the stateful server {source} is not active")
    host = ssm.destination(source)

    def completed_migration(source: str, early: bool) -> str | None:
        """Phase 1 done, its destination, completing, the retired source; the destination, now active."""
        nonlocal asked_retired
        host = ssm.destination(source)
        destination = migrate_to_phase1(source, host, early=early)
        if destination is None:
            return None
        # Phase 1 done waits for complete or cancel (behaviour §4.3 rows 7-9): until the suite sends one,
        # neither the source nor its destination moves, and the model judges them as last seen.
        ssm.tracker.held.update((source, destination))
        try:
            every_action(source, host, skip=("migration_complete", "migration_cancel"))
            every_action(destination, host)  # the destination while server_migrating_to
        finally:
            ssm.tracker.held.difference_update((source, destination))
        ssm.action(source, "migration_complete")
        ask_late(source, COMPLETING)
        came, seen = wait("the source retired", source,
                          lambda s: s == "gone" or s.startswith(("inactive/", "deleting/", "error")),
                          interval=TRANSIENT_POLL)
        if not came:
            undecided(f"the source {source} was neither retired nor removed after its migration completed")
            return None
        if seen != "gone":  # retired, and removed within moments: progress first, it is the one that changes
            ssm.action(source, "migration_get_progress")
            asked_retired = True
        every_action(source, host)
        if wait("the destination active", destination, ended)[1] != "active/migration_success":
            undecided(f"the destination {destination} did not become active/migration_success")
            return None
        every_action(source, host)  # removed, the destination active: progress answers for the old id
        pool.stateful = (destination, *pool.stateful[1:])  # the shares live there now
        return destination

    server = completed_migration(source, early=True)
    if server is None:
        return

    # Migrations cancelled from the new server: cancel in progress, the source after cancel, the
    # cancelled destination (inactive).
    host = ssm.destination(server)
    for _ in range(CANCEL_ROUNDS):
        cancelled = migrate_to_phase1(server, host)
        if cancelled is None:
            return
        ssm.action(server, "migration_cancel")
        ask_late(server, CANCELLING)
        if wait("the cancel", server, ended)[1] != "active/migration_cancelled":
            undecided(f"the cancelled migration of {server} did not leave it active/migration_cancelled")
            return
        every_action(server, host, skip=("migration_start",))  # a start would begin another migration
        every_action(cancelled, host)
        if {(CANCELLING, action) for action in LATE} <= asked_late:
            break
    # One more completed migration when the first left a moment unasked (the source removed too soon,
    # completing missed).
    if (not asked_retired or not {(COMPLETING, action) for action in LATE} <= asked_late) and \
            completed_migration(server, early=False) is not None and not asked_retired:
        verify.skip(AFTER_SUCCESS, "the completed source was removed before the suite saw it inactive or deleting "
                                   f"(polled every {TRANSIENT_POLL} s, two migrations)", action="migration_get_progress")
    for requirement, action in zip((COMPLETE_LATE, CANCEL_LATE), LATE):
        missed = [state for state in (COMPLETING, CANCELLING) if (state, action) not in asked_late]
        if missed:  # each state holds its own refusal: one asked in the other state does not decide it
            verify.skip(requirement, f"the source never showed {' or '.join(missed)} long enough to send {action} "
                                     f"(polled every {TRANSIENT_POLL} s): the back end finishes faster; a slower "
                                     "driver step would decide it")
