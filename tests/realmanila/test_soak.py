"""The soak summary, drift rules that name causes, and `drift` with nothing to judge."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from manila_ssm import paths
from manila_ssm.cli import run
from manila_ssm.realmanila import drift, soak

TITLES = drift.errata_titles(yaml.safe_load((paths.spec_dir() / "errata.overlay.yaml").read_text()))


def _entry(seed: int, failures: list, unexplained: list, undecided: list | None = None) -> dict:
    verdict = "does-not-conform" if failures else "incomplete" if undecided else "conforms"
    return {"seed": seed,
            "effective": {"verdict": verdict, "counts": {"pass": 70}, "seconds": 60.0,
                          "reproduce": f"ssm-conformance run --seed {seed}", "failures": failures,
                          "undecided": undecided or []},
            "documented": {"verdict": "fail", "counts": {"fail": 8}, "seconds": 60.0, "divergences": 12,
                           "reproduce": f"ssm-conformance run --contract documented --seed {seed}",
                           "failures": [], "unexplained": unexplained}}


def test_summary_counts_every_false_failure_and_unexplained_divergence(tmp_path: Path) -> None:
    failure = {"requirement": "SSM-START-FUZZ-NEGATIVE", "outcome": "fail", "message": "server error 500", "test": "t"}
    odd = {"requirement": "SSM-CHECK-FUZZ-NEGATIVE", "message": "answered 418", "seen_in": "live t"}
    summary = soak.summarise([_entry(1, [], []), _entry(2, [failure], [odd])], ["ssm-conformance", "x"], {"manila": "v"})
    assert summary["effective"] == {"conform": 1, "incomplete": 0, "false_failures": 1}
    assert summary["documented"] == {"unexplained_divergences": 1}
    assert not summary["holds"]
    json_path, md_path = soak.write(tmp_path, summary)
    text = md_path.read_text()
    assert "ssm-conformance run --seed 2" in text and "answered 418" in text and "`ssm-conformance x`" in text
    assert soak.summarise([_entry(1, [], [])], ["c"], {})["holds"]
    assert json_path.is_file()


def test_an_incomplete_seed_is_no_false_failure_but_the_soak_does_not_hold(tmp_path: Path) -> None:
    gap = {"requirement": "SSM-AFTER-SUCCESS-REFUSES[migration_get_progress]", "reason": "removed too soon"}
    summary = soak.summarise([_entry(1, [], []), _entry(2, [], [], [gap])], ["c"], {})
    assert summary["effective"] == {"conform": 1, "incomplete": 1, "false_failures": 0}
    assert summary["undecided_seeds"] == [2] and not summary["holds"]
    _, md_path = soak.write(tmp_path, summary)
    assert "1 of 2 conform, 1 incomplete, 0 false failures" in md_path.read_text()
    assert "seed 2, effective, undecided SSM-AFTER-SUCCESS-REFUSES[migration_get_progress]: removed too soon" \
        in md_path.read_text()


def test_fresh_seeds_are_distinct() -> None:
    seeds = soak.fresh_seeds(50, random.Random(1))
    assert len(set(seeds)) == 50 and all(0 < s < 2**31 for s in seeds)


def test_status_errata_match_any_generated_request_that_shows_the_cause() -> None:
    # seed 1498116112 on 2026-12-02: a negative case upstream takes, judged as a positive one
    message = ("3 of 25 generated requests: a well-formed request was answered 200, neither 202 nor a "
               "documented error (400, 401, 403, 404, 409)")
    failures = [drift.Failure(f"SSM-{action}-FUZZ-{mode}", message, "live t")
                for action in ("CHECK", "COMPLETE", "PROGRESS") for mode in ("POSITIVE", "NEGATIVE")]
    document = drift.build(failures, [], TITLES, {})
    assert document["unexplained"] == []
    assert {d["erratum"] for d in document["divergences"]} == {"SSM-E02", "SSM-E03", "SSM-E04"}
    other = drift.build([drift.Failure("SSM-CHECK-FUZZ-NEGATIVE", "a schema-invalid request was answered 200, "
                                       "not a documented 4xx (400)", "live t")], [], TITLES, {})
    assert len(other["unexplained"]) == 1, "an accepted request the oracle calls malformed is not a status erratum"


def test_drift_without_cassettes_is_an_error(tmp_path: Path, capsys) -> None:
    code = run(["real-manila", "drift", "--cassettes", str(tmp_path / "none"), "--out", str(tmp_path / "out")],
               sys.stdout, sys.stderr)
    assert code == 2
    assert "no cassettes to judge" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_seed_stopped_after_its_effective_run_is_interrupted_and_the_soak_does_not_hold(tmp_path: Path) -> None:
    stopping = threading.Event()
    ran = []

    def run_suite(config, contracts, directory, extra, report, err, drift):
        ran.append(contracts[0])
        stopping.set()  # the signal arrives during the first contract's run
        return 2

    entry = soak.run_seed(None, 7, tmp_path, run_suite, lambda path: {}, lambda line: None, sys.stderr, stopping)
    assert ran == ["effective"]
    assert entry["interrupted"] and entry["documented"]["verdict"] == "not run"
    summary = soak.summarise([_entry(1, [], []), entry], ["c"], {})
    assert summary["incomplete_seeds"] == [7] and not summary["holds"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_inside_a_soak_raises_keyboard_interrupt_and_says_stop(signum: int) -> None:
    before = signal.getsignal(signum)
    with soak.stop_on_signal() as stopping:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signum)
            time.sleep(5)  # the handler runs before this returns
        assert stopping.is_set()
    assert signal.getsignal(signum) is before


def test_stopping_workers_reaches_their_children_even_when_they_ignore_sigterm(tmp_path: Path) -> None:
    # A worker that ignores SIGTERM (as a suite run mid-request may take a while to) and has a child.
    child_pid = tmp_path / "child.pid"
    script = ("import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
              "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
              f"open({str(child_pid)!r}, 'w').write(str(c.pid)); time.sleep(60)")
    worker = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    deadline = time.monotonic() + 20
    while not child_pid.exists() or not child_pid.read_text():
        assert time.monotonic() < deadline, "the worker did not start its child"
        time.sleep(0.05)
    started = time.monotonic()
    soak.stop_workers([worker], grace=0.5)
    assert worker.returncode == -signal.SIGKILL and time.monotonic() - started < 10
    child = int(child_pid.read_text())
    deadline = time.monotonic() + 5
    while _running(child):
        assert time.monotonic() < deadline, "the worker's child survived"
        time.sleep(0.05)


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_parallel_soak_workers_get_the_soaks_deployment_options_but_their_own_base(tmp_path: Path) -> None:
    from manila_ssm.cli import build_parser
    from manila_ssm.realmanila.commands import _soak_worker_argv

    argv = ["real-manila", "soak", "--seeds", "4", "--parallel", "2", "--auth", "keystone", "--dummy-delay", "0.5",
            "--api-port", "18786", "--reports-dir", str(tmp_path), "--down"]
    args = build_parser(argv).parse_args(argv)
    worker = _soak_worker_argv(args, tmp_path / "base-2", [11, 13], 1)
    joined = " ".join(worker)
    assert "--auth keystone" in joined and "--dummy-delay 0.5" in joined and "--down" in worker
    assert f"--base {tmp_path / 'base-2'}" in joined and "--seed 11 --seed 13" in joined
    assert "--api-port" not in worker  # a port belongs to one base; each worker's base records its own
    assert f"--reports-dir {tmp_path / 'worker-2'}" in joined


@pytest.mark.parametrize("flags", [["--parallel", "0"], ["--parallel", "-1"], ["--seeds", "0"]])
def test_bad_soak_counts_are_usage_errors_that_start_nothing(tmp_path: Path, capsys, flags: list[str]) -> None:
    argv = ["real-manila", "soak", "--seeds", "2", "--base", str(tmp_path / "base"), *flags]
    assert run(argv, sys.stdout, sys.stderr) == 2
    assert flags[0] in capsys.readouterr().err
    assert not (tmp_path / "base").exists()  # nothing installed, nothing started
