"""The plugin end to end: inert in ordinary runs, reports by requirement, never leaks a token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from manila_ssm import paths
from manila_ssm.suite.servers import ServerPool, UnsafeServer
from ssm_testing import without_fixture_api

FIXTURE_OPENAPI = Path(__file__).parent / "data" / "openapi-fixture.json"

ADMIN = "admin:ad000000000000000000000000000001"
MEMBER = "demo:de000000000000000000000000000002"


def run_suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(
        str(paths.conformance_dir()), "-p", "no:randomly", "--assert=plain", f"--ssm-openapi={FIXTURE_OPENAPI}",
        f"--ssm-reports-dir={pytester.path / 'reports'}", "--ssm-max-examples=3", *args,
    )


def test_matrix_cells_agree_with_the_overall_outcome(pytester: pytest.Pytester) -> None:
    """A requirement on two actions together (start, then get_progress) shows its verdict under both."""
    result = run_suite(pytester, "--ssm-requirements=SSM-LIFECYCLE-PHASE1-DONE")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-1500:]
    report = json.loads((pytester.path / "reports" / "conformance.json").read_text())
    phase1 = next(r for r in report["requirements"] if r["id"] == "SSM-LIFECYCLE-PHASE1-DONE")
    assert phase1["outcome"] == "pass"
    assert phase1["by_action"] == {"migration_start": "pass", "migration_get_progress": "pass"}
    markdown = (pytester.path / "reports" / "conformance.md").read_text()
    assert "| `SSM-LIFECYCLE-PHASE1-DONE` |  | pass | pass |  |  | pass |" in markdown


def test_plugin_is_inert_without_conformance_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1)
    assert "manila-ssm conformance" not in result.stdout.str() and "ssm-seed" not in result.stdout.str()
    assert not (pytester.path / "reports").exists()


def test_subset_against_the_embedded_target_reports_by_requirement(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "--ssm-requirements=SSM-CHECK-STATUS-200,SSM-CANCEL-IDLE-400")
    result.assert_outcomes(passed=4, deselected=result.parseoutcomes()["deselected"])
    # the rest of the catalogue was not selected: the two hold, but the target cannot be said to conform
    result.stdout.fnmatch_lines(["*UNDECIDED*to decide: a run that selects them*", "*Using --ssm-seed=*",
                                 "*verdict: target INCOMPLETE (* pass, * not-run)*"])
    report = json.loads((pytester.path / "reports" / "conformance.json").read_text())
    outcomes = {r["id"]: r["outcome"] for r in report["requirements"]}
    assert outcomes["SSM-CHECK-STATUS-200"] == "pass"
    assert outcomes["SSM-CANCEL-IDLE-400"] == "pass"
    assert outcomes["SSM-CHECK-FUZZ-POSITIVE"] == "not-run"
    assert report["verdict"] == "incomplete" and report["exit_code"] == 4
    assert {u["id"] for u in report["undecided"]} == {i for i, o in outcomes.items() if o == "not-run"}
    assert "| `SSM-CHECK-STATUS-200` | pass |" in (pytester.path / "reports" / "conformance.md").read_text()
    assert sorted(p.name for p in (pytester.path / "reports").iterdir()) == [
        "conformance.html", "conformance.json", "conformance.md", "junit.xml"]


def test_a_requirement_declared_but_never_decided_is_not_run_and_the_run_incomplete(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_declares="""
import pytest

@pytest.mark.ssm_requirement("SSM-CANCEL-IDLE-400", "status:migration_check")
def test_checks_only_one(ssm):
    server = ssm.idle_server()
    ssm.error("SSM-CANCEL-IDLE-400", "migration_cancel", ssm.action(server, "migration_cancel"), 400)
