"""Helpers shared by the project's tests (on sys.path through pytest's ``pythonpath``)."""

from __future__ import annotations

import io
from os import PathLike

from manila_ssm import cli


def run_cli(*argv: str | PathLike[str]) -> tuple[int, str, str]:
    """Run ``ssm-conformance ARGV`` in-process; return the exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    try:
        code = cli.run([str(arg) for arg in argv], out, err)
    except SystemExit as exit_:  # argparse exits for --help and usage errors
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()
