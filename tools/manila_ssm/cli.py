"""``ssm-conformance``: a thin command line over the library.

Each command module registers its own subcommands (``register(groups)``) and
implements them as ``handler(args, out, err) -> int``. This module only wires
them up and turns expected errors into messages.

Exit codes: see :mod:`manila_ssm.cli_support`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn, TextIO

from manila_ssm.cli_support import (  # re-exported: tests and scripts read the codes here
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    CommandGroups,
    Handler,
    UsageError,
    write_report,
)
from manila_ssm.errors import SpecError

# Every module here defines ``register(groups: CommandGroups) -> None``; one per line.
_COMMAND_MODULES: tuple[str, ...] = (
    "manila_ssm.builder.commands",
    "manila_ssm.realmanila.commands",
    "manila_ssm.diff.commands",
    "manila_ssm.lint.commands",
    "manila_ssm.reference.commands",
    "manila_ssm.suite.commands",
    "manila_ssm.docs.commands",
)
# The hot paths import only their own module: the others pull in pydantic, werkzeug, jinja2.
_FAST_PATHS: dict[tuple[str, str], str] = {
    ("spec", "build"): "manila_ssm.builder.commands",
    ("spec", "validate"): "manila_ssm.builder.commands",
    ("spec", "lint"): "manila_ssm.lint.commands",
}
# ... and so does a conformance run (the others cost it about a second of CPU: openapi-spec-validator, docutils).
_FAST_COMMANDS: dict[str, str] = {"run": "manila_ssm.suite.commands"}

BUG_REPORT_HINT = (
    "this is a bug in ssm-conformance; please report it with the command line "
    "and the traceback above"
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's usage errors exit 2, as ours do
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ssm-conformance",
        description=(
            "Conformance suite and spec toolkit for OpenStack Manila's "
            "Share Server Migration API."
        ),
        epilog=("Exit codes: 0 ok, 1 findings or failed requirements, 2 usage or input error, 3 bug, "
                "4 conformance run INCOMPLETE (some requirement undecided; the run says what would decide it)."),
    )
    top = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    spec_parser = top.add_parser("spec", help="build, check, compare and render the contract")
    spec = spec_parser.add_subparsers(dest="spec_command", metavar="SPEC_COMMAND", parser_class=_Parser)
    groups = CommandGroups(top=top, spec=spec)
    words = tuple(argv[:2]) if argv is not None and len(argv) >= 2 else ()
    fast = ((_FAST_PATHS.get(words) or _FAST_COMMANDS.get(argv[0] if argv else ""))  # type: ignore[arg-type]
            if not {"-h", "--help"} & set(argv or ()) else None)
    for name in (fast,) if fast else _COMMAND_MODULES:
        importlib.import_module(name).register(groups)
    return parser


def run(argv: Sequence[str] | None, out: TextIO, err: TextIO) -> int:
    """Parse ``argv`` and run the command, writing to the given streams."""
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(err)
        return EXIT_USAGE
    try:
        return handler(args, out, err)
    except SpecError as error:
        for finding in error.findings:
            print(finding.format(), file=err)
        return EXIT_USAGE
    except UsageError as error:
        print(f"ssm-conformance: error: {error}", file=err)
        return EXIT_USAGE
    except OSError as error:  # a file or folder named on the command line cannot be read or written
        place = f"{error.filename}: " if error.filename else ""
        print(f"ssm-conformance: error: {place}{error.strerror or error}; "
              "check the path and its permissions", file=err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("ssm-conformance: interrupted", file=err)
        return 130
    except Exception:  # noqa: BLE001 - the one place an unexpected crash becomes a message
        traceback.print_exc(file=err)
        print(f"ssm-conformance: internal error: {BUG_REPORT_HINT}", file=err)
        return EXIT_INTERNAL


def main(argv: Sequence[str] | None = None) -> int:
    return run(argv, sys.stdout, sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
