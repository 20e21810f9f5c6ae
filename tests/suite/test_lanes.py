"""Lanes (``suite/lanes.py``): the waiting scenarios run side by side on a real target, and nothing else changes.

The reference target stands in for a real one, as in ``test_state_tour_real.py``:
its servers are named in a servers file (which turns its fixture API off for
the suite) and its worker moves every migration on by itself, slowed down.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from suite.standin import servers_file, slow_worker
from suite.variants import ADMIN, BROKEN, MEMBER, PROJECT, RELEASE, Variant

from manila_ssm import paths
from manila_ssm.suite import lanes
from manila_ssm.suite.servers import ServerPool

ROLES = (("stateful", "ref@gamma"), ("migrate", "ref@alpha"), ("cancel", "ref@gamma"), ("spare", "ref@beta"),
         ("idle", "ref@alpha"))


def _run(pytester: pytest.Pytester, *args: str, variant: Variant | None = None, suite: str | None = None,
         roles: tuple[tuple[str, str], ...] = ROLES) -> tuple[Any, dict[str, str], str]:
    """The suite (or ``suite``, a test folder) against a slowed reference target whose servers are named."""
    from manila_ssm.reference import ReferenceTarget

    RELEASE.clear()
    target = ReferenceTarget.start(slow_worker(0.3), wrap=variant.wrap if variant else None)
    reports = pytester.path / "reports"
    try:
        result = pytester.runpytest_inprocess(
            suite or str(paths.conformance_dir()), "-p", "no:randomly", "--assert=plain",
            f"--ssm-base-url={target.base_url}/v2/{PROJECT}", f"--ssm-admin-token={ADMIN}",
            f"--ssm-member-token={MEMBER}", f"--ssm-servers-file={servers_file(target.base_url, pytester.path, roles)}",
            "--ssm-dest-hosts=ref@alpha,ref@beta,ref@gamma", f"--ssm-reports-dir={reports}",
            "--ssm-wait-timeout=15", "--ssm-request-timeout=2", "--ssm-seed=3", "--ssm-max-examples=5", *args,
        )
    finally:
        RELEASE.set()
        target.stop()
    report = json.loads((reports / "conformance.json").read_text())
    out = result.stdout.str()
    out = out[out.rfind("test session starts"):]  # this run's own lines (pytester may keep an earlier run's)
    return result, {r["id"]: r["outcome"] for r in report["requirements"]}, out


# -- marks and when lanes may run ------------------------------------------------------------------------------

_MODULE = '''
import threading
import pytest

MET = threading.Barrier(3, timeout={timeout})  # two lanes and the main thread meet only if they run side by side

@pytest.mark.ssm_requirement("SSM-CANCEL-OUTCOME")
@pytest.mark.ssm_lane("one")
def test_in_lane_one(ssm):
    MET.wait()
    ssm.verify.passed("SSM-CANCEL-OUTCOME")

@pytest.mark.ssm_requirement("SSM-COMPLETE-OUTCOME")
@pytest.mark.ssm_lane("two", server="stateful")
def test_in_lane_two(ssm):
    MET.wait()
    ssm.verify.passed("SSM-COMPLETE-OUTCOME")

@pytest.mark.ssm_requirement("SSM-COMPLETE-IDLE-400")
def test_in_the_main_thread(ssm):
    MET.wait()
    ssm.verify.passed("SSM-COMPLETE-IDLE-400")
'''


@pytest.mark.parametrize(("flags", "passed", "timeout"), [((), 3, 60), (("--ssm-lanes=off",), 0, 2)],
                         ids=["lanes", "control-off"])
def test_lane_tests_run_beside_each_other_and_the_main_thread(pytester: pytest.Pytester, flags, passed,
                                                             timeout) -> None:
    folder = pytester.mkdir("meet")
    (folder / "test_meet.py").write_text(textwrap.dedent(_MODULE).format(timeout=timeout), encoding="utf-8")
    result, outcomes, out = _run(pytester, *flags, suite=str(folder))
    result.assert_outcomes(passed=passed, failed=3 - passed)
    assert ("lanes: side by side: one (test_in_lane_one " in out) == (passed == 3)
    expected = "pass" if passed else "error"
    assert [outcomes[r] for r in ("SSM-CANCEL-OUTCOME", "SSM-COMPLETE-OUTCOME", "SSM-COMPLETE-IDLE-400")] == \
        [expected] * 3, out[-1500:]


@pytest.mark.parametrize(("body", "says"), [
    ('\n@pytest.mark.ssm_lane()\ndef test_x(ssm): pass', "bad ssm_lane mark"),
    ('\n@pytest.mark.ssm_lane("a", server="shared")\ndef test_x(ssm): pass', "bad ssm_lane mark"),
    ('\n@pytest.mark.ssm_lane("a", servers="pool")\ndef test_x(ssm): pass', "bad ssm_lane mark"),
    ('\n@pytest.mark.ssm_lane("a")\n@pytest.mark.parametrize("n", [1])\ndef test_x(ssm, n): pass', "takes only the `ssm`"),
    ('@pytest.fixture\ndef other(): return 1\n@pytest.mark.ssm_lane("a")\ndef test_x(ssm, other): pass',
     "takes only the `ssm`"),
    ('\n@pytest.mark.usefixtures("tmp_path")\n@pytest.mark.ssm_lane("a")\ndef test_x(ssm): pass', "takes only the `ssm`"),
], ids=["no-name", "unknown-server", "unknown-keyword", "parametrized", "other-fixture", "usefixtures"])
@pytest.mark.parametrize("target", [(f"--ssm-base-url=http://127.0.0.1:9/v2", f"--ssm-admin-token={ADMIN}"), ()],
                         ids=["given", "embedded"])
def test_a_lane_mark_the_runner_cannot_honour_is_a_usage_error(pytester: pytest.Pytester, body: str, says: str,
                                                               target: tuple[str, ...]) -> None:
    *fixture, test = body.split("\n@pytest.mark.ssm_lane")
    body = "\n".join(fixture) + f'\n@pytest.mark.ssm_requirement("SSM-CANCEL-OUTCOME")\n@pytest.mark.ssm_lane{test}'
    pytester.makepyfile(test_bad=f"import pytest\n{body}\n")
    result = pytester.runpytest_inprocess("-p", "no:randomly", *target, "--collect-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert says in result.stderr.str() + result.stdout.str()


def _pool(explicit: tuple[str, ...], stateful: tuple[str, ...] = (), fixture_api: bool = False) -> ServerPool:
    return ServerPool(admin=None, explicit=explicit, fixture_api=fixture_api, stateful=stateful)  # type: ignore[arg-type]


THREE = [lanes.LaneMark("a", lanes.POOL), lanes.LaneMark("b", lanes.POOL), lanes.LaneMark("s", lanes.STATEFUL)]


@pytest.mark.parametrize(("pool", "reason"), [
    (_pool(("s", "x", "y", "i"), ("s",)), None),  # as a servers file with roles names them: idle last
    (_pool((), fixture_api=True), "fixture API"),
    (_pool(("s", "x", "i"), ("s",)), "2 lane scenario(s) and the idle server need 3 named servers besides "
                                             "the stateful one(s), 2 given"),
    (_pool(("x", "y", "i")), None),  # no stateful server: its lane's tests skip themselves at once
    (_pool(("x", "y", "i", "s"), ("s",)), "the last named server, which the idle checks use, is a "
                                                  "stateful one"),
], ids=["enough", "fixture-api", "too-few", "no-stateful", "idle-is-stateful"])
def test_lanes_run_only_where_they_cannot_meet(pool: ServerPool, reason: str | None) -> None:
    found = lanes.blocked(THREE, pool)
    assert (found is None) == (reason is None) and (reason is None or reason in found), found


# -- the whole suite: same verdicts with and without lanes; broken variants still fail ---------------------------

def test_the_whole_suite_decides_alike_with_and_without_lanes(pytester: pytest.Pytester) -> None:
    result, outcomes, out = _run(pytester)
    off, off_outcomes, off_out = _run(pytester, "--ssm-lanes=off")
    code, off_code = result.ret, off.ret
    assert "lanes: side by side: stateful (test_every_state_on_a_real_target " in out, out[-2000:]
    assert "test_random_action_sequences" in out.split("lanes: side by side")[1].splitlines()[0]
    assert "lanes:" not in off_out, off_out[-2000:]
    assert code == off_code == 0, (out[-2000:], off_out[-2000:])
    assert outcomes == off_outcomes
    assert set(outcomes.values()) == {"pass"}


# One for each lane's tests: cancel, lifecycle, progress, and the state tour with the random sequences.
LANE_VARIANTS = ["cancel-does-nothing", "second-start-accepted", "progress-below-100-at-phase-1-done",
                 "view-steps-back"]


@pytest.mark.parametrize("name", LANE_VARIANTS)
def test_a_broken_target_still_fails_the_requirement_its_lane_decides(pytester: pytest.Pytester, name: str) -> None:
    variant = next(v for v in BROKEN if v.name == name)
    selection = f"--ssm-requirements={variant.expected}"
    _, control, control_out = _run(pytester, selection)  # the control: the same selection, unbroken target
    assert control[variant.expected] == "pass" and "lanes: side by side" in control_out, control_out[-2000:]
    result, outcomes, out = _run(pytester, selection, variant=variant)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, out[-2000:]
    assert outcomes[variant.expected] == "fail", (variant.expected, out[-2000:])
    assert "lanes: side by side" in out


def test_sigterm_while_lanes_run_writes_the_partial_reports_and_does_not_wait_for_them(tmp_path: Path) -> None:
    """The lanes' threads never hold the process: their tests, not reached, stay undecided in the report.

    The worker takes 5 s a step here, so a run that waited for its lanes would take minutes to stop.
    """
    from manila_ssm.reference import ReferenceTarget

    target = ReferenceTarget.start(slow_worker(5.0))
    reports = tmp_path / "reports"
    command = [str(Path(sys.executable).with_name("ssm-conformance")), "run", "--reports-dir", str(reports),
               f"--base-url={target.base_url}/v2/{PROJECT}", f"--admin-token={ADMIN}",
               f"--servers-file={servers_file(target.base_url, tmp_path, ROLES)}",
               "--dest-hosts=ref@alpha,ref@beta,ref@gamma", "--wait-timeout=60", "--seed", "1",
               "--", "-v", "-p", "no:randomly", "-p", "no:xdist"]
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   env=dict(os.environ, PYTHONUNBUFFERED="1"), start_new_session=True)
        assert process.stdout is not None
        watchdog = threading.Timer(180, process.kill)  # a run that never prints three passes fails, not hangs
        watchdog.start()
        seen = []
        try:
            for line in process.stdout:  # the lanes start with the session, before the first test's result
                seen.append(line)
                if sum(" PASSED" in s for s in seen) >= 3:
                    break
            signalled = time.monotonic()
            process.send_signal(signal.SIGTERM)
            rest, _ = process.communicate(timeout=60)
            stopped = time.monotonic() - signalled
        finally:
            watchdog.cancel()
            if process.poll() is None:
                process.kill()
    finally:
        target.stop()
    output = "".join(seen) + rest
    assert process.returncode != 0 and "KeyboardInterrupt" in output, output[-2000:]
    assert stopped < 20, f"the run took {stopped:.1f}s to stop after SIGTERM: it waited for its lanes"
    outcomes = {r["id"]: r["outcome"] for r in json.loads((reports / "conformance.json").read_text())["requirements"]}
    assert "pass" in outcomes.values()
    lane_only = ("SSM-CANCEL-OUTCOME", "SSM-COMPLETE-OUTCOME", "SSM-COMPLETE-LATE-400")
    assert all(outcomes[r] != "pass" for r in lane_only), {r: outcomes[r] for r in lane_only}


_ENDS_EARLY = '''
import threading
import time
import pytest

@pytest.mark.ssm_requirement("SSM-CANCEL-OUTCOME")
@pytest.mark.ssm_lane("one")
def test_lane_that_would_go_on(ssm):
    until = time.monotonic() + 60
    while time.monotonic() < until:  # asks for ever, as a long scenario polls
        ssm.server_view(ssm.idle_server())
        time.sleep(0.05)

@pytest.mark.ssm_requirement("SSM-COMPLETE-OUTCOME")
@pytest.mark.ssm_lane("two")
@pytest.mark.skipif(True, reason="skipped at setup")
def test_lane_pytest_skips(ssm):
    ssm.verify.passed("SSM-COMPLETE-OUTCOME")

@pytest.mark.ssm_requirement("SSM-COMPLETE-IDLE-400")
def test_main_thread_fails(ssm):
    ssm.verify.fail("SSM-COMPLETE-IDLE-400", "stops the run (-x)")
'''


def test_a_run_that_ends_early_stops_its_lanes_and_a_skipped_lane_test_stays_skipped(pytester: pytest.Pytester) -> None:
    folder = pytester.mkdir("early")
    (folder / "test_early.py").write_text(textwrap.dedent(_ENDS_EARLY), encoding="utf-8")
    result, outcomes, out = _run(pytester, "-x", suite=str(folder))
    assert result.ret == pytest.ExitCode.TESTS_FAILED, out[-2000:]
    assert not [t.name for t in threading.enumerate() if t.name.startswith("ssm-lane-")]  # stopped with the session
    assert outcomes["SSM-COMPLETE-OUTCOME"] != "pass"  # pytest skipped it: it ran in no lane, recorded nothing
    assert outcomes["SSM-CANCEL-OUTCOME"] != "pass" and outcomes["SSM-COMPLETE-IDLE-400"] == "fail"
    assert "lanes: side by side: one (test_lane_that_would_go_on" in out and "two (" not in out


@pytest.mark.parametrize(("states", "pending", "moves"), [
    (("idle",), (), False),
    (("phase1_done",), (), False),
    (("phase1_done",), ("migration_cancel",), True),  # an accepted cancel the back end has yet to carry out
    (("driver_in_progress",), (), True),
    (("cancelled", "idle"), (), False),
    (("idle", "starting"), (), True),
], ids=["idle", "phase1-done", "phase1-done-cancel-pending", "driver-running", "at-rest", "one-may-move"])
def test_the_model_says_when_a_server_moves_without_a_request(states, pending, moves) -> None:
    from manila_ssm.suite import statemodel
    from manila_ssm.suite.statejudge import Belief, Tracker

    tracker = Tracker(statemodel.shipped(), {})
    tracker.beliefs["s"] = Belief(frozenset((state, frozenset(pending)) for state in states))
    assert tracker.moves_by_itself("s") is moves
    assert tracker.moves_by_itself("never-seen") is True
