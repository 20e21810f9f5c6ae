"""Each action's own answers on an idle share server: success, unknown ids, same-backend conflicts.

The success answers of start, complete, cancel and get_progress need a running
migration; test_transitions.py checks them on the way through one.
"""

from __future__ import annotations

import pytest

from manila_ssm.suite.contract import ACTIONS
from manila_ssm.suite.fixtures import FLAGS, parameters


@pytest.mark.ssm_requirement(
    "status:migration_check", "schema:migration_check", "SSM-CHECK-ECHO-REQUESTED",
    "SSM-HEADER-VERSION-ECHO", "SSM-HEADER-EXPERIMENTAL-ECHO", "SSM-HEADER-VARY", "SSM-HEADER-REQUEST-ID",
    "SSM-HEADER-CONTENT-TYPE-JSON",
)
def test_check_answers_with_capabilities(ssm) -> None:
    server = ssm.idle_server()
    host = ssm.destination(server)
    for version in ssm.session.microversions:
        exchange = ssm.action(server, "migration_check", parameters(host), version=version)
        body = ssm.verify.success("migration_check", exchange, version)
        requested = body.get("requested_capabilities") or {}
        ssm.verify.require(
            "SSM-CHECK-ECHO-REQUESTED",
            requested.get("host") == host and requested.get("writable") is True
            and requested.get("nondisruptive") is False,
            f"requested_capabilities does not echo the request: {requested}", exchange,
            action="migration_check",
        )


@pytest.mark.ssm_requirement("unknown", "SSM-FAULT-SHAPE", "error-codes")
@pytest.mark.parametrize("action", ACTIONS)
def test_unknown_server_id(ssm, action: str) -> None:
    # manila/api/v2/share_servers.py: get_progress looks for a finished migration instead -> 400
    expected = 400 if action == "migration_get_progress" else 404
    value = parameters(ssm.destination(ssm.idle_server())) if action in ("migration_check", "migration_start") else None
    for version in ssm.session.microversions:
        exchange = ssm.action(ssm.unknown_server, action, value, version=version)
        requirement = f"SSM-{ssm.contract.actions[action].short}-UNKNOWN-{expected}"
        ssm.verify.error(requirement, action, exchange, expected, version=version)


@pytest.mark.ssm_requirement("SSM-CHECK-SAME-BACKEND-409", "SSM-FAULT-SHAPE", "error-codes")
@pytest.mark.parametrize("action", ["migration_check", "migration_start"])
def test_same_backend_without_network_change_conflicts(ssm, action: str) -> None:
    server = ssm.idle_server()
    exchange = ssm.action(server, action, parameters(ssm.same_backend(server)))
    ssm.error("SSM-CHECK-SAME-BACKEND-409", action, exchange, 409)


@pytest.mark.ssm_requirement("SSM-CHECK-INCOMPATIBLE-FALSE", "SSM-CHECK-COMPATIBLE-CONSISTENT",
                             "SSM-CHECK-ECHO-REQUESTED")
def test_check_towards_what_the_destination_lacks_is_incompatible(ssm) -> None:
    """Find a destination the target calls incompatible, or a flag a destination lacks, and ask for it."""
    server = ssm.idle_server()
    source = (ssm.server_view(server) or {}).get("host", "")
    tried: list[str] = []
    for host in ssm.session.dest_hosts:
        if host.split("#", 1)[0] == str(source).split("#", 1)[0]:
            continue  # same back end: 409, no answer on compatibility
        exchange = ssm.action(server, "migration_check", parameters(host))
        body = exchange.json if exchange.status == 200 and isinstance(exchange.json, dict) else None
        if body is None:
            continue
        if body.get("compatible") is False:
            ssm.verify.passed("SSM-CHECK-INCOMPATIBLE-FALSE", exchange, action="migration_check")
            return
        supported = body.get("supported_capabilities") or {}
        lacking = [flag for flag in FLAGS if supported.get(flag) is False]
        tried.append(f"{host} (lacks {', '.join(lacking) or 'nothing'})")
        if lacking:
            asked = ssm.action(server, "migration_check", parameters(host, **{lacking[0]: True}))
            answer = asked.json if isinstance(asked.json, dict) else {}
            ssm.verify.require("SSM-CHECK-INCOMPATIBLE-FALSE", asked.status == 200 and answer.get("compatible") is False,
                               f"check asking {host} for {lacking[0]}, which it says it lacks, answered "
                               f"{asked.status} compatible={answer.get('compatible')!r}", asked,
                               action="migration_check")
            return
    reason = ("no destination the target calls incompatible and no flag a destination lacks was found "
              f"(tried {', '.join(tried) or 'no other back end'}); add one with --ssm-dest-hosts")
    ssm.verify.skip("SSM-CHECK-INCOMPATIBLE-FALSE", reason, action="migration_check")
    pytest.skip(reason)
