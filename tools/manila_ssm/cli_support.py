"""What every command module shares with the command line, without importing it.

The command modules (``*/commands.py``) are imported by :mod:`manila_ssm.cli`;
keeping their common vocabulary here means none of them imports the CLI back.

Exit codes: 0 success, 1 findings or failed requirements, 2 usage or input
error, 3 an internal error (a bug: please report it), 4 a conformance run that
is INCOMPLETE (nothing failed, but some requirement that applies was not
decided; the run says what would decide it).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INCOMPLETE = 4

Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]


class UsageError(Exception):
    """A command line or input that cannot be acted on; the message says what to change."""


@dataclass(frozen=True, slots=True)
class CommandGroups:
    """Where command modules add their subcommands: top level, and under ``spec``."""

    top: argparse._SubParsersAction
    spec: argparse._SubParsersAction


def write_report(text: str, output: Path | None, out: TextIO) -> None:
    """Write a command's report to ``output`` (creating its folder) or, without one, to ``out``."""
    if output is None:
        out.write(text)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
