"""Random sequences of the five actions (Hypothesis stateful testing) on servers the suite creates.

Where the explicit scenarios walk the documented paths, these sequences also
try the odd orders (cancel after complete, start after cancel, progress at any
time) and hold every answer to the contract: the action's success code or a
documented error code, never a 5xx, a valid body, a Manila fault, progress that
never goes down within one migration.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import seed as fix_seed
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from manila_ssm.suite.fixtures import parameters

REQUIREMENT = "SSM-STATEFUL-SEQUENCES"


@pytest.mark.ssm_requirement(REQUIREMENT)
def test_random_action_sequences(ssm) -> None:
    pool = ssm.session.pool
    if not pool.fixture_api or pool.explicit:
        pytest.skip("random sequences need servers the suite can create (the reference target's fixture API)")
    hosts = ssm.session.dest_hosts
    verify = ssm.verify

    def judge(action: str, exchange) -> None:
        terms = ssm.contract.actions[action]
        documented = {code for code in terms.error_codes if code < 500} | {terms.success_code}
        verify.require(REQUIREMENT, exchange.status in documented,
                       f"{action} answered {exchange.status or exchange.error}; expected {terms.success_code} "
                       f"or a documented error", exchange, action=action)
        if exchange.status == terms.success_code:
            verify.response_body(action, exchange)
        else:
            verify.fault(exchange, action)

    class Sequences(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.server = pool.create()
            self.last_progress = -1

        def act(self, action: str, value=None):
            exchange = ssm.action(self.server, action, value)
            judge(action, exchange)
            return exchange

        @rule(host=st.sampled_from(hosts), action=st.sampled_from(["migration_check", "migration_start"]))
        def check_or_start(self, host: str, action: str) -> None:
            if self.act(action, parameters(host)).status == 202:
                self.last_progress = -1  # a new migration starts counting again

        @rule()
        def get_progress(self) -> None:
            exchange = self.act("migration_get_progress")
            if exchange.status == 200 and isinstance(exchange.json, dict):
                value = exchange.json.get("total_progress")
                if isinstance(value, int):
                    verify.require(REQUIREMENT, value >= self.last_progress,
                                   f"progress went down from {self.last_progress} to {value}", exchange,
                                   action="migration_get_progress")
                    self.last_progress = value

        @rule(action=st.sampled_from(["migration_complete", "migration_cancel"]))
        def finish(self, action: str) -> None:
            self.act(action)

        @rule(pause=st.sampled_from([0.02, 0.1, 0.3]))
        def wait(self, pause: float) -> None:
            time.sleep(pause)
            ssm.session.clock.waited += pause

    examples = max(3, ssm.session.config.max_examples // 5)
    fix_seed(ssm.session.config.seed)(Sequences)  # run_state_machine_as_test takes the seed from the class
    run_state_machine_as_test(Sequences, settings=settings(
        max_examples=examples, stateful_step_count=10, deadline=None, database=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck)))
    verify.passed(REQUIREMENT)
