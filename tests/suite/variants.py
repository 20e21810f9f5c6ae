"""Broken and benign variants of the reference target: small WSGI middlewares, each changing one thing.

A broken variant names the requirement it must fail and the narrow selection
(``--ssm-requirements`` and a ``-k`` expression) that catches it; a benign one
changes only what a conformant target may change (timing, JSON layout, header
case, driver progress steps) and must still conform.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

ADMIN = "admin:ad000000000000000000000000000001"
MEMBER = "demo:de000000000000000000000000000002"
PROJECT = "ad000000000000000000000000000001"
RELEASE = threading.Event()  # lets a hanging endpoint go when its test ends
_ACTION_PATH = re.compile(r"/share-servers/([^/]+)/action$")
_SERVER_PATH = re.compile(r"/share-servers/([^/]+)$")

Rewrite = Callable[[str | None, Request, Response], Response | None]
View = dict[str, Any] | None


def action_of(request: Request) -> str | None:
    try:
        body = json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        return None
    return next(iter(body)) if isinstance(body, dict) and len(body) == 1 else None


def _buffered(environ: dict[str, Any]) -> Request:
    request = Request(environ)
    environ["wsgi.input"] = io.BytesIO(request.get_data(cache=True))
    return request


def middleware(rewrite: Rewrite, *, before: Callable[[dict[str, Any]], None] | None = None):
    """Wrap the app: ``before`` may edit the request environ; ``rewrite`` may replace the response."""
    def wrap(app):
        def wrapped(environ, start_response):
            if before is not None:
                before(environ)
            request = _buffered(environ)
            response = Response.from_app(app, environ)
            changed = rewrite(action_of(request), request, response)
            return (changed or response)(environ, start_response)
        return wrapped
    return wrap


def peek(app, environ: dict[str, Any], server_id: str) -> View:
    """The server as the target's own GET shows it at 2.57 (None when it is gone)."""
    path = environ["PATH_INFO"].rsplit("/share-servers/", 1)[0] + f"/share-servers/{server_id}"
    probe = {k: v for k, v in environ.items() if not k.startswith("HTTP_X_OPENSTACK")}
    probe.update({"REQUEST_METHOD": "GET", "PATH_INFO": path, "CONTENT_LENGTH": "0", "QUERY_STRING": "",
                  "wsgi.input": io.BytesIO(b""), "HTTP_X_OPENSTACK_MANILA_API_VERSION": "2.57"})
    answer = Response.from_app(app, probe)
    body = body_of(answer)
    return body.get("share_server") if answer.status_code == 200 and isinstance(body, dict) else None


def manila(request: Request, status: int, body: Any = None) -> Response:
    """An answer with the headers a dispatched Manila answer carries."""
    version = request.headers.get("X-OpenStack-Manila-API-Version", "")
    data = b"" if body is None else json.dumps(body).encode()
    return Response(data, status, content_type="application/json", headers={
        "X-OpenStack-Manila-API-Version": version, "X-OpenStack-Manila-API-Experimental": "True",
        "Vary": "X-OpenStack-Manila-API-Version", "x-compute-request-id": "req-variant"})


def in_state(action: str, wanted: Callable[[View], bool], answer: Callable[[Request, View, Any], Response | None]):
    """When ``action`` reaches a server whose view satisfies ``wanted``, ``answer`` replaces the target's
    answer (it gets a thunk that runs the real request, for variants that forward and then lie)."""
    def wrap(app):
        def wrapped(environ, start_response):
            request = _buffered(environ)
            match = _ACTION_PATH.search(environ.get("PATH_INFO", ""))
            if match and action_of(request) == action:
                view = peek(app, environ, match.group(1))
                if wanted(view):
                    real = lambda: Response.from_app(app, environ)  # noqa: E731
                    changed = answer(request, view, real)
                    if changed is not None:
                        return changed(environ, start_response)
            return app(environ, start_response)
        return wrapped
    return wrap


def migrating(*task_states: str) -> Callable[[View], bool]:
    return lambda v: v is not None and v.get("status") == "server_migrating" and (
        not task_states or v.get("task_state") in task_states)


