"""``ssm-conformance serve``: run the reference target in the foreground until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sqlite3
import threading
from pathlib import Path
from typing import TextIO

from manila_ssm import gcpause
from manila_ssm.cli_support import EXIT_OK, CommandGroups, UsageError
from manila_ssm.reference.config import TargetConfig
from manila_ssm.reference.server import Limits, ReferenceTarget


def register(groups: CommandGroups) -> None:
    parser = groups.top.add_parser(
        "serve", help="run the reference target (Manila's share server migration API) on loopback",
        description="Serve the reference target until interrupted (SIGINT or SIGTERM). Prints "
                    "'listening on http://HOST:PORT' once it accepts requests.")
    parser.add_argument("--config", metavar="FILE", help="target configuration (YAML); default: the "
                        "built-in deployment with back ends ref@alpha, ref@beta, ref@gamma, ref@delta")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8786, help="port; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--db", metavar="PATH", help="SQLite file that keeps the state across restarts "
                        "(default: the configuration's `database`, else a temporary file)")
    defaults = Limits()
    parser.add_argument("--threads", type=int, default=defaults.threads,
                        help="threads that run requests (default: %(default)s)")
    parser.add_argument("--connection-limit", type=int, default=defaults.connection_limit,
                        help="open connections; more wait in the listen backlog (default: %(default)s)")
    parser.add_argument("--read-timeout", type=int, default=defaults.read_timeout,
                        help="seconds a client may stay silent before its connection is dropped (default: %(default)s)")
    parser.set_defaults(handler=serve)


def serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port number; use 0..65535")
    for flag, value in (("--threads", args.threads), ("--connection-limit", args.connection_limit),
                        ("--read-timeout", args.read_timeout)):
        if value < 1:
            raise UsageError(f"{flag} {value} must be at least 1")
    limits = Limits(threads=args.threads, connection_limit=args.connection_limit, read_timeout=args.read_timeout)
    config = TargetConfig.load(args.config) if args.config else TargetConfig.default()
    if args.db:
        config = dataclasses.replace(config, database=Path(args.db))
    try:
        target = ReferenceTarget.start(config, host=args.host, port=args.port, limits=limits)
    except OSError as error:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}; "
                         "pick another --port (0 for any free one)") from None
    except sqlite3.Error as error:
        raise UsageError(f"cannot use the database {config.database}: {error}; pass a writable --db path") from None
    gcpause.settle()  # the served process lives on: no full collection walks start-up objects mid-request
    stopping = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stopping.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"listening on {target.base_url}", file=out, flush=True)
        while not stopping.wait(0.2):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        target.stop()
    return EXIT_OK
