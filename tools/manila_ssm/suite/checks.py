"""Checks: each decides one requirement on recorded exchanges, and records the verdict.

A test calls these through the ``ssm`` fixture's :class:`Verifier`. A broken
requirement raises :class:`RequirementFailure` (an ``AssertionError``, so
pytest says FAILED) naming the requirement and carrying the exchanges; a known
upstream defect ends the test as xfail with the defect id; everything that
held is recorded as a pass, once per test, requirement and action.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any, NoReturn

import pytest

from manila_ssm.suite import catalogue as cat
from manila_ssm.suite.catalogue import Catalogue
from manila_ssm.suite.client import EXPERIMENTAL_HEADER, REQUEST_ID_HEADER, VERSION_HEADER
from manila_ssm.suite.contract import Contract
from manila_ssm.suite.outcomes import Exchange, Outcome, Record, RecordSink, RequirementFailure

# manila/api/openstack/wsgi.py Fault: status -> fault name; anything else is computeFault
FAULT_NAMES = {
    400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound", 405: "badMethod",
    409: "conflictingRequest", 413: "overLimit", 415: "badMediaType", 501: "notImplemented",
    503: "serviceUnavailable",
}
_TRUE_SPELLINGS = frozenset({"1", "t", "true", "on", "y", "yes"})
_FALSE_SPELLINGS = frozenset({"0", "f", "false", "off", "n", "no"})
_FLAGS = ("writable", "nondisruptive", "preserve_snapshots")
_ABSENT = object()


def _parsed(value: Any) -> bool | None:
    """oslo's strict boolean reading (manila/utils.py), None for what it refuses."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (dict, list)) or value is None:
        return None
    text = str(value).strip().lower()
    return True if text in _TRUE_SPELLINGS else False if text in _FALSE_SPELLINGS else None


def fault_name(status: int) -> str:
    return FAULT_NAMES.get(status, "computeFault")