def status_is(status: str, task_state: str | None = None) -> Callable[[View], bool]:
    return lambda v: v is not None and v.get("status") == status and (task_state is None
                                                                      or v.get("task_state") == task_state)


def gone(v: View) -> bool:
    return v is None


def reply(status: int, body: Any = None):
    return lambda request, view, real: manila(request, status, body)


def forward_then(edit: Callable[[dict[str, Any], View], None]):
    """Run the real request, then edit a JSON success body."""
    def answer(request, view, real):
        response = real()
        body = body_of(response)
        if response.status_code == 200 and isinstance(body, dict):
            edit(body, view)
            return with_json(response, body)
        return response
    return answer


def body_of(response: Response) -> Any:
    try:
        return json.loads(response.get_data())
    except ValueError:
        return None


def with_json(response: Response, body: Any, status: int | None = None, **dump: Any) -> Response:
    response.set_data(json.dumps(body, **dump))
    if status is not None:
        response.status_code = status
    return response


def status_swap(action: str, old: int, new: int) -> Rewrite:
    def rewrite(name, request, response):
        if name == action and response.status_code == old:
            response.status_code = new
        return response
    return rewrite


def edit_body(action: str, edit: Callable[[dict[str, Any]], None], status: int = 200) -> Rewrite:
    def rewrite(name, request, response):
        body = body_of(response)
        if name == action and response.status_code == status and isinstance(body, dict):
            edit(body)
            return with_json(response, body)
        return response
    return rewrite


def decreasing_progress() -> Rewrite:
    calls = {"n": 0}

    def edit(body):
        calls["n"] += 1
        body["total_progress"] = 100 if calls["n"] % 2 else 0
    return edit_body("migration_get_progress", edit)


def accept_early_complete(name, request, response):
    if name == "migration_complete" and response.status_code == 400 and b"first phase" in response.get_data():
        return with_json(response, {"destination_share_server_id": "bogus"}, 200)
    return response


def accept_second_start(name, request, response):
    if name in ("migration_start", "migration_check") and response.status_code == 409:
        response.set_data(b"")
        response.status_code = 202
    return response


def set_header(name: str, value: str, only_if_missing: bool = True):
    key = "HTTP_" + name.upper().replace("-", "_")

    def before(environ):
        if not only_if_missing or key not in environ:
            environ[key] = value
    return before


def fault_rewrite(name, request, response):
    body = body_of(response)
    if response.status_code >= 400 and isinstance(body, dict) and len(body) == 1:
        inner = next(iter(body.values()))
        return with_json(response, {"error": {"message": inner.get("message"), "status": response.status_code}})
    return response


def html_content_type(name, request, response):
    if response.get_data():
        response.headers["Content-Type"] = "text/html; charset=UTF-8"
    return response


def garbage_progress(name, request, response):
    if name == "migration_get_progress":
        response.set_data(b"\x00\x17<html>not json")
    return response


def hang_progress(name, request, response):
    if name == "migration_get_progress":
        RELEASE.wait(20)
    return response


def reset_progress(app):
    """get_progress drops the connection instead of answering."""
    def wrapped(environ, start_response):
        request = _buffered(environ)
        if action_of(request) == "migration_get_progress":
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            raise ConnectionResetError("reset by the broken variant")  # werkzeug drops it quietly
        return app(environ, start_response)
    return wrapped


def drop_header(name: str) -> Rewrite:
    def rewrite(action, request, response):
        response.headers.pop(name, None)
        return response
    return rewrite


def progress_unknown_404(name, request, response):
    if name == "migration_get_progress" and b"destination share server" in response.get_data().lower():
        return with_json(response, {"itemNotFound": {"code": 404, "message": "not found"}}, 404)
    return response


def malformed_version_accepted(environ):
    version = environ.get("HTTP_X_OPENSTACK_MANILA_API_VERSION")
    if version is not None and not version.replace(".", "", 1).isdigit():
        environ["HTTP_X_OPENSTACK_MANILA_API_VERSION"] = "2.57"


def server_error_on_bad_json(name, request, response):
    if name is None and response.status_code == 400:
        return with_json(response, {"computeFault": {"code": 500, "message": "boom"}}, 500)
    return response


