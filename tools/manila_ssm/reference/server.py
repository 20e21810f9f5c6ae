"""``ReferenceTarget``: the reference target as a real HTTP server in a background thread.

The conformance suite starts one per run (``ReferenceTarget.start()``), the
CLI's ``serve`` command runs one in the foreground, and tests wrap the WSGI
app (``wrap=``) to build deliberately broken variants.

The HTTP layer is waitress (chosen by measurement, see the README): one I/O
thread reads whole requests without blocking, so a stalled or endless body
costs a buffer rather than a thread and is dropped after ``read_timeout``;
a fixed pool of ``threads`` runs the application; more than ``queue``
requests waiting for a thread get a quick 503 in Manila's fault shape; beyond
``connection_limit`` open connections new ones wait in the listen backlog.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from waitress.channel import ClientDisconnected, HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher, WSGITask
from waitress.utilities import BadRequest, Error, ServerNotImplemented

from manila_ssm.reference import store
from manila_ssm.reference.app import MAX_BODY, TargetApp, WSGIApp
from manila_ssm.reference.config import TargetConfig
from manila_ssm.reference.runtime import Runtime
from manila_ssm.reference.worker import Worker


@dataclass(frozen=True, slots=True)
class Limits:
    """How much the HTTP server holds at once, and how long it waits for a client."""

    threads: int = 16  # application threads; broken variants that hang hold one each
    connection_limit: int = 256  # open connections; more wait in the kernel's listen backlog
    backlog: int = 1024
    read_timeout: int = 30  # seconds of silence before a half-sent request is dropped (whole seconds)
    queue: int = 64  # complete requests waiting for a thread; beyond it, a quick 503 (load shedding)
    # Far above Manila's 112 KiB limit, so the application's own 413 answers ordinary oversize
    # bodies; this one only caps what a body that never ends may buffer.
    max_body: int = 8 * MAX_BODY


class _Overloaded(Error):
    """A 503 in Manila's fault shape, answered without running the application."""

    code = 503
    reason = "Service Unavailable"

    def to_response(self, ident: str | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
        body = {"serviceUnavailable": {"code": 503, "message": self.body}}
        headers = [("Content-Type", "application/json"), ("Retry-After", "1")]
        return f"{self.code} {self.reason}", headers, json.dumps(body).encode()


class _Dispatcher(ThreadedTaskDispatcher):
    """Waitress' thread pool, with a bounded queue: an overloaded target says so at once.

    The 503 is written by the I/O thread (through the trigger, once the
    channel's locks are released), so it needs no free application thread.
    """

    def __init__(self, threads: int, queue: int) -> None:
        super().__init__()
        self.max_queue = queue
        self.trigger: Any = None
        self.set_thread_count(threads)

    def add_task(self, task: Any) -> None:
        requests = getattr(task, "requests", None)
        if requests and self.trigger is not None and len(self.queue) >= self.max_queue:
            requests[0].error = _Overloaded("The reference target is overloaded; retry the request later.")
            self.trigger.pull_trigger(task.service)
            return
        super().add_task(task)


class _Task(WSGITask):
    def get_environment(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environment()
        # the key werkzeug's development server uses: middleware that must drop a
        # connection without answering (broken variants) finds the socket there
        environ["werkzeug.socket"] = self.channel.socket
        return environ

    def execute(self) -> None:
        try:
            super().execute()
        except (ConnectionResetError, BrokenPipeError) as error:
            # the connection is gone (a variant dropped it, or the client left): nothing to answer, no traceback
            raise ClientDisconnected(str(error)) from None


class _Parser(HTTPRequestParser):
    def received(self, data: bytes) -> int:
        consumed: int = super().received(data)
        if isinstance(self.error, ServerNotImplemented):
            # an unknown Transfer-Encoding is the client's mistake: 400, never a 5xx
            self.error = BadRequest(self.error.body)
        return consumed


class _Channel(HTTPChannel):
    task_class = _Task
    parser_class = _Parser

    def handle_read(self) -> None:
        request = self.request
        if request is None or not request.headers_finished or request.completed or self.requests:
            super().handle_read()
            return
        try:
            data = self.socket.recv(self.adj.recv_bytes)
        except OSError:
            self.handle_close()
            return
        if data:
            self.last_activity = time.time()
            self.received(data)
            return
        # the client ended its half of the connection inside a body: answer 400 instead of vanishing
        request.error = BadRequest("the request body ended before it was complete")
        request.completed = True
        self.request = None
        self.requests.append(request)
        self.server.add_task(self)


class _Server(TcpWSGIServer):
    channel_class = _Channel

    def maintenance(self, now: float) -> None:
        # a copy: application threads may close channels while the I/O thread walks them
        cutoff = now - self.adj.channel_timeout
        for channel in list(self.active_channels.values()):
            if not channel.requests and channel.last_activity < cutoff:
                channel.will_close = True

    def pull_trigger(self) -> None:
        # stopped: a request that outlived the server has nobody left to wake, and the trigger's
        # descriptor number may belong to another file by now
        if not self.trigger._closed:
            with contextlib.suppress(OSError):
                super().pull_trigger()

    def handle_error(self) -> None:
        # wasyncore's default closes the listening socket: one failed accept must not end the server
        self.logger.warning("reference target: error in the listening socket's handler", exc_info=True)


def seed(db: store.Store, config: TargetConfig) -> None:
    """Write the configured back ends (configuration wins on restart) and share networks."""
    with db.write() as conn:
        for backend in config.effective_backends():
            store.put_backend(conn, backend)
        for network in config.share_networks:
            store.put_share_network(conn, network)


def _http_server(app: WSGIApp, host: str, port: int, limits: Limits) -> _Server:
    dispatcher = _Dispatcher(limits.threads, limits.queue)
    server = _Server(app, host=host, port=port, dispatcher=dispatcher,
                     threads=limits.threads, connection_limit=limits.connection_limit,
                     backlog=limits.backlog, channel_timeout=limits.read_timeout,
                     cleanup_interval=max(1, min(30, limits.read_timeout // 2)),
                     max_request_body_size=limits.max_body, ident="manila-ssm-reference",
                     asyncore_use_poll=True,  # select() fails beyond 1024 descriptors
                     clear_untrusted_proxy_headers=False)
    dispatcher.trigger = server.trigger
    return server


class ReferenceTarget:
    """A running reference target; use ``start()`` and ``stop()`` or ``with``."""

    def __init__(self, config: TargetConfig, host: str, port: int,
                 wrap: Callable[[WSGIApp], WSGIApp] | None, limits: Limits) -> None:
        self.config = config
        self.limits = limits
        self._tempdir: str | None = None
        if config.database is None:
            self._tempdir = tempfile.mkdtemp(prefix="ssm-target-")
            db_path = Path(self._tempdir) / "target.sqlite"
        else:
            db_path = config.database
        self.database = db_path
        self._store = store.Store(db_path)
        seed(self._store, config)
        self._worker = Worker(self._store, config.timings)
        app = TargetApp(Runtime(self._store, config, self._worker.wake, self._worker.advance))
        self.wsgi_app: WSGIApp = wrap(app) if wrap is not None else app
        # "Task queue depth is N" on every burst: the load benchmark measures queueing, the log need not
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        try:
            self._server = _http_server(self.wsgi_app, host, port, limits)
        except BaseException:
            self._store.close()
            self._remove_tempdir()
            raise
        self.host = host
        self.port = int(self._server.effective_port)
        self._stopped = False
        self._thread = threading.Thread(target=self._server.run, name="ssm-target-http", daemon=True)

    @classmethod
    def start(cls, config: TargetConfig | None = None, *, host: str = "127.0.0.1", port: int = 0,
              wrap: Callable[[WSGIApp], WSGIApp] | None = None, limits: Limits | None = None) -> ReferenceTarget:
        """Start serving on ``host:port`` (0 picks a free port) and return at once."""
        target = cls(config or TargetConfig.default(), host, port, wrap, limits or Limits())
        target._worker.start()
        target._thread.start()
        return target

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        server = self._server

        def close_all() -> None:
            for channel in list(server._map.values()):
                channel.close()

        # the I/O loop ends when its socket map is empty; closing belongs on its own thread
        try:
            server.trigger.pull_trigger(close_all)
        except OSError:
            close_all()  # the trigger is gone already: the loop notices the empty map within a second
        self._thread.join(timeout=5)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        self._worker.stop()
        self._store.close()
        self._remove_tempdir()

    def _remove_tempdir(self) -> None:
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def __enter__(self) -> ReferenceTarget:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
