"""The suite's per-action requirements, decided on recorded exchanges.

Every cassette interaction that is a well-formed, dispatched action call
(admin token, microversion 2.57 or later, experimental header, a body whose
single key is an action) is held to a contract: a success must have the
contract's code and response schema, and must not have been a request the
contract's request schema forbids; an error must be one of the action's
documented codes. A 5xx is never a pass: it is reported as a known upstream
defect when it is one of the listed ones, and as a failure otherwise.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from manila_ssm.realmanila.cassette import Cassette, placeholders
from manila_ssm.realmanila.replay import Bindings
from manila_ssm.suite import catalogue as cat
from manila_ssm.suite.contract import ACTIONS, Contract

_ACTION_PATH = re.compile(r"^/v2(?:/\{project:admin\})?/(share[-_]servers)/[^/]+/action$")
_TRUE = frozenset({"1", "t", "true", "on", "y", "yes"})
# Upstream 500s the suite's catalogue knows (behaviour §2.7), by interaction name.
KNOWN_DEFECTS = {
    "check without new_share_network_id": "SSM-DEFECT-CHECK-NO-NETWORK-500",
    "check to a numeric host": "SSM-DEFECT-HOST-NOT-STRING-500",
    "check to a host without a back end": "SSM-DEFECT-HOST-NO-AT-500",
    "check to an empty host": "SSM-DEFECT-HOST-NO-AT-500",
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


def decide(cassette: Cassette, contract: Contract) -> Iterator[Verdict]:
    for item in cassette.interactions:
        action = dispatched_action(item)
        if action is None:
            continue
        rules = contract.actions[action]
        status = item["response"]["status"]
        body = concrete(item["response"].get("json"))
        name = item["name"]

        def verdict(requirement: str, ok: bool, message: str) -> Verdict:
            return Verdict(cassette.scenario, name, action, requirement, "pass" if ok else "fail",
                           "" if ok else message, status)

        # The contract's collection must route and any other spelling must not:
        # an unrouted request gets the router's plain 404 (it has a "title").
        collection = _ACTION_PATH.match(item["request"]["path"]).group(1)
        routed = not (status == 404 and isinstance(body, dict) and "title" in body)
        yield verdict("contract-path", routed == (f"/{collection}/" in contract.action_path),
                      f"{collection} {'routes' if routed else 'does not route'} on real Manila, "
                      f"the contract's path is {contract.action_path}")
        if not routed:
            continue
        if status >= 500:
            defect = KNOWN_DEFECTS.get(name)
            yield Verdict(cassette.scenario, name, action, defect or cat.error_codes_id(action),
                          "known-defect" if defect else "fail", f"upstream answered {status}", status)
            continue
        if status < 300:
            yield verdict(cat.status_id(action, rules.success_code), status == rules.success_code,
                          f"expected {rules.success_code}, got {status}")
            if rules.response_schema is None:
                yield verdict(cat.schema_id(action), body is None, "expected no body")
            else:
                errors = contract.errors(rules.response_schema, body)
                yield verdict(cat.schema_id(action), not errors, "; ".join(errors))
            if rules.request_schema is not None:
                errors = contract.errors(rules.request_schema, concrete(item["request"]["json"]))
                yield verdict(cat.fuzz_id(action, "negative"), not errors,
                              "a request the contract forbids was accepted: " + "; ".join(errors))
        else:
            yield verdict(cat.error_codes_id(action), status in rules.error_codes,
                          f"{status} is not among the documented {sorted(rules.error_codes)}")
