"""The verdict: CONFORMS only when everything was decided; INCOMPLETE says what would decide the rest."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from manila_ssm.cli_support import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK
from manila_ssm.suite import catalogue as cat
from manila_ssm.suite import contract as contracts
from manila_ssm.suite.junit import to_junit
from manila_ssm.suite.outcomes import Outcome, Record
from manila_ssm.suite.reports import Context, summarise, to_json, to_markdown, verdict_line
from manila_ssm.suite.verdict import NOT_SELECTED, Verdict, needs

DEST = "the target offers no destination host on another backend than 'ref@alpha' (give --ssm-dest-hosts)"
MEMBER = "no non-admin credentials configured (--ssm-member-token)"
TOKEN = "admin:ad000000000000000000000000000001"


@pytest.fixture(scope="module")
def catalogue() -> cat.Catalogue:
    return cat.build(contracts.load("effective"))


def run_of(catalogue: cat.Catalogue, special: dict[str, tuple[Outcome, str]], default: Outcome = Outcome.PASS):
    """Records for every requirement: ``default``, except the ``special`` ones (outcome, message)."""
    records, tests = [], {}
    for requirement in catalogue:
        outcome, message = special.get(requirement.id, (default, ""))
        if outcome == Outcome.NOT_RUN and message == "":
            continue  # never declared by any test of the run: not selected
        test = f"conformance/test_x.py::test_{requirement.id.lower()}"
        tests[requirement.id] = [test]
        defect = requirement.defect.id if outcome == Outcome.KNOWN_DEFECT and requirement.defect else None
        records.append(Record(requirement.id, outcome, test, message, defect=defect))
    return summarise(catalogue, records, tests)


CONTEXT = Context(config={"admin_token": "<redacted>"}, contract="effective", target="http://127.0.0.1:1",
                  max_version="2.99", seed=7, command="ssm-conformance run --seed=7")


@pytest.mark.parametrize(
    ("special", "verdict", "needed"),
    [
        ({}, Verdict.CONFORMS, {}),
        ({"SSM-CHECK-NETWORK-OPTIONAL": (Outcome.KNOWN_DEFECT, "SSM-DEFECT-CHECK-NO-NETWORK-500")},
         Verdict.CONFORMS, {}),
        ({"SSM-START-STATUS-202": (Outcome.SKIP, DEST), "SSM-CANCEL-OUTCOME": (Outcome.SKIP, DEST)},
         Verdict.INCOMPLETE, {"SSM-START-STATUS-202": "--dest-hosts", "SSM-CANCEL-OUTCOME": "--dest-hosts"}),
        ({"SSM-CHECK-POLICY-403": (Outcome.SKIP, MEMBER)}, Verdict.INCOMPLETE,
         {"SSM-CHECK-POLICY-403": "--member-token"}),
        ({"SSM-STATEFUL-SEQUENCES": (Outcome.SKIP, "random sequences need servers the suite can create "
                                                   "(the reference target's fixture API)")},
         Verdict.INCOMPLETE, {"SSM-STATEFUL-SEQUENCES": "`stateful` role"}),
        ({"SSM-CHECK-STATUS-200": (Outcome.NOT_RUN, "declared by the test, which ended without deciding it")},
         Verdict.INCOMPLETE, {"SSM-CHECK-STATUS-200": "declare it but ended without deciding it"}),
        ({"SSM-URL-NO-PROJECT": (Outcome.NOT_RUN, "")}, Verdict.INCOMPLETE, {"SSM-URL-NO-PROJECT": NOT_SELECTED}),
        ({"SSM-FAULT-SHAPE": (Outcome.ERROR, "TargetUnreachable: the target does not answer")},
         Verdict.INCOMPLETE, {"SSM-FAULT-SHAPE": "does not answer"}),
        # a skip with no reason at all still says what would decide it, from the requirement id
        ({"SSM-START-POLICY-403": (Outcome.SKIP, "")}, Verdict.INCOMPLETE, {"SSM-START-POLICY-403": "--member-token"}),
        # a reason no rule knows is passed on as it is: tests name what they lacked
        ({"SSM-HEADER-VARY": (Outcome.SKIP, "needs a target with two API workers")}, Verdict.INCOMPLETE,
         {"SSM-HEADER-VARY": "two API workers"}),
        ({"SSM-CHECK-STATUS-200": (Outcome.FAIL, "expected 200, got 202"),
          "SSM-START-STATUS-202": (Outcome.SKIP, DEST)}, Verdict.DOES_NOT_CONFORM, {"SSM-START-STATUS-202": "--dest"}),
    ],
)
def test_verdict_and_what_would_decide_each_undecided_requirement(catalogue, special, verdict, needed) -> None:
    summary = run_of(catalogue, special)
    assert summary.verdict == verdict
    assert summary.verdict.exit_code == {Verdict.CONFORMS: EXIT_OK, Verdict.INCOMPLETE: EXIT_INCOMPLETE,
                                         Verdict.DOES_NOT_CONFORM: EXIT_FINDINGS}[verdict]
    undecided = {u.requirement: u.needs for u in summary.judgement.undecided}
    assert set(undecided) == set(needed)
    for requirement, fragment in needed.items():
        assert fragment in undecided[requirement]
    # every report says the same
    report = to_json(summary, CONTEXT)
    assert report["verdict"] == str(verdict) and report["exit_code"] == verdict.exit_code
    assert {u["id"]: u["needs"] for u in report["undecided"]} == undecided
    assert f"verdict: target {verdict.title} (" in verdict_line(summary)
    markdown = to_markdown(summary, CONTEXT)
    assert verdict.meaning in markdown
    for requirement in needed:
        assert f"`{requirement}`" in markdown.split("## Requirements by action")[0]
    junit = ET.fromstring(to_junit(summary, CONTEXT))
    assert junit.find("./testsuite/properties/property[@name='verdict']").get("value") == verdict.title
    skipped = {case.get("name").split("[")[0] for case in junit.iter("testcase") if case.find("skipped") is not None}
    assert skipped >= {r for r in needed if special[r][0] != Outcome.ERROR}


def test_nothing_decided_is_incomplete_not_a_pass(catalogue) -> None:
    summary = run_of(catalogue, {}, default=Outcome.SKIP)
    assert summary.verdict == Verdict.INCOMPLETE and not summary.checked
    assert "no requirement was decided" in verdict_line(summary)


def test_junit_has_a_case_per_requirement_and_action_with_defects_passed(catalogue) -> None:
    records = [
        Record("SSM-CHECK-NETWORK-OPTIONAL", Outcome.KNOWN_DEFECT, "t1", "SSM-DEFECT-CHECK-NO-NETWORK-500: 500",
               defect="SSM-DEFECT-CHECK-NO-NETWORK-500"),
        Record("SSM-FAULT-SHAPE", Outcome.PASS, "t2", action="migration_check"),
        Record("SSM-FAULT-SHAPE", Outcome.FAIL, "t3", "not a Manila fault", action="migration_start", evidence=({
            "request": {"method": "POST", "url": "http://t/action", "headers": {"X-Auth-Token": TOKEN}, "body": "{}"},
            "response": {"status": 500, "headers": {"x-compute-request-id": "req-1"}, "body": '{"a": 1}',
                         "error": None, "elapsed_s": 0.1}},)),
    ]
    summary = summarise(catalogue, records, {"SSM-FAULT-SHAPE": ["t2", "t3"], "SSM-CHECK-NETWORK-OPTIONAL": ["t1"]})
    text = to_junit(summary, CONTEXT)
    assert TOKEN not in text
    cases = {case.get("name"): case for case in ET.fromstring(text).iter("testcase")}
    fault = [name for name in cases if name.startswith("SSM-FAULT-SHAPE")]
    assert sorted(fault) == sorted(f"SSM-FAULT-SHAPE[{a}]" for a in contracts.ACTIONS)  # split per action
    assert cases["SSM-FAULT-SHAPE[migration_check]"].find("*") .tag == "properties"
    assert len(cases["SSM-FAULT-SHAPE[migration_check]"]) == 1  # passed: nothing but its properties
    failure = cases["SSM-FAULT-SHAPE[migration_start]"].find("failure")
    assert failure is not None and "req-1" in failure.text and '"a": 1' in failure.text
    defect = cases["SSM-CHECK-NETWORK-OPTIONAL"]
    assert defect.find("skipped") is None and defect.find("failure") is None
    assert defect.find("properties/property[@name='known_defect']").get("value") == "SSM-DEFECT-CHECK-NO-NETWORK-500"
    skipped = cases["SSM-HEADER-VARY"].find("skipped")
    assert skipped is not None and skipped.get("message").startswith("INCOMPLETE (not-run): needs a run that selects")
    suite = ET.fromstring(text).find("testsuite")
    assert int(suite.get("tests")) == len(cases) and int(suite.get("failures")) == 1


@pytest.mark.parametrize(
    ("outcome", "reason", "tests", "fragment"),
    [
        (Outcome.SKIP, "the target reports ref@beta incompatible with share server abc", ("t",), "compatible"),
        (Outcome.SKIP, "the cancel scenario: the target offers no way to create share servers (no fixture API) "
                       "and no more servers were named; give ids with --ssm-server-ids or --ssm-servers-file",
         ("t",), "--servers-file"),
        (Outcome.SKIP, "not reached: the test stopped at SSM-CHECK-STATUS-200", ("t",), "earlier failed"),
        (Outcome.SKIP, "not reached: the test stopped at known upstream defect SSM-DEFECT-X: y", ("t",),
         "known upstream defect"),
    ],
)
def test_skip_reasons_become_what_would_decide(outcome, reason, tests, fragment) -> None:
    assert fragment in needs("SSM-START-STATUS-202", outcome, reason, tests)
