"""``ssm-conformance run``: the README's command, its verdict and its exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from manila_ssm import cli, paths
from ssm_testing import without_fixture_api

FIXTURE_OPENAPI = Path(__file__).parent / "data" / "openapi-fixture.json"


def run(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    code = cli.run(["run", *argv], io.StringIO(), err)
    return code, err.getvalue()


def test_run_against_the_embedded_target_prints_a_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("--openapi", str(FIXTURE_OPENAPI), "--reports-dir", str(tmp_path), "--max-examples", "2",
                  "-k", "unknown_server or idle_server", "--", "-p", "no:randomly", "--assert=plain")
    out = capsys.readouterr().out
    # -k left most of the catalogue out: nothing failed, but that is no CONFORMS
    assert code == cli.EXIT_INCOMPLETE, out[-1500:]
    assert "verdict: target INCOMPLETE" in out
    assert {p.name for p in tmp_path.iterdir()} >= {"junit.xml", "conformance.json", "conformance.md",
                                                    "conformance.html"}


def test_a_destination_on_the_sources_backend_leaves_the_run_incomplete_and_says_what_to_add(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's case: `run --dest-hosts ref@alpha` printed CONFORMS (35 pass, 43 skip) and exited 0."""
    code, _ = run("--dest-hosts", "ref@alpha", "--openapi", str(FIXTURE_OPENAPI), "--reports-dir", str(tmp_path),
                  "--requirements", "SSM-START-STATUS-202,SSM-CANCEL-IDLE-400",
                  "--", "-p", "no:randomly", "--assert=plain")
    out = capsys.readouterr().out
    assert code == cli.EXIT_INCOMPLETE == 4, out[-2000:]
    assert "verdict: target INCOMPLETE" in out
    assert "to decide: a destination host on another back end than the source servers: --dest-hosts" in out
    report = json.loads((tmp_path / "conformance.json").read_text())
    undecided = {u["id"]: u for u in report["undecided"]}
    assert undecided["SSM-START-STATUS-202"]["outcome"] == "skip"
    assert "--dest-hosts host@backend" in undecided["SSM-START-STATUS-202"]["needs"]
    assert "SSM-CANCEL-IDLE-400" not in undecided  # decided: it held
    # the command that repeats the run is the one the user ran, seed fixed
    assert f"reproduce with: ssm-conformance run --dest-hosts=ref@alpha --openapi={FIXTURE_OPENAPI}" in out
    assert f"--seed={report['seed']} -- -p no:randomly --assert=plain" in out
    assert report["reproduce"].startswith("ssm-conformance run ")
    # JUnit shows the undecided requirement as skipped, with what would decide it
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    cases = {case.get("name"): case for case in junit.iter("testcase")}
    assert "--dest-hosts" in cases["SSM-START-STATUS-202"].find("skipped").get("message")
    assert cases["SSM-CANCEL-IDLE-400"].find("skipped") is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--contract", "strict"), "--ssm-contract: bad value 'strict'"),
        (("--base-url", "http://127.0.0.1:9/v2"), "needs admin credentials"),
        (("--openapi", "/nonexistent/openapi.json"), "cannot read the effective OpenAPI document"),
        (("--microversions", "2.50"), "--ssm-microversions: bad value '2.50'"),
        (("--dest-hosts", "nohost"), "'nohost' is not host@backend"),
        (("--microversions", "2.57,2.100", "--openapi", str(FIXTURE_OPENAPI)),
         "--ssm-microversions: 2.100 is above the target's maximum 2.99"),
    ],
)
def test_bad_settings_exit_2_with_the_reason(argv, message, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run(*argv, "--reports-dir", str(tmp_path), "--", "--assert=plain")
    captured = capsys.readouterr()
    assert code == cli.EXIT_USAGE
    assert message in captured.err + captured.out
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "conformance.json").exists()


@pytest.mark.parametrize(
    ("contract", "present", "absent"),
    [
        ("effective", "SSM-CHECK-STATUS-200: a valid migration_check", "SSM-URL-DOCUMENTED-PATH"),
        ("documented", "SSM-CHECK-STATUS-202: a valid migration_check", "SSM-BODY-BOOLEAN-SPELLINGS"),
    ],
)
def test_requirements_lists_the_catalogue_of_a_contract(contract: str, present: str, absent: str) -> None:
    out = io.StringIO()
    assert cli.run(["requirements", "--contract", contract], out, io.StringIO()) == cli.EXIT_OK
    assert present in out.getvalue() and absent not in out.getvalue()


def test_requirements_cite_the_erratum_that_changed_them() -> None:
    out = io.StringIO()
    assert cli.run(["requirements", "--format", "json"], out, io.StringIO()) == cli.EXIT_OK
    by_id = {r["id"]: r for r in __import__("json").loads(out.getvalue())}
    assert by_id["SSM-CHECK-STATUS-200"]["source"].endswith("erratum SSM-E02")
    assert by_id["SSM-CHECK-NETWORK-OPTIONAL"]["known_defect"] == "SSM-DEFECT-CHECK-NO-NETWORK-500"


