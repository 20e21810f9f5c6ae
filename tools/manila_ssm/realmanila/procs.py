"""Daemons the harness starts, tracked by PID file and stopped by PID only.

Each daemon runs in its own session, so its process group id is its PID:
stopping signals that group (uWSGI workers, manila-share's per-back-end
children, RabbitMQ's beam) and nothing else. A PID file is trusted only
while the process's command line still matches and its environment names
this base as its owner, which guards against stale files, PID reuse, and a
PID file that names another base's daemon.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


class HarnessError(Exception):
    """A step of the harness failed; names the service and shows its log tail."""

    def __init__(self, service: str, message: str, log: Path | None = None) -> None:
        self.service = service
        self.log = log
        text = f"{service}: {message}"
        if log is not None:
            text += f"\n--- last lines of {log} ---\n{log_tail(log)}"
        super().__init__(text)


@dataclass(frozen=True, slots=True)
class Daemon:
    """A long-running process: its name, command, log file and PID file."""

    name: str
    argv: tuple[str, ...]
    log: Path
    pid_file: Path
    marker: str  # a substring of its command line, to recognise it later
    # The base that owns it: its environment must carry OWNER_VARIABLE=<base>, or (for
    # daemons that rewrite their process title over argv and environ, as cotyledon's
    # manila-scheduler and manila-share do) its command line must name a path in the base.
    owner: Path | None = None

    def pid(self) -> int | None:
        """The PID of the running daemon, or None if it is not running (or not ours)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if not _cmdline_has(pid, self.marker):
            return None
        return pid if self.owner is None or owned_by(pid, self.owner) else None

    def start(self, env: Mapping[str, str], cwd: Path) -> int:
        """Start it unless it runs already; return its PID."""
        running = self.pid()
        if running is not None:
            return running
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as sink:
            process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=dict(env),
                cwd=cwd,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{process.pid}\n")
        # /proc/<pid>/cmdline reads empty for a moment after exec.
        deadline = time.monotonic() + 2
        while self.pid() != process.pid and time.monotonic() < deadline:
            if process.poll() is not None:  # died at once: reaped here, reported by check_alive
                return process.pid
            time.sleep(0.02)
        # Not waited on: it outlives this command; ``stop`` ends it by PID.
        process.returncode = 0
        return process.pid

    def check_alive(self) -> None:
        if self.pid() is None:
            raise HarnessError(self.name, "exited during start-up", self.log)

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM the daemon's process group, SIGKILL it after ``timeout``."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _group_alive(pid):
            time.sleep(0.2)
        if _group_alive(pid):
            _signal_group(pid, signal.SIGKILL)
            time.sleep(0.5)
        self.pid_file.unlink(missing_ok=True)
        return True


def _cmdline_has(pid: int, marker: str) -> bool:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and marker in raw.replace(b"\0", b" ").decode(errors="replace")


OWNER_VARIABLE = "SSM_REAL_MANILA_OWNER"


def owned_by(pid: int, base: Path) -> bool:
    """Whether process ``pid`` belongs to the deployment in ``base`` (see Daemon.owner)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return f"{OWNER_VARIABLE}={base}".encode() in environ or f"{base}/".encode() in cmdline


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields_ = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields_[2]) == pgid and fields_[0] != "Z":
            members.append(int(entry.name))
    return members


def _group_alive(pgid: int) -> bool:
    return bool(_group_members(pgid))


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log written)"
    # DEBUG chatter (periodic tasks) would push the cause out of view.
    kept = [line for line in text.splitlines() if " DEBUG " not in line]
    return "\n".join(kept[-lines:]) or "(log is empty)"


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def run_step(
    service: str, argv: Sequence[str], log: Path, env: Mapping[str, str], timeout: float = 600
) -> None:
    """Run a short command to completion; a failure names ``service`` with the log tail."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as sink:
        try:
            result = subprocess.run(
                list(argv), stdout=sink, stderr=subprocess.STDOUT, env=dict(env), timeout=timeout,
                stdin=subprocess.DEVNULL, check=False,
            )
        except FileNotFoundError:
            raise HarnessError(service, f"command not found: {argv[0]}") from None
        except subprocess.TimeoutExpired:
            raise HarnessError(service, f"{' '.join(argv)} took longer than {timeout:.0f} s", log) from None
    if result.returncode != 0:
        raise HarnessError(service, f"{' '.join(argv)} exited {result.returncode}", log)


def wait_until(
    service: str, ready: Callable[[], bool], timeout: float, log: Path | None, daemon: Daemon | None = None,
    interval: float = 0.5,
) -> None:
    """Poll ``ready()`` until true; fail naming the service if it dies or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if daemon is not None:
            daemon.check_alive()
        time.sleep(interval)
    raise HarnessError(service, f"not ready after {timeout:.0f} s", log)
