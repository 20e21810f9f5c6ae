"""``ssm-conformance run``: the conformance suite, as a thin layer over pytest.

With no target it starts the embedded reference target. Every suite setting
is a flag here (``--base-url``), a pytest flag (``--ssm-base-url``), an ini key
and an environment variable (``SSM_BASE_URL``); anything after ``--`` goes to
pytest unchanged (``-- -x -n 2``).
"""

from __future__ import annotations

import argparse
import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from manila_ssm import jsonio, paths
from manila_ssm.cli_support import (
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    CommandGroups,
    UsageError,
)
from manila_ssm.suite import catalogue as cat
from manila_ssm.suite import contract as contracts
from manila_ssm.suite import fuzzpool
from manila_ssm.suite.config import CONTRACTS, OPTIONS, ConfigError, check_writable
from manila_ssm.suite.terminal import export_lines
from manila_ssm.suite.verdict import Verdict

# pytest's exit codes -> ours (pytest: 1 tests failed, 2 interrupted, 3 internal, 4 usage, 5 nothing collected)
_EXIT = {0: EXIT_OK, 1: EXIT_FINDINGS, 2: 130, 3: EXIT_INTERNAL, 4: EXIT_USAGE, 5: EXIT_USAGE}


def register(groups: CommandGroups) -> None:
    parser = groups.top.add_parser(
        "run",
        help="run the conformance suite (against the embedded reference target unless --base-url is given)",
        description=__doc__.split("\n\n")[1],
        epilog=(f"Exit codes: {EXIT_OK} CONFORMS (every requirement decided and holding, known upstream defects "
                f"reported as such), {EXIT_FINDINGS} DOES NOT CONFORM (a requirement failed), {EXIT_USAGE} usage "
                f"error, {EXIT_INTERNAL} bug, {EXIT_INCOMPLETE} INCOMPLETE (nothing failed, but some requirement "
                "was not decided; the run lists what would decide each). Reports: <reports-dir>/conformance.html, "
                ".json, .md and junit.xml (one test case per requirement)."),
    )
    for option in OPTIONS:
        parser.add_argument("--" + option.name.replace("_", "-"), dest=option.name, default=None,
                            metavar=option.name.upper(), help=f"{option.help} (env {option.env})")
    parser.add_argument("-k", dest="keyword", default=None, help="only tests matching this pytest -k expression")
    parser.add_argument("-x", "--exitfirst", action="store_true", help="stop at the first failure")
    parser.add_argument("-n", dest="workers", default=None, help="run on N processes (pytest-xdist)")
    parser.add_argument("--junitxml", default=None,
                        help="also write pytest's own JUnit XML (one case per test) here; "
                             "<reports-dir>/junit.xml has one case per requirement")
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
    if args.junitxml:
        argv.append(f"--junitxml={args.junitxml}")
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


def reproduce(args: argparse.Namespace, seed: int | None, environ: Mapping[str, str]) -> str:
    """``ssm-conformance run`` with the same settings and ``--seed``; secrets only as ``$SSM_*`` variables.

    Settings that came from ``SSM_*`` variables become flags, so the line
    carries everything but the secrets; ``-k``/``-x``/``-n`` and the arguments
    after ``--`` are kept.
    """
    parts = ["ssm-conformance", "run"]
    exports: list[str] = []
    for option in OPTIONS:
        if option.name == "seed":
            continue
        flag, value, from_env = "--" + option.name.replace("_", "-"), getattr(args, option.name), environ.get(option.env)
        if option.secret:
            if value is not None or from_env:
                parts.append(f"{flag}=${option.env}")
                if not from_env:
                    exports.append(option.env)
        elif value is not None or from_env:
            parts.append(f"{flag}={shlex.quote(value if value is not None else str(from_env))}")
    if args.keyword:
        parts += ["-k", shlex.quote(args.keyword)]
    if args.exitfirst:
        parts.append("-x")
    if args.workers:
        parts += ["-n", shlex.quote(args.workers)]
    if args.junitxml:
        parts.append(f"--junitxml={shlex.quote(args.junitxml)}")
    parts.append(f"--seed={seed}")
    extra = list(args.pytest_args[1:] if args.pytest_args[:1] == ["--"] else args.pytest_args)
    if extra:
        parts += ["--", *map(shlex.quote, extra)]
    return " ".join([*export_lines(exports), *parts])


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
    verdict = _Verdict(args)
    if not (args.workers or args.keyword or args.requirements):
        # A whole run fuzzes: start the child that generates its cases now, so that its start-up overlaps
        # pytest's (pytest-xdist workers and narrow selections generate in-process).
        fuzzpool.warm_up()
    try:
        code = int(pytest.main(argv, plugins=[verdict]))
    finally:
        fuzzpool.release()
    if code == 4:
        print("ssm-conformance: error: see the usage error above", file=err)
    if code in (0, 1) and verdict.verdict is not None:
        if verdict.verdict.exit_code == EXIT_INCOMPLETE and not verdict.checked:
            print("ssm-conformance: no requirement was checked; see what would decide them above", file=err)
        # pytest failed a test that no requirement failed: never report that as a success
        return EXIT_FINDINGS if code == 1 and verdict.verdict.exit_code == EXIT_OK else verdict.verdict.exit_code
    return _EXIT.get(code, EXIT_INTERNAL)


class _Verdict:
    """Tells the plugin how to repeat this run, and learns the run's verdict from it."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.verdict: Verdict | None = None
        self.checked = False

    def ssm_reproduce(self, seed: int | None, environ: Mapping[str, str]) -> str:
        return reproduce(self.args, seed, environ)

    def pytest_unconfigure(self, config: Any) -> None:  # after every sessionfinish hook
        from manila_ssm.suite.plugin import STATE

        state = config.stash.get(STATE, None)
        if state and state.summary:
            self.verdict = state.summary.verdict
            self.checked = state.summary.checked
