"""Malformed, stalled and endless request bodies on raw sockets: a 400 or a timeout, never a 5xx or HTML.

Also the server's limits: idle connections cost no thread each, and beyond
the connection limit a new client waits in the backlog and is then served.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from manila_ssm.reference import ADMIN_TOKEN, ReferenceTarget
from manila_ssm.reference.server import Limits

HEAD = ("POST /v2/share-servers/0000/action HTTP/1.1\r\nHost: target\r\n"
        f"X-Auth-Token: {ADMIN_TOKEN}\r\nX-OpenStack-Manila-API-Version: 2.57\r\n"
        "X-OpenStack-Manila-API-Experimental: True\r\nContent-Type: application/json\r\n")
CHUNKED = HEAD + "Transfer-Encoding: chunked\r\n\r\n"

# (case id, bytes sent, half-close after sending, expected status; None: closed unanswered on the read timeout)
CASES = [
    ("bad-chunk-size-line", CHUNKED + "zz\r\n{}\r\n0\r\n\r\n", False, 400),
    ("negative-chunk-size", CHUNKED + "-2\r\n{}\r\n0\r\n\r\n", False, 400),
    # a size no body may reach is a body that never ends: the read timeout closes it
    ("chunk-size-beyond-any-body", CHUNKED + "f" * 40 + "\r\n{}\r\n0\r\n\r\n", False, None),
    ("bad-chunk-extension", CHUNKED + '2;x="y\r\n{}\r\n0\r\n\r\n', False, 400),
    ("chunk-without-crlf", CHUNKED + "2\r\n{}XX0\r\n\r\n", False, 400),
    ("truncated-chunk-then-half-close", CHUNKED + '10\r\n{"migr', True, 400),
    ("chunk-size-line-then-half-close", CHUNKED + "1", True, 400),
    ("short-content-length-then-half-close", HEAD + 'Content-Length: 100\r\n\r\n{"migr', True, 400),
    ("invalid-content-length", HEAD + "Content-Length: abc\r\n\r\n{}", False, 400),
    ("unknown-transfer-encoding", HEAD + "Transfer-Encoding: gzip\r\n\r\n{}", False, 400),
    # a well-formed chunked body reaches the application: Manila's 400 for this body
    ("valid-chunked-body", CHUNKED + '1c\r\n{"migration_get_progress":1}\r\n0\r\n\r\n', False, 400),
]


@pytest.fixture(scope="module")
def target() -> Iterator[ReferenceTarget]:
    with ReferenceTarget.start(limits=Limits(threads=2, read_timeout=1)) as started:
        yield started


def exchange(target: ReferenceTarget, data: str, *, half_close: bool = False, wait: float = 10) -> bytes:
    """Send raw bytes and read until the server closes (or answers a complete response)."""
    with socket.create_connection((target.host, target.port), timeout=wait) as sock:
        sock.sendall(data.encode())
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk
            head, _, body = received.partition(b"\r\n\r\n")
            length = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
            if length and len(body) >= int(length[0].split(b":")[1]):
                return received


def status_of(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    return int(answer.split()[1])


@pytest.mark.parametrize(("data", "half_close", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_body_is_a_client_error(target: ReferenceTarget, data: str, half_close: bool,
                                          expected: int | None) -> None:
    answer = exchange(target, data, half_close=half_close)
    if expected is None:
        assert answer == b""
        return
    assert status_of(answer) == expected, answer[:300]
    head = answer.partition(b"\r\n\r\n")[0].lower()
    assert b"text/html" not in head and b"<html" not in answer.lower()


def test_a_body_that_stalls_is_dropped_after_the_read_timeout(target: ReferenceTarget) -> None:
    started = time.monotonic()
    answer = exchange(target, HEAD + 'Content-Length: 100\r\n\r\n{"migr')
    assert answer == b""  # the timeout: closed, nothing half-answered
    assert 0.5 < time.monotonic() - started < 8


def test_a_body_that_never_ends_is_refused_at_the_size_cap(target: ReferenceTarget) -> None:
    chunk = "ffff\r\n" + " " * 0xFFFF + "\r\n"
    with socket.create_connection((target.host, target.port), timeout=10) as sock:
        sock.sendall(CHUNKED.encode())
        answer = b""
        try:
            for _ in range(target.limits.max_body // 0xFFFF + 2):
                sock.sendall(chunk.encode())
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while we were still sending
        answer = sock.recv(4096)
    assert status_of(answer) == 413


def test_stalled_bodies_hold_no_application_thread(target: ReferenceTarget) -> None:
    """Two application threads, five stalled uploads: an ordinary request is still answered at once."""
    stalled = [socket.create_connection((target.host, target.port), timeout=10) for _ in range(5)]
    try:
        for sock in stalled:
            sock.sendall((HEAD + "Content-Length: 1000\r\n\r\n{").encode())
        answer = requests.get(f"{target.base_url}/v2/", headers={"X-Auth-Token": ADMIN_TOKEN}, timeout=2)
        assert answer.status_code == 200
    finally:
        for sock in stalled:
            sock.close()


def test_idle_connections_cost_no_thread_and_new_clients_queue() -> None:
    limits = Limits(threads=2, connection_limit=20, read_timeout=1)
    with ReferenceTarget.start(limits=limits) as target:
        requests.get(f"{target.base_url}/", timeout=5)  # the pool's threads exist from here on
        before = threading.active_count()
        idle = [socket.create_connection((target.host, target.port), timeout=10) for _ in range(200)]
        try:
            time.sleep(0.2)
            assert threading.active_count() <= before + 1
            started = time.monotonic()  # beyond the limit: waits in the backlog until idle ones time out
            answer = requests.get(f"{target.base_url}/v2/", headers={"X-Auth-Token": ADMIN_TOKEN}, timeout=15)
            assert answer.status_code == 200
            assert time.monotonic() - started < 12
        finally:
            for sock in idle:
                sock.close()


def test_beyond_the_queue_an_overloaded_target_sheds_load_with_a_manila_503() -> None:
    release = threading.Event()

    def blocking(app: Any) -> Any:
        def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
            if environ["PATH_INFO"] == "/v2/":
                release.wait(10)
            return app(environ, start_response)
        return wrapped

    with ReferenceTarget.start(wrap=blocking, limits=Limits(threads=1, queue=1)) as target:
        busy = [socket.create_connection((target.host, target.port), timeout=10) for _ in range(2)]
        try:
            for sock in busy:  # one runs (and blocks), one waits in the queue
                sock.sendall(f"GET /v2/ HTTP/1.1\r\nHost: t\r\nX-Auth-Token: {ADMIN_TOKEN}\r\n\r\n".encode())
                time.sleep(0.2)
            shed = requests.get(f"{target.base_url}/", timeout=5)
            assert shed.status_code == 503 and shed.headers["Retry-After"] == "1"
            assert shed.json()["serviceUnavailable"]["code"] == 503
        finally:
            release.set()
            # both held requests are answered once released (the queued one last): the queue is empty again
            answers = [sock.recv(64) for sock in busy]
            for sock in busy:
                sock.close()
        assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answers), answers
        assert requests.get(f"{target.base_url}/", timeout=5).status_code == 300  # answering normally again
