"""JUnit XML by requirement, so that CI systems show the verdict the way the suite means it.

One test case per requirement, split per action where the requirement spans
several actions and its checks name them. A known upstream defect is a passed
case with a ``known_defect`` property (CI must not count it as skipped work);
an undecided requirement is a skipped case whose message says what would
decide it, so an INCOMPLETE run is visible as skips; failures and errors carry
their evidence. pytest's own per-test JUnit stays available with ``--junitxml``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence

from manila_ssm.suite.evidence import ExchangeView
from manila_ssm.suite.outcomes import Outcome, Record
from manila_ssm.suite.reports import Context, RequirementResult, Summary
from manila_ssm.suite.verdict import needs

CLASSNAME = "ssm_conformance"


def _cases(result: RequirementResult) -> Iterator[tuple[str, Outcome, Sequence[Record]]]:
    """(case name, outcome, records) for one requirement: one case, or one per action it was checked on."""
    req = result.requirement
    split = len(req.actions) > 1 and any(r.action for r in result.records)
    if not split:
        yield req.id, result.outcome, result.records
        return
    for action, outcome in result.by_action.items():
        yield f"{req.id}[{action}]", outcome, [r for r in result.records if r.action in (action, None)]


def _message(outcome: Outcome, records: Sequence[Record]) -> str:
    for record in records:
        if record.outcome == outcome and record.message:
            return record.message
    return ""


def _evidence(outcome: Outcome, records: Sequence[Record]) -> str:
    parts = []
    for record in [r for r in records if r.outcome == outcome][:3]:
        parts.append(f"[{record.requirement}] {record.message}\ntest: {record.test}")
        parts += [ExchangeView.of(exchange).text() for exchange in record.evidence[:3]]
    return "\n\n".join(parts)


def to_junit(summary: Summary, context: Context) -> str:
    """The JUnit XML document of a run (a string, with its XML declaration)."""
    verdict = summary.verdict
    suites = ET.Element("testsuites", name="manila-ssm-conformance")
    suite = ET.SubElement(suites, "testsuite", name=f"manila-ssm conformance ({context.contract} contract)")
    properties = ET.SubElement(suite, "properties")
    for name, value in (("verdict", verdict.title), ("verdict_meaning", verdict.meaning),
                        ("target", context.target), ("contract", context.contract),
                        ("max_version", context.max_version or ""), ("seed", context.seed),
                        ("reproduce", context.command)):
        ET.SubElement(properties, "property", name=name, value=str(value))
    hints = {item.requirement: item.needs for item in summary.judgement.undecided}
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for result in summary.results:
        req = result.requirement
        for name, outcome, records in _cases(result):
            totals["tests"] += 1
            case = ET.SubElement(suite, "testcase", classname=CLASSNAME, name=name, time="0")
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="outcome", value=str(outcome))
            ET.SubElement(props, "property", name="statement", value=req.statement)
            ET.SubElement(props, "property", name="source", value=req.source)
            message = _message(outcome, records)
            if outcome == Outcome.FAIL:
                totals["failures"] += 1
                ET.SubElement(case, "failure", message=message, type="requirement-failed").text = \
                    _evidence(outcome, records)
            elif outcome == Outcome.ERROR:
                totals["errors"] += 1
                ET.SubElement(case, "error", message=message, type="suite-or-transport-error").text = \
                    _evidence(outcome, records)
            elif outcome == Outcome.KNOWN_DEFECT:
                defect = next((r.defect for r in records if r.defect), None) or (req.defect.id if req.defect else "")
                ET.SubElement(props, "property", name="known_defect", value=defect)
                ET.SubElement(case, "system-out").text = f"known upstream defect {message}\n\n" + \
                    _evidence(outcome, records)
            elif outcome in (Outcome.SKIP, Outcome.NOT_RUN):
                totals["skipped"] += 1
                tests = tuple(dict.fromkeys(r.test for r in records))
                hint = hints.get(name) or needs(req.id, outcome, message, tests or result.tests)
                reason = f"; reason: {message}" if message and message != hint else ""
                ET.SubElement(case, "skipped", message=f"INCOMPLETE ({outcome}): needs {hint}{reason}")
    for element in (suites, suite):
        for key, value in totals.items():
            element.set(key, str(value))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
