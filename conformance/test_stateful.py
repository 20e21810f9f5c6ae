"""Random sequences of the five actions (Hypothesis stateful testing), each answer predicted by the state model.

Every answer goes through the suite's state model (``conformance/state-model.yaml``):
the machine fails at the first answer the model does not allow in the state the
server was last seen in, and Hypothesis shrinks the sequence to the shortest
one that shows it. The rules cover check, start, complete, cancel and
get_progress in every reachable state, cancel early and late, complete after
cancel, progress after completion and after cancel, actions aimed at the
destination, a second start, and a check with a capability the destination
lacks.

On the reference target the fixture API creates a server per sequence and
``advance`` moves a migration on by exact steps. On a real target the machine
walks the servers named under a ``stateful`` key of ``--ssm-servers-file``,
never completes (that would delete the server), polls like the scenarios, and
brings the server back to active after every sequence, within the wait timeout.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import seed as fix_seed
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from manila_ssm.suite.fixtures import parameters
from manila_ssm.suite.scenarios import Migration, status_of
from manila_ssm.suite.outcomes import RequirementFailure
from manila_ssm.suite.servers import FIXTURE_PREFIX
from manila_ssm.suite.statejudge import DEST_REQUIREMENT, TASK_REQUIREMENT, TRANSITION_REQUIREMENT, VALUE_REQUIREMENT

REQUIREMENT = "SSM-STATEFUL-SEQUENCES"
# The model's own requirements (the rows that reuse a scenario's requirement are declared there).
MODEL_REQUIREMENTS = (
    "SSM-CANCEL-EARLY-400", "SSM-COMPLETE-LATE-400", "SSM-CANCEL-LATE-400", "SSM-AFTER-CANCEL-400",
    "SSM-AFTER-SUCCESS-REFUSES", "SSM-DESTINATION-REFUSES", "SSM-NOT-ACTIVE-REFUSES", TRANSITION_REQUIREMENT,
)
# Only in the effective contract (the documented page names other task states): declared apart, so that
# the tests above still run under --ssm-contract documented.
PROGRESS_REQUIREMENTS = (TASK_REQUIREMENT, DEST_REQUIREMENT, VALUE_REQUIREMENT)
# On a real target, move_on lets the back end work: up to this long per step, looking this often.
MOVE_ON_SECONDS, MOVE_ON_POLL = 2.0, 0.25
NO_SERVER = ("the stateful test needs share servers it may migrate back and forth: name them under a "
             '"stateful" key of --ssm-servers-file (e.g. {"stateful": [{"share_server_id": "..."}]}), '
             "or run against the reference target")


@pytest.mark.ssm_requirement(REQUIREMENT, *MODEL_REQUIREMENTS)
@pytest.mark.ssm_lane("stateful", server="stateful")  # after the state tour, on the server it leaves behind
def test_random_action_sequences(ssm) -> None:
    pool = ssm.session.pool
    fixture = pool.fixture_api and not pool.explicit
    if not fixture and not pool.stateful:
        for requirement in (REQUIREMENT, *MODEL_REQUIREMENTS):
            ssm.verify.skip(requirement, NO_SERVER)
        pytest.skip(NO_SERVER)
    verify = ssm.verify
    sink = verify.sink
    deadline = time.monotonic() + (ssm.session.config.wait_timeout * 4 if not fixture else 1e9)

    def fail_on_divergence(before: int) -> None:
        """The model's divergences are deferred by ``ssm.action``; here the first one stops the sequence."""
        if len(sink.deferred) > before:
            raise sink.deferred[before]

    class Sequences(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.server = pool.create() if fixture else pool.stateful[0]
            self.host = ssm.destination(self.server)
            self.destination: str | None = None
            ssm.know(self.server)

        def act(self, server: str, action: str, value=None):
            before = len(sink.deferred)
            exchange = ssm.action(server, action, value)
            if ssm.in_progress_race(server, action, exchange):  # upstream's known phase-1 race: noted, asked again
                ssm.note_progress_race(exchange)
                exchange = ssm.action(server, action, value)
            fail_on_divergence(before)
            terms = ssm.contract.actions[action]
            verify.require(REQUIREMENT, exchange.status is not None and exchange.status < 500,
                           f"{action} answered {exchange.status or exchange.error}", exchange, action=action)
            if exchange.status == terms.success_code:
                verify.response_body(action, exchange)
                fail_on_divergence(before)
            else:
                verify.fault(exchange, action)
            if action == "migration_get_progress" and isinstance(exchange.json, dict):
                self.destination = exchange.json.get("destination_share_server_id") or self.destination
            return exchange

        def look(self) -> str:
            """The server's view (status/task_state), held to the model."""
            before = len(sink.deferred)
            view = ssm.server_view(self.server)
            fail_on_divergence(before)
            return status_of(view)

        @rule(flags=st.sampled_from(["default", "nondisruptive"]))
        def check(self, flags: str) -> None:
            extra = {"nondisruptive": True} if flags == "nondisruptive" else {}
            self.act(self.server, "migration_check", parameters(self.host, **extra))

        @rule()
        def start(self) -> None:  # a second start is the same rule in another state
            self.act(self.server, "migration_start", parameters(self.host))

        @precondition(lambda self: fixture)
        @rule()
        def complete(self) -> None:
            self.act(self.server, "migration_complete")

        @rule()
        def cancel(self) -> None:
            self.act(self.server, "migration_cancel")

        @rule()
        def get_progress(self) -> None:
            self.act(self.server, "migration_get_progress")

        @precondition(lambda self: self.destination is not None)
        @rule(action=st.sampled_from(["migration_check", "migration_start", "migration_complete",
                                      "migration_cancel", "migration_get_progress"]))
        def aim_at_destination(self, action: str) -> None:
            assert self.destination is not None
            if not pool.adopt(self.destination, self.server, ssm.server_view(self.destination)):
                return
            value = parameters(self.host) if action in ("migration_check", "migration_start") else None
            self.act(self.destination, action, value)

        @rule(steps=st.integers(1, 4))
        def move_on(self, steps: int) -> None:
            if fixture:
                ssm.admin.request("POST", f"{ssm.admin.endpoint.root}{FIXTURE_PREFIX}/share-servers/"
                                          f"{self.server}/advance", json_body={"steps": steps}, version=None)
                self.look()
            else:
                self.let_the_back_end_work(steps)

        def let_the_back_end_work(self, steps: int) -> None:
            """Up to ``steps`` changes of the server's view, 2 s each at most; none to wait for in a state
            the model says only a request leaves. Every look is judged, as any other."""
            until = min(time.monotonic() + MOVE_ON_SECONDS * steps, deadline)
            last, changes = self.look(), 0
            while changes < steps and ssm.tracker.moves_by_itself(self.server):
                pause = min(MOVE_ON_POLL, until - time.monotonic())
                if pause <= 0:
                    break
                time.sleep(pause)
                ssm.session.clock.add(waited=pause)
                seen = self.look()
                changes += seen != last
                last = seen

        def teardown(self) -> None:
            if not fixture:
                settle(self.server)

    def settle(server: str) -> None:
        """Bring a named server back to active (cancel if it migrates), polling within the wait timeout."""
        def probe() -> tuple[bool | None, str]:
            view = ssm.server_view(server) or {}
            if view.get("status") == "active":
                return True, "active"
            if view.get("task_state") in ("migration_driver_in_progress", "migration_driver_phase1_done"):
                ssm.action(server, "migration_cancel")
            return None, f"{view.get('status')}/{view.get('task_state')}"

        result = ssm.session.poller().wait("the stateful server back to active", probe)
        verify.require(REQUIREMENT, result.done, f"share server {server} is not active again after "
                                                 f"{result.elapsed:.1f}s: {result.last_note}")

    examples = max(3, ssm.session.config.max_examples // 3) if fixture else 2
    fix_seed(ssm.session.config.seed)(Sequences)  # run_state_machine_as_test takes the seed from the class
    try:
        run_state_machine_as_test(Sequences, settings=settings(
            max_examples=examples, stateful_step_count=12 if fixture else 6, deadline=None, database=None,
            phases=[Phase.generate, Phase.shrink], report_multiple_bugs=False,
            suppress_health_check=list(HealthCheck)))
    except RequirementFailure as failure:
        sink.deferred.clear()  # the shrunk failure says it once; the records keep every attempt
        steps = "\n".join(getattr(failure, "__notes__", ()))
        verify.fail(REQUIREMENT, f"the model's prediction failed ({failure.requirement}: {failure.message}); "
                                 f"shortest sequence:\n{steps}", *failure.exchanges)
    verify.passed(REQUIREMENT)


FIVE = ("migration_check", "migration_start", "migration_complete", "migration_cancel", "migration_get_progress")


@pytest.mark.ssm_requirement(*MODEL_REQUIREMENTS)
def test_every_state_answers_as_modelled(ssm) -> None:
    """A fixed tour (fixture API only): every action in every state the model names, on two servers.

    ``advance`` moves a migration on by one step; to hold a state that the
    target's own worker would leave within milliseconds (completing, cancel in
    progress), the destination back end is marked down, which stops its worker
    and changes no answer the model gives in those states. Each destination is
    looked at while it is ``server_migrating_to``, so the model pairs it with its
    source: its answers are judged by the destination's rows (then, after the
    cancel, by an inactive server's), and the deleted source by whether its
    destination is active yet.
    """
    pool = ssm.session.pool
    if not (pool.fixture_api and not pool.explicit):
        reason = ("this tour needs the reference target's fixture API (advance); on a real target "
                  "test_state_tour.py decides these requirements on the server named \"stateful\"")
        pytest.skip(reason)
    root = f"{ssm.admin.endpoint.root}{FIXTURE_PREFIX}"

    def every_action(server: str, host: str, skip: str = "") -> None:
        # the refusals first: a start that is accepted would move the server on
        for action in ("migration_complete", "migration_cancel", "migration_get_progress", "migration_check",
                       "migration_start"):
            if action != skip:
                ssm.action(server, action, parameters(host) if action in FIVE[:2] else None)

    marked: dict[str, bool] = {}  # what the tour last set each back end to (only the tour sets them)

    def backend(host: str, up: bool) -> None:
        """Down stops the back end's worker: the servers migrating to it hold still, and the model knows."""
        if marked.get(host) is not up:
            ssm.admin.request("PUT", f"{root}/backends/{host}", json_body={"up": up}, version=None)
            marked[host] = up
        migrating = [s for s in pool.created if (ssm.tracker.beliefs.get(s) is not None)]
        if up:
            ssm.tracker.held.difference_update(migrating)
        else:
            ssm.tracker.held.update(migrating)

    def seen(server: str) -> str:
        view = ssm.server_view(server)
        if view is None:
            return "gone"
        return str(view.get("task_state")) if view.get("status") == "server_migrating" else \
            f"{view.get('status')}/{view.get('task_state')}"

    def step(server: str) -> int:
        exchange = ssm.admin.request("POST", f"{root}/share-servers/{server}/advance", json_body={"steps": 1},
                                     version=None)
        return int((exchange.json or {}).get("steps", 0)) if isinstance(exchange.json, dict) else 0

    def reach(server: str, host: str, wanted: str, freeze: bool = False) -> bool:
        """Advance step by step until the source shows ``wanted``; frozen there (back end down) when asked."""
        for _ in range(40):
            if seen(server) == wanted:
                return True
            backend(host, True)
            moved = step(server)
            if freeze:
                backend(host, False)
            if not moved:
                return seen(server) == wanted
        return False

    def visit(server: str, host: str, wanted: str) -> bool:
        """Reach ``wanted``, held there (back end down), and send every action; whether it was reached."""
        reached = reach(server, host, wanted, freeze=True)
        if reached:
            every_action(server, host)
        return reached

    def paired_destination(source: str) -> str | None:
        """The destination get_progress names, once its own GET names ``source``: the model pairs the two."""
        body = ssm.action(source, "migration_get_progress").json
        destination = body.get("destination_share_server_id") if isinstance(body, dict) else None
        if destination and pool.adopt(destination, source, ssm.server_view(destination)):
            return str(destination)
        return None

    def completed_tour() -> bool:
        """Idle, every phase of a migration that completes, the destination, the source after success."""
        source = pool.create()
        host = ssm.destination(source)
        destination = None
        every_action(source, host)
        try:
            ssm.action(source, "migration_start", parameters(host))
            backend(host, False)  # nothing moves until reach() steps it on
            early = seen(source) in ("migration_starting", "migration_in_progress")
            if early:
                every_action(source, host)  # early refusals, a second start
            starting = visit(source, host, "migration_driver_starting")
            running = reach(source, host, "migration_driver_in_progress", freeze=True)
            if running:
                every_action(source, host, skip="migration_cancel")  # a cancel would end this migration
            reach(source, host, "migration_driver_phase1_done", freeze=True)
            backend(host, True)
            destination = paired_destination(source)
            if destination:
                every_action(destination, host)  # the destination while server_migrating_to
            ssm.action(source, "migration_complete")
            backend(host, False)  # at once: the worker would take the request within a step's time
            held = visit(source, host, "migration_completing")  # completing: late refusals
            # retired: the source refuses everything; held so the worker cannot delete it
            # between two requests of a busy machine
            retired = visit(source, host, "inactive/migration_success")
        finally:
            backend(host, True)
        reach(source, host, "gone")
        for _ in range(40):  # removed, then migrated: progress answers for the old id once the destination is active
            if not step(source):  # bounded: a target whose advance never settles must not hold the run
                break
        if destination:
            ssm.server_view(destination)  # active: its deleted source is migrated, no longer removed
        every_action(source, host)
        # a state the tour could not hold (the worker stepped past it on a busy machine) is visited again
        return early and starting and running and held and retired

    def cancelled_tour() -> bool:
        """A cancel held in progress, the source after cancel, the cancelled destination."""
        other = pool.create()
        host = ssm.destination(other)
        destination = None
        try:
            ssm.action(other, "migration_start", parameters(host))
            backend(host, False)
            reach(other, host, "migration_driver_phase1_done", freeze=True)
            backend(host, True)
            destination = paired_destination(other)
            ssm.action(other, "migration_cancel")
            backend(host, False)
            held = visit(other, host, "migration_cancel_in_progress")
        finally:
            backend(host, True)
        reach(other, host, "active/migration_cancelled")
        every_action(other, host)
        if destination and ssm.server_view(destination) is not None:
            every_action(destination, host)  # the cancelled destination: inactive, neither active nor migrating
        return held

    # The worker may take a step between two requests of a busy machine: then the tour runs again.
    for tour in (completed_tour, cancelled_tour):
        for _ in range(3):
            if tour():
                break


@pytest.mark.ssm_requirement(*PROGRESS_REQUIREMENTS)
@pytest.mark.ssm_lane("progress")
def test_progress_answers_follow_the_state(ssm) -> None:
    """Every progress answer of a migration, from start through phase 1 to a cancel, held to the model's rows."""
    source = ssm.session.pool.reusable("the progress-by-state scenario")
    migration = Migration(ssm, source, ssm.destination(source))
    migration.start()
    migration.progress()
    migration.wait_phase1()
    migration.cancel()
    migration.wait_views("the cancelled state", REQUIREMENT, "migration_cancel",
                         lambda s, d: None if status_of(s) == "active/migration_cancelled" else status_of(s))
