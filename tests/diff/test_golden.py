"""The three report formats of one pair (breaking, ignored, non-breaking, unused ignore), as golden files.

A change to a format shows here as a readable diff. Regenerate after reading
it: ``python tests/diff/test_golden.py --regenerate``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from manila_ssm.diff import compare
from manila_ssm.diff.ignores import judge, load_ignores
from manila_ssm.diff.inputs import load
from manila_ssm.diff.render import FORMATS, render

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
SUFFIX = {"text": "txt", "json": "json", "markdown": "md", "sarif": "sarif"}
# relative names, so that the reports do not depend on where the checkout is
OLD, NEW = "golden/old.json", "golden/new.json"
IGNORE = GOLDEN / "ignore.yaml"


def report(output_format: str) -> str:
    old, new = load(OLD, HERE), load(NEW, HERE)
    verdict = judge(compare(old.document, new.document), load_ignores(IGNORE))
    return render(verdict, old.name, new.name, output_format).replace(str(HERE) + "/", "")


@pytest.mark.parametrize("output_format", FORMATS)
def test_report_matches_golden_file(output_format: str) -> None:
    expected = (GOLDEN / f"report.{SUFFIX[output_format]}").read_text(encoding="utf-8")
    assert report(output_format) == expected


if __name__ == "__main__" and sys.argv[1:] == ["--regenerate"]:
    for name in FORMATS:
        (GOLDEN / f"report.{SUFFIX[name]}").write_text(report(name), encoding="utf-8")
