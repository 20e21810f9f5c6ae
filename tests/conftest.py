"""Project-wide test configuration: a closing word on what was skipped for want of a prerequisite.

The helpers that skip (or, in CI, fail) are in ``ssm_testing``
(``require_chromium``, ``require_shared``); their skip reasons start with
"needs " (older ones name ``../shared``), and this summary groups them so a fresh checkout says at the end
what it did not test and how to get it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    reasons: Counter[str] = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        if isinstance(longrepr, tuple) and len(longrepr) == 3:
            reason = str(longrepr[2]).removeprefix("Skipped: ")
            if reason.startswith("needs ") or "../shared" in reason:
                reasons[reason] += 1
    if reasons:
        terminalreporter.section("prerequisites missing")
        for reason, count in reasons.most_common():
            terminalreporter.write_line(f"{count} skipped: {reason}")
