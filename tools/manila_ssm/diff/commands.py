"""``ssm-conformance spec diff``: the breaking-change gate."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from manila_ssm.cli_support import EXIT_FINDINGS, EXIT_OK, CommandGroups, UsageError, write_report
from manila_ssm.diff import compare
from manila_ssm.diff._registry import RULES
from manila_ssm.diff.ignores import judge, load_ignores
from manila_ssm.diff.inputs import against_base, apiref_builder, load, load_revision, revisions_pair
from manila_ssm.diff.render import FORMATS, render

_EPILOG = (
    "OLD and NEW are each an OpenAPI file (.json/.yaml), an api-ref page or tree, or REV:path "
    "(a file or tree in a git revision, path relative to the repository root); or two git revisions "
    "(OLD_REV NEW_REV) of the tree named by --tree (default: the repository root). "
    "--base REV [TREE] compares TREE (default: .) with itself at git revision REV. "
    "Exit codes: 0 no breaking change (or all ignored), 1 breaking changes, 2 usage or input error."
)


def register(groups: CommandGroups) -> None:
    parser = groups.spec.add_parser(
        "diff", help="classify the changes between two API documents; fail on breaking ones",
        description="Compare two versions of the API and classify every change as breaking or not.",
        epilog=_EPILOG,
    )
    parser.add_argument("old", metavar="OLD", nargs="?", help="the API as it was")
    parser.add_argument("new", metavar="NEW", nargs="?", help="the API as it is now")
    parser.add_argument("--base", metavar="REV",
                        help="compare the tree OLD (default: .) as it is with itself at git revision REV")
    parser.add_argument("--tree", metavar="PATH", default="",
                        help="with OLD_REV NEW_REV: the api-ref tree inside the repository (default: its root)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--ignore", metavar="FILE", type=Path,
                        help="YAML list of {rule, location, reason}: breaking changes to accept")
    parser.add_argument("--contract", choices=("documented", "effective"), default="documented",
                        help="for api-ref inputs: build as written, or with the errata overlay (as spec build)")
    parser.add_argument("--options", metavar="FILE", type=Path,
                        help="for api-ref inputs: builder options YAML (default: spec/build-options.yaml)")
    parser.add_argument("-o", "--output", metavar="FILE", type=Path, help="write the report here instead of stdout")
    parser.add_argument("--rules", action="store_true", help="list the rules and their classification, then exit")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.rules:
        for rule in RULES.values():
            print(f"{rule.id:32} {'breaking' if rule.breaking else 'non-breaking':13} {rule.summary}", file=out)
        return EXIT_OK
    ignores = load_ignores(args.ignore) if args.ignore else ()
    cwd = Path.cwd()
    build_tree = apiref_builder(args.options, args.contract)
    if args.base is not None:
        if args.new is not None:
            raise UsageError("spec diff --base REV takes one TREE (the tree compared with itself at REV)")
        old, new = against_base(args.base, args.old or ".", cwd, build_tree)
    elif args.old is None or args.new is None:
        raise UsageError("spec diff needs OLD and NEW, or --base REV [TREE] (see --help)")
    elif revisions_pair(args.old, args.new, cwd):
        old, new = load_revision(args.old, args.tree, cwd, build_tree), load_revision(args.new, args.tree, cwd, build_tree)
    else:
        old, new = load(args.old, cwd, build_tree), load(args.new, cwd, build_tree)
    verdict = judge(compare(old.document, new.document, old_name=old.name, new_name=new.name), ignores)
    report = render(verdict, old.name, new.name, args.format)
    write_report(report, args.output, out)
    for ignore in verdict.unused:
        print(f"ssm-conformance: warning: {ignore.where}: unused ignore entry ({ignore.rule})", file=err)
    return EXIT_FINDINGS if verdict.breaking else EXIT_OK
