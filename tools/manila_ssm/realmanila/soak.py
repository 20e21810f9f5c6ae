"""``real-manila soak``: the suite on real Manila under many fresh seeds, one summary.

Real Manila is the correct target, so under the effective contract every
failure is a false failure of the suite, and under the documented contract
every divergence must be explained by an erratum. A soak runs both
contracts once per seed (fresh servers whenever a run used them up) and
writes what each seed gave: the verdict, the counts, and each failure or
unexplained divergence with the command that reproduces it.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import random
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from manila_ssm import jsonio
from manila_ssm.realmanila import install
from manila_ssm.realmanila.config import HarnessConfig
from manila_ssm.realmanila.procs import HarnessError
from manila_ssm.realmanila.services import api_mode

CONTRACTS = ("effective", "documented")
# The report's verdicts (manila_ssm.suite.verdict.Verdict values).
CONFORMS, INCOMPLETE = "conforms", "incomplete"


def fresh_seeds(count: int, rng: random.Random | None = None) -> list[int]:
    """``count`` distinct seeds in the range the suite prints (31 bits)."""
    rng = rng or random.SystemRandom()
    seeds: list[int] = []
    while len(seeds) < count:
        seed = rng.randrange(1, 2**31)
        if seed not in seeds:
            seeds.append(seed)
    return seeds


@contextlib.contextmanager
def stop_on_signal() -> Iterator[threading.Event]:
    """SIGTERM and Ctrl-C end the soak: the run under way stops and writes its
    partial reports, and no further seed starts (the event says so).

    The suite leaves a SIGTERM handler it did not install alone, so a run
    inside the soak raises KeyboardInterrupt here; pytest ends the run, and
    the event tells the soak not to go on to the next seed.
    """
    stopping = threading.Event()

    def interrupt(signum: int, frame: object) -> None:
        stopping.set()
        raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")

    previous = {signum: signal.signal(signum, interrupt) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stopping
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def stop_workers(workers: list[subprocess.Popen], grace: float = 60.0) -> None:
    """SIGTERM each worker's process group, SIGKILL what is left after ``grace``.

    Workers run in their own sessions, so this reaches their children too;
    the deployments' daemons have sessions of their own and stay up, as they
    do after a soak that ends normally.
    """
    def signal_group(process: subprocess.Popen, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)

    for process in workers:
        if process.poll() is None:
            signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in workers:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
    for process in workers:
        signal_group(process, signal.SIGKILL)
        process.wait()


def _failures(report: dict[str, Any]) -> list[dict[str, str]]:
    found = []
    for requirement in report.get("requirements", []):
        for result in requirement.get("results", []):
            if result.get("outcome") in ("fail", "error"):
                found.append({"requirement": requirement["id"], "outcome": result["outcome"],
                              "message": (result.get("message") or "")[:400], "test": result.get("test", "")})
    return found


def run_seed(config: HarnessConfig, seed: int, reports: Path, run_suite: Callable[..., int],
             drift: Callable[[Path], dict[str, Any]], report: Callable[[str], None], err: TextIO,
             stopping: threading.Event | None = None) -> dict[str, Any]:
    """Both contracts under one seed; what they gave, ready for the summary.

    Once ``stopping`` is set the seed is marked interrupted and a contract
    not yet run is recorded as not run.
    """
    entry: dict[str, Any] = {"seed": seed}
    for contract in CONTRACTS:
        if stopping is not None and stopping.is_set():
            entry["interrupted"] = True
            entry.setdefault(contract, {"exit": -1, "verdict": "not run", "counts": {}, "seconds": 0.0,
                                        "reproduce": "", "report": "", "failures": [], "undecided": []})
            continue
        started = time.monotonic()
        directory = reports / f"seed-{seed}"
        path = directory / contract / "conformance.json"
        path.unlink(missing_ok=True)  # a report left by an earlier soak must not stand in for this run
        try:
            code = run_suite(config, (contract,), directory, ("--seed", str(seed)), report, err, drift=False)
        except HarnessError as error:  # the deployment broke: this seed is incomplete, the soak goes on
            report(f"[real-manila] soak: seed {seed} ({contract}) could not run: {error}")
            code = -1
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result = {}
        item: dict[str, Any] = {
            "exit": code, "verdict": result.get("verdict", "no report"), "counts": result.get("counts", {}),
            "seconds": round(time.monotonic() - started, 1), "reproduce": result.get("reproduce", ""),
            "report": path.as_posix(), "failures": _failures(result),
            "undecided": [{"requirement": u.get("id", ""), "reason": u.get("reason") or u.get("needs", "")}
                          for u in result.get("undecided", [])],
        }
        if contract == "documented" and result:
            document = drift(path)
            item["divergences"] = len(document["divergences"])
            item["unexplained"] = document["unexplained"]
        entry[contract] = item
    if stopping is not None and stopping.is_set():
        entry["interrupted"] = True
    return entry


def versions(config: HarnessConfig) -> dict[str, str]:
    """The exact versions a soak ran with, for the committed summary."""
    def package(name: str) -> str:
        result = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True,
                                check=False)
        return result.stdout.strip() or "not installed"

    def toolkit() -> str:
        result = subprocess.run(["git", "-C", str(Path(__file__).parent), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=False)
        return result.stdout.strip() or "unknown"

    return {"manila": install.installed_version(config) or "not installed", "api_server": api_mode(config),
            "mariadb-server": package("mariadb-server"), "rabbitmq-server": package("rabbitmq-server"),
            "python": platform.python_version(), "toolkit_commit": toolkit()}


def summarise(entries: list[dict[str, Any]], command: list[str], versions_: dict[str, str]) -> dict[str, Any]:
    """What the seeds gave together; it holds only if every seed ran and the effective run conformed.

    An effective run that was INCOMPLETE is no false failure, but it is no
    proof either: its undecided requirements are listed and the soak does
    not hold.
    """
    false_failures = sum(len(e["effective"]["failures"]) for e in entries)
    unexplained = sum(len(e["documented"].get("unexplained", [])) for e in entries)
    incomplete = [e["seed"] for e in entries if e.get("interrupted")
                  or {e["effective"]["verdict"], e["documented"]["verdict"]} & {"no report", "not run"}]
    conform = sum(e["effective"]["verdict"] == CONFORMS for e in entries)
    undecided = [e["seed"] for e in entries if e["effective"]["verdict"] == INCOMPLETE]
    return {
        "title": "Real Manila soak: the suite under fresh seeds",
        "command": shlex.join(command),
        "versions": versions_,
        "seeds": len(entries),
        "effective": {"conform": conform, "incomplete": len(undecided), "false_failures": false_failures},
        "documented": {"unexplained_divergences": unexplained},
        "incomplete_seeds": incomplete,
        "undecided_seeds": undecided,
        "holds": (false_failures == 0 and unexplained == 0 and not incomplete and bool(entries)
                  and conform == len(entries)),
        "per_seed": entries,
    }


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items()) if n) or "none"


def markdown(summary: dict[str, Any]) -> str:
    lines = [f"# {summary['title']}", "",
             f"Command: `{summary['command']}`", "",
             "Versions: " + ", ".join(f"{k} {v}" for k, v in summary["versions"].items()) + ".", "",
             f"Seeds: {summary['seeds']}. Effective contract: {summary['effective']['conform']} of "
             f"{summary['seeds']} conform, {summary['effective'].get('incomplete', 0)} incomplete, "
             f"{summary['effective']['false_failures']} false failures. "
             f"Documented contract: {summary['documented']['unexplained_divergences']} unexplained divergences. "
             f"Incomplete seeds: {len(summary['incomplete_seeds'])}.", "",
             "| seed | effective | effective counts | documented counts | divergences | unexplained | s |",
             "|---|---|---|---|---|---|---|"]
    for entry in summary["per_seed"]:
        eff, doc = entry["effective"], entry["documented"]
        lines.append(f"| {entry['seed']} | {eff['verdict']} | {_counts(eff['counts'])} | {_counts(doc['counts'])} "
                     f"| {doc.get('divergences', '-')} | {len(doc.get('unexplained', []))} "
                     f"| {eff['seconds'] + doc['seconds']:.0f} |")
    problems = []
    for entry in summary["per_seed"]:
        for failure in entry["effective"]["failures"]:
            problems.append(f"- seed {entry['seed']}, effective, {failure['requirement']}: {failure['message']} "
                            f"(reproduce: `{entry['effective']['reproduce']}`)")
        for item in entry["effective"].get("undecided", []):
            problems.append(f"- seed {entry['seed']}, effective, undecided {item['requirement']}: {item['reason']}")
        for item in entry["documented"].get("unexplained", []):
            problems.append(f"- seed {entry['seed']}, documented, unexplained {item['requirement']}: "
                            f"{item['message']} (reproduce: `{entry['documented']['reproduce']}`)")
    lines += ["", "## Failures, undecided requirements and unexplained divergences", "", *(problems or ["None."]), ""]
    return "\n".join(lines)


def write(out: Path, summary: dict[str, Any]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "soak.json", out / "soak.md"
    jsonio.write(json_path, summary)
    md_path.write_text(markdown(summary), encoding="utf-8")
    return [json_path, md_path]
