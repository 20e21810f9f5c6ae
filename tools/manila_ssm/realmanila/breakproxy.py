"""A proxy in front of real Manila that breaks one behaviour at a time.

Both suites reach Manila through the catalog; re-pointing the ``sharev2``
endpoints at this proxy puts one broken behaviour in front of a correct
deployment, so the same defect is shown to upstream's tests and to ours.
Each rule is a pure function of one exchange, so it is tested without a
server; the proxy itself only forwards bytes (one connection per request,
``Connection: close`` as Manila's uWSGI answers).
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "upgrade"}


@dataclass(frozen=True, slots=True)
class Answer:
    """Manila's answer as the proxy will pass it on."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = field(default=())

    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


Rule = Callable[[str | None, Answer], Answer]


def action_of(method: str, path: str, body: bytes) -> str | None:
    """The share server action a request asks for, if it is one."""
    if method != "POST" or not urlsplit(path).path.rstrip("/").endswith("/action") or "/share-servers/" not in path:
        return None
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return None
    return next(iter(data)) if isinstance(data, dict) and len(data) == 1 else None


def _status(action: str, old: int, new: int) -> Rule:
    def rule(name: str | None, answer: Answer) -> Answer:
        return replace(answer, status=new) if name == action and answer.status == old else answer
    return rule


def _body(action: str, edit: Callable[[dict[str, Any]], dict[str, Any]]) -> Rule:
    def rule(name: str | None, answer: Answer) -> Answer:
        data = answer.json()
        if name == action and answer.status == 200 and isinstance(data, dict):
            return replace(answer, body=json.dumps(edit(data)).encode())
        return answer
    return rule


def _wrong_task_state(data: dict[str, Any]) -> dict[str, Any]:
    # a value outside the documented task_state enumeration
    return {**data, "task_state": "migrating"} if data.get("task_state") else data


def _without_destination(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "destination_share_server_id"}


def _unknown_progress_404(name: str | None, answer: Answer) -> Answer:
    if name == "migration_get_progress" and answer.status == 400 and b"wasn't found" in answer.body:
        body = {"itemNotFound": {"code": 404, "message": "Share server could not be found."}}
        return replace(answer, status=404, body=json.dumps(body).encode())
    return answer


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    rule: Rule
    what: str
    # the manila-tempest-plugin tests that send the broken action (behaviour §8),
    # as a regex on test ids; "" for all of them
    tempest_calls: str = ""


VARIANTS: dict[str, Variant] = {v.name: v for v in (
    Variant("none", lambda name, answer: answer, "nothing broken: the proxy only forwards"),
    Variant("check-answers-202", _status("migration_check", 200, 202), "migration_check answers 202, not 200",
            r"\.test_share_server_(migration_check|invalid_\w+_migration_check)\b"),
    Variant("start-answers-200", _status("migration_start", 202, 200), "migration_start answers 200, not 202",
            r"\.test_share_server_(migration_cancel|invalid_\w+_migration_start)\b"),
    Variant("progress-wrong-task-state", _body("migration_get_progress", _wrong_task_state),
            "get_progress reports task_state 'migrating', a value Manila never has",
            r"\.test_share_server_invalid_\w+_migration_get_progress\b"),
    Variant("complete-without-destination-id", _body("migration_complete", _without_destination),
            "migration_complete answers 200 without destination_share_server_id",
            r"\.test_share_server_(migration_complete\w*|invalid_\w+_migration_complete)\b"),
    Variant("progress-unknown-404", _unknown_progress_404,
            "get_progress on an unknown server answers 404, not Manila's 400",
            r"\.test_share_server_invalid_\w+_migration_get_progress\b"),
)}


def variant(name: str) -> Variant:
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}; choose from {', '.join(VARIANTS)}")
    return VARIANTS[name]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS | {"host"}}
        upstream = http.client.HTTPConnection(self.server.upstream_host, self.server.upstream_port, timeout=300)
        try:
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            answer = Answer(response.status, response.read(), tuple(response.getheaders()))
        finally:
            upstream.close()
        answer = self.server.rule(action_of(self.command, self.path, body), answer)
        self.server.seen += 1
        self.send_response(answer.status)
        for name, value in answer.headers:
            if name.lower() not in HOP_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(answer.body)
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str, rule: Rule) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname or "127.0.0.1", parts.port or 80
        self.rule = rule
        self.seen = 0


@contextmanager
def serving(upstream: str, rule: Rule) -> Iterator[str]:
    """Run the proxy in a thread of this process; yields its root URL."""
    server = _Server(upstream, rule)
    thread = threading.Thread(target=server.serve_forever, name="breakproxy", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
