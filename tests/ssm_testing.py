"""Helpers shared by the project's tests (on sys.path through pytest's ``pythonpath``)."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Iterable
from os import PathLike
from pathlib import Path
from typing import Any, NoReturn

import pytest

from manila_ssm import cli, paths


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


# -- What some tests need beyond `pip install -e '.[test]'`: skip with the reason and the fix, fail in CI --

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_INSTALL = "apt-get install chromium (Debian/Ubuntu; .ci/run installs it)"
SHARED_FIX = "clone the team's shared folder beside this checkout as ../shared (.ci/run requires it)"


def strict(variable: str) -> bool:
    """Whether a missing prerequisite must fail rather than skip: in CI (``CI=true``) or when asked to."""
    truthy = ("1", "true", "yes")
    return os.environ.get(variable, "").lower() in truthy or os.environ.get("CI", "").lower() in truthy


def missing(what: str, fix: str, variable: str) -> NoReturn:
    """Skip for want of ``what`` (saying how to get it); fail instead where ``variable`` or CI demands it."""
    if strict(variable):
        pytest.fail(f"{what} is required here ({variable}=1 or CI=true): {fix}", pytrace=False)
    pytest.skip(f"needs {what}: {fix}")


def chromium_binary() -> str | None:
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def require_chromium() -> str:
    """The headless browser's path; skips (or fails, with SSM_REQUIRE_BROWSER=1 or CI=true) without one."""
    binary = chromium_binary()
    if binary is None:
        missing("headless Chromium", CHROMIUM_INSTALL, "SSM_REQUIRE_BROWSER")
    return binary  # type: ignore[return-value]


def require_shared() -> Path:
    """The ``../shared`` folder (upstream api-ref trees, seeds); skips (or fails in CI) without it."""
    shared = paths.shared_dir()
    if shared is None:
        missing("../shared (upstream test data, not shipped)", SHARED_FIX, "SSM_REQUIRE_SHARED")
    return shared  # type: ignore[return-value]