""")
    result = pytester.runpytest_inprocess("-p", "no:randomly", "--assert=plain", f"--ssm-openapi={FIXTURE_OPENAPI}",
                                          f"--ssm-reports-dir={pytester.path / 'reports'}",
                                          "--ssm-requirements=SSM-CANCEL-IDLE-400,SSM-CHECK-STATUS-200")
    result.assert_outcomes(passed=1)
    report = json.loads((pytester.path / "reports" / "conformance.json").read_text())
    by_id = {r["id"]: r for r in report["requirements"]}
    assert by_id["SSM-CANCEL-IDLE-400"]["outcome"] == "pass"
    status = by_id["SSM-CHECK-STATUS-200"]
    assert status["outcome"] == "not-run"
    assert status["results"][0]["message"] == "declared by the test, which ended without deciding it"
    undecided = {u["id"]: u["needs"] for u in report["undecided"]}
    assert "declare it but ended without deciding it" in undecided["SSM-CHECK-STATUS-200"]
    assert report["verdict"] == "incomplete"


def test_unknown_requirement_id_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "--ssm-requirements=SSM-NO-SUCH")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown ids: SSM-NO-SUCH*"])


def test_tokens_never_appear_in_output_or_reports(pytester: pytest.Pytester, reference_target) -> None:
    result = run_suite(
        pytester, f"--ssm-base-url={reference_target.base_url}/v2/ad000000000000000000000000000001",
        f"--ssm-admin-token={ADMIN}", f"--ssm-member-token={MEMBER}", "-v",
        "--ssm-requirements=SSM-CHECK-POLICY-403,SSM-FAULT-SHAPE,SSM-CHECK-STATUS-200",
        f"--junitxml={pytester.path / 'junit.xml'}",
    )
    assert result.ret == 0
    texts = [result.stdout.str(), result.stderr.str(), (pytester.path / "junit.xml").read_text()]
    texts += [p.read_text() for p in (pytester.path / "reports").iterdir()]
    for text in texts:
        assert ADMIN not in text and MEMBER not in text
    assert "<redacted>" in (pytester.path / "reports" / "conformance.json").read_text()
    assert '<property name="requirements" value="SSM-CHECK-POLICY-403' in texts[2]


def test_named_servers_are_used_and_nothing_else(pytester: pytest.Pytester, reference_target) -> None:
    created = requests.post(f"{reference_target.base_url}/_reference/share-servers", headers={"X-Auth-Token": ADMIN},
                            json={"host": "ref@alpha", "shares": 1, "snapshots": 0}, timeout=5)
    server_id = created.json()["share_server"]["id"]
    result = run_suite(
        pytester, f"--ssm-base-url={reference_target.base_url}", f"--ssm-admin-token={ADMIN}",
        "--ssm-requirements=SSM-CANCEL-IDLE-400", "--ssm-project-id=ad000000000000000000000000000001",
        f"--ssm-server-ids={server_id}",
    )
    result.assert_outcomes(passed=1, deselected=result.parseoutcomes()["deselected"])
    report = json.loads((pytester.path / "reports" / "conformance.json").read_text())
    evidence = [r for r in report["requirements"] if r["id"] == "SSM-CANCEL-IDLE-400"][0]["results"][0]["evidence"]
    assert server_id in evidence[0]["request"]["url"]


def test_without_servers_the_scenarios_skip_and_say_how_to_name_them(pytester: pytest.Pytester) -> None:
    from manila_ssm.reference import ReferenceTarget

    target = ReferenceTarget.start(wrap=without_fixture_api)  # a target like real Manila
    try:
        result = run_suite(pytester, f"--ssm-base-url={target.base_url}", f"--ssm-admin-token={ADMIN}",
                           "--ssm-requirements=SSM-CANCEL-IDLE-400", "-rs")
    finally:
        target.stop()
    result.assert_outcomes(skipped=1, deselected=result.parseoutcomes()["deselected"])
    result.stdout.fnmatch_lines(["*--ssm-server-ids*"])


def test_an_unreachable_target_is_an_error_not_a_failure(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "--ssm-base-url=http://127.0.0.1:9", f"--ssm-admin-token={ADMIN}",
                       "--ssm-requirements=SSM-CANCEL-IDLE-400")
    result.assert_outcomes(errors=1, deselected=result.parseoutcomes()["deselected"])
    result.stdout.fnmatch_lines(["*does not answer*", "*ERROR*SSM-CANCEL-IDLE-400*"])
    assert "Traceback" not in result.stdout.str()


def test_unnamed_servers_are_refused() -> None:
    pool = ServerPool(admin=None, explicit=("named",), fixture_api=False)  # type: ignore[arg-type]
    pool.guard("named")
    with pytest.raises(UnsafeServer, match="refusing to migrate share server other"):
        pool.guard("other")


def test_a_server_lent_to_the_cancel_scenario_is_never_handed_out_again() -> None:
    # A cancel scenario that fails half-way leaves its server migrating: the
    # lifecycle scenario must not get it (found on real Manila).
    pool = ServerPool(admin=None, explicit=("a", "b", "c"), fixture_api=False)  # type: ignore[arg-type]
    lent = pool.reusable("cancel")
    handed_out = [pool.fresh("lifecycle"), pool.fresh("lifecycle again")]
    assert lent not in handed_out
    assert len(set(handed_out)) == 2


def test_runs_on_xdist_workers_and_reports_once(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "-n", "2", "--ssm-requirements=SSM-CANCEL-IDLE-400,SSM-CHECK-UNKNOWN-404")
    assert result.ret == 0, result.stdout.str()[-1500:]
    report = json.loads((pytester.path / "reports" / "conformance.json").read_text())
    outcomes = {r["id"]: r["outcome"] for r in report["requirements"]}
    assert outcomes["SSM-CANCEL-IDLE-400"] == outcomes["SSM-CHECK-UNKNOWN-404"] == "pass"
    assert len({line for line in result.stdout.lines if "verdict:" in line}) == 1


@pytest.mark.parametrize("contract", ["effective", "documented"])
def test_every_requirement_is_checked_by_some_conformance_test(pytester: pytest.Pytester, contract: str) -> None:
    from manila_ssm.suite import catalogue as cat
    from manila_ssm.suite import contract as contracts
    from manila_ssm.suite.plugin import ITEM_REQUIREMENTS

    items, _ = pytester.inline_genitems(str(paths.conformance_dir()), "--assert=plain", f"--ssm-contract={contract}")
    checked = {rid for item in items for rid in item.stash.get(ITEM_REQUIREMENTS, ())}
    catalogue = cat.build(contracts.load(contract))
    assert {r.id for r in catalogue} - checked == set()


@pytest.mark.parametrize(
    ("args", "environ", "expected"),
    [
        (["conformance", "--ssm-admin-token", ADMIN, "--ssm-seed", "5"], {"SSM_ADMIN_TOKEN": "set"},
         "pytest conformance --ssm-admin-token=$SSM_ADMIN_TOKEN --ssm-seed=7"),
        ([f"--ssm-member-token={MEMBER}", "-k", "a or b", "--ssm-seed=5"], {"SSM_MEMBER_TOKEN": "set"},
         "pytest --ssm-member-token=$SSM_MEMBER_TOKEN -k 'a or b' --ssm-seed=7"),
        # the token came from the flag only: the variable the command uses must be exported first
        (["conformance", f"--ssm-admin-token={ADMIN}", f"--ssm-member-token={MEMBER}"], {},
         "export SSM_ADMIN_TOKEN=<your-admin-token> && export SSM_MEMBER_TOKEN=<your-member-token> && "
         "pytest conformance --ssm-admin-token=$SSM_ADMIN_TOKEN --ssm-member-token=$SSM_MEMBER_TOKEN --ssm-seed=7"),
        # settings from SSM_* variables become flags; secrets only as their variable
        (["conformance", "--ssm-admin-token", ADMIN], {"SSM_MEMBER_TOKEN": "set", "SSM_DEST_HOSTS": "h@b c@d"},
         "export SSM_ADMIN_TOKEN=<your-admin-token> && pytest conformance --ssm-admin-token=$SSM_ADMIN_TOKEN "
         "--ssm-member-token=$SSM_MEMBER_TOKEN --ssm-dest-hosts='h@b c@d' --ssm-seed=7"),
    ],
)
def test_reproduce_command_fixes_the_seed_and_leaves_tokens_out(args, environ, expected) -> None:
    from types import SimpleNamespace

    from manila_ssm.suite.terminal import reproduce_command

    config = SimpleNamespace(invocation_params=SimpleNamespace(args=args),
                             pluginmanager=SimpleNamespace(get_plugins=lambda: []))
    command = reproduce_command(config, 7, environ)  # type: ignore[arg-type]
    assert command == expected
    assert ADMIN not in command and MEMBER not in command


def test_deferred_failures_fail_the_test_and_the_scenario_goes_on(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "--ssm-contract=documented", "--ssm-requirements=SSM-COMPLETE-STATUS-202",
                       f"--ssm-openapi={paths.spec_dir() / 'openapi' / 'documented.json'}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    report = json.loads((pytester.path / "reports" / "conformance.json").read_text())
    outcomes = {r["id"]: r["outcome"] for r in report["requirements"]}
    # check answered 200 where the page says 202, yet the lifecycle went on to complete and beyond
    assert outcomes["SSM-CHECK-STATUS-202"] == outcomes["SSM-COMPLETE-STATUS-202"] == "fail"
    assert outcomes["SSM-COMPLETE-OUTCOME"] == outcomes["SSM-LIFECYCLE-PHASE1-DONE"] == "pass"


def test_a_project_marker_named_requirement_does_not_wake_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmarkers =\n    requirement(id): a project's own marker\n")
    pytester.makepyfile('import pytest\n\n@pytest.mark.requirement("REQ-1")\ndef test_mine():\n    assert True\n')
    result = pytester.runpytest_inprocess("--strict-markers")
    result.assert_outcomes(passed=1)
    assert "manila-ssm conformance" not in result.stdout.str()


def test_fuzz_tests_run_last_on_cases_generated_ahead(pytester: pytest.Pytester) -> None:
    """With enough fuzz tests their cases come from the child process, and they run after the others."""
    from manila_ssm.suite.plugin import STATE

    collected = run_suite(pytester, "--collect-only", "-q", "-k", "fuzz or unknown_server_id")
    names = [line for line in collected.outlines if "::" in line]
    fuzz_at = [i for i, name in enumerate(names) if "test_fuzz.py" in name]
    assert fuzz_at and min(fuzz_at) == len(names) - len(fuzz_at) > 0, names

    class Seen:
        prefetch = None

        @pytest.hookimpl(tryfirst=True)
        def pytest_unconfigure(self, config: pytest.Config) -> None:
            Seen.prefetch = config.stash[STATE].prefetch

    result = pytester.runpytest_inprocess(
        str(paths.conformance_dir()), "-p", "no:randomly", "--assert=plain", "-k", "fuzz and not migration_check",
        f"--ssm-reports-dir={pytester.path / 'reports'}", "--ssm-max-examples=2", "--ssm-seed=3", plugins=[Seen()])
    assert result.ret == 0, result.outlines[-15:]  # under pytest, pytest's exit code: nothing failed
    assert Seen.prefetch is not None
    report = json.loads((pytester.path / "reports" / "conformance.json").read_text())
    outcomes = {r["id"]: r["outcome"] for r in report["requirements"] if "-FUZZ-" in r["id"] and "CHECK" not in r["id"]}
    assert outcomes and set(outcomes.values()) == {"pass"}, outcomes
    assert len(outcomes) == 8


class _FreezeProbe:
    """Reads the collector's frozen count while a conformance test runs."""

    def __init__(self) -> None:
        self.during: list[int] = []

    def pytest_runtest_call(self, item: pytest.Item) -> None:
        import gc

        self.during.append(gc.get_freeze_count())


def test_the_session_exempts_start_up_objects_from_collection_and_hands_them_back(pytester: pytest.Pytester) -> None:
    import gc

    assert gc.get_freeze_count() == 0
    probe = _FreezeProbe()
    result = pytester.runpytest_inprocess(
        str(paths.conformance_dir()), "-p", "no:randomly", "--assert=plain", f"--ssm-openapi={FIXTURE_OPENAPI}",
        f"--ssm-reports-dir={pytester.path / 'reports'}", "--ssm-requirements=SSM-CHECK-STATUS-200",
        plugins=[probe],
    )
    assert result.parseoutcomes()["passed"] >= 1, result.stdout.str()[-1500:]
    assert probe.during and all(count > 0 for count in probe.during)  # frozen while the tests ran
    assert gc.get_freeze_count() == 0  # thawed once pytest closed, after its own last collections
