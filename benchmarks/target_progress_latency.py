"""migration_get_progress latency on the reference target under N concurrent clients.

One process pair: the target runs as ``ssm-conformance serve`` in a child
process; this process drives it with N client threads (one HTTP session
each). The baseline is ``GET /v2/`` (version discovery: the same pipeline of
token, route and microversion, no database) on the same server with the same
concurrency, so the ratio says what the action itself costs.

    python benchmarks/target_progress_latency.py [--clients 8] [--requests 200]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import requests

from manila_ssm.reference import ADMIN_TOKEN

HEADERS = {"X-Auth-Token": ADMIN_TOKEN, "X-OpenStack-Manila-API-Version": "2.57",
           "X-OpenStack-Manila-API-Experimental": "True"}
# migrations move only through the fixture API's advance: the measured state stays put
CONFIG = "timings:\n  step: 3600\n"


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(clients: int, per_client: int, send: Callable[[requests.Session], requests.Response],
            expect: int) -> list[float]:
    """Latencies in seconds of ``clients * per_client`` requests, all started together."""
    barrier = threading.Barrier(clients)
    results: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []

    def client(index: int) -> None:
        session = requests.Session()
        send(session)  # connect before the clock starts
        barrier.wait()
        for _ in range(per_client):
            start = time.perf_counter()
            response = send(session)
            results[index].append(time.perf_counter() - start)
            if response.status_code != expect:
                errors.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"unexpected answers ({len(errors)}), first: {errors[0]}")
    return [t for r in results for t in r]


def start_target(workdir: Path) -> tuple[subprocess.Popen[str], str]:
    config = workdir / "bench.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    serve = Path(sys.executable).with_name("ssm-conformance")
    process = subprocess.Popen([str(serve), "serve", "--config", str(config), "--db", str(workdir / "bench.sqlite"),
                                "--port", "0"], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    match = re.fullmatch(r"listening on (\S+)\n", process.stdout.readline())
    if match is None:
        process.kill()
        raise SystemExit("the target did not start")
    return process, match.group(1)


def migrating_server(base: str) -> str:
    """A server in migration_driver_in_progress: get_progress's costliest path (asks the driver)."""
    made = requests.post(f"{base}/_reference/share-servers", json={"host": "ref@alpha", "shares": 3},
                         headers=HEADERS, timeout=10).json()["share_server"]["id"]
    params = {"host": "ref@beta", "writable": True, "nondisruptive": False, "preserve_snapshots": True}
    answer = requests.post(f"{base}/v2/share-servers/{made}/action", json={"migration_start": params},
                           headers=HEADERS, timeout=10)
    assert answer.status_code == 202, answer.text
    requests.post(f"{base}/_reference/share-servers/{made}/advance", json={"steps": 5}, headers=HEADERS, timeout=10)
    state = requests.get(f"{base}/v2/share-servers/{made}", headers=HEADERS, timeout=10).json()["share_server"]
    assert state["task_state"] == "migration_driver_in_progress", state
    return str(made)


def report(name: str, samples: list[float]) -> tuple[float, float]:
    p50, p99 = percentile(samples, 0.50), percentile(samples, 0.99)
    print(f"{name:<24} n={len(samples):<6} p50 {p50 * 1000:7.2f} ms  p99 {p99 * 1000:7.2f} ms  "
          f"mean {statistics.fmean(samples) * 1000:7.2f} ms")
    return p50, p99


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default: %(default)s)")
    parser.add_argument("--requests", type=int, default=200, help="requests per client (default: %(default)s)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ssm-bench-") as workdir:
        process, base = start_target(Path(workdir))
        try:
            server = migrating_server(base)
            action = f"{base}/v2/share-servers/{server}/action"
            baseline = measure(args.clients, args.requests,
                               lambda s: s.get(f"{base}/v2/", headers=HEADERS, timeout=30), 200)
            progress = measure(args.clients, args.requests,
                               lambda s: s.post(action, json={"migration_get_progress": None}, headers=HEADERS,
                                                timeout=30), 200)
        finally:
            process.terminate()
            process.wait(timeout=10)
    print(f"{args.clients} concurrent clients x {args.requests} requests, one `ssm-conformance serve` process")
    base50, base99 = report("baseline GET /v2/", baseline)
    p50, p99 = report("migration_get_progress", progress)
    print(f"ratio to baseline: p50 {p50 / base50:.2f}x  p99 {p99 / base99:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
