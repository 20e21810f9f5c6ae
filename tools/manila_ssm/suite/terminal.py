"""What the plugin writes to the terminal: the live progress line and the command that repeats a run."""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Callable

import pytest

from manila_ssm.suite.config import OPTIONS


def progress_writer(config: pytest.Config) -> Callable[[str], None] | None:
    """Rewrites one terminal line during waits; only on a terminal (never in logs or CI output)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not config.get_terminal_writer().hasmarkup:
        return None

    capture = config.pluginmanager.get_plugin("capturemanager")

    def write(line: str) -> None:
        # Live output during a test needs capturing suspended, as pytest's live logging does.
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.write("\r\x1b[K" + (f"  {line[:110]}\r" if line else ""))

    return write


def reproduce_command(config: pytest.Config, seed: int | None) -> str:
    """The command line of this run with its seed fixed and secrets left out (taken from SSM_* instead)."""
    secret_flags = {o.flag: o.env for o in OPTIONS if o.secret}
    args: list[str] = []
    skip_next = False
    for arg in map(str, config.invocation_params.args):
        flag = arg.split("=", 1)[0]
        if skip_next:
            skip_next = False
        elif flag in secret_flags:
            args.append(f"{flag}=${secret_flags[flag]}")
            skip_next = "=" not in arg
        elif flag == "--ssm-seed":
            skip_next = "=" not in arg
        else:
            args.append(shlex.quote(arg))
    return " ".join(["pytest", *args, f"--ssm-seed={seed}"])
