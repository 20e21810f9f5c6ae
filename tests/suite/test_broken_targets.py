"""The suite is sharp: each deliberately broken variant of the reference target fails the named requirement.

Every variant is the reference target behind one small WSGI middleware that
breaks one thing. The suite runs only the tests of the requirements that
should catch it (``--ssm-requirements``), with short timeouts, and must end
FAILED with the expected requirement id failing in its JSON report.
"""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from manila_ssm import paths

ADMIN = "admin:ad000000000000000000000000000001"
MEMBER = "demo:de000000000000000000000000000002"
PROJECT = "ad000000000000000000000000000001"
FIXTURE_OPENAPI = Path(__file__).parent / "data" / "openapi-fixture.json"
RELEASE = threading.Event()  # lets a hanging endpoint go when its test ends

Rewrite = Callable[[str | None, Request, Response], Response | None]


def action_of(request: Request) -> str | None:
    try:
        body = json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        return None
    return next(iter(body)) if isinstance(body, dict) and len(body) == 1 else None


def middleware(rewrite: Rewrite, *, before: Callable[[dict[str, Any]], None] | None = None):
    """Wrap the app: ``before`` may edit the request environ; ``rewrite`` may replace the response."""
    def wrap(app):
        def wrapped(environ, start_response):
            if before is not None:
                before(environ)
            request = Request(environ)
            environ["wsgi.input"] = io.BytesIO(request.get_data(cache=True))
            response = Response.from_app(app, environ)
            changed = rewrite(action_of(request), request, response)
            return (changed or response)(environ, start_response)
        return wrapped
    return wrap


def body_of(response: Response) -> Any:
    try:
        return json.loads(response.get_data())
    except ValueError:
        return None


def with_json(response: Response, body: Any, status: int | None = None) -> Response:
    response.set_data(json.dumps(body))
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


def cancel_does_nothing(app):
    """Cancel answers 202 while migrating (as if accepted) but never reaches the target."""
    def wrapped(environ, start_response):
        request = Request(environ)
        environ["wsgi.input"] = io.BytesIO(request.get_data(cache=True))
        if action_of(request) == "migration_cancel":
            probe_body = b'{"migration_get_progress": null}'
            probe = Response.from_app(app, {**environ, "wsgi.input": io.BytesIO(probe_body),
                                            "CONTENT_LENGTH": str(len(probe_body))})
            if probe.status_code == 200:  # migrating: pretend to cancel
                version = request.headers.get("X-OpenStack-Manila-API-Version", "")
                fake = Response(b"", 202, content_type="application/json",
                                headers={"X-OpenStack-Manila-API-Version": version,
                                         "X-OpenStack-Manila-API-Experimental": "True",
                                         "Vary": "X-OpenStack-Manila-API-Version",
                                         "x-compute-request-id": "req-fake"})
                return fake(environ, start_response)
        return app(environ, start_response)
    return wrapped


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
        request = Request(environ)
        environ["wsgi.input"] = io.BytesIO(request.get_data(cache=True))
        if action_of(request) == "migration_get_progress":
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            raise ConnectionResetError("reset by the broken variant")  # werkzeug drops it quietly
        return app(environ, start_response)
    return wrapped


def drop_version_echo(name, request, response):
    response.headers.pop("X-OpenStack-Manila-API-Version", None)
    return response


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


def nothing(name, request, response):
    return response


@dataclass(frozen=True)
class Variant:
    name: str
    wrap: Callable[[Any], Any]
    requirements: str  # the tests to run (--ssm-requirements)
    expected: str  # the requirement that must fail


def _id(variant: Variant) -> str:
    return variant.name


