"""Headers, microversions and URLs: what a request must carry, and what the answer echoes.

Every request here is otherwise valid, so a target that ignored the header
under test would answer differently (and start a migration, for start).
"""

from __future__ import annotations

import pytest

from manila_ssm.suite.contract import ACTIONS
from manila_ssm.suite.fixtures import parameters

MALFORMED_VERSIONS = ("2.x", "2.057", "latest", "2")


def _send(ssm, action: str, **kwargs):
    server = ssm.idle_server()
    return ssm.action(server, action, ssm.valid_value(action, server), **kwargs)


@pytest.mark.ssm_requirement("SSM-VERSION-MISSING-404", "SSM-FAULT-SHAPE")
@pytest.mark.parametrize("action", ACTIONS)
def test_missing_version_is_not_found(ssm, action: str) -> None:
    exchange = _send(ssm, action, version=None)
    ssm.error("SSM-VERSION-MISSING-404", action, exchange, 404, version=None, documented=False)


@pytest.mark.ssm_requirement("SSM-VERSION-BELOW-MIN-404", "SSM-FAULT-SHAPE", "SSM-HEADER-VERSION-ECHO",
                             "SSM-HEADER-VARY", "SSM-HEADER-REQUEST-ID")
@pytest.mark.parametrize("action", ACTIONS)
def test_version_below_257_is_not_found(ssm, action: str) -> None:
    exchange = _send(ssm, action, version="2.56")
    # manila/api/openstack/wsgi.py: the requested version is echoed on this 404, experimental too
    ssm.error("SSM-VERSION-BELOW-MIN-404", action, exchange, 404, version="2.56", documented=False)


@pytest.mark.ssm_requirement("SSM-VERSION-MALFORMED-400", "SSM-FAULT-SHAPE")
@pytest.mark.parametrize("action", ACTIONS)
def test_malformed_version_is_bad_request(ssm, action: str) -> None:
    for version in MALFORMED_VERSIONS:
        exchange = _send(ssm, action, version=version)
        ssm.error("SSM-VERSION-MALFORMED-400", action, exchange, 400, version=None, documented=False)


@pytest.mark.ssm_requirement("SSM-VERSION-OUT-OF-RANGE-406", "SSM-FAULT-SHAPE")
@pytest.mark.parametrize("action", ACTIONS)
def test_version_above_maximum_is_not_acceptable(ssm, action: str) -> None:
    versions = ["3.0"]
    if ssm.session.max_version:
        major, _, minor = ssm.session.max_version.partition(".")
        versions.append(f"{major}.{int(minor) + 1}")
    for version in versions:
        exchange = _send(ssm, action, version=version)
        ssm.error("SSM-VERSION-OUT-OF-RANGE-406", action, exchange, 406, version=None, documented=False)


@pytest.mark.ssm_requirement("SSM-EXPERIMENTAL-REQUIRED-404", "SSM-FAULT-SHAPE")
@pytest.mark.parametrize("action", ACTIONS)
def test_experimental_header_is_required(ssm, action: str) -> None:
    # oslo bool_from_string (lenient): anything but a true spelling counts as false, never an error
    for experimental in (None, "False", "0", "maybe"):
        exchange = _send(ssm, action, experimental=experimental)
        ssm.error("SSM-EXPERIMENTAL-REQUIRED-404", action, exchange, 404, experimental=False, documented=False)


@pytest.mark.ssm_requirement("SSM-URL-NO-PROJECT", "status:migration_check")
def test_actions_route_without_project_id(ssm) -> None:
    server = ssm.idle_server()
    exchange = ssm.action(server, "migration_check", parameters(ssm.destination(server)), with_project=False)
    ssm.verify.require("SSM-URL-NO-PROJECT", exchange.status == 200,
                       f"check without the project id in the URL answered {exchange.status or exchange.error}",
                       exchange, action="migration_check")
    exchange = ssm.action(server, "migration_get_progress", with_project=False)
    ssm.verify.require("SSM-URL-NO-PROJECT", exchange.status == 400 and isinstance(exchange.json, dict)
                       and "badRequest" in exchange.json,
                       f"get_progress on an idle server without the project id answered {exchange.status}, "
                       "not Manila's 400 badRequest", exchange, action="migration_get_progress")


@pytest.mark.ssm_requirement("SSM-URL-DOCUMENTED-PATH")
def test_documented_action_path_routes(ssm) -> None:
    server = ssm.idle_server()
    ssm.session.pool.guard(server)
    path = ssm.contract.action_path.replace("{share_server_id}", server)
    path = path.replace("{project_id}", ssm.admin.endpoint.project_id or "")
    exchange = ssm.admin.request("POST", ssm.admin.endpoint.root + path.replace("//", "/"),
                                 json_body={"migration_check": parameters(ssm.destination(server))},
                                 version=ssm.version, experimental=True)
    ssm.verify.require("SSM-URL-DOCUMENTED-PATH", exchange.status == 200,
                       f"POST {ssm.contract.action_path} answered {exchange.status or exchange.error}, "
                       "not the check's 200", exchange, action="migration_check")


@pytest.mark.ssm_requirement("SSM-DISCOVERY-MAX-VERSION")
def test_version_discovery_announces_257(ssm) -> None:
    version = ssm.session.max_version
    ok = bool(version) and tuple(int(p) for p in version.split(".")) >= (2, 57)
    exchange = ssm.admin.request("GET", f"{ssm.admin.endpoint.root}/v2/", version=None)
    ssm.verify.require("SSM-DISCOVERY-MAX-VERSION", ok,
                       f"GET /v2/ announces maximum version {version!r}, below 2.57 or none"
                       + (f"; {exchange.error}" if exchange.error else ""), exchange)
