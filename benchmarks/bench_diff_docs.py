"""How fast ``spec diff`` and ``spec docs`` are on a whole api-ref (goal: under 2 s each).

Builds the upstream Manila tree (``../shared``; falls back to our effective
contract), then times a diff of the document against a copy with one change
per action family, and the rendering of the HTML page.
Run: ``python benchmarks/bench_diff_docs.py``.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

from manila_ssm import paths
from manila_ssm.diff import compare
from manila_ssm.docs import render_html


def _document() -> tuple[str, dict]:
    shared = paths.shared_dir()
    if shared is not None and (shared / "upstream" / "manila-api-ref" / "index.rst").is_file():
        from manila_ssm.builder.contracts import build_source

        return "upstream Manila tree", build_source(shared / "upstream" / "manila-api-ref" / "index.rst").document
    source = paths.spec_dir() / "openapi" / "effective.json"
    return str(source), json.loads(source.read_text(encoding="utf-8"))


def _timed(label: str, work, repeat: int = 3) -> None:  # noqa: ANN001 - a benchmark helper
    best = min(_once(work) for _ in range(repeat))
    print(f"{label}: {best:.3f} s (best of {repeat})")


def _once(work) -> float:  # noqa: ANN001
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    name, old = _document()
    new = copy.deepcopy(old)
    for item in new["paths"].values():  # one breaking change per operation: a success code replaced
        for operation in item.values():
            if isinstance(operation, dict) and "200" in operation.get("responses", {}):
                operation["responses"]["299"] = operation["responses"].pop("200")
    operations = sum(len(item) for item in old["paths"].values())
    print(f"{name}: {operations} operations, {len(json.dumps(old)) // 1024} KiB of JSON")
    _timed("spec diff (document against a changed copy)", lambda: compare(old, new))
    _timed("spec docs (render the page)", lambda: render_html(old))


if __name__ == "__main__":
    main()
