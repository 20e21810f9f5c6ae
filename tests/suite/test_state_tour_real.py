"""The state tour for real targets (``conformance/test_state_tour.py``), run where it can be checked.

A real target has no fixture API; the tour then walks the server named
``stateful`` in the servers file and reaches each state by polling. Here the
reference target stands in for one: its servers are named in a servers file,
which turns its fixture API off for the suite, and its worker moves every
migration on by itself (slowed down so that completing and cancel in progress
last a few polls). The tour must decide all its requirements on the unbroken
target, and fail each state-model variant aimed at one of them.
"""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest
from suite.standin import servers_file, slow_worker
from suite.variants import ADMIN, BROKEN, PROJECT, RELEASE, Variant

from manila_ssm import paths


def _tour_requirements() -> tuple[str, ...]:
    spec = importlib.util.spec_from_file_location("state_tour", paths.conformance_dir() / "test_state_tour.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tuple(module.REQUIREMENTS)


REQUIREMENTS = _tour_requirements()
# The tour also asks progress while the source shows completing or cancel in progress, where the model's
# progress rows judge the answer: a variant wrong only there is the tour's to catch on a real target.
IN_TRANSIENT_STATES = ("progress-names-source-task-state",)
AIMED = [v for v in BROKEN if v.expected in REQUIREMENTS or v.name in IN_TRANSIENT_STATES]
ROLES = (("stateful", "ref@gamma"), ("idle", "ref@alpha"))


def _tour(pytester: pytest.Pytester, variant: Variant | None) -> tuple[Any, dict[str, str]]:
    from manila_ssm.reference import ReferenceTarget

    RELEASE.clear()
    target = ReferenceTarget.start(slow_worker(0.45), wrap=variant.wrap if variant else None)
    reports = pytester.path / "reports"
    try:
        result = pytester.runpytest_inprocess(
            str(paths.conformance_dir()), "-p", "no:randomly", "--assert=plain",
            "-k", "test_every_state_on_a_real_target",
            f"--ssm-base-url={target.base_url}/v2/{PROJECT}", f"--ssm-admin-token={ADMIN}",
            f"--ssm-servers-file={servers_file(target.base_url, pytester.path, ROLES)}",
            "--ssm-dest-hosts=ref@alpha,ref@beta,ref@gamma", f"--ssm-requirements={','.join(REQUIREMENTS)}",
            f"--ssm-reports-dir={reports}", "--ssm-wait-timeout=10", "--ssm-request-timeout=2", "--ssm-seed=1",
        )
    finally:
        RELEASE.set()
        target.stop()
    report = json.loads((reports / "conformance.json").read_text())
    return result, {r["id"]: r["outcome"] for r in report["requirements"]}


def test_the_tour_decides_every_requirement_it_declares(pytester: pytest.Pytester) -> None:
    """The control: the unbroken target, the same selection as every variant below."""
    result, outcomes = _tour(pytester, None)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-2500:]
    decided = (*REQUIREMENTS, *{v.expected for v in AIMED})
    assert {r: outcomes.get(r) for r in decided} == {r: "pass" for r in decided}
    result.stdout.fnmatch_lines(["*test_state_tour.py*"])


def test_variants_aimed_at_the_tour() -> None:
    assert len(AIMED) >= 10, [v.name for v in AIMED]


@pytest.mark.parametrize("variant", AIMED, ids=lambda v: v.name)
def test_the_tour_fails_the_named_requirement(pytester: pytest.Pytester, variant: Variant) -> None:
    result, outcomes = _tour(pytester, variant)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()[-2500:]
    assert outcomes.get(variant.expected) == "fail", outcomes
    result.stdout.fnmatch_lines([f"*{variant.expected}*", "*verdict: target DOES NOT CONFORM*"])