class Verifier:
    """Records verdicts on requirements for one test."""

    def __init__(self, catalogue: Catalogue, contract: Contract, sink: RecordSink) -> None:
        self.catalogue = catalogue
        self.contract = contract
        self.sink = sink

    # -- verdicts -------------------------------------------------------------

    def passed(self, requirement: str, *exchanges: Exchange, action: str | None = None) -> None:
        self.catalogue[requirement]  # an unknown id is a bug in the suite, not in the target
        if any(r.requirement == requirement and r.action == action for r in self.sink.records):
            return
        self.sink.add(Record(requirement, Outcome.PASS, self.sink.test, action=action,
                             evidence=tuple(e.to_dict(excerpt=200) for e in exchanges[:1])))

    def fail(self, requirement: str, message: str, *exchanges: Exchange, action: str | None = None) -> NoReturn:
        self.catalogue[requirement]
        self.sink.add(Record(requirement, Outcome.FAIL, self.sink.test, message, action=action,
                             evidence=tuple(e.to_dict() for e in exchanges)))
        raise RequirementFailure(requirement, message, tuple(exchanges))

    def require(self, requirement: str, ok: bool, message: str, *exchanges: Exchange,
                action: str | None = None) -> None:
        if ok:
            self.passed(requirement, *exchanges, action=action)
        else:
            self.fail(requirement, message, *exchanges, action=action)

    def known_defect(self, requirement: str, exchange: Exchange, action: str | None = None) -> NoReturn:
        defect = self.catalogue[requirement].defect
        assert defect is not None, f"{requirement} has no known defect in the catalogue"
        message = f"{defect.id}: {defect.title} ({defect.source})"
        self.sink.add(Record(requirement, Outcome.KNOWN_DEFECT, self.sink.test, message, defect=defect.id,
                             action=action, evidence=(exchange.to_dict(),)))
        pytest.xfail(f"known upstream defect {message}")

    def observed_defect(self, requirement: str, defect: str, exchange: Exchange, action: str | None = None) -> NoReturn:
        """A check that is not itself about a defect ran into one (e.g. while fuzzing)."""
        message = f"{defect}: hit while checking {requirement}"
        self.sink.add(Record(requirement, Outcome.KNOWN_DEFECT, self.sink.test, message, defect=defect,
                             action=action, evidence=(exchange.to_dict(),)))
        pytest.xfail(f"known upstream defect {message}")

    def skip(self, requirement: str, reason: str, action: str | None = None) -> None:
        self.sink.add(Record(requirement, Outcome.SKIP, self.sink.test, reason, action=action))

    # -- checks on one exchange ------------------------------------------------

    def status(self, requirement: str, exchange: Exchange, expected: int | Collection[int],
               *, action: str | None = None) -> None:
        """The answer arrived and has one of the ``expected`` codes (or is the requirement's known defect)."""
        codes = {expected} if isinstance(expected, int) else set(expected)
        if exchange.status is None:
            self.fail(requirement, f"expected {_codes(codes)} but got {exchange.error}", exchange, action=action)
        if exchange.status in codes:
            self.passed(requirement, exchange, action=action)
            return
        defect = self.catalogue[requirement].defect
        if defect is not None and upstream_defect(exchange, action) == defect.id:
            self.known_defect(requirement, exchange, action)
        message = f"expected {_codes(codes)}, got {exchange.status}"
        if 200 <= exchange.status < 300 and all(200 <= c < 300 for c in codes):
            # Another success code: the action did succeed, so the scenario goes on and checks the rest.
            self.defer(requirement, message, exchange, action)
            return
        self.fail(requirement, message, exchange, action=action)

    def defer(self, requirement: str, message: str, exchange: Exchange, action: str | None) -> None:
        """Record a failure without stopping the test; the plugin fails the test with it at the end."""
        self.sink.add(Record(requirement, Outcome.FAIL, self.sink.test, message, action=action,
                             evidence=(exchange.to_dict(),)))
        self.sink.deferred.append(RequirementFailure(requirement, message, (exchange,)))

    def json_content(self, exchange: Exchange, action: str | None = None) -> None:
        if not exchange.response_body:
            return
        content_type = (exchange.header("Content-Type") or "").split(";")[0].strip().lower()
        self.require("SSM-HEADER-CONTENT-TYPE-JSON", content_type == "application/json",
                     f"a {exchange.status} answer with a body has Content-Type {content_type or 'none'!r}",
                     exchange, action=action)

    def fault(self, exchange: Exchange, action: str | None = None) -> None:
        """An error answer is a Manila fault whose name matches its status."""
        self.json_content(exchange, action)
        assert exchange.status is not None
        name = fault_name(exchange.status)
        body = exchange.json
        inner = body.get(name) if isinstance(body, dict) and len(body) == 1 else None
        ok = (isinstance(inner, dict) and type(inner.get("code")) is int and inner["code"] == exchange.status
              and isinstance(inner.get("message"), str))
        shown = exchange.response_body[:120] or "an empty body"
        self.require("SSM-FAULT-SHAPE", ok,
                     f'a {exchange.status} answer must be {{"{name}": {{"code": {exchange.status}, '
                     f'"message": "..."}}}}, got {shown}', exchange, action=action)

    def echoed_headers(self, exchange: Exchange, version: str, experimental: bool,
                       action: str | None = None) -> None:
        echoed = exchange.header(VERSION_HEADER)
        self.require("SSM-HEADER-VERSION-ECHO", echoed == version,
                     f"answer echoes {VERSION_HEADER}: {echoed!r}, expected {version!r}", exchange, action=action)
        # manila/api/openstack/wsgi.py: Vary names the version header wherever the version is echoed
        vary = {v.strip().lower() for v in (exchange.header("Vary") or "").split(",")}
        self.require("SSM-HEADER-VARY", VERSION_HEADER.lower() in vary,
                     f"answer carries Vary: {exchange.header('Vary')!r}, expected it to name {VERSION_HEADER}",
                     exchange, action=action)
        if experimental:
            flag = (exchange.header(EXPERIMENTAL_HEADER) or "").strip().lower()
            self.require("SSM-HEADER-EXPERIMENTAL-ECHO", flag in _TRUE_SPELLINGS,
                         f"answer carries {EXPERIMENTAL_HEADER}: {flag or 'nothing'!r}, expected True",
                         exchange, action=action)

    def request_id(self, exchange: Exchange, action: str | None = None) -> None:
        """Kept apart from :meth:`echoed_headers`: the real-Manila cassettes do not record request ids."""
        request_id = (exchange.header(REQUEST_ID_HEADER) or "").strip()
        self.require("SSM-HEADER-REQUEST-ID", bool(request_id),
                     f"answer carries no {REQUEST_ID_HEADER}", exchange, action=action)

    def documented_error(self, action: str, exchange: Exchange) -> None:
        codes = self.contract.actions[action].error_codes
        assert exchange.status is not None
        self.require(cat.error_codes_id(action), exchange.status in codes and exchange.status < 500,
                     f"{action} answered {exchange.status}, which is not a documented error code "
                     f"({_codes(set(codes))})", exchange, action=action)

    def check_answer(self, exchange: Exchange, *, exact: bool) -> None:
        """A check answer agrees with its request: the echo, and compatible against supported_capabilities.

        ``exact``: the effective contract's raw echo (erratum SSM-E09) with exactly
        the five keys; the documented one also takes a flag echoed parsed.
        """
        action = "migration_check"
        try:
            request = json.loads(exchange.request_body).get(action)
        except (ValueError, AttributeError):
            return
        body = exchange.json
        if not isinstance(request, dict) or not isinstance(body, dict):
            return
        echo = body.get("requested_capabilities")
        wanted = {"host": request.get("host"), "share_network_id": request.get("new_share_network_id"),
                  **{flag: request.get(flag) for flag in _FLAGS}}
        problems = [] if isinstance(echo, dict) else [f"requested_capabilities is {echo!r}"]
        for key, value in wanted.items() if isinstance(echo, dict) else ():
            got = echo.get(key, _ABSENT)
            same = got == value and type(got) is type(value)
            if not same and not exact and key in _FLAGS and isinstance(got, bool):
                same = got is _parsed(value)
            if not same:
                problems.append(f"{key} {'missing' if got is _ABSENT else repr(got)}, sent {value!r}")
        if exact and isinstance(echo, dict) and set(echo) - set(wanted):
            problems.append(f"keys not in the request: {', '.join(sorted(set(echo) - set(wanted)))}")
        self.require("SSM-CHECK-ECHO-REQUESTED", not problems,
                     "requested_capabilities does not echo the request: " + "; ".join(problems), exchange,
                     action=action)
        supported = body.get("supported_capabilities")
        if body.get("compatible") is not True or not isinstance(supported, dict):
            return
        lacking = [flag for flag in _FLAGS if _parsed(request.get(flag)) is True and supported.get(flag) is False]
        self.require("SSM-CHECK-COMPATIBLE-CONSISTENT", not lacking,
                     f"compatible is true, yet the request asks for {', '.join(lacking)}, which "
                     "supported_capabilities says the destination lacks", exchange, action=action)

    # -- composite checks -----------------------------------------------------

    def success(self, action: str, exchange: Exchange, version: str) -> Any:
        """The action succeeded as the contract says: code, body, headers. Returns the body."""
        contract = self.contract.actions[action]
        self.status(cat.status_id(action, contract.success_code), exchange, contract.success_code, action=action)
        self.response_body(action, exchange)
        self.echoed_headers(exchange, version, contract.experimental, action)
        self.request_id(exchange, action)
        return exchange.json if isinstance(exchange.json, dict) else {}

    def response_body(self, action: str, exchange: Exchange) -> None:
        contract = self.contract.actions[action]
        requirement = cat.schema_id(action)
        if contract.response_schema is None:
            self.require(requirement, not exchange.response_body.strip(),
                         f"{action} must answer without a body, got {exchange.response_body[:120]}",
                         exchange, action=action)
            return
        self.json_content(exchange, action)
        if not exchange.json_ok:
            self.fail(requirement, f"{action} answer is not JSON: {exchange.response_body[:120]!r}",
                      exchange, action=action)
        errors = self.contract.errors(contract.response_schema, exchange.json)
        if errors:
            # The action succeeded; the scenario goes on, and the test fails at its end.
            self.defer(requirement, f"{action} answer breaks the response schema: " + "; ".join(errors),
                       exchange, action)
        else:
            self.passed(requirement, exchange, action=action)

    def error(self, requirement: str, action: str | None, exchange: Exchange, expected: int | Collection[int],
              *, version: str | None = "2.57", experimental: bool = True, documented: bool = True) -> None:
        """An expected error answer: code, fault shape, documented code, echoed headers.

        ``documented=False`` for framework-level answers (routing, versions,
        content type) that an action's list of error codes does not cover.
        """
        self.status(requirement, exchange, expected, action=action)
        self.fault(exchange, action)
        if action is not None and documented:
            self.documented_error(action, exchange)
        if version is not None:
            self.echoed_headers(exchange, version, experimental, action)
            self.request_id(exchange, action)


def upstream_defect(exchange: Exchange, action: str | None) -> str | None:
    """The known upstream defect this answer is, if any: upstream's 500 computeFault to the very
    request the defect describes (as the fuzzer judges it). Any other 5xx is the target's own failure."""
    body = exchange.json
    fault = body.get("computeFault") if isinstance(body, dict) and len(body) == 1 else None
    if exchange.status != 500 or not (isinstance(fault, dict) and fault.get("code") == 500):
        return None
    try:
        request = json.loads(exchange.request_body)
    except ValueError:
        return None
    if action is None and isinstance(request, dict) and len(request) == 1:
        action = next(iter(request))
    if action is None:
        return None
    from manila_ssm.suite.fuzz import known_defect  # imported late: it loads schemathesis

    return known_defect(action, request, exchange.status)


def _codes(codes: set[int]) -> str:
    return " or ".join(str(c) for c in sorted(codes))


def reached(records: Sequence[Record]) -> set[str]:
    return {record.requirement for record in records}