def test_run_exits_1_when_a_requirement_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from manila_ssm.reference import ReferenceTarget

    def check_answers_202(app):
        def wrapped(environ, start_response):
            def start(status, headers, exc_info=None):
                if environ["PATH_INFO"].endswith("/action") and status.startswith("200"):
                    status = "202 Accepted"
                return start_response(status, headers, exc_info)
            return app(environ, start)
        return wrapped

    target = ReferenceTarget.start(wrap=check_answers_202)
    try:
        code, _ = run("--base-url", f"{target.base_url}/v2/ad000000000000000000000000000001",
                      "--admin-token", "admin:ad000000000000000000000000000001", "--openapi", str(FIXTURE_OPENAPI),
                      "--reports-dir", str(tmp_path), "--requirements", "SSM-CHECK-ECHO-REQUESTED",
                      "--", "-p", "no:randomly", "--assert=plain")
    finally:
        target.stop()
    out = capsys.readouterr().out
    assert code == cli.EXIT_FINDINGS, out[-3000:]
    assert "SSM-CHECK-STATUS-200" in out and "verdict: target DOES NOT CONFORM" in out
    assert "admin:ad000000000000000000000000000001" not in out


def test_run_without_any_checked_requirement_is_no_success(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from manila_ssm.reference import ReferenceTarget

    target = ReferenceTarget.start(wrap=without_fixture_api)  # no way to get servers: every scenario skips
    try:
        code, err = run("--base-url", target.base_url, "--admin-token", "admin:ad000000000000000000000000000001",
                        "--openapi", str(FIXTURE_OPENAPI), "--reports-dir", str(tmp_path), "-k", "idle_server",
                        "--", "--assert=plain", "-p", "no:randomly")
    finally:
        target.stop()
    assert code == cli.EXIT_INCOMPLETE
    assert "no requirement was checked" in err
    assert "INCOMPLETE" in capsys.readouterr().out



def test_run_leaves_nothing_in_the_working_folder_but_the_reports(tmp_path: Path) -> None:
    # A subprocess: Hypothesis fixes its cache folder from the working folder when first imported.
    result = subprocess.run(
        [sys.executable, "-m", "manila_ssm", "run", "--max-examples", "2",
         "-k", "generated_valid_requests and migration_cancel", "--", "-p", "no:randomly"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,  # a guard against hangs; busy CI machines are slow
    )
    assert result.returncode == cli.EXIT_INCOMPLETE, result.stdout[-1500:] + result.stderr[-1500:]
    assert "1 passed" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def test_an_unwritable_reports_folder_is_refused_before_the_run(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, err = run("--reports-dir", str(blocker / "reports"), "--openapi", str(FIXTURE_OPENAPI),
                    "--", "--assert=plain", "-p", "no:randomly")
    captured = capsys.readouterr()
    assert code == cli.EXIT_USAGE, captured.out[-1500:]
    assert f"--ssm-reports-dir: {blocker} is a file" in err
    assert "Traceback" not in err + captured.err + captured.out
    assert "collected" not in captured.out  # refused before pytest started


def test_the_plugin_refuses_an_unwritable_reports_folder_at_configure_time(pytester: pytest.Pytester) -> None:
    blocker = pytester.path / "a-file"
    blocker.write_text("")
    result = pytester.runpytest_inprocess(str(paths.conformance_dir()), "--assert=plain", "-p", "no:randomly",
                                          f"--ssm-openapi={FIXTURE_OPENAPI}",
                                          f"--ssm-reports-dir={blocker / 'reports'}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--ssm-reports-dir: {blocker} is a file*"])
    assert "PASSED" not in result.stdout.str() and " passed" not in result.stdout.str()


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        (["run", "--admin-token", "admin:p", "--base-url", "http://h:1/v2/p", "--seed", "5"], {},
         "export SSM_ADMIN_TOKEN=<your-admin-token> && ssm-conformance run --base-url=http://h:1/v2/p "
         "--admin-token=$SSM_ADMIN_TOKEN --seed=9"),
        # settings from the environment become flags; the token only as its variable
        (["run", "-k", "a or b", "-n", "2", "--", "-p", "no:randomly"],
         {"SSM_ADMIN_TOKEN": "admin:p", "SSM_DEST_HOSTS": "h@b", "SSM_SEED": "5"},
         "ssm-conformance run --admin-token=$SSM_ADMIN_TOKEN --dest-hosts=h@b -k 'a or b' -n 2 --seed=9 "
         "-- -p no:randomly"),
    ],
)
def test_run_is_reproduced_as_the_user_ran_it(argv: list[str], environ: dict[str, str], expected: str) -> None:
    from manila_ssm.suite.commands import reproduce

    args = cli.build_parser().parse_args(argv)
    assert reproduce(args, 9, environ) == expected
    assert "admin:p" not in reproduce(args, 9, environ)
