"""``ssm-conformance run``: the conformance suite, as a thin layer over pytest.

With no target it starts the embedded reference target. Every suite setting
is a flag here (``--base-url``), a pytest flag (``--ssm-base-url``), an ini key
and an environment variable (``SSM_BASE_URL``); anything after ``--`` goes to
pytest unchanged (``-- -x -n 2``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, TextIO

from manila_ssm import jsonio, paths
from manila_ssm.cli_support import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, CommandGroups, UsageError
from manila_ssm.suite import catalogue as cat
from manila_ssm.suite import contract as contracts
from manila_ssm.suite.config import CONTRACTS, OPTIONS, ConfigError, check_writable

# pytest's exit codes -> ours (pytest: 1 tests failed, 2 interrupted, 3 internal, 4 usage, 5 nothing collected)
_EXIT = {0: EXIT_OK, 1: EXIT_FINDINGS, 2: 130, 3: EXIT_INTERNAL, 4: EXIT_USAGE, 5: EXIT_USAGE}


def register(groups: CommandGroups) -> None:
    parser = groups.top.add_parser(
        "run",
        help="run the conformance suite (against the embedded reference target unless --base-url is given)",
        description=__doc__.split("\n\n")[1],
        epilog="Exit codes: 0 every requirement holds, 1 a requirement failed, 2 usage error, 3 bug.",
    )
    for option in OPTIONS:
        parser.add_argument("--" + option.name.replace("_", "-"), dest=option.name, default=None,
                            metavar=option.name.upper(), help=f"{option.help} (env {option.env})")
    parser.add_argument("-k", dest="keyword", default=None, help="only tests matching this pytest -k expression")
    parser.add_argument("-x", "--exitfirst", action="store_true", help="stop at the first failure")
    parser.add_argument("-n", dest="workers", default=None, help="run on N processes (pytest-xdist)")
    parser.add_argument("--junitxml", default=None, help="JUnit XML path (default: <reports-dir>/junit.xml)")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: extra pytest arguments")
    parser.set_defaults(handler=run_command)

    listing = groups.top.add_parser("requirements", help="list the conformance requirements (id, statement, source)")
    listing.add_argument("--contract", choices=CONTRACTS, default="effective")
    listing.add_argument("--openapi", default=None, help="OpenAPI document instead of spec/openapi/<contract>.json")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(handler=requirements_command)


def requirements_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        catalogue = cat.build(contracts.load(args.contract, args.openapi))
    except contracts.ContractError as error:
        raise UsageError(str(error)) from None
    if args.format == "json":
        out.write(jsonio.dumps([
            {"id": r.id, "statement": r.statement, "source": r.source, "actions": list(r.actions),
             "known_defect": r.defect.id if r.defect else None}
            for r in catalogue
        ]))
        return EXIT_OK
    for requirement in catalogue:
        defect = f" [known upstream defect {requirement.defect.id}]" if requirement.defect else ""
        print(f"{requirement.id}: {requirement.statement}{defect}\n    source: {requirement.source}", file=out)
    return EXIT_OK


def pytest_arguments(args: argparse.Namespace) -> list[str]:
    """The pytest command line equivalent to ``args`` (also shown as the way to reproduce a run)."""
    suite = paths.conformance_dir()
    if not suite.is_dir():
        raise UsageError(f"the conformance suite is missing at {suite}; reinstall the package")
    argv = [str(suite), "--import-mode=importlib", "-p", "no:cacheprovider", "--rootdir", str(suite),
            # the suite's verdicts never come from bare asserts, and rewriting schemathesis' and hypothesis'
            # modules (plugins) costs seconds of CPU whenever no bytecode cache can be written
            "--assert=plain"]
    for option in OPTIONS:
        value = getattr(args, option.name)
        if value is not None:
            argv.append(f"{option.flag}={value}")
    reports_dir = Path(args.reports_dir or "reports")
    argv.append(f"--junitxml={args.junitxml or reports_dir / 'junit.xml'}")
    if args.keyword:
        argv += ["-k", args.keyword]
    if args.exitfirst:
        argv.append("-x")
    if args.workers:
        argv += ["-n", args.workers]
    extra = list(args.pytest_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    return argv + extra


def run_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import pytest  # imported here: the CLI's other commands do not need it

    from hypothesis.configuration import set_hypothesis_home_dir

    argv = pytest_arguments(args)
    try:  # before pytest: its JUnit writer would fail on the folder after the run, with no word why
        check_writable(Path(args.reports_dir or os.environ.get("SSM_REPORTS_DIR") or "reports"))
    except ConfigError as error:
        raise UsageError(str(error)) from None
    # Hypothesis keeps a cache folder; keep it with the run's reports, not in the user's folder.
    set_hypothesis_home_dir(Path(args.reports_dir or "reports") / ".hypothesis")
    verdict = _Verdict()
    code = int(pytest.main(argv, plugins=[verdict]))
    if code == 4:
        print("ssm-conformance: error: see the usage error above", file=err)
    if code == 0 and not verdict.checked:
        # Everything skipped before a check: nothing was shown to hold, so this is no success.
        print("ssm-conformance: no requirement was checked; see the skip reasons above (-rs)", file=err)
        return EXIT_FINDINGS
    return _EXIT.get(code, EXIT_INTERNAL)


class _Verdict:
    """Learns from the plugin whether any requirement was decided in the run."""

    checked = False

    def pytest_unconfigure(self, config: Any) -> None:  # after every sessionfinish hook
        from manila_ssm.suite.plugin import STATE

        state = config.stash.get(STATE, None)
        self.checked = bool(state and state.summary and state.summary.checked)