VARIANTS = [
    Variant("check-answers-202", middleware(status_swap("migration_check", 200, 202)),
            "SSM-CHECK-ECHO-REQUESTED", "SSM-CHECK-STATUS-200"),
    Variant("start-answers-200", middleware(status_swap("migration_start", 202, 200)),
            "SSM-CANCEL-OUTCOME", "SSM-START-STATUS-202"),
    Variant("complete-answers-202", middleware(status_swap("migration_complete", 200, 202)),
            "SSM-COMPLETE-OUTCOME", "SSM-COMPLETE-STATUS-200"),
    Variant("cancel-answers-200", middleware(status_swap("migration_cancel", 202, 200)),
            "SSM-CANCEL-OUTCOME", "SSM-CANCEL-STATUS-202"),
    Variant("progress-misses-destination-id",
            middleware(edit_body("migration_get_progress", lambda b: b.pop("destination_share_server_id", None))),
            "SSM-CANCEL-OUTCOME", "SSM-PROGRESS-RESPONSE-SCHEMA"),
    Variant("check-compatible-is-a-string",
            middleware(edit_body("migration_check", lambda b: b.update(compatible="true"))),
            "SSM-CHECK-ECHO-REQUESTED", "SSM-CHECK-RESPONSE-SCHEMA"),
    Variant("task-state-outside-the-set",
            middleware(edit_body("migration_get_progress", lambda b: b.update(task_state="migration_phase_1_done"))),
            "SSM-CANCEL-OUTCOME", "SSM-TASK-STATE-VALUES"),
    Variant("progress-above-100", middleware(edit_body("migration_get_progress", lambda b: b.update(total_progress=150))),
            "SSM-CANCEL-OUTCOME", "SSM-PROGRESS-RANGE"),
    Variant("progress-decreasing", middleware(decreasing_progress()), "SSM-CANCEL-OUTCOME", "SSM-PROGRESS-MONOTONIC"),
    Variant("complete-accepted-before-phase-1", middleware(accept_early_complete),
            "SSM-COMPLETE-EARLY-400", "SSM-COMPLETE-EARLY-400"),
    Variant("second-start-accepted", middleware(accept_second_start), "SSM-START-TWICE-409", "SSM-START-TWICE-409"),
    Variant("cancel-does-nothing", cancel_does_nothing, "SSM-CANCEL-OUTCOME", "SSM-CANCEL-OUTCOME"),
    Variant("policy-not-enforced", middleware(nothing, before=set_header("X-Auth-Token", ADMIN, only_if_missing=False)),
            "SSM-CHECK-POLICY-403", "SSM-CHECK-POLICY-403"),
    Variant("version-header-not-required",
            middleware(nothing, before=set_header("X-OpenStack-Manila-API-Version", "2.57")),
            "SSM-VERSION-MISSING-404", "SSM-VERSION-MISSING-404"),
    Variant("experimental-header-not-required",
            middleware(nothing, before=set_header("X-OpenStack-Manila-API-Experimental", "True", only_if_missing=False)),
            "SSM-EXPERIMENTAL-REQUIRED-404", "SSM-EXPERIMENTAL-REQUIRED-404"),
    Variant("malformed-version-accepted", middleware(nothing, before=malformed_version_accepted),
            "SSM-VERSION-MALFORMED-400", "SSM-VERSION-MALFORMED-400"),
    Variant("non-manila-fault-bodies", middleware(fault_rewrite), "SSM-PROGRESS-IDLE-400", "SSM-FAULT-SHAPE"),
    Variant("html-content-type", middleware(html_content_type), "SSM-CHECK-ECHO-REQUESTED",
            "SSM-HEADER-CONTENT-TYPE-JSON"),
    Variant("garbage-progress-body", middleware(garbage_progress), "SSM-PROGRESS-IDLE-400", "SSM-FAULT-SHAPE"),
    Variant("hanging-progress", middleware(hang_progress), "SSM-PROGRESS-IDLE-400", "SSM-PROGRESS-IDLE-400"),
    Variant("connection-reset-on-progress", reset_progress, "SSM-PROGRESS-IDLE-400", "SSM-PROGRESS-IDLE-400"),
    Variant("no-version-echo", middleware(drop_version_echo), "SSM-CHECK-ECHO-REQUESTED", "SSM-HEADER-VERSION-ECHO"),
    Variant("no-vary", middleware(drop_header("Vary")), "SSM-CHECK-ECHO-REQUESTED", "SSM-HEADER-VARY"),
    Variant("no-request-id", middleware(drop_header("x-compute-request-id")), "SSM-VERSION-BELOW-MIN-404",
            "SSM-HEADER-REQUEST-ID"),
    Variant("no-network-check-503", middleware(unavailable_without_network), "SSM-CHECK-NETWORK-OPTIONAL",
            "SSM-CHECK-NETWORK-OPTIONAL"),
    Variant("no-network-check-html-500", middleware(html_500_without_network), "SSM-CHECK-NETWORK-OPTIONAL",
            "SSM-CHECK-NETWORK-OPTIONAL"),
    Variant("progress-unknown-id-404", middleware(progress_unknown_404), "SSM-PROGRESS-UNKNOWN-400",
            "SSM-PROGRESS-UNKNOWN-400"),
    Variant("cancel-crashes-when-idle", middleware(cancel_crashes_when_idle), "SSM-STATEFUL-SEQUENCES",
            "SSM-STATEFUL-SEQUENCES"),
    Variant("server-error-on-malformed-json", middleware(server_error_on_bad_json), "SSM-CHECK-FUZZ-NEGATIVE",
            "SSM-CHECK-FUZZ-NEGATIVE"),
]


def test_at_least_fifteen_distinct_defects() -> None:
    assert len({v.name for v in VARIANTS}) == len(VARIANTS) >= 15
    assert len({v.expected for v in VARIANTS}) >= 15