def cancel_crashes_when_idle(name, request, response):
    if name == "migration_cancel" and response.status_code == 400:
        return with_json(response, {"computeFault": {"code": 500, "message": "boom"}}, 500)
    return response


def check_without_network(request: Request) -> bool:
    params = (json.loads(request.get_data(cache=True) or b"null") or {}).get("migration_check")
    return isinstance(params, dict) and "new_share_network_id" not in params


def unavailable_without_network(name, request, response):
    """A 503 where upstream's defect is a 500 computeFault: the target's own failure."""
    if name == "migration_check" and check_without_network(request):
        return with_json(response, {"serviceUnavailable": {"code": 503, "message": "try later"}}, 503)
    return response


def html_500_without_network(name, request, response):
    if name == "migration_check" and check_without_network(request):
        response = with_json(response, None, 500)
        response.set_data(b"<html>Internal Server Error</html>")
    return response


def echo_parsed(name, request, response):
    """requested_capabilities echoes the parsed booleans, not the raw request values."""
    body = body_of(response)
    if name == "migration_check" and response.status_code == 200 and isinstance(body, dict):
        from manila_ssm.suite.fuzz import oslo_bool  # noqa: F401 - the suite's own reading is not needed here
        caps = body.get("requested_capabilities") or {}
        for flag in ("writable", "nondisruptive", "preserve_snapshots"):
            value = caps.get(flag)
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                caps[flag] = str(value).strip().lower() in ("1", "t", "true", "on", "y", "yes")
        return with_json(response, body)
    return response


def always_compatible(name, request, response):
    return edit_body("migration_check", lambda b: b.update(compatible=True))(name, request, response)


def lacks_but_compatible(name, request, response):
    """supported_capabilities says writable is missing, yet compatible stays true."""
    def edit(body):
        if body.get("compatible") is True:
            body["supported_capabilities"]["writable"] = False
    return edit_body("migration_check", edit)(name, request, response)


def view_goes_back(app):
    """Every other GET of a server at phase 1 done shows it back in migration_driver_in_progress.

    Counted per server, so that looking at another server in between (its destination) does not
    change which of the source's views steps back.
    """
    calls: dict[str, int] = {}

    def wrapped(environ, start_response):
        response = Response.from_app(app, environ)
        body = body_of(response)
        server = body.get("share_server") if isinstance(body, dict) else None
        if environ["REQUEST_METHOD"] == "GET" and _SERVER_PATH.search(environ.get("PATH_INFO", "")) \
                and isinstance(server, dict) and server.get("task_state") == "migration_driver_phase1_done":
            seen = calls[str(server.get("id"))] = calls.get(str(server.get("id")), 0) + 1
            if seen % 2 == 0:
                server["task_state"] = "migration_driver_in_progress"
                response = with_json(response, body)
        return response(environ, start_response)
    return wrapped


# -- benign -------------------------------------------------------------------

def slow(name, request, response):
    time.sleep(0.03)
    return response


def reorder_and_indent(name, request, response):
    body = body_of(response)
    if isinstance(body, dict) and response.get_data():
        def reverse(node):
            if isinstance(node, dict):
                return {k: reverse(node[k]) for k in reversed(list(node))}
            return [reverse(n) for n in node] if isinstance(node, list) else node
        return with_json(response, reverse(body), indent=4)
    return response


def header_case(name, request, response):
    headers = list(response.headers.items())
    response.headers.clear()
    for key, value in headers:
        response.headers.add(key.upper() if len(key) % 2 else key.lower(), value)
    return response


@dataclass(frozen=True)
class Variant:
    name: str
    wrap: Callable[[Any], Any] | None
    requirements: str  # the tests to run (--ssm-requirements)
    expected: str | None  # the requirement that must fail; None for a benign variant
    k: str = "not sequences"  # narrows the selection: the random machine runs only where named
    config: Any = None  # a TargetConfig for the reference target, when the variant is one of configuration
    # A known gap of the suite (issue 10, left open): why this variant is not yet failed under its
    # named requirement. Its test is a strict xfail, so it turns red the day the gap closes.
    gap: str | None = None

    @property
    def selection(self) -> tuple[str, str]:
        return (self.requirements, self.k)


