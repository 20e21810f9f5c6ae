"""``real-manila run``: the conformance suite against the live deployment.

Each contract gets a usable fixture set (a run migrates servers away, so
the second contract usually gets fresh ones) and its own reports directory.
The suite is run in-process through the ``run`` command, with the options
the suite defines; the phases are timed like ``up``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from manila_ssm.realmanila import harness
from manila_ssm.realmanila.config import HarnessConfig
from manila_ssm.realmanila.fixtures import FixtureSet
from manila_ssm.realmanila.procs import HarnessError


def suite_arguments(fixtures: FixtureSet, config: HarnessConfig, contract: str,
                    reports: Path) -> list[str]:
    """``ssm-conformance run`` options that point the suite at this deployment."""
    document = fixtures.document
    return [
        "run",
        "--base-url", document["base_url"],
        "--admin-token", document["tokens"]["admin"],
        "--member-token", document["tokens"]["non_admin"],
        "--servers-file", str(config.fixtures_file),
        # The pools API caches the scheduler's first answer, so name them.
        "--dest-hosts", ",".join(document["backends"].values()),
        "--contract", contract,
        "--reports-dir", str(reports),
    ]


def run_suite(config: HarnessConfig, contracts: tuple[str, ...], reports_dir: Path, extra: tuple[str, ...],
              report: Callable[[str], None], err: TextIO) -> int:
    from manila_ssm import cli

    worst = cli.EXIT_OK
    timings = harness.Timings()
    for index, contract in enumerate(contracts):
        fixtures, timings = harness.up(config, report, timings=timings if index == 0 else harness.Timings())
        reports = reports_dir / contract
        argv = suite_arguments(fixtures, config, contract, reports) + list(extra)
        with timings.phase(f"suite ({contract})", report):
            try:
                code = cli.run(argv, _Stream(report), err)
            except SystemExit as exit_:  # argparse: "run" is not registered or rejects an option
                raise HarnessError("suite", f"`ssm-conformance {' '.join(argv[:1])}` could not start "
                                   f"(exit {exit_.code}); is the suite installed?") from None
        report(f"[real-manila] suite ({contract}): exit {code}; reports in {reports}")
        worst = max(worst, code)
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.phases.items())
    report(f"[real-manila] timings: {phases}")
    return worst


class _Stream:
    """A text stream that forwards whole lines to the reporter."""

    def __init__(self, report: Callable[[str], None]) -> None:
        self._report = report
        self._buffer = ""

    def write(self, text: str) -> int:
        self._buffer += text
        *lines, self._buffer = self._buffer.split("\\n")
        for line in lines:
            self._report(line)
        return len(text)

    def flush(self) -> None:
        if self._buffer:
            self._report(self._buffer)
            self._buffer = ""
