"""Two bases on one machine never touch each other: base folders, ports, PID files, a failed up.

No Manila is installed: the daemons here are sleepers that look like the
harness's own (same PID files, command-line markers and environment), which
is all that ``status``, ``down`` and ``up``'s clean-up look at.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from manila_ssm.realmanila import harness, ports, services
from manila_ssm.realmanila.config import PORT_FIELDS, HarnessConfig, child_environment, default_base, from_environment
from manila_ssm.realmanila.procs import HarnessError


def _config(tmp_path: Path, name: str) -> HarnessConfig:
    return from_environment({}, base=tmp_path / name)


def _fake(config: HarnessConfig, name: str) -> subprocess.Popen:
    """A sleeper that the harness of ``config`` takes for its daemon ``name``."""
    daemon = services.daemons(config)[name]
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", daemon.marker],
                               env=child_environment(config), start_new_session=True)
    daemon.pid_file.parent.mkdir(parents=True, exist_ok=True)
    daemon.pid_file.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + 5  # /proc/<pid>/cmdline reads empty for a moment after exec
    while daemon.pid() != process.pid and time.monotonic() < deadline:
        time.sleep(0.02)
    return process


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen]]:
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        process.kill()
        process.wait()


def test_each_checkout_gets_its_own_base_under_the_users_cache(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    first = default_base(env, tmp_path / "a" / "repo")
    second = default_base(env, tmp_path / "b" / "repo")
    assert first != second
    assert first.parent == second.parent == tmp_path / "cache" / "ssm-real-manila"
    assert first.name.startswith("repo-")
    assert from_environment(env).base == default_base(env)


def test_two_bases_get_distinct_ports_and_node_names(tmp_path: Path) -> None:
    first = ports.assign(_config(tmp_path, "a"), running={})
    assert all(getattr(first, name) for name in PORT_FIELDS)
    assert len({getattr(first, name) for name in PORT_FIELDS}) == len(PORT_FIELDS)
    assert ports.recorded(first) == {name: getattr(first, name) for name in PORT_FIELDS}
    with ExitStack() as stack:  # the first deployment listens on its ports
        for name in PORT_FIELDS:
            listener = stack.enter_context(socket.socket())
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", getattr(first, name)))
            listener.listen()
        second = ports.assign(_config(tmp_path, "b"), running={})
        assert not {getattr(first, n) for n in PORT_FIELDS} & {getattr(second, n) for n in PORT_FIELDS}
        with pytest.raises(HarnessError, match="--api-port.* is taken"):
            ports.assign(from_environment({}, base=tmp_path / "c", api_port=first.api_port), running={})
        # The first base, asked again while it runs, keeps its recorded ports.
        again = ports.assign(_config(tmp_path, "a"), running={name: True for name in PORT_FIELDS.values()})
        assert again == first
    assert first.node_name != second.node_name
    assert ports.with_recorded(_config(tmp_path, "a")) == first


def test_a_running_base_refuses_a_port_flag_that_moves_it(tmp_path: Path) -> None:
    first = ports.assign(_config(tmp_path, "a"), running={})
    moved = from_environment({}, base=tmp_path / "a", api_port=first.api_port + 1)
    with pytest.raises(HarnessError, match="down` first"):
        ports.assign(moved, running={"manila-api": True})


def test_status_and_down_of_one_base_ignore_the_other_bases_daemons(tmp_path: Path, processes) -> None:
    first, second = _config(tmp_path, "a"), _config(tmp_path, "b")
    theirs = _fake(first, "manila-share")
    processes.append(theirs)
    # Even a PID file in the second base naming the first base's daemon is not trusted.
    pid_file = services.daemons(second)["manila-share"].pid_file
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(f"{theirs.pid}\n")
    assert services.status(first)["manila-share"] == theirs.pid
    assert services.status(second)["manila-share"] is None
    assert harness.down(second, lambda line: None) == []
    assert theirs.poll() is None
    assert harness.down(first, lambda line: None) == ["manila-share"]
    assert theirs.wait(timeout=10) is not None


def test_a_failed_up_stops_what_it_started_and_nothing_else(tmp_path: Path, monkeypatch, processes) -> None:
    config = ports.assign(_config(tmp_path, "a"), running={})
    other = ports.assign(_config(tmp_path, "b"), running={})
    already = _fake(config, "mariadb")  # ran before this up: must survive it
    elsewhere = _fake(other, "manila-api")  # another base's daemon: must survive it
    processes.extend([already, elsewhere])
    started: list[subprocess.Popen] = []

    def start_then_fail(cfg: HarnessConfig) -> None:
        started.append(_fake(cfg, "rabbitmq"))
        raise HarnessError("manila-api", "port taken")

    monkeypatch.setattr(harness.install_phase, "install", lambda cfg: False)
    monkeypatch.setattr(harness.services, "start_all", start_then_fail)
    lines: list[str] = []
    with pytest.raises(HarnessError, match="port taken"):
        harness.up(config, lines.append)
    processes.extend(started)
    assert started[0].wait(timeout=10) is not None
    assert already.poll() is None and elsewhere.poll() is None
    assert any("stopped what it had started: rabbitmq" in line for line in lines)


def test_up_refuses_unassigned_ports(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="prepare"):
        harness.up(_config(tmp_path, "a"), lambda line: None)


def test_every_daemon_carries_its_base_as_owner(tmp_path: Path) -> None:
    config = _config(tmp_path, "a")
    owners = {daemon.owner for daemon in services.daemons(config).values()}
    assert owners == {config.base}
    assert child_environment(config)["RABBITMQ_NODENAME"] == config.node_name
    assert os.environ.get("SSM_REAL_MANILA_OWNER") != str(config.base)


def test_a_daemon_that_rewrote_its_environment_is_known_by_its_base_path(tmp_path: Path, processes) -> None:
    # cotyledon (manila-scheduler, manila-share) writes its process title over argv and environ
    first, second = _config(tmp_path, "a"), _config(tmp_path, "ab")
    env = {k: v for k, v in child_environment(first).items() if k != "SSM_REAL_MANILA_OWNER"}
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "manila-scheduler",
                                f"{first.etc_dir}/manila.conf"], env=env, start_new_session=True)
    processes.append(process)
    for config in (first, second):
        daemon = services.daemons(config)["manila-scheduler"]
        daemon.pid_file.parent.mkdir(parents=True, exist_ok=True)
        daemon.pid_file.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + 5
    while services.status(first)["manila-scheduler"] is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert services.status(first)["manila-scheduler"] == process.pid
    assert services.status(second)["manila-scheduler"] is None  # "/a/" is not a path in "/ab/"


def test_free_ports_stay_below_the_ephemeral_range_and_skip_taken_ones(tmp_path: Path) -> None:
    # Outgoing connections take ports from the ephemeral range; a port chosen there may be gone
    # by the time its daemon starts (Keystone's was, beside a running soak).
    assert ports.ephemeral_start() > 10000
    ranges = tmp_path / "ip_local_port_range"
    ranges.write_text("20000\t60999\n")
    assert ports.ephemeral_start(ranges) == 20000
    first = random.Random(7).randrange(10000, 20000)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", first))
        listener.listen()
        chosen = ports.free_ports(6, random.Random(7), ceiling=20000)
    assert first not in chosen and len(set(chosen)) == 6
    assert all(10000 <= port < 20000 for port in chosen)
    with pytest.raises(HarnessError, match="give each port with its flag"):
        ports.free_ports(6, ceiling=10010)
