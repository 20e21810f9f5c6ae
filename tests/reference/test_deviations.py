"""The deliberate deviations from upstream are listed in one place and shown everywhere they matter:
each is cited in the target's code and rendered in the README's "Reference target" section.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from manila_ssm.reference.deviations import DEVIATIONS, Deviation

ROOT = Path(__file__).resolve().parents[2]
CODE = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tools/manila_ssm/reference").glob("*.py")
                 if p.name != "deviations.py")
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.partition("## Reference target")[2].partition("\n## ")[0]


def test_ids_are_unique() -> None:
    ids = [d.id for d in DEVIATIONS]
    assert len(ids) == len(set(ids)) and all(i.startswith("DEV-") for i in ids)


@pytest.mark.parametrize("deviation", DEVIATIONS, ids=lambda d: d.id)
def test_cited_in_code_and_rendered_in_readme(deviation: Deviation) -> None:
    assert deviation.id in CODE, f"{deviation.id} is not cited where the target deviates"
    row = f"| `{deviation.id}` | {deviation.request} | {deviation.upstream} | {deviation.reference} |"
    assert row in SECTION, f"README's Reference target section lacks (or has a stale) row: {row}"


def test_readme_names_no_other_deviation() -> None:
    named = set(re.findall(r"`(DEV-[A-Z-]+)`", SECTION))
    assert named == {d.id for d in DEVIATIONS}
