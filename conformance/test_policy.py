"""Policy: the five actions are admin-only; a non-admin gets 403 before any lookup."""

from __future__ import annotations

import pytest

from manila_ssm.suite.contract import ACTIONS


@pytest.mark.ssm_requirement("policy", "SSM-FAULT-SHAPE", "error-codes")
@pytest.mark.parametrize("action", ACTIONS)
def test_non_admin_is_forbidden(ssm, action: str) -> None:
    member = ssm.member()
    server = ssm.idle_server()
    requirement = f"SSM-{ssm.contract.actions[action].short}-POLICY-403"
    # manila/api/openstack/wsgi.py: policy runs before the server lookup, so unknown ids get 403 too
    for target in (server, ssm.unknown_server):
        exchange = ssm.action(target, action, ssm.valid_value(action, server), client=member)
        ssm.error(requirement, action, exchange, 403)
