"""Open-loop load on the reference target: latency under a fixed arrival rate, threads, memory, recovery.

The target runs in a child process with a migration held in
``migration_driver_in_progress`` (get_progress's costliest state). This
process sends requests at a fixed rate whatever the answers do (open loop:
a slow server does not slow the arrivals), one new TCP connection per
request, and measures each latency from the moment the request was due.
Phases, in one run against one server process:

1. ``GET /v2/`` at ``--rate`` (the baseline: the same pipeline of token,
   route and microversion, no database) and get_progress at ``--rate``:
   p50/p99 and their ratio;
2. get_progress at ``--overload`` req/s: errors, the server's peak threads
   and memory (from /proc), and how long after the load stops it answers
   ``GET /v2/`` normally again.

Each latency phase runs ``--rounds`` times, interleaved with a control: the
same load on a bare asyncio server that answers a fixed 200 at once (the
floor: what the load generator and loopback cost alone, and how noisy the
machine is at that moment). The goal is judged on the median p99 of the
rounds, and only when the floor's median p99 is at most half the goal:
above that the machine (another guest on the host, say) adds the tail and
the goal is reported undecided. Every server process, like ``ssm-conformance serve``, exempts its
start-up objects from garbage collection (:mod:`manila_ssm.gcpause`), and
so does this process before each phase.

``--server`` picks the HTTP server that runs the same WSGI application, so
the choice of server is measured rather than asserted; ``waitress`` is
``ssm-conformance serve`` itself, ``werkzeug`` the development server the
target used before, ``cheroot`` and ``granian`` the alternatives (install
them first; nothing is installed at run time).

    python benchmarks/target_load.py [--server waitress] [--rate 500] [--overload 1000] [--seconds 10] [--rounds 3]
    python benchmarks/target_load.py --server all     # each installed server in turn, paired in one run
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from manila_ssm import gcpause
# the closed-loop benchmark beside this one: the same target settings and the same migrating server
from target_progress_latency import CONFIG, HEADERS, migrating_server
SERVERS = ("waitress", "werkzeug", "cheroot", "granian")
THREADS = 16  # application threads for every server (waitress's default in the target)
REQUEST_TIMEOUT = 5.0


# -- the child: one server process -------------------------------------------------------------------

def build_app(workdir: Path) -> Any:
    """The target's WSGI application with its worker running, without an HTTP server."""
    from manila_ssm.reference.app import TargetApp
    from manila_ssm.reference.config import TargetConfig
    from manila_ssm.reference.runtime import Runtime
    from manila_ssm.reference.server import seed
    from manila_ssm.reference.store import Store
    from manila_ssm.reference.worker import Worker

    config_file = workdir / "bench.yaml"
    config_file.write_text(CONFIG, encoding="utf-8")
    config = TargetConfig.load(str(config_file))
    store = Store(workdir / "bench.sqlite")
    seed(store, config)
    worker = Worker(store, config.timings)
    worker.start()
    return TargetApp(Runtime(store, config, worker.wake, worker.advance))


def granian_factory() -> Any:
    app = build_app(Path(os.environ["SSM_BENCH_WORKDIR"]))
    gcpause.settle()  # as `ssm-conformance serve` does, so every server is measured alike
    return app


class _Floor(asyncio.Protocol):
    """Answers every request with a fixed 200 at once: what the load generator and loopback cost alone."""

    ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"

    def connection_made(self, transport: Any) -> None:
        self.transport, self.received = transport, b""

    def data_received(self, data: bytes) -> None:
        self.received += data
        if b"\r\n\r\n" in self.received:
            self.transport.write(self.ANSWER)
            self.transport.close()


