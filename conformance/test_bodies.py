"""Request bodies: what check and start refuse, the JSON and media type every action needs.

All cases go to an idle server the suite may migrate; a valid request would be
accepted, so each answer shows how the target treats exactly one defect.
Known upstream defects (a 500 where a 4xx or 200 is due) are reported as such.
"""

from __future__ import annotations

import pytest

from manila_ssm.suite.contract import ACTIONS
from manila_ssm.suite.fixtures import FLAGS, parameters

PARAMETER_ACTIONS = ("migration_check", "migration_start")
MANDATORY = ("host", *FLAGS)


@pytest.fixture
def server(ssm) -> str:
    return ssm.idle_server()


@pytest.mark.ssm_requirement("SSM-BODY-EMPTY-PARAMS-400", "SSM-FAULT-SHAPE", "error-codes")
@pytest.mark.parametrize("action", PARAMETER_ACTIONS)
@pytest.mark.parametrize("value", [{}, None], ids=["empty-object", "null"])
def test_empty_parameters(ssm, server: str, action: str, value) -> None:
    ssm.error("SSM-BODY-EMPTY-PARAMS-400", action, ssm.action(server, action, value), 400)


@pytest.mark.ssm_requirement("SSM-BODY-MANDATORY-400", "SSM-FAULT-SHAPE", "error-codes")
@pytest.mark.parametrize("action", PARAMETER_ACTIONS)
@pytest.mark.parametrize("missing", MANDATORY)
def test_missing_mandatory_parameter(ssm, server: str, action: str, missing: str) -> None:
    value = parameters(ssm.destination(server))
    del value[missing]
    ssm.error("SSM-BODY-MANDATORY-400", action, ssm.action(server, action, value), 400)


@pytest.mark.ssm_requirement("SSM-BODY-BOOLEAN-400", "SSM-FAULT-SHAPE", "error-codes")
@pytest.mark.parametrize("action", PARAMETER_ACTIONS)
@pytest.mark.parametrize("flag", FLAGS)
@pytest.mark.parametrize("bad", ["maybe", "", 2, None, []], ids=["maybe", "empty", "two", "null", "list"])
def test_non_boolean_flag(ssm, server: str, action: str, flag: str, bad) -> None:
    value = parameters(ssm.destination(server), **{flag: bad})
    ssm.error("SSM-BODY-BOOLEAN-400", action, ssm.action(server, action, value), 400)


@pytest.mark.ssm_requirement("SSM-BODY-BOOLEAN-SPELLINGS")
@pytest.mark.parametrize("spelling", ["True", "yes", " on ", 1, "0", "f"])
def test_boolean_spellings_are_accepted_and_echoed(ssm, server: str, spelling) -> None:
    # oslo bool_from_string(strict=True); check echoes the raw value (manila/api/views/share_server_migration.py)
    exchange = ssm.action(server, "migration_check", parameters(ssm.destination(server), writable=spelling))
    echoed = (exchange.json or {}).get("requested_capabilities", {}).get("writable") if exchange.json_ok else None
    ssm.verify.require("SSM-BODY-BOOLEAN-SPELLINGS", exchange.status == 200 and echoed == spelling,
                       f"writable={spelling!r} answered {exchange.status or exchange.error}, echoed {echoed!r}",
                       exchange, action="migration_check")


@pytest.mark.ssm_requirement("SSM-HOST-POOL-400", "SSM-FAULT-SHAPE", "error-codes")
@pytest.mark.parametrize("action", PARAMETER_ACTIONS)
def test_host_with_pool(ssm, server: str, action: str) -> None:
    value = parameters(ssm.destination(server) + "#pool0")
    ssm.error("SSM-HOST-POOL-400", action, ssm.action(server, action, value), 400)


@pytest.mark.ssm_requirement("SSM-HOST-UNKNOWN-404", "SSM-FAULT-SHAPE", "error-codes")
@pytest.mark.parametrize("action", PARAMETER_ACTIONS)
def test_unknown_host(ssm, server: str, action: str) -> None:
    value = parameters("ssm-no-such-host@ssm-no-such-backend")
    ssm.error("SSM-HOST-UNKNOWN-404", action, ssm.action(server, action, value), 404)


@pytest.mark.ssm_requirement("SSM-HOST-NOT-STRING-400", "SSM-FAULT-SHAPE", "error-codes")
@pytest.mark.parametrize("action", PARAMETER_ACTIONS)
@pytest.mark.parametrize("host", [None, 123], ids=["null", "number"])
def test_host_not_a_string(ssm, server: str, action: str, host) -> None:
    ssm.error("SSM-HOST-NOT-STRING-400", action, ssm.action(server, action, parameters(host)), 400)


@pytest.mark.ssm_requirement("SSM-HOST-NO-BACKEND-400", "SSM-FAULT-SHAPE", "error-codes")
@pytest.mark.parametrize("action", PARAMETER_ACTIONS)
def test_host_without_backend(ssm, server: str, action: str) -> None:
    host = ssm.destination(server).split("@", 1)[0]
    ssm.error("SSM-HOST-NO-BACKEND-400", action, ssm.action(server, action, parameters(host)), 400)


@pytest.mark.ssm_requirement("SSM-CHECK-NETWORK-OPTIONAL")
def test_check_without_new_share_network_id(ssm, server: str) -> None:
    value = parameters(ssm.destination(server))
    del value["new_share_network_id"]
    exchange = ssm.action(server, "migration_check", value)
    # erratum SSM-E11: the effective contract requires the key in check, so a refusal is conformant too
    codes = (200, 400) if ssm.contract.name == "effective" else (200,)
    ssm.verify.status("SSM-CHECK-NETWORK-OPTIONAL", exchange, codes, action="migration_check")
    if exchange.status == 400:
        ssm.verify.fault(exchange, "migration_check")


@pytest.mark.ssm_requirement("SSM-REQUEST-MALFORMED-JSON-400", "SSM-FAULT-SHAPE")
@pytest.mark.parametrize("action", ACTIONS)
def test_malformed_json(ssm, server: str, action: str) -> None:
    exchange = ssm.action(server, action, raw_body='{"' + action + '": {')
    ssm.error("SSM-REQUEST-MALFORMED-JSON-400", action, exchange, 400, documented=False)


@pytest.mark.ssm_requirement("SSM-REQUEST-CONTENT-TYPE-400", "SSM-FAULT-SHAPE")
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("content_type", ["text/plain", None], ids=["text-plain", "none"])
def test_body_needs_json_content_type(ssm, server: str, action: str, content_type) -> None:
    exchange = ssm.action(server, action, ssm.valid_value(action, server), content_type=content_type)
    ssm.error("SSM-REQUEST-CONTENT-TYPE-400", action, exchange, 400, documented=False)


@pytest.mark.ssm_requirement("SSM-REQUEST-UNKNOWN-ACTION-400", "SSM-FAULT-SHAPE")
def test_unknown_action(ssm, server: str) -> None:
    exchange = ssm.action(server, "migration_teleport", None)
    ssm.error("SSM-REQUEST-UNKNOWN-ACTION-400", None, exchange, 400)


@pytest.mark.ssm_requirement("SSM-REQUEST-TWO-ACTIONS-400", "SSM-FAULT-SHAPE")
def test_two_actions_in_one_body(ssm, server: str) -> None:
    exchange = ssm.action(server, "", body={"migration_get_progress": None, "migration_cancel": None})
    ssm.error("SSM-REQUEST-TWO-ACTIONS-400", None, exchange, 400)
