"""A whole conformance run against a target that hangs on every action POST, paired with a healthy one.

The target is the reference target, wrapped so that every
``POST .../action`` waits (longer than the request timeout) before it is
answered, while ``GET /``, ``GET /v2/`` and the fixture API answer as usual.
Both runs use the same command (``ssm-conformance run --base-url ...``);
the goal is a hanging run of at most two minutes with ``--request-timeout 5``.

    python benchmarks/suite_hanging_target.py [--request-timeout 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from manila_ssm import cli
from manila_ssm.reference import ADMIN_TOKEN, DEMO_TOKEN, ReferenceTarget

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
GOAL_S = 120.0


def hanging(hung: list[float], release: threading.Event, seconds: float) -> Callable[[WSGIApp], WSGIApp]:
    def wrap(app: WSGIApp) -> WSGIApp:
        def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/action"):
                hung.append(time.monotonic())
                release.wait(seconds)
            return app(environ, start_response)
        return wrapped
    return wrap


def one_run(wrap: Callable[[WSGIApp], WSGIApp] | None, timeout: float, release: threading.Event) -> dict[str, Any]:
    project = ADMIN_TOKEN.partition(":")[2]
    target = ReferenceTarget.start(wrap=wrap)
    with tempfile.TemporaryDirectory(prefix="ssm-hang-") as reports:
        out = io.StringIO()
        started = time.perf_counter()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                code = cli.main(["run", "--base-url", f"{target.base_url}/v2/{project}", "--admin-token", ADMIN_TOKEN,
                                 "--member-token", DEMO_TOKEN, "--request-timeout", f"{timeout:g}", "--seed", "1",
                                 "--reports-dir", reports, "--", "-q", "-p", "no:randomly"])
        finally:
            wall = time.perf_counter() - started
            release.set()
            target.stop()
        report = json.loads((Path(reports) / "conformance.json").read_text())
    counts: dict[str, int] = {}
    for requirement in report["requirements"]:
        counts[requirement["outcome"]] = counts.get(requirement["outcome"], 0) + 1
    return {"wall": wall, "exit": code, "outcomes": counts}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--request-timeout", type=float, default=5.0)
    args = parser.parse_args()
    healthy = one_run(None, args.request_timeout, threading.Event())
    hung: list[float] = []
    release = threading.Event()
    failing = one_run(hanging(hung, release, args.request_timeout + 5), args.request_timeout, release)
    print(f"--request-timeout {args.request_timeout:g}")
    for name, result in (("healthy reference target (baseline)", healthy), ("hangs on every action POST", failing)):
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(result["outcomes"].items()))
        print(f"  {name:<38} wall {result['wall']:7.1f} s  exit {result['exit']}  requirements: {outcomes}")
    print(f"  action POSTs that timed out: {len(hung)} (about {len(hung) * args.request_timeout:.0f} s of waiting)")
    print(f"  ratio hanging / healthy: {failing['wall'] / healthy['wall']:.1f}x; goal <= {GOAL_S:.0f} s: "
          f"{'met' if failing['wall'] <= GOAL_S else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
