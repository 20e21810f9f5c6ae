"""``ReferenceTarget``: the reference target as a real HTTP server in a background thread.

The conformance suite starts one per run (``ReferenceTarget.start()``), the
CLI's ``serve`` command runs one in the foreground, and tests wrap the WSGI
app (``wrap=``) to build deliberately broken variants.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from manila_ssm.reference import store
from manila_ssm.reference.app import TargetApp, WSGIApp
from manila_ssm.reference.config import TargetConfig
from manila_ssm.reference.runtime import Runtime
from manila_ssm.reference.worker import Worker


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # one line per request is noise here
        pass


def seed(db: store.Store, config: TargetConfig) -> None:
    """Write the configured back ends (configuration wins on restart) and share networks."""
    with db.write() as conn:
        for backend in config.effective_backends():
            store.put_backend(conn, backend)
        for network in config.share_networks:
            store.put_share_network(conn, network)


class ReferenceTarget:
    """A running reference target; use ``start()`` and ``stop()`` or ``with``."""

    def __init__(self, config: TargetConfig, host: str, port: int,
                 wrap: Callable[[WSGIApp], WSGIApp] | None) -> None:
        self.config = config
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
        self._server: BaseWSGIServer = make_server(host, port, self.wsgi_app, threaded=True,
                                                   request_handler=_QuietHandler)
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_port
        # a short poll keeps stop() quick: the suite and the replay tests start many targets
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="ssm-target-http",
                                        daemon=True)

    @classmethod
    def start(cls, config: TargetConfig | None = None, *, host: str = "127.0.0.1", port: int = 0,
              wrap: Callable[[WSGIApp], WSGIApp] | None = None) -> ReferenceTarget:
        """Start serving on ``host:port`` (0 picks a free port) and return at once."""
        target = cls(config or TargetConfig.default(), host, port, wrap)
        target._worker.start()
        target._thread.start()
        return target

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._worker.stop()
        self._store.close()
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def __enter__(self) -> ReferenceTarget:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
