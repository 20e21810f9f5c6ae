"""The Overlay 1.0 applier, case by case (tests/builder/overlay-cases/*.yaml).

Each case: ``description``, the ``document``, the ``overlay`` (written to a
file so line numbers are real), and either ``expected`` (plus ``findings``,
fragments of the reported findings) or ``error`` (a fragment of the SpecError).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from manila_ssm.builder.overlay import apply_overlay, load_overlay
from manila_ssm.errors import SpecError

CASES = sorted((Path(__file__).parent / "overlay-cases").glob("*.yaml"))


def _case(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_cases_are_well_formed() -> None:
    descriptions = [_case(path)["description"] for path in CASES]
    assert len(descriptions) == len(set(descriptions)) >= 10
    for path in CASES:
        case = _case(path)
        assert {"description", "document", "overlay"} <= set(case) and ("expected" in case) != ("error" in case), path.name


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_overlay_case(path: Path, tmp_path: Path) -> None:
    case = _case(path)
    overlay_file = tmp_path / "case.overlay.yaml"
    overlay_file.write_text("# line 1\n# line 2\n" + yaml.safe_dump(case["overlay"], sort_keys=False), encoding="utf-8")
    document = case["document"]
    if "error" in case:
        with pytest.raises(SpecError) as raised:
            apply_overlay(document, load_overlay(overlay_file))
        assert case["error"] in str(raised.value)
        return
    result, findings = apply_overlay(document, load_overlay(overlay_file))
    assert result == case["expected"]
    assert document == case["document"], "the input document must not change"
    formatted = [finding.format() for finding in findings]
    assert len(formatted) == len(case.get("findings", []))
    for fragment, text in zip(case.get("findings", []), formatted):
        assert fragment in text
