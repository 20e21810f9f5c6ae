"""The suite is sharp: each deliberately broken variant of the reference target fails the requirement it names.

Every variant is the reference target behind one small WSGI middleware
(``variants.py``). The suite runs in-process against the shipped contract
(``spec/openapi/effective.json``) and the real catalogue, only the tests of
the requirements that should catch it (``--ssm-requirements`` and a ``-k``
expression), with short timeouts, and must end FAILED with the named
requirement failing in its JSON report. Each selection also runs once on the
unbroken target (the control): it must pass there, and decide the requirement,
so a variant fails for its defect and not for its selection. Benign variations
(slow answers, reordered and indented JSON, header names in other case, driver
progress in other steps) must conform.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from suite.variants import ADMIN, BENIGN, BROKEN, MEMBER, PROJECT, RELEASE, Variant, middleware, with_json

from manila_ssm import paths


def _run(pytester: pytest.Pytester, variant: Variant | None, requirements: str, k: str,
         extra: tuple[str, ...] = ()) -> tuple[Any, dict[str, Any]]:
    from manila_ssm.reference import ReferenceTarget

    RELEASE.clear()
    target = ReferenceTarget.start(variant.config if variant else None,
                                   wrap=variant.wrap if variant else None)
    reports = pytester.path / "reports"
    try:
        result = pytester.runpytest_inprocess(
            str(paths.conformance_dir()), "-p", "no:randomly", "--assert=plain", "-k", k,
            f"--ssm-base-url={target.base_url}/v2/{PROJECT}", f"--ssm-admin-token={ADMIN}",
            f"--ssm-member-token={MEMBER}", f"--ssm-requirements={requirements}",
            f"--ssm-reports-dir={reports}", "--ssm-wait-timeout=3", "--ssm-request-timeout=1",
            "--ssm-max-examples=12", "--ssm-seed=1", *extra,
        )
    finally:
        RELEASE.set()
        target.stop()
    report = json.loads((reports / "conformance.json").read_text())
    return result, {r["id"]: r["outcome"] for r in report["requirements"]}


_CONTROLS: dict[tuple[str, str], tuple[int, dict[str, Any], str]] = {}


@pytest.fixture
def control(pytester: pytest.Pytester):
    """The same selection on the unbroken target, run once per selection for the whole module."""
    def run(variant: Variant) -> tuple[int, dict[str, Any], str]:
        if variant.selection not in _CONTROLS:
            result, outcomes = _run(pytester, None, *variant.selection)
            _CONTROLS[variant.selection] = (result.ret, outcomes, result.stdout.str()[-1500:])
        return _CONTROLS[variant.selection]
    return run


def test_the_catalogue_of_variants() -> None:
    names = [v.name for v in BROKEN + BENIGN]
    assert len(set(names)) == len(names)
    assert len(BROKEN) >= 50
    assert len({v.expected for v in BROKEN}) >= 35


@pytest.mark.parametrize("variant", BROKEN, ids=lambda v: v.name)
def test_suite_fails_the_named_requirement(pytester: pytest.Pytester, control, variant: Variant) -> None:
    ret, outcomes, shown = control(variant)
    assert ret == pytest.ExitCode.OK, f"the control run of {variant.selection} fails:\n{shown}"
    assert outcomes.get(variant.expected) == "pass", \
        f"the control run does not decide {variant.expected}: {outcomes.get(variant.expected)}"
    result, outcomes = _run(pytester, variant, *variant.selection)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()[-2000:]
    failed = sorted(r for r, outcome in outcomes.items() if outcome == "fail")
    assert variant.expected in failed, f"failed: {failed}"
    result.stdout.fnmatch_lines([f"*{variant.expected}*", "*verdict: target DOES NOT CONFORM*"])
    shown = result.stdout.str() + result.stderr.str() + (pytester.path / "reports" / "conformance.md").read_text()
    assert "Traceback" not in result.stdout.str()
    assert ADMIN not in shown and MEMBER not in shown


@pytest.mark.parametrize("variant", BENIGN, ids=lambda v: v.name)
def test_benign_variations_conform(pytester: pytest.Pytester, variant: Variant) -> None:
    result, outcomes = _run(pytester, variant, *variant.selection)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-2000:]
    assert "fail" not in outcomes.values()
    assert outcomes["SSM-COMPLETE-OUTCOME"] == outcomes["SSM-CANCEL-OUTCOME"] == "pass"


def upstream_defects(name, request, response):
    """What upstream Manila does (behaviour §2.7): a 500 for a check without new_share_network_id."""
    body = json.loads(request.get_data(cache=True) or b"null") if name else None
    params = body.get(name) if isinstance(body, dict) else None
    if name == "migration_check" and isinstance(params, dict) and "new_share_network_id" not in params:
        return with_json(response, {"computeFault": {"code": 500, "message": "The server has either erred"}}, 500)
    return response


def test_known_upstream_defects_are_reported_as_such(pytester: pytest.Pytester) -> None:
    from manila_ssm.reference import ReferenceTarget

    target = ReferenceTarget.start(wrap=middleware(upstream_defects))
    try:
        result = pytester.runpytest_inprocess(
            str(paths.conformance_dir()), "-p", "no:randomly", "--assert=plain",
            f"--ssm-base-url={target.base_url}/v2/{PROJECT}", f"--ssm-admin-token={ADMIN}",
            "--ssm-requirements=SSM-CHECK-NETWORK-OPTIONAL,SSM-CHECK-FUZZ-POSITIVE", "--ssm-max-examples=30",
            f"--ssm-reports-dir={pytester.path / 'reports'}", "--ssm-seed=3",
        )
    finally:
        target.stop()
    assert result.ret == pytest.ExitCode.OK
    report = json.loads((pytester.path / "reports" / "conformance.json").read_text())
    by_id = {r["id"]: r for r in report["requirements"]}
    network = by_id["SSM-CHECK-NETWORK-OPTIONAL"]
    assert network["outcome"] == "known-defect"
    assert network["results"][0]["defect"] == "SSM-DEFECT-CHECK-NO-NETWORK-500"
    assert by_id["SSM-CHECK-FUZZ-POSITIVE"]["outcome"] in ("known-defect", "pass")
    result.stdout.fnmatch_lines(["*KNOWN-DEFECT*SSM-CHECK-NETWORK-OPTIONAL*SSM-DEFECT-CHECK-NO-NETWORK-500*",
                                 "*verdict: target CONFORMS*known-defect*"])


def check_without_network(request) -> bool:
    params = (json.loads(request.get_data(cache=True) or b"null") or {}).get("migration_check")
    return isinstance(params, dict) and "new_share_network_id" not in params


def refuse_without_network(name, request, response):
    """A target following the effective schema: check without new_share_network_id is a 400."""
    if name == "migration_check" and check_without_network(request):
        return with_json(response, {"badRequest": {"code": 400, "message": "new_share_network_id is required"}}, 400)
    return response


@pytest.mark.parametrize(("contract", "outcome"), [("effective", "pass"), ("documented", "fail")])
def test_a_refused_check_without_network_follows_the_effective_contract(
        pytester: pytest.Pytester, contract: str, outcome: str) -> None:
    from manila_ssm.reference import ReferenceTarget

    target = ReferenceTarget.start(wrap=middleware(refuse_without_network))
    try:
        result = pytester.runpytest_inprocess(
            str(paths.conformance_dir()), "-p", "no:randomly", "--assert=plain",
            f"--ssm-contract={contract}", f"--ssm-base-url={target.base_url}/v2/{PROJECT}",
            f"--ssm-admin-token={ADMIN}", "--ssm-requirements=SSM-CHECK-NETWORK-OPTIONAL",
            f"--ssm-reports-dir={pytester.path / 'reports'}", "--ssm-seed=1",
        )
    finally:
        target.stop()
    report = json.loads((pytester.path / "reports" / "conformance.json").read_text())
    network = next(r for r in report["requirements"] if r["id"] == "SSM-CHECK-NETWORK-OPTIONAL")
    assert network["outcome"] == outcome, result.stdout.str()[-1500:]
    assert result.ret == (pytest.ExitCode.OK if outcome == "pass" else pytest.ExitCode.TESTS_FAILED)
