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

REQUEST_TIMEOUT = 60  # seconds; after `--` a user's --request-timeout wins (it comes later)


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
        # A check is a synchronous RPC that waits on the destination's Dummy driver and may wait up to
        # rpc_response_timeout (60 s) upstream; on a loaded machine it took over the suite's 10 s default.
        "--request-timeout", str(REQUEST_TIMEOUT),
    ]


def run_suite(config: HarnessConfig, contracts: tuple[str, ...], reports_dir: Path, extra: tuple[str, ...],
              report: Callable[[str], None], err: TextIO, drift: bool = True) -> int:
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
    documented = reports_dir / "documented" / "conformance.json"
    cassette_dir = Path("tests/cassettes")
    if drift and "documented" in contracts and documented.is_file() and cassette_dir.is_dir():
        document, written = write_drift(cassette_dir, documented, reports_dir / "drift",
                                        manila=installed_manila(config))
        report(f"[real-manila] drift: {len(document['divergences'])} divergences, "
               f"{len(document['unexplained'])} unexplained; {written[1]} (copy to spec/drift/ to commit)")
        if document["unexplained"]:
            worst = max(worst, cli.EXIT_FINDINGS)
    return worst


def installed_manila(config: HarnessConfig) -> str:
    """The manila version the base's venv really holds (not the one asked for)."""
    from manila_ssm.realmanila.install import installed_version

    return installed_version(config) or f"{config.manila_version} (not installed in {config.venv})"


def drift_document(cassette_dir: Path, live_report: Path | None, note: str = "",
                   manila: str | None = None) -> dict:
    """The drift document from the cassettes (and a live documented run); an error if there is nothing to judge."""
    import json

    import yaml

    from manila_ssm import paths
    from manila_ssm.realmanila import cassette, drift
    from manila_ssm.suite.contract import load

    contract = load("documented")
    recorded = cassette.load_all(cassette_dir) if cassette_dir.is_dir() else []
    if not recorded:
        raise ValueError(f"{cassette_dir}: no cassettes to judge; record them with "
                         "`ssm-conformance real-manila record` or point --cassettes at them")
    failures, defects = drift.from_cassettes(recorded, contract)
    sources = [f"the cassettes in {cassette_dir.as_posix()}"]
    recorded_with = sorted({c.recorded_with.get("manila", "") for c in recorded} - {""})
    context: dict = {"generated_by": "ssm-conformance real-manila drift",
                     "manila": manila or ", ".join(recorded_with) or "unknown"}
    if live_report is not None:
        try:
            report = json.loads(live_report.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ValueError(f"--live-report {live_report}: not a readable conformance.json ({error})") from None
        if report.get("contract") != "documented":
            raise ValueError(f"--live-report {live_report}: a {report.get('contract')!r} run; "
                             "give the report of a --contract documented run")
        failures += drift.from_live_report(report)
        sources.append("a live documented-contract run of the suite")
        context["live_run"] = {"counts": report.get("counts"), "seed": report.get("seed"), "note": note}
    context["sources"] = " and ".join(sources)
    overlay = yaml.safe_load((paths.spec_dir() / "errata.overlay.yaml").read_text(encoding="utf-8"))
    return drift.build(failures, defects, drift.errata_titles(overlay), context)


def write_drift(cassette_dir: Path, live_report: Path | None, out: Path,
                note: str = "", manila: str | None = None) -> tuple[dict, list[Path]]:
    """Build the drift report from the cassettes (and a live documented run) and write it."""
    from manila_ssm.realmanila import drift

    document = drift_document(cassette_dir, live_report, note, manila)
    return document, drift.write(out, document)


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
