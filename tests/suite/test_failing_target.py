"""A failing target fails fast: timeouts stop an operation, SIGTERM still writes reports, garbage JSON is named.

The servers here are tiny and local: a socket that accepts and never
answers, and the reference target wrapped so that every action POST hangs
or every body is cut short. Timeouts are a fraction of a second so the
tests stay quick; the two-minute figure with a 5 s timeout is
``benchmarks/suite_hanging_target.py``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from manila_ssm import paths
from manila_ssm.suite.client import (
    PATIENCE,
    Endpoint,
    ManilaClient,
    Redactor,
    TargetStoppedAnswering,
    operation_of,
)

ADMIN = "admin:ad000000000000000000000000000001"
MEMBER = "demo:de000000000000000000000000000002"
PROJECT = "ad000000000000000000000000000001"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and reads them, never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v2/{PROJECT}"
    stop.set()
    thread.join()
    for sock in held:
        sock.close()
    listener.close()


def client_for(url: str, timeout: float = 0.2) -> ManilaClient:
    return ManilaClient(Endpoint.parse(url), ADMIN, timeout=timeout, redactor=Redactor((ADMIN,)))


def test_an_operation_that_keeps_timing_out_is_not_sent_again(silent_server: str) -> None:
    client = client_for(silent_server)
    for _ in range(PATIENCE - 1):
        exchange = client.action("s1", "migration_get_progress")
        assert exchange.status is None and "request timeout" in (exchange.error or "")
    with pytest.raises(TargetStoppedAnswering, match="the target stopped answering migration_get_progress"):
        client.action("s1", "migration_get_progress")
    sent = client.stats.requests
    started = time.monotonic()
    with pytest.raises(TargetStoppedAnswering) as stopped:
        client.action("s2", "migration_get_progress")
    assert client.stats.requests == sent and time.monotonic() - started < 0.1  # not sent at all
    assert "no answer within the 0.2 s request timeout" in str(stopped.value)
    assert ADMIN not in str(stopped.value)
    # other operations are still sent, and each has its own count
    assert client.action("s1", "migration_check", {}).status is None
    assert client.stats.requests == sent + 1


def test_patience_one_stops_at_the_first_timeout(silent_server: str) -> None:
    client = client_for(silent_server)
    with pytest.raises(TargetStoppedAnswering, match=r"migration_start: no answer .* \(once; last POST"):
        client.send("POST", f"{silent_server}/share-servers/x/action", {}, b"[]", operation="migration_start",
                    patience=1)


def test_an_answer_resets_the_count() -> None:
    from manila_ssm.reference import ReferenceTarget

    slow = threading.Event()

    def sometimes_slow(app: WSGIApp) -> WSGIApp:
        def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if slow.is_set():
                time.sleep(0.5)
            return app(environ, start_response)
        return wrapped

    with ReferenceTarget.start(wrap=sometimes_slow) as target:
        client = client_for(f"{target.base_url}/v2/{PROJECT}", timeout=0.25)
        for _ in range(3):
            slow.set()
            assert client.get("/share-servers").status is None
            slow.clear()
            assert client.get("/share-servers").status == 200


@pytest.mark.parametrize(("method", "url", "body", "expected"), [
    ("POST", "/v2/p/share-servers/1a2b3c4d-0000/action", b'{"migration_start": {}}', "migration_start"),
    ("POST", "/v2/share-servers/x/action", b"not json", "share server actions"),
    ("POST", "/v2/share-servers/x/action", b'{"a": 1, "b": 2}', "share server actions"),
    ("GET", "/v2/ad000000000000000000000000000001/share-servers/1a2b3c4d-0000-1111", None,
     "GET /v2/{id}/share-servers/{id}"),
    ("GET", "/v2/", None, "GET /v2/"),
])
def test_operation_names(method: str, url: str, body: bytes | None, expected: str) -> None:
    assert operation_of(method, f"http://h:1{url}", body) == expected


def truncate_bodies(app: WSGIApp) -> WSGIApp:
    """Every JSON answer cut in half: a 200 whose body is not JSON."""
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            captured.update(status=status, headers=headers)
            return lambda data: None

        body = b"".join(app(environ, keep))
        if b"share_server" in body or b"versions" in body:
            body = body[: len(body) // 2]
        headers = [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in captured["headers"]]
        start_response(captured["status"], headers)
        return [body]
    return wrapped


def test_an_unparseable_success_body_is_named_invalid_json() -> None:
    from manila_ssm.reference import ReferenceTarget

    with ReferenceTarget.start(wrap=truncate_bodies) as target:
        client = client_for(f"{target.base_url}/v2/{PROJECT}", timeout=5)
        exchange = client.get("/share-servers")
    assert exchange.status == 200 and not exchange.json_ok
    assert exchange.error is not None
    assert exchange.error.startswith("the 200 answer's body is invalid JSON")
    assert exchange.response_body.startswith('{"share_se')
    assert exchange.error.endswith(repr(exchange.response_body))  # the excerpt


def hang_action_posts(hung: list[str], release: threading.Event, seconds: float) -> Callable[[WSGIApp], WSGIApp]:
    def wrap(app: WSGIApp) -> WSGIApp:
        def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/action"):
                hung.append(environ["PATH_INFO"])
                release.wait(seconds)
            return app(environ, start_response)
        return wrapped
    return wrap


def test_a_target_hanging_on_every_action_fails_fast(pytester: pytest.Pytester) -> None:
    """Each operation is given up after a couple of timeouts; its requirements are errors that say why."""
    from manila_ssm.reference import ReferenceTarget

    hung: list[str] = []
    release = threading.Event()
    target = ReferenceTarget.start(wrap=hang_action_posts(hung, release, 2))
    try:
        result = pytester.runpytest_inprocess(
            str(paths.conformance_dir()), "-p", "no:randomly", "--assert=plain",
            f"--ssm-base-url={target.base_url}/v2/{PROJECT}", f"--ssm-admin-token={ADMIN}",
            f"--ssm-member-token={MEMBER}", f"--ssm-reports-dir={pytester.path / 'reports'}",
            "--ssm-request-timeout=0.5", "--ssm-wait-timeout=3", "--ssm-seed=1", "--ssm-max-examples=5",
        )
    finally:
        release.set()
        target.stop()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    # seven operations (five actions, two resets) and the bodies that name none: a couple of timeouts each
    assert 0 < len(hung) <= 8 * PATIENCE, len(hung)
    report = json.loads((pytester.path / "reports" / "conformance.json").read_text())
    errors = [r for req in report["requirements"] for r in req["results"] if r["outcome"] == "error"]
    assert any(r["message"].startswith("the target stopped answering migration_get_progress") for r in errors)
    assert {r["requirement"] for r in errors} >= {"SSM-PROGRESS-ERROR-CODES", "SSM-CHECK-ERROR-CODES"}
    result.stdout.fnmatch_lines(["*verdict: target DOES NOT CONFORM*"])


def test_sigterm_writes_the_partial_reports_as_sigint_does(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    command = [str(Path(sys.executable).with_name("ssm-conformance")), "run", "--reports-dir", str(reports),
               "--seed", "1", "--", "-v", "-p", "no:randomly", "-p", "no:xdist"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=dict(os.environ, PYTHONUNBUFFERED="1"), start_new_session=True)
    assert process.stdout is not None
    seen = []
    try:
        for line in process.stdout:  # interrupt once a few tests have run
            seen.append(line)
            if sum(" PASSED" in s for s in seen) >= 3:
                break
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    output = "".join(seen) + rest
    assert process.returncode != 0, output[-2000:]
    assert "KeyboardInterrupt" in output, output[-2000:]
    report = json.loads((reports / "conformance.json").read_text())
    outcomes = {req["outcome"] for req in report["requirements"]}
    assert "pass" in outcomes and (reports / "conformance.md").exists()
