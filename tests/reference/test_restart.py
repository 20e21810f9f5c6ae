"""A served target killed with SIGKILL mid-migration loses nothing: restarted on the same
database, the migration carries on to phase 1 done and completes.

Runs the real ``ssm-conformance serve`` in a subprocess, as an operator would.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from manila_ssm.reference import ADMIN_TOKEN

HEADERS = {"X-Auth-Token": ADMIN_TOKEN, "X-OpenStack-Manila-API-Version": "2.57",
           "X-OpenStack-Manila-API-Experimental": "True"}
SERVE = [str(Path(sys.executable).with_name("ssm-conformance")), "serve"]  # the installed console script
# slow enough to kill it mid-way through phase 1, fast enough for a quick test
CONFIG = "timings:\n  step: 0.15\n  progress_step: 10\n"
PHASE1_STATES = ("migration_in_progress", "migration_driver_starting", "migration_driver_in_progress")


class Served:
    def __init__(self, config: Path, db: Path) -> None:
        self.process = subprocess.Popen(
            [*SERVE, "--config", str(config), "--db", str(db),
             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, (line, self.process.stderr.read() if self.process.poll() is not None else "")
        self.url = match.group(1)

    def post(self, path: str, body: Any) -> requests.Response:
        return requests.post(self.url + path, json=body, headers=HEADERS, timeout=10)

    def server(self, server_id: str) -> dict[str, Any] | None:
        response = requests.get(f"{self.url}/v2/share-servers/{server_id}", headers=HEADERS, timeout=10)
        return response.json()["share_server"] if response.status_code == 200 else None

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def paths(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    config = tmp_path / "target.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    yield config, tmp_path / "state.sqlite"


def _wait(served: Served, server_id: str, timeout: float = 15, **wanted: Any) -> dict[str, Any]:
    """Poll until every field has the wanted value (a tuple: one of those values)."""
    deadline = time.monotonic() + timeout
    while True:
        server = served.server(server_id)
        if server is not None and all(server[k] in (v if isinstance(v, tuple) else (v,))
                                      for k, v in wanted.items()):
            return server
        assert time.monotonic() < deadline, f"{server_id} never reached {wanted}: {server}"
        time.sleep(0.02)


def test_kill_minus_nine_mid_migration_then_restart_resumes(paths: tuple[Path, Path]) -> None:
    config, db = paths
    first = Served(config, db)
    try:
        created = first.post("/_reference/share-servers", {"host": "ref@alpha", "shares": 2})
        assert created.status_code == 201, created.text
        source = created.json()["share_server"]["id"]
        start = first.post(f"/v2/share-servers/{source}/action", {"migration_start": {
            "host": "ref@beta", "writable": True, "nondisruptive": False, "preserve_snapshots": True}})
        assert start.status_code == 202, start.text
        before = _wait(first, source, task_state=PHASE1_STATES)
        first.kill()
    finally:
        first.close()
    assert before["status"] == "server_migrating"
    phase1_order = [*PHASE1_STATES, "migration_driver_phase1_done"]

    second = Served(config, db)
    try:
        survived = second.server(source)
        assert survived is not None and survived["status"] == "server_migrating"
        # nothing is lost or rolled back: the migration is where it was, or further on
        assert phase1_order.index(survived["task_state"]) >= phase1_order.index(before["task_state"])
        _wait(second, source, task_state="migration_driver_phase1_done")
        progress = second.post(f"/v2/share-servers/{source}/action", {"migration_get_progress": None}).json()
        assert progress["total_progress"] == 100
        dest = progress["destination_share_server_id"]
        assert second.post(f"/v2/share-servers/{source}/action", {"migration_complete": None}).status_code == 200
        _wait(second, dest, status="active", task_state="migration_success")
        assert second.server(source) is None
    finally:
        second.close()


def test_serve_rejects_a_bad_config_with_its_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("timings:\n  step: fast\n", encoding="utf-8")
    result = subprocess.run([*SERVE, "--config", str(config),
                             "--port", "0"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result
    assert f"{config}:2" in result.stderr and "Traceback" not in result.stderr
