"""Helpers shared by the project's tests (on sys.path through pytest's ``pythonpath``)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from os import PathLike
from typing import Any

from manila_ssm import cli


def run_cli(*argv: str | PathLike[str]) -> tuple[int, str, str]:
    """Run ``ssm-conformance ARGV`` in-process; return the exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    try:
        code = cli.run([str(arg) for arg in argv], out, err)
    except SystemExit as exit_:  # argparse exits for --help and usage errors
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def without_fixture_api(app: WSGIApp) -> WSGIApp:
    """The reference target as real Manila looks: nothing under ``/_reference``."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["PATH_INFO"].startswith("/_reference"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        return app(environ, start_response)

    return wrapped
