"""Where a tree may read files from: data-driven cases of includes and samples inside and outside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from manila_ssm.apiref import parse
from manila_ssm.errors import SpecError

PAGE = """\
Gizmos
======

List gizmos
-----------

.. rest_method:: GET /v2/gizmos

Response example
~~~~~~~~~~~~~~~~

.. literalinclude:: {sample}
   :language: javascript
"""

# (tree folder inside tmp, sample files to create (relative to tmp), name in the page, refused?)
CASES = {
    "relative inside": ("tree", ["tree/samples/s.json"], "samples/s.json", False),
    "absolute from the tree root": ("tree", ["tree/samples/s.json"], "/samples/s.json", False),
    "dot-dot outside": ("tree", ["s.json"], "../s.json", True),
    "absolute escaping the root": ("tree", ["s.json"], "/../s.json", True),
    "system file": ("tree", [], "../../../../../../../../etc/hostname", True),
    "api-ref/source reaches its repository (Nova)": ("repo/api-ref/source", ["repo/doc/api_samples/s.json"], "/../../doc/api_samples/s.json", False),
    "api-ref/source cannot leave its repository": ("repo/api-ref/source", ["s.json"], "/../../../s.json", True),
}


@pytest.mark.parametrize("name", CASES)
def test_confinement(name: str, tmp_path: Path) -> None:
    folder, samples, sample, refused = CASES[name]
    tree = tmp_path / folder
    tree.mkdir(parents=True)
    for path in samples:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text('{"gizmos": []}', encoding="utf-8")
    (tree / "index.rst").write_text(PAGE.format(sample=sample), encoding="utf-8")
    try:
        findings = parse(tree / "index.rst").findings
    except SpecError as error:
        findings = tuple(error.findings)
    rules = {finding.rule_id for finding in findings}
    assert ("source-outside-tree" in rules) == refused, [f.format() for f in findings]
    if not refused:
        assert not rules & {"sample-missing-file", "source-missing-file"}
