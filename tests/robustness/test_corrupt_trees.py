"""No input crashes the toolkit: ≥ 300 corrupted trees through ``spec build`` and ``spec lint`` (issue 14, R6).

Each shard runs its variants in one child process (address space capped,
an alarm per command; see ``run_corpus.py``): every command must end with
exit 0, 1 or 2, print no traceback, and name a located finding (the rule the
variant expects, when it expects one).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from robustness.corrupt_trees import MAYBE_CLEAN, variants

HERE = Path(__file__).parent
SHARDS = 2


def test_the_corpus_covers_every_class() -> None:
    found = variants()
    assert len(found) >= 300
    assert {v.kind for v in found} == {"deep", "huge", "encoding", "surrogate", "special", "outside", "directive", "yaml", "braces", "page"}
    assert [v.name for v in variants()] == [v.name for v in found], "the seed fixes the corpus"


# Rules spec lint may explain by an os-api-ref convention (a page cut before its first
# rest_method reads like a page of prose, which upstream trees keep on purpose).
LINT_MAY_EXPLAIN = frozenset({"page-no-operation"})


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_variant_crashes_or_goes_unreported(shard: int, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(HERE / "run_corpus.py"), str(shard), str(SHARDS), str(tmp_path)],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    *runs, memory = rows
    assert memory["peak_rss_kib"] < 1024 * 1024, "a variant made the process grow past 1 GiB"
    problems = []
    for run in runs:
        if run["code"] not in (0, 1, 2) or run["traceback"]:
            problems.append(f"{run['variant']} ({run['command']}): exit {run['code']}\n{run['excerpt']}")
        elif run["expect"] != MAYBE_CLEAN and not run["rules"]:
            problems.append(f"{run['variant']} ({run['command']}): no located finding\n{run['excerpt']}")
        elif run["expect"] in LINT_MAY_EXPLAIN and run["command"] == "lint":
            continue  # located findings were required above; spec build must name the rule itself
        elif run["expect"] not in (None, MAYBE_CLEAN) and run["expect"] not in run["rules"]:
            problems.append(f"{run['variant']} ({run['command']}): expected a {run['expect']} finding, got {run['rules']}")
    assert len(runs) == 2 * len([v for i, v in enumerate(variants()) if i % SHARDS == shard])
    assert not problems, "\n\n".join(problems[:10])