@pytest.mark.parametrize("variant", VARIANTS, ids=_id)
def test_suite_fails_the_named_requirement(pytester: pytest.Pytester, variant: Variant) -> None:
    from manila_ssm.reference import ReferenceTarget

    RELEASE.clear()
    target = ReferenceTarget.start(wrap=variant.wrap)
    try:
        result = pytester.runpytest_inprocess(
            str(paths.conformance_dir()), "-p", "no:randomly", "--assert=plain", f"--ssm-openapi={FIXTURE_OPENAPI}",
            f"--ssm-base-url={target.base_url}/v2/{PROJECT}", f"--ssm-admin-token={ADMIN}",
            f"--ssm-member-token={MEMBER}", f"--ssm-requirements={variant.requirements}",
            f"--ssm-reports-dir={pytester.path / 'reports'}", "--ssm-wait-timeout=3", "--ssm-request-timeout=1",
            "--ssm-max-examples=20", "--ssm-seed=1",
        )
    finally:
        RELEASE.set()
        target.stop()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()[-2000:]
    report = json.loads((pytester.path / "reports" / "conformance.json").read_text())
    failed = {r["id"] for r in report["requirements"] if r["outcome"] == "fail"}
    assert variant.expected in failed, f"failed: {sorted(failed)}"
    result.stdout.fnmatch_lines([f"*{variant.expected}*", "*verdict: target DOES NOT CONFORM*"])
    shown = result.stdout.str() + result.stderr.str() + (pytester.path / "reports" / "conformance.md").read_text()
    assert "Traceback" not in result.stdout.str()
    assert ADMIN not in shown and MEMBER not in shown and json.dumps(report).count(ADMIN) == 0


def upstream_defects(name, request, response):
    """What upstream Manila does (behaviour §2.7): a 500 for a check without new_share_network_id."""
    body = json.loads(request.get_data(cache=True) or b"null") if name else None
    params = body.get(name) if isinstance(body, dict) else None
    if name == "migration_check" and isinstance(params, dict) and "new_share_network_id" not in params:
        return with_json(response, {"computeFault": {"code": 500, "message": "The server has either erred"}}, 500)
    return response


def test_known_upstream_defects_are_reported_as_such(pytester: pytest.Pytester) -> None:
    from manila_ssm.reference import ReferenceTarget

    target = ReferenceTarget.start(wrap=middleware(upstream_defects))
    try:
        result = pytester.runpytest_inprocess(
            str(paths.conformance_dir()), "-p", "no:randomly", "--assert=plain", f"--ssm-openapi={FIXTURE_OPENAPI}",
            f"--ssm-base-url={target.base_url}/v2/{PROJECT}", f"--ssm-admin-token={ADMIN}",
            "--ssm-requirements=SSM-CHECK-NETWORK-OPTIONAL,SSM-CHECK-FUZZ-POSITIVE", "--ssm-max-examples=30",
            f"--ssm-reports-dir={pytester.path / 'reports'}", "--ssm-seed=3",
        )
    finally:
        target.stop()
    assert result.ret == pytest.ExitCode.OK
    report = json.loads((pytester.path / "reports" / "conformance.json").read_text())
    by_id = {r["id"]: r for r in report["requirements"]}
    network = by_id["SSM-CHECK-NETWORK-OPTIONAL"]
    assert network["outcome"] == "known-defect"
    assert network["results"][0]["defect"] == "SSM-DEFECT-CHECK-NO-NETWORK-500"
    assert by_id["SSM-CHECK-FUZZ-POSITIVE"]["outcome"] in ("known-defect", "pass")
    result.stdout.fnmatch_lines(["*KNOWN-DEFECT*SSM-CHECK-NETWORK-OPTIONAL*SSM-DEFECT-CHECK-NO-NETWORK-500*",
                                 "*verdict: target INCOMPLETE*known-defect*"])


def refuse_without_network(name, request, response):
    """A target following the effective schema: check without new_share_network_id is a 400."""
    if name == "migration_check" and check_without_network(request):
        return with_json(response, {"badRequest": {"code": 400, "message": "new_share_network_id is required"}}, 400)
    return response


@pytest.mark.parametrize(("contract", "outcome"), [("effective", "pass"), ("documented", "fail")])
def test_a_refused_check_without_network_follows_the_effective_contract(
        pytester: pytest.Pytester, contract: str, outcome: str) -> None:
    from manila_ssm.reference import ReferenceTarget

    openapi = [f"--ssm-openapi={FIXTURE_OPENAPI}"] if contract == "effective" else []
    target = ReferenceTarget.start(wrap=middleware(refuse_without_network))
    try:
        result = pytester.runpytest_inprocess(
            str(paths.conformance_dir()), "-p", "no:randomly", "--assert=plain", *openapi,
            f"--ssm-contract={contract}", f"--ssm-base-url={target.base_url}/v2/{PROJECT}",
            f"--ssm-admin-token={ADMIN}", "--ssm-requirements=SSM-CHECK-NETWORK-OPTIONAL",
            f"--ssm-reports-dir={pytester.path / 'reports'}", "--ssm-seed=1",
        )
    finally:
        target.stop()
    report = json.loads((pytester.path / "reports" / "conformance.json").read_text())
    network = next(r for r in report["requirements"] if r["id"] == "SSM-CHECK-NETWORK-OPTIONAL")
    assert network["outcome"] == outcome, result.stdout.str()[-1500:]
    assert result.ret == (pytest.ExitCode.OK if outcome == "pass" else pytest.ExitCode.TESTS_FAILED)
