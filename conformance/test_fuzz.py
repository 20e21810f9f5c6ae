"""Generated requests per action (schemathesis, from our OpenAPI): valid ones and invalid ones.

Valid requests must get the action's success code or a documented error code;
invalid ones a documented 4xx; nothing may get a 5xx. Example counts follow
``--ssm-max-examples``; ``--ssm-seed`` repeats a run exactly.
"""

from __future__ import annotations

import pytest

from manila_ssm.suite import fuzz
from manila_ssm.suite.checks import upstream_defect
from manila_ssm.suite.contract import ACTIONS


@pytest.mark.ssm_requirement("fuzz-positive")
@pytest.mark.parametrize("action", ACTIONS)
def test_generated_valid_requests(ssm, action: str) -> None:
    _fuzz(ssm, action, "positive")


@pytest.mark.ssm_requirement("fuzz-negative")
@pytest.mark.parametrize("action", ACTIONS)
def test_generated_invalid_requests(ssm, action: str) -> None:
    _fuzz(ssm, action, "negative")


def _fuzz(ssm, action: str, mode: str) -> None:
    server = ssm.idle_server()
    ssm.session.pool.guard(server)
    ssm.know(server)

    def model(name: str, exchange):
        if upstream_defect(exchange, name) is not None:
            return None
        divergence, _ = ssm.tracker.judge(server, name, exchange.status, exchange.json)
        return (divergence.requirement, divergence.message) if divergence else None

    run = fuzz.run(
        ssm.contract, action, mode, ssm.admin, server, ssm.version,
        real_host=ssm.destination(server), max_examples=ssm.session.config.max_examples,
        seed=ssm.session.config.seed, model=model, cases=ssm.generated_cases(action, mode),
    )
    requirement = f"SSM-{ssm.contract.actions[action].short}-FUZZ-{mode.upper()}"
    failures = run.failures
    if failures:
        first = failures[0]
        ssm.verify.fail(first.requirement or requirement,
                        f"{len(failures)} of {len(run.verdicts)} generated requests: {first.problem}",
                        *(v.exchange for v in failures[:3]), action=action)
    ssm.verify.require(requirement, bool(run.verdicts), "no request was generated", action=action)
    if run.defects:
        ssm.verify.observed_defect(requirement, run.defects[0].defect, run.defects[0].exchange, action=action)