async def serve_floor() -> None:
    server = await asyncio.get_running_loop().create_server(_Floor, "127.0.0.1", 0)
    print(f"listening on http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


def serve_child(server: str, workdir: Path) -> None:
    """Serve on a free port with ``server`` and print ``listening on URL``."""
    if server == "floor":
        asyncio.run(serve_floor())
    if server == "werkzeug":
        from werkzeug.serving import make_server

        httpd = make_server("127.0.0.1", 0, build_app(workdir), threaded=True)
        gcpause.settle()
        print(f"listening on http://127.0.0.1:{httpd.server_port}", flush=True)
        httpd.serve_forever()
    elif server == "cheroot":
        from cheroot.wsgi import Server

        httpd = Server(("127.0.0.1", 0), build_app(workdir), numthreads=THREADS, timeout=30)
        httpd.prepare()
        gcpause.settle()
        print(f"listening on http://127.0.0.1:{httpd.bind_addr[1]}", flush=True)
        httpd.serve()
    raise SystemExit(f"unknown child server {server}")


def start_server(server: str, workdir: Path) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ, SSM_BENCH_WORKDIR=str(workdir))
    if server == "waitress":
        (workdir / "bench.yaml").write_text(CONFIG, encoding="utf-8")
        command = [str(Path(sys.executable).with_name("ssm-conformance")), "serve", "--config",
                   str(workdir / "bench.yaml"), "--db", str(workdir / "bench.sqlite"), "--port", "0"]
    elif server == "granian":
        port = free_port()
        command = [sys.executable, "-m", "granian", "--interface", "wsgi", "--factory", "--host", "127.0.0.1",
                   "--port", str(port), "--workers", "1", "--blocking-threads", str(THREADS),
                   "--working-dir", str(Path(__file__).parent), "--no-ws", "target_load:granian_factory"]
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, process)
        return process, url
    else:  # werkzeug, cheroot, and the floor
        command = [sys.executable, __file__, "--child", server, "--workdir", str(workdir)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    match = re.fullmatch(r"listening on (\S+)\n", process.stdout.readline())
    if match is None:
        process.kill()
        raise SystemExit(f"{server}: the target did not start")
    return process, match.group(1)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server at {url} exited with {process.returncode}")
        try:
            requests.get(f"{url}/", timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"the server at {url} did not start")


def server_pids(process: subprocess.Popen[str]) -> list[int]:
    """The server process and its children (granian serves from a worker process)."""
    pids = [process.pid]
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    return pids


def threads_and_rss(pids: list[int]) -> tuple[int, int]:
    threads = rss = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        threads += int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]
        rss += int(re.search(r"^VmRSS:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]
    return threads, rss // 1024


def cpu_ticks() -> list[int]:
    """The machine's CPU time by kind (/proc/stat): user, nice, system, idle, iowait, irq, softirq, steal."""
    return [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def steal_share(before: list[int], after: list[int]) -> float:
    """Of the machine's CPU time in between, the share the hypervisor gave to other guests."""
    spent = [b - a for a, b in zip(before, after)]
    return spent[7] / max(1, sum(spent))


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


# -- the load: open loop, one connection per request ------------------------------------------------

@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    cpu: float = 0.0  # the server's CPU seconds during the phase
    steal: float = 0.0  # the share of the machine's CPU time stolen by the hypervisor during the phase

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def raw_request(method: str, path: str, body: bytes, host: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close",
             *(f"{k}: {v}" for k, v in HEADERS.items())]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def one(host: str, port: int, data: bytes, due: float, phase: Phase) -> None:
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write(data)
                answer = await reader.read()
            finally:
                writer.close()
    except TimeoutError:
        phase.error("timeout")
        return
    except OSError as error:
        phase.error(type(error).__name__)
        return
    status = answer[9:12]
    if status != b"200":
        phase.error(f"status {status.decode(errors='replace') or 'none'}")
        return
    phase.latencies.append(time.perf_counter() - due)


async def open_loop(url: str, path: str, body: bytes, rate: float, seconds: float) -> Phase:
    host, port = re.fullmatch(r"http://([^:/]+):(\d+)", url).groups()  # type: ignore[union-attr]
    data = raw_request("POST" if body else "GET", path, body, f"{host}:{port}")
    phase, tasks = Phase(), []
    start = time.perf_counter()
    for index in range(int(rate * seconds)):
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(host, int(port), data, due, phase)))
        phase.sent += 1
    await asyncio.gather(*tasks)
    return phase


def percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def describe(name: str, phase: Phase, *, server_cpu: bool = True) -> str:
    """One phase's line; ``server_cpu=False`` for the floor, which the measured server does not answer."""
    p50, p99 = percentile(phase.latencies, 0.5) * 1000, percentile(phase.latencies, 0.99) * 1000
    errors = sum(phase.errors.values())
    detail = ", ".join(f"{k} {v}" for k, v in sorted(phase.errors.items()))
    per_request = phase.cpu / max(1, len(phase.latencies)) * 1000
    cpu = f"server CPU {per_request:5.2f} ms/answer" if server_cpu else " " * 29
    return (f"  {name:<30} n={phase.sent:<5} p50 {p50:7.2f} ms  p99 {p99:8.2f} ms  "
            f"{cpu}  steal {phase.steal:4.0%}  errors {errors}" + (f" ({detail})" if detail else ""))


def sample_while(process: subprocess.Popen[str], stop: threading.Event, peaks: list[int]) -> None:
    while not stop.wait(0.1):
        threads, rss = threads_and_rss(server_pids(process))
        peaks[0], peaks[1] = max(peaks[0], threads), max(peaks[1], rss)


def recovery_seconds(url: str, limit: float = 60) -> float:
    """Seconds from now until ``GET /v2/`` answers 200 within 100 ms."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        try:
            sent = time.perf_counter()
            answer = requests.get(f"{url}/v2/", headers=HEADERS, timeout=1)
            if answer.status_code == 200 and time.perf_counter() - sent < 0.1:
                return time.perf_counter() - started
        except requests.RequestException:
            pass
        time.sleep(0.02)
    return float("inf")


def stop_process(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def bench(server: str, rate: float, overload: float, seconds: float, rounds: int) -> dict[str, float]:
    """Measure one server; the floor server answers beside it, round by round, as the control."""
    with tempfile.TemporaryDirectory(prefix="ssm-load-") as workdir:
        process, url = start_server(server, Path(workdir))
        floor_process, floor_url = start_server("floor", Path(workdir))
        try:
            migrating = migrating_server(url)
            path = f"/v2/share-servers/{migrating}/action"
            progress = b'{"migration_get_progress": null}'
            idle = threads_and_rss(server_pids(process))
            pids = server_pids(process)

            def phase(at_url: str, target_path: str, body: bytes, at: float) -> Phase:
                gcpause.settle()  # the generator's own full collections would count as server latency
                before, machine = cpu_seconds(pids), cpu_ticks()
                result = asyncio.run(open_loop(at_url, target_path, body, at, seconds))
                result.cpu, result.steal = cpu_seconds(pids) - before, steal_share(machine, cpu_ticks())
                return result

            print(f"{server}: idle {idle[0]} threads, {idle[1]} MB")
            floors, baselines, measured = [], [], []
            for index in range(1, rounds + 1):
                floors.append(phase(floor_url, "/v2/", b"", rate))
                baselines.append(phase(url, "/v2/", b"", rate))
                measured.append(phase(url, path, progress, rate))
                print(f" round {index}")
                print(describe(f"floor at {rate:g}/s (control)", floors[-1], server_cpu=False))
                print(describe(f"GET /v2/ at {rate:g}/s (baseline)", baselines[-1]))
                print(describe(f"get_progress at {rate:g}/s", measured[-1]))
            stop, peaks = threading.Event(), [0, 0]
            sampler = threading.Thread(target=sample_while, args=(process, stop, peaks))
            sampler.start()
            flood = phase(url, path, progress, overload)
            recovered = recovery_seconds(url)
            stop.set()
            sampler.join()
            after = threads_and_rss(server_pids(process))
        finally:
            stop_process(process)
            stop_process(floor_process)

    def median_ms(phases: list[Phase], fraction: float) -> float:
        return statistics.median(percentile(phase.latencies, fraction) for phase in phases) * 1000

    p50, base50 = median_ms(measured, 0.5), median_ms(baselines, 0.5)
    p99, base99, floor99 = median_ms(measured, 0.99), median_ms(baselines, 0.99), median_ms(floors, 0.99)
    print(f" median of {rounds} rounds: get_progress p50 {p50:.2f} ms, p99 {p99:.2f} ms; GET /v2/ p99 "
          f"{base99:.2f} ms (ratio p50 {p50 / base50:.2f}x, p99 {p99 / base99:.2f}x); floor p99 {floor99:.2f} ms")
    print(describe(f"get_progress at {overload:g}/s", flood))
    print(f"  under {overload:g}/s: peak {peaks[0]} threads, {peaks[1]} MB; answering normally "
          f"{recovered:.2f} s after the load stopped; then {after[0]} threads, {after[1]} MB")
    return {"p99": p99, "floor99": floor99, "recovered": recovered,
            "threads": peaks[0], "rss": peaks[1], "errors": sum(flood.errors.values())}


GOAL_P99_MS = 10.0
# Above this, the floor (no server work at all) shows a machine too noisy to blame the server for its tail.
QUIET_FLOOR_P99_MS = GOAL_P99_MS / 2


def latency_verdict(p99: float, floor99: float) -> str:
    """Met, not met, or undecided when the control shows the machine itself adds the tail."""
    if math.isnan(p99):
        return "not met (no request was answered in time)"
    if p99 <= GOAL_P99_MS:
        return "met"
    if floor99 <= QUIET_FLOOR_P99_MS:
        return "not met"
    return (f"undecided (the floor alone has p99 {floor99:.2f} ms, above {QUIET_FLOOR_P99_MS:g} ms: the machine "
            "is too noisy to judge the server; run again when it is quiet)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="waitress", choices=(*SERVERS, "all"))
    parser.add_argument("--rate", type=float, default=500, help="req/s of the latency phases (default: %(default)s)")
    parser.add_argument("--overload", type=float, default=1000, help="req/s of the overload phase (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=10, help="length of each phase (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="latency rounds, each a floor, a baseline and a "
                        "get_progress phase; the goal is judged on the median p99 (default: %(default)s)")
    parser.add_argument("--child", choices=(*SERVERS, "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for flag, value in (("--rate", args.rate), ("--overload", args.overload), ("--seconds", args.seconds),
                        ("--rounds", args.rounds)):
        if not value > 0:  # also refuses nan
            parser.error(f"{flag} {value:g} must be above 0")
    if args.child:
        serve_child(args.child, Path(args.workdir))
        return 0
    servers = [s for s in SERVERS if s in ("waitress", "werkzeug") or importlib.util.find_spec(s)] \
        if args.server == "all" else [args.server]
    print(f"open loop, one connection per request, {args.seconds:g} s per phase, request timeout "
          f"{REQUEST_TIMEOUT:g} s, {os.cpu_count()} CPUs")
    results = {server: bench(server, args.rate, args.overload, args.seconds, args.rounds) for server in servers}
    if "waitress" in results:
        ok = results["waitress"]
        print(f"goal: get_progress p99 <= {GOAL_P99_MS:g} ms at {args.rate:g}/s (median of {args.rounds} rounds): "
              f"{ok['p99']:.2f} ms, {latency_verdict(ok['p99'], ok['floor99'])}; answering within 1 s after "
              f"{args.overload:g}/s: {ok['recovered']:.2f} s ({'met' if ok['recovered'] <= 1 else 'not met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
