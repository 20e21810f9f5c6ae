"""``ssm-conformance spec lint``: lint an api-ref tree; text, JSON or SARIF; exit by severity."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from manila_ssm import paths
from manila_ssm.apiref.rules import RULES
from manila_ssm.cli_support import EXIT_FINDINGS, EXIT_OK, CommandGroups, UsageError, write_report
from manila_ssm.errors import Severity
from manila_ssm.lint import _catalogue  # noqa: F401 - the lint rules, for --rules
from manila_ssm.lint import baseline
from manila_ssm.lint._run import lint
from manila_ssm.lint.render import FORMATS, render

_EPILOG = (
    "TREE is an api-ref page (.inc/.rst), a tree's index.rst, or a folder (with an index.rst, or of pages); "
    "default: this project's spec/api-ref. Exit codes: 0 nothing at or above --fail-on, "
    "1 findings at or above --fail-on, 2 usage or input error."
)


def register(groups: CommandGroups) -> None:
    parser = groups.spec.add_parser(
        "lint", help="check an api-ref tree: os-api-ref's warnings plus semantic checks",
        description="Lint an os-api-ref source tree: parameters, samples, status codes, versions, errata.",
        epilog=_EPILOG,
    )
    parser.add_argument("tree", metavar="TREE", nargs="?", type=Path, help="the page, tree or folder to lint")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--fail-on", choices=[str(s) for s in Severity], default="error",
                        help="exit 1 when a finding is at least this severe (default: error)")
    parser.add_argument("--errata", metavar="FILE", type=Path,
                        help="an errata overlay (x-erratum per action) whose status codes the pages must list")
    parser.add_argument("--baseline", metavar="FILE", type=Path,
                        help="accepted findings (from --write-baseline): they are reported but do not fail the run")
    parser.add_argument("--write-baseline", metavar="FILE", type=Path,
                        help="write every finding of this run to FILE as accepted, then exit 0")
    parser.add_argument("-o", "--output", metavar="FILE", type=Path, help="write the report here instead of stdout")
    parser.add_argument("--rules", action="store_true", help="list every rule with its severity, then exit")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.rules:
        for rule in sorted(RULES.values(), key=lambda r: r.id):
            print(f"{rule.id:32} {str(rule.severity):8} {rule.summary}", file=out)
        return EXIT_OK
    tree: Path = args.tree if args.tree is not None else paths.spec_dir() / "api-ref"
    if not tree.exists():
        raise UsageError(f"{tree}: no such page, tree or folder")
    if args.errata is not None and not args.errata.is_file():
        raise UsageError(f"{args.errata}: no such errata overlay")
    report = lint(tree, errata=args.errata)
    if args.write_baseline is not None:
        count = baseline.write(args.write_baseline, report.findings)
        print(f"wrote {count} accepted findings to {args.write_baseline}", file=err)
        return EXIT_OK
    if args.baseline is not None:
        try:
            accepted = baseline.load(args.baseline)
        except baseline.BaselineError as error:
            raise UsageError(str(error)) from None
        _, known = baseline.split(report.findings, accepted)
        report = replace(report, accepted=frozenset(known), with_baseline=True)
    text = render(report, args.format)
    write_report(text, args.output, out)
    return EXIT_FINDINGS if report.at_or_above(Severity.parse(args.fail_on)) else EXIT_OK
