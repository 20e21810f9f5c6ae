"""The suite's own requirement checks, applied to recorded exchanges.

Every cassette interaction that is a well-formed, dispatched action call
(admin token, microversion 2.57 or later, experimental header, a body whose
single key is an action) goes through the suite's ``Verifier`` exactly as a
live answer would: a success through ``Verifier.success`` (code, response
schema, echoed headers), an error through the fault and documented-code
checks. Two checks are added that a live run makes by other means: the
request must have been one the contract's request schema allows (the
suite's negative fuzzing requirement), and the collection in the path must
route exactly when the contract names it. A 5xx is never a pass: the suite
reports the listed ones as known upstream defects, and any other as a failure.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from manila_ssm.realmanila.cassette import Cassette, placeholders
from manila_ssm.realmanila.replay import Bindings
from manila_ssm.suite import catalogue as cat
from manila_ssm.suite.checks import Verifier
from manila_ssm.suite.contract import ACTIONS, Contract
from manila_ssm.suite.outcomes import Exchange, Outcome, RecordSink, RequirementFailure

_ACTION_PATH = re.compile(r"^/v2(?:/\{project:admin\})?/(share[-_]servers)/[^/]+/action$")
_TRUE = frozenset({"1", "t", "true", "on", "y", "yes"})
# Upstream 500s (behaviour §2.7) -> the suite requirement that carries the
# defect, and the answer the requirement expects instead.
KNOWN_DEFECTS: dict[str, tuple[str, int]] = {
    "check without new_share_network_id": ("SSM-CHECK-NETWORK-OPTIONAL", 200),
    "check to a numeric host": ("SSM-HOST-NOT-STRING-400", 400),
    "check to a host without a back end": ("SSM-HOST-NO-BACKEND-400", 400),
    "check to an empty host": ("SSM-HOST-NO-BACKEND-400", 400),
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """One requirement decided on one recorded exchange."""

    scenario: str
    interaction: str
    action: str
    requirement: str
    outcome: str  # pass, fail, known-defect
    message: str = ""
    status: int = 0
    defect: str | None = None


def concrete(value: Any) -> Any:
    """``value`` with every placeholder replaced by a value of the right form.

    Schemas check forms (``host@backend``, ids), so a recorded ``{host:beta}``
    must become ``realmanila@beta`` again before it is validated.
    """
    values = {}
    for name in placeholders(value):
        kind, _, label = name[1:-1].partition(":")
        if kind == "host":
            values[name] = "realmanila" if label == "bare" else f"realmanila@{label}"
        elif kind in ("token", "project", "api"):
            values[name] = label
        else:
            values[name] = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
    return Bindings(values).value(value)


def dispatched_action(item: dict[str, Any]) -> str | None:
    """The action a recorded request reached, or None for framework-level probes."""
    request = item["request"]
    if request["method"] != "POST" or not _ACTION_PATH.match(request["path"]):
        return None
    headers = {k.lower(): v for k, v in request["headers"].items()}
    version = headers.get("x-openstack-manila-api-version", "")
    major, _, minor = version.partition(".")
    if not (major == "2" and minor.isdigit() and 57 <= int(minor) <= 99):
        return None
    if headers.get("x-openstack-manila-api-experimental", "").strip().lower() not in _TRUE:
        return None
    if headers.get("x-auth-token") != "{token:admin}" or "json" not in request:
        return None
    body = request["json"]
    if not (isinstance(body, dict) and len(body) == 1 and next(iter(body)) in ACTIONS):
        return None
    return next(iter(body))


def _exchange(item: dict[str, Any]) -> Exchange:
    request, response = item["request"], item["response"]
    body = concrete(response.get("json"))
    return Exchange(
        method=request["method"], url=request["path"], request_headers=request["headers"],
        request_body=json.dumps(concrete(request.get("json"))), status=response["status"],
        response_headers=response["headers"],
        response_body=json.dumps(body) if "json" in response else response.get("text", ""),
        json=body, json_ok="json" in response,
    )


def _suite_checks(verifier: Verifier, action: str, item: dict[str, Any], exchange: Exchange) -> None:
    """The checks ``Verifier.success``/``error`` make, each run even if an earlier one failed."""
    version = item["request"]["headers"]["X-OpenStack-Manila-API-Version"]
    status = item["response"]["status"]
    code = verifier.contract.actions[action].success_code
    if item["name"] in KNOWN_DEFECTS:
        requirement, expected = KNOWN_DEFECTS[item["name"]]
        steps = [lambda: verifier.status(requirement, exchange, expected, action=action)]
    elif status < 300:
        steps = [lambda: verifier.status(cat.status_id(action, code), exchange, code, action=action),
                 lambda: verifier.response_body(action, exchange)]
    else:
        steps = [lambda: verifier.fault(exchange, action), lambda: verifier.documented_error(action, exchange)]
    steps.append(lambda: verifier.echoed_headers(exchange, version, True, action))
    for step in steps:
        try:
            step()
        except (RequirementFailure, pytest.xfail.Exception):
            pass  # the verdict is in the sink either way


def decide(cassette: Cassette, contract: Contract) -> Iterator[Verdict]:
    catalogue = cat.build(contract)
    for item in cassette.interactions:
        action = dispatched_action(item)
        if action is None:
            continue
        name, status = item["name"], item["response"]["status"]
        exchange = _exchange(item)
        # The contract's collection must route and any other spelling must not:
        # an unrouted request gets the router's plain 404 (it has a "title").
        collection = _ACTION_PATH.match(item["request"]["path"]).group(1)
        routed = not (status == 404 and isinstance(exchange.json, dict) and "title" in exchange.json)
        ok = routed == (f"/{collection}/" in contract.action_path)
        yield Verdict(cassette.scenario, name, action, "contract-path", "pass" if ok else "fail",
                      "" if ok else f"{collection} {'routes' if routed else 'does not route'} on real Manila, "
                      f"the contract's path is {contract.action_path}", status)
        if not routed:
            continue
        sink = RecordSink(f"cassette {cassette.scenario}: {name}")
        _suite_checks(Verifier(catalogue, contract, sink), action, item, exchange)
        for record in sink.records:
            outcome = {Outcome.PASS: "pass", Outcome.KNOWN_DEFECT: "known-defect"}.get(record.outcome, "fail")
            yield Verdict(cassette.scenario, name, action, record.requirement, outcome, record.message,
                          status, record.defect)
        rules = contract.actions[action]
        if status < 300 and rules.request_schema is not None:
            errors = contract.errors(rules.request_schema, concrete(item["request"]["json"]))
            yield Verdict(cassette.scenario, name, action, cat.fuzz_id(action, "negative"),
                          "fail" if errors else "pass",
                          "a request the contract forbids was accepted: " + "; ".join(errors) if errors else "",
                          status)
