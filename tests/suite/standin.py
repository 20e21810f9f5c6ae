"""The reference target standing in for a real one: its servers named in a servers file, its worker slowed.

Naming servers turns the fixture API off for the suite (it then polls, as on a
real deployment), and a slower worker lets the transient states last a few polls.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import requests
from suite.variants import ADMIN

from manila_ssm.suite.servers import FIXTURE_PREFIX


def slow_worker(step: float) -> Any:
    """The reference target's configuration with ``step`` seconds per worker step."""
    from manila_ssm.reference.config import TargetConfig

    config = TargetConfig.default()
    return dataclasses.replace(config, timings=dataclasses.replace(config.timings, step=step, progress_step=50))


def servers_file(base_url: str, folder: Path, roles: tuple[tuple[str, str], ...]) -> Path:
    """Create one server per ``(role, host)`` through the fixture API; a servers file naming them by role."""
    created = {}
    for role, host in roles:
        answer = requests.post(f"{base_url}{FIXTURE_PREFIX}/share-servers", json={"host": host, "shares": 1},
                               headers={"X-Auth-Token": ADMIN}, timeout=5)
        assert answer.status_code == 201, answer.text
        created[role] = {"share_server_id": answer.json()["share_server"]["id"]}
    path = folder / "servers.json"
    path.write_text(json.dumps({"share_servers": created}), encoding="utf-8")
    return path