def _accept_check(compatible: bool):
    """A 200 check answer that echoes its request exactly, as a target that took the check would send."""
    def answer(request, view, real):
        params = (json.loads(request.get_data(cache=True) or b"null") or {}).get("migration_check") or {}
        echo = {"host": params.get("host"), "share_network_id": params.get("new_share_network_id"),
                **{flag: params.get(flag) for flag in ("writable", "nondisruptive", "preserve_snapshots")}}
        supported = {"writable": True, "nondisruptive": True, "preserve_snapshots": True, "migration_cancel": True,
                     "migration_get_progress": True, "share_network_id": str(params.get("new_share_network_id"))}
        return manila(request, 200, {"compatible": compatible, "requested_capabilities": echo,
                                     "supported_capabilities": supported})
    return answer


def _late_complete(request, view, real):
    return manila(request, 200, {"destination_share_server_id": "bogus"})


def _progress(total, task, dest_from_view: bool = True):
    def edit(body, view):
        body.update(total_progress=total, task_state=task)
        if not dest_from_view:
            body["destination_share_server_id"] = ""
    return forward_then(edit)


def _mw(rewrite: Rewrite, **kw: Any):
    return middleware(rewrite, **kw)


TOUR = "modelled"
PROGRESS = "migration_get_progress"
BROKEN = [
    # Success codes, bodies, headers, faults (run against the shipped effective contract)
    Variant("check-answers-202", _mw(status_swap("migration_check", 200, 202)), "SSM-CHECK-ECHO-REQUESTED",
            "SSM-CHECK-STATUS-200"),
    Variant("start-answers-200", _mw(status_swap("migration_start", 202, 200)), "SSM-CANCEL-OUTCOME",
            "SSM-START-STATUS-202"),
    Variant("complete-answers-202", _mw(status_swap("migration_complete", 200, 202)), "SSM-COMPLETE-OUTCOME",
            "SSM-COMPLETE-STATUS-200"),
    Variant("cancel-answers-200", _mw(status_swap("migration_cancel", 202, 200)), "SSM-CANCEL-OUTCOME",
            "SSM-CANCEL-STATUS-202"),
    Variant("progress-misses-destination-id",
            _mw(edit_body(PROGRESS, lambda b: b.pop("destination_share_server_id", None))),
            "SSM-CANCEL-OUTCOME", "SSM-PROGRESS-RESPONSE-SCHEMA"),
    Variant("check-compatible-is-a-string", _mw(edit_body("migration_check", lambda b: b.update(compatible="true"))),
            "SSM-CHECK-ECHO-REQUESTED", "SSM-CHECK-RESPONSE-SCHEMA"),
    Variant("task-state-outside-the-set",
            _mw(edit_body(PROGRESS, lambda b: b.update(task_state="migration_phase_1_done"))),
            "SSM-CANCEL-OUTCOME", "SSM-TASK-STATE-VALUES"),
    Variant("progress-above-100", _mw(edit_body(PROGRESS, lambda b: b.update(total_progress=150))),
            "SSM-CANCEL-OUTCOME", "SSM-PROGRESS-RANGE"),
    Variant("progress-decreasing", _mw(decreasing_progress()), "SSM-CANCEL-OUTCOME", "SSM-PROGRESS-MONOTONIC"),
    Variant("complete-accepted-before-phase-1", _mw(accept_early_complete), "SSM-COMPLETE-EARLY-400",
            "SSM-COMPLETE-EARLY-400"),
    Variant("second-start-accepted", _mw(accept_second_start), "SSM-START-TWICE-409", "SSM-START-TWICE-409"),
    Variant("cancel-does-nothing", in_state("migration_cancel", migrating(), reply(202)), "SSM-CANCEL-OUTCOME",
            "SSM-CANCEL-OUTCOME"),
    Variant("policy-not-enforced", _mw(lambda n, q, r: r, before=set_header("X-Auth-Token", ADMIN, False)),
            "SSM-CHECK-POLICY-403", "SSM-CHECK-POLICY-403"),
    Variant("version-header-not-required",
            _mw(lambda n, q, r: r, before=set_header("X-OpenStack-Manila-API-Version", "2.57")),
            "SSM-VERSION-MISSING-404", "SSM-VERSION-MISSING-404"),
    Variant("experimental-header-not-required",
            _mw(lambda n, q, r: r, before=set_header("X-OpenStack-Manila-API-Experimental", "True", False)),
            "SSM-EXPERIMENTAL-REQUIRED-404", "SSM-EXPERIMENTAL-REQUIRED-404"),
    Variant("malformed-version-accepted", _mw(lambda n, q, r: r, before=malformed_version_accepted),
            "SSM-VERSION-MALFORMED-400", "SSM-VERSION-MALFORMED-400"),
    Variant("non-manila-fault-bodies", _mw(fault_rewrite), "SSM-PROGRESS-IDLE-400", "SSM-FAULT-SHAPE"),
    Variant("html-content-type", _mw(html_content_type), "SSM-CHECK-ECHO-REQUESTED", "SSM-HEADER-CONTENT-TYPE-JSON"),
    Variant("garbage-progress-body", _mw(garbage_progress), "SSM-PROGRESS-IDLE-400", "SSM-FAULT-SHAPE"),
    Variant("hanging-progress", _mw(hang_progress), "SSM-PROGRESS-IDLE-400", "SSM-PROGRESS-IDLE-400"),
    Variant("connection-reset-on-progress", reset_progress, "SSM-PROGRESS-IDLE-400", "SSM-PROGRESS-IDLE-400"),
    Variant("no-version-echo", _mw(drop_header("X-OpenStack-Manila-API-Version")), "SSM-CHECK-ECHO-REQUESTED",
            "SSM-HEADER-VERSION-ECHO"),
    Variant("no-vary", _mw(drop_header("Vary")), "SSM-CHECK-ECHO-REQUESTED", "SSM-HEADER-VARY"),
    Variant("no-request-id", _mw(drop_header("x-compute-request-id")), "SSM-VERSION-BELOW-MIN-404",
            "SSM-HEADER-REQUEST-ID"),
    Variant("no-network-check-503", _mw(unavailable_without_network), "SSM-CHECK-NETWORK-OPTIONAL",
            "SSM-CHECK-NETWORK-OPTIONAL"),
    Variant("no-network-check-html-500", _mw(html_500_without_network), "SSM-CHECK-NETWORK-OPTIONAL",
            "SSM-CHECK-NETWORK-OPTIONAL"),
    Variant("progress-unknown-id-404", _mw(progress_unknown_404), "SSM-PROGRESS-UNKNOWN-400",
            "SSM-PROGRESS-UNKNOWN-400"),
    Variant("server-error-on-malformed-json", _mw(server_error_on_bad_json), "SSM-CHECK-FUZZ-NEGATIVE",
            "SSM-CHECK-FUZZ-NEGATIVE"),
    # The state model: each row kind, broken the way a vendor's shortcut would break it
    Variant("progress-success-during-phase-1",
            in_state(PROGRESS, migrating("migration_in_progress", "migration_driver_starting",
                                         "migration_driver_in_progress"), _progress(100, "migration_success")),
            "SSM-PROGRESS-TASK-STATE-BY-STATE", "SSM-PROGRESS-TASK-STATE-BY-STATE", TOUR),
    Variant("complete-after-cancel-200", in_state("migration_complete", status_is("active", "migration_cancelled"),
                                                  _late_complete), "SSM-AFTER-CANCEL-400", "SSM-AFTER-CANCEL-400", TOUR),
    Variant("progress-after-cancel-200",
            in_state(PROGRESS, status_is("active", "migration_cancelled"),
                     reply(200, {"total_progress": 100, "task_state": "migration_cancelled",
                                 "destination_share_server_id": "bogus"})),
            "SSM-AFTER-CANCEL-400", "SSM-AFTER-CANCEL-400", TOUR),
    Variant("cancel-after-cancel-202", in_state("migration_cancel", status_is("active", "migration_cancelled"),
                                                reply(202)), "SSM-AFTER-CANCEL-400", "SSM-AFTER-CANCEL-400", TOUR),
    Variant("progress-below-100-at-phase-1-done",
            in_state(PROGRESS, migrating("migration_driver_phase1_done"), _progress(50, "migration_driver_phase1_done")),
            "SSM-PROGRESS-VALUE-BY-STATE", "SSM-PROGRESS-VALUE-BY-STATE", TOUR),
    Variant("progress-100-while-driver-starts",
            in_state(PROGRESS, migrating("migration_driver_starting"), _progress(100, "migration_driver_starting")),
            "SSM-PROGRESS-VALUE-BY-STATE", "SSM-PROGRESS-VALUE-BY-STATE", TOUR),
    Variant("progress-names-source-task-state",
            in_state(PROGRESS, migrating("migration_cancel_in_progress"),
                     _progress(100, "migration_cancel_in_progress")),
            "SSM-PROGRESS-TASK-STATE-BY-STATE", "SSM-PROGRESS-TASK-STATE-BY-STATE", TOUR),
    Variant("progress-task-state-null-in-phase-1",
            in_state(PROGRESS, migrating("migration_driver_starting"), _progress(0, None)),
            "SSM-PROGRESS-TASK-STATE-BY-STATE", "SSM-PROGRESS-TASK-STATE-BY-STATE", TOUR),
    Variant("progress-empty-destination-after-link",
            in_state(PROGRESS, migrating("migration_driver_phase1_done"),
                     _progress(100, "migration_driver_phase1_done", dest_from_view=False)),
            "SSM-PROGRESS-DEST-LINKED", "SSM-PROGRESS-DEST-LINKED", TOUR),
    Variant("progress-destination-before-link",
            in_state(PROGRESS, migrating("migration_starting"),
                     reply(200, {"total_progress": 0, "task_state": "",
                                 "destination_share_server_id": "0f0f0f0f-0000-4000-8000-000000000000"})),
            "SSM-PROGRESS-DEST-LINKED", "SSM-PROGRESS-DEST-LINKED", TOUR),
    Variant("cancel-accepted-before-driver", in_state("migration_cancel",
                                                      migrating("migration_starting", "migration_in_progress",
                                                                "migration_driver_starting"), reply(202)),
            "SSM-CANCEL-EARLY-400", "SSM-CANCEL-EARLY-400", TOUR),
    Variant("cancel-accepted-while-completing", in_state("migration_cancel", migrating("migration_completing"),
                                                         reply(202)), "SSM-CANCEL-LATE-400", "SSM-CANCEL-LATE-400", TOUR),
    Variant("complete-accepted-while-completing", in_state("migration_complete", migrating("migration_completing"),
                                                           _late_complete),
            "SSM-COMPLETE-LATE-400", "SSM-COMPLETE-LATE-400", TOUR),
    Variant("complete-accepted-while-cancelling",
            in_state("migration_complete", migrating("migration_cancel_in_progress"), _late_complete),
            "SSM-COMPLETE-LATE-400", "SSM-COMPLETE-LATE-400", TOUR),
    Variant("destination-accepts-check",
            in_state("migration_check", status_is("server_migrating_to"), _accept_check(False)),
            "SSM-DESTINATION-REFUSES", "SSM-DESTINATION-REFUSES", TOUR),
    Variant("destination-answers-progress",
            in_state(PROGRESS, status_is("server_migrating_to"),
                     reply(200, {"total_progress": 100, "task_state": "migration_driver_phase1_done",
                                 "destination_share_server_id": "bogus"})),
            "SSM-DESTINATION-REFUSES", "SSM-DESTINATION-REFUSES", TOUR),
    Variant("destination-accepts-cancel", in_state("migration_cancel", status_is("server_migrating_to"), reply(202)),
            "SSM-DESTINATION-REFUSES", "SSM-DESTINATION-REFUSES", TOUR),
    Variant("retired-source-accepts-complete",
            in_state("migration_complete", status_is("inactive", "migration_success"), _late_complete),
            "SSM-AFTER-SUCCESS-REFUSES", "SSM-AFTER-SUCCESS-REFUSES", TOUR),
    Variant("removed-source-check-409", in_state("migration_check", gone, reply(409, {"conflictingRequest": {
        "code": 409, "message": "busy"}})), "SSM-AFTER-SUCCESS-REFUSES", "SSM-AFTER-SUCCESS-REFUSES", TOUR),
    Variant("no-progress-after-success",
            in_state(PROGRESS, gone, reply(400, {"badRequest": {"code": 400, "message": "gone"}})),
            "SSM-PROGRESS-AFTER-SUCCESS", "SSM-PROGRESS-AFTER-SUCCESS", TOUR),
    Variant("inactive-server-accepts-check",
            in_state("migration_check", status_is("inactive", "migration_cancelled"), _accept_check(True)),
            "SSM-NOT-ACTIVE-REFUSES", "SSM-NOT-ACTIVE-REFUSES", TOUR),
    Variant("progress-refused-during-phase-1",
            in_state(PROGRESS, migrating("migration_driver_starting"),
                     reply(400, {"badRequest": {"code": 400, "message": "not now"}})),
            "SSM-PROGRESS-STATUS-200", "SSM-PROGRESS-STATUS-200", TOUR),
    Variant("complete-refused-when-due",
            in_state("migration_complete", migrating("migration_driver_phase1_done"),
                     reply(400, {"badRequest": {"code": 400, "message": "not now"}})),
            "SSM-COMPLETE-STATUS-200", "SSM-COMPLETE-STATUS-200", TOUR),
    Variant("idle-progress-200",
            in_state(PROGRESS, status_is("active"), reply(200, {"total_progress": 0, "task_state": "",
                                                               "destination_share_server_id": ""})),
            "SSM-PROGRESS-IDLE-400", "SSM-PROGRESS-IDLE-400"),
    Variant("view-steps-back", view_goes_back, "SSM-STATE-TRANSITIONS", "SSM-STATE-TRANSITIONS", TOUR),
    Variant("cancel-crashes-when-idle", _mw(cancel_crashes_when_idle), "SSM-STATEFUL-SEQUENCES",
            "SSM-STATEFUL-SEQUENCES", "sequences"),
    # migration_check consistency
    Variant("echo-parsed-booleans", _mw(echo_parsed), "SSM-BODY-BOOLEAN-SPELLINGS", "SSM-CHECK-ECHO-REQUESTED"),
    Variant("echo-drops-network", _mw(edit_body("migration_check",
                                                lambda b: b["requested_capabilities"].pop("share_network_id", None))),
            "SSM-CHECK-ECHO-REQUESTED", "SSM-CHECK-ECHO-REQUESTED"),
    # compatible: true for a flag the destination lacks is caught first as an inconsistency
    Variant("always-compatible", _mw(always_compatible), "SSM-CHECK-INCOMPATIBLE-FALSE",
            "SSM-CHECK-COMPATIBLE-CONSISTENT"),
    Variant("compatible-though-lacking", _mw(lacks_but_compatible), "SSM-CHECK-ECHO-REQUESTED",
            "SSM-CHECK-COMPATIBLE-CONSISTENT"),
    Variant("second-start-400", in_state("migration_start", migrating(), reply(400, {"badRequest": {
        "code": 400, "message": "busy"}})), "SSM-START-TWICE-409", "SSM-START-TWICE-409"),
]


def _progress_steps() -> Any:
    from manila_ssm.reference.config import TargetConfig, Timings

    default = TargetConfig.default()
    return TargetConfig(backends=default.backends, timings=Timings(step=default.timings.step, progress_step=7))


BENIGN_SELECTION = "SSM-COMPLETE-OUTCOME,SSM-CANCEL-OUTCOME,SSM-CHECK-ECHO-REQUESTED,SSM-PROGRESS-IDLE-400"
BENIGN = [
    Variant("slow-answers", _mw(slow), BENIGN_SELECTION, None),
    Variant("reordered-indented-json", _mw(reorder_and_indent), BENIGN_SELECTION, None),
    Variant("header-names-in-other-case", _mw(header_case), BENIGN_SELECTION, None),
    Variant("driver-progress-in-7-percent-steps", None, BENIGN_SELECTION, None, config=_progress_steps()),
]

# The tour decides every model requirement at once: its variants share one selection, hence one control run.
TOUR_REQUIREMENTS = "SSM-STATE-TRANSITIONS"
BROKEN = [dataclasses.replace(v, requirements=TOUR_REQUIREMENTS) if v.k == TOUR else v for v in BROKEN]
