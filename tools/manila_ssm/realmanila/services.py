"""The start-up phase: MariaDB, RabbitMQ, the schema, and the three Manila
services, each started once and waited on until it really answers.

The order matters: manila's services need the bus and the database, and
the API must not be asked for pools (an RPC call) before the scheduler's
queue exists, or the request hangs for a whole RPC timeout.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping

import requests

from manila_ssm.realmanila import keystone
from manila_ssm.realmanila.config import HarnessConfig, child_environment
from manila_ssm.realmanila.install import uwsgi_binary
from manila_ssm.realmanila.procs import Daemon, HarnessError, port_open, run_step, wait_until

RABBIT_BIN = "/usr/lib/rabbitmq/bin"


def daemons(config: HarnessConfig) -> dict[str, Daemon]:
    """Every daemon of the deployment, in start order."""
    etc, run, log, venv = config.etc_dir, config.run_dir, config.log_dir, config.venv
    conf = ["--config-file", str(etc / "manila.conf")]

    def make(name: str, argv: list[str], marker: str, log_name: str | None = None) -> Daemon:
        return Daemon(name, tuple(argv), log / (log_name or f"{name}.out"), run / f"{name}.pid", marker,
                      owner=config.base)

    if api_mode(config) == "uwsgi":
        api = make("manila-api", [str(uwsgi_binary(config)), "--ini", str(etc / "uwsgi.ini")], str(etc))
    else:
        api = make(
            "manila-api",
            [str(venv / "bin" / "manila-api"), *conf, "--log-file", str(log / "manila-api.log")],
            str(etc),
        )
    return keystone.with_daemon(config, {
        "mariadb": make("mariadb", ["/usr/sbin/mariadbd", f"--defaults-file={etc / 'mariadb.cnf'}"], "mariadbd"),
        "epmd": make("epmd", ["/usr/bin/epmd", "-address", "127.0.0.1", "-port", str(config.epmd_port)], "epmd"),
        "rabbitmq": make("rabbitmq", [f"{RABBIT_BIN}/rabbitmq-server"], "rabbitmq"),
        "manila-scheduler": make(
            "manila-scheduler",
            [str(venv / "bin" / "manila-scheduler"), *conf, "--log-file", str(log / "manila-scheduler.log")],
            "manila-scheduler",
        ),
        "manila-share": make(
            "manila-share",
            [str(venv / "bin" / "manila-share"), *conf, "--log-file", str(log / "manila-share.log")],
            "manila-share",
        ),
        "manila-api": api,
    })


def api_mode(config: HarnessConfig) -> str:
    if config.api_mode != "auto":
        return config.api_mode
    return "uwsgi" if uwsgi_binary(config).exists() else "eventlet"


def _environment(config: HarnessConfig, name: str) -> dict[str, str]:
    env = child_environment(config)
    if name == "manila-api" and api_mode(config) == "eventlet":
        # manila 23.x only serves its built-in WSGI server under eventlet.
        env["OS_MANILA_DISABLE_EVENTLET_PATCHING"] = "0"
    return env


def _ensure_port_free(name: str, daemon: Daemon, port: int) -> None:
    if daemon.pid() is None and port_open(port):
        raise HarnessError(name, f"port 127.0.0.1:{port} is taken by a process this harness did not start; "
                           f"stop it or choose another port (see --help)")


def start_database(config: HarnessConfig, all_daemons: Mapping[str, Daemon]) -> None:
    mariadb = all_daemons["mariadb"]
    _ensure_port_free("mariadb", mariadb, config.db_port)
    env = child_environment(config)
    cnf = f"--defaults-file={config.etc_dir / 'mariadb.cnf'}"
    if not (config.data_dir / "mysql" / "mysql").is_dir():
        (config.data_dir / "mysql").mkdir(parents=True, exist_ok=True)
        run_step("mariadb", ["mariadb-install-db", cnf, "--auth-root-authentication-method=socket"],
                 config.log_dir / "mariadb-install.log", env)
    mariadb.start(env, config.base)
    client = ["mariadb", cnf, "-uroot"]

    def answers() -> bool:
        return subprocess.run([*client, "-e", "select 1"], capture_output=True, check=False).returncode == 0

    wait_until("mariadb", answers, 60, config.log_dir / "mariadb.log", mariadb)
    grants = (
        "CREATE DATABASE IF NOT EXISTS manila CHARACTER SET utf8mb4;"
        "CREATE USER IF NOT EXISTS 'manila'@'127.0.0.1' IDENTIFIED BY 'manila';"
        "GRANT ALL PRIVILEGES ON manila.* TO 'manila'@'127.0.0.1';"
    )
    run_step("mariadb", [*client, "-e", grants], config.log_dir / "mariadb-setup.log", env)


def start_bus(config: HarnessConfig, all_daemons: Mapping[str, Daemon]) -> None:
    env = child_environment(config)
    for directory in ("rabbitmq-home", "rabbitmq"):
        (config.data_dir / directory).mkdir(parents=True, exist_ok=True)
    epmd = all_daemons["epmd"]  # this base's own epmd, on its own port
    _ensure_port_free("epmd", epmd, config.epmd_port)
    if epmd.pid() is None:
        epmd.start(env, config.base)
        wait_until("epmd", lambda: port_open(config.epmd_port), 10, epmd.log, epmd, 0.2)
    rabbit = all_daemons["rabbitmq"]
    _ensure_port_free("rabbitmq", rabbit, config.amqp_port)
    _ensure_port_free("rabbitmq", rabbit, config.dist_port)
    rabbit.start(env, config.base)
    # The AMQP listener opens last in RabbitMQ's boot, so an open port means ready.
    wait_until("rabbitmq", lambda: port_open(config.amqp_port), 120, rabbit.log, rabbit)


def sync_schema(config: HarnessConfig) -> None:
    manage = str(config.venv / "bin" / "manila-manage")
    run_step("manila-manage db sync",
             [manage, "--config-file", str(config.etc_dir / "manila.conf"),
              "--log-file", str(config.log_dir / "manila-manage.log"), "db", "sync"],
             config.log_dir / "manila-manage.out", child_environment(config))


def _get(config: HarnessConfig, path: str, timeout: float = 10) -> requests.Response | None:
    who = keystone.credentials(config)
    try:
        return requests.get(
            f"{config.api_root}/v2/{who.admin_project}{path}",
            headers={"X-Auth-Token": who.admin_token, "X-OpenStack-Manila-API-Version": "2.57"},
            timeout=timeout,
        )
    except requests.RequestException:
        return None


def start_manila(config: HarnessConfig, all_daemons: Mapping[str, Daemon]) -> None:
    scheduler_log = config.log_dir / "manila-scheduler.log"
    # Only reports made after this start count, unless both services already ran.
    restarting = any(all_daemons[n].pid() is None for n in ("manila-scheduler", "manila-share"))
    offset = scheduler_log.stat().st_size if restarting and scheduler_log.exists() else 0
    for name in ("manila-scheduler", "manila-share"):
        all_daemons[name].start(_environment(config, name), config.base)
    api = all_daemons["manila-api"]
    _ensure_port_free("manila-api", api, config.api_port)
    api.start(_environment(config, "manila-api"), config.base)
    api_log = config.log_dir / ("uwsgi.log" if api_mode(config) == "uwsgi" else "manila-api.log")

    def api_answers() -> bool:
        try:
            return requests.get(f"{config.api_root}/", timeout=5).status_code == 300
        except requests.RequestException:
            return False

    wait_until("manila-api", api_answers, 90, api_log, api)
    expected = 1 + len(config.backends)  # the scheduler and one share service per back end

    def services_up() -> bool:
        for name in ("manila-scheduler", "manila-share"):
            all_daemons[name].check_alive()
        response = _get(config, "/services")
        if response is None or response.status_code != 200:
            return False
        services = response.json().get("services", [])
        return sum(1 for s in services if s["state"] == "up" and s["status"] == "enabled") >= expected

    wait_until("manila-share", services_up, 120, config.log_dir / "manila-share.log", interval=1)

    # Readiness is the scheduler having heard from every back end. Asking for
    # pools instead is misleading: the scheduler caches its first answer
    # (manila/scheduler/host_manager.py get_pools(cached=True)), so a back end
    # whose capabilities came a moment late stays missing from it.
    def backends_reported() -> bool:
        try:
            with scheduler_log.open("rb") as log:
                log.seek(offset)
                text = log.read().decode("utf-8", errors="replace")
        except OSError:
            return False
        return all(f"share service update from {config.backend_host(b)}:" in text for b in config.backends)

    wait_until("manila-scheduler", backends_reported, 120, scheduler_log, all_daemons["manila-scheduler"])


def start_all(config: HarnessConfig) -> None:
    """Start whatever of the deployment is not running (harness.up undoes it on failure)."""
    if os.geteuid() != 0:
        raise HarnessError("harness", "run as root: MariaDB and RabbitMQ run as private root daemons")
    all_daemons = daemons(config)
    start_database(config, all_daemons)
    start_bus(config, all_daemons)
    sync_schema(config)
    if keystone.enabled(config):  # Manila's services check tokens with it from the start
        keystone.start(config, all_daemons)
    start_manila(config, all_daemons)


def stop_started(config: HarnessConfig, before: set[str]) -> list[str]:
    """Stop the daemons that run now but did not before (a failed ``up`` undoes itself)."""
    stopped = []
    for name, daemon in reversed(list(daemons(config).items())):
        if name not in before and daemon.stop(timeout=60 if name == "mariadb" else 30):
            stopped.append(name)
    return stopped


def stop_all(config: HarnessConfig) -> list[str]:
    """Stop every daemon by PID, Manila first; return the names that were running."""
    stopped = []
    for name, daemon in reversed(list(daemons(config).items())):
        if daemon.stop(timeout=60 if name == "mariadb" else 30):
            stopped.append(name)
    return stopped


def status(config: HarnessConfig) -> dict[str, int | None]:
    return {name: daemon.pid() for name, daemon in daemons(config).items()}
