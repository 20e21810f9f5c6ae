"""What the plugin writes to the terminal: the live progress line and the command that repeats a run."""

from __future__ import annotations

import contextlib
import os
import shlex
from collections.abc import Callable, Mapping

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


def reproduce_command(config: pytest.Config, seed: int | None, environ: Mapping[str, str] | None = None) -> str:
    """The command that repeats this run as the user started it, seed fixed and secrets left out.

    A run started by ``ssm-conformance run`` is repeated by that command (its
    plugin says how, through ``ssm_reproduce``); one started by pytest, by
    pytest with the same arguments. Settings taken from ``SSM_*`` variables
    become flags, so the command carries them; a secret appears only as its
    variable (``--ssm-admin-token=$SSM_ADMIN_TOKEN``), and when that variable
    was not set in this run the command first says to export it (a placeholder
    the shell refuses as is, so it never runs with a made-up token).
    """
    environ = os.environ if environ is None else environ
    for plugin in config.pluginmanager.get_plugins():
        maker = getattr(plugin, "ssm_reproduce", None)
        if callable(maker):
            return str(maker(seed, environ))
    secret_flags = {o.flag: o.env for o in OPTIONS if o.secret}
    args: list[str] = []
    exports: list[str] = []
    given: set[str] = set()
    skip_next = False
    for arg in map(str, config.invocation_params.args):
        flag = arg.split("=", 1)[0]
        if skip_next:
            skip_next = False
            continue
        given.add(flag)
        if flag in secret_flags:
            variable = secret_flags[flag]
            args.append(f"{flag}=${variable}")
            if not environ.get(variable) and variable not in exports:
                exports.append(variable)
            skip_next = "=" not in arg
        elif flag == "--ssm-seed":
            skip_next = "=" not in arg
        else:
            args.append(shlex.quote(arg))
    for option in OPTIONS:
        if option.flag in given or option.name == "seed" or not environ.get(option.env):
            continue
        args.append(f"{option.flag}=${option.env}" if option.secret
                    else f"{option.flag}={shlex.quote(environ[option.env])}")
    return " ".join([*export_lines(exports), "pytest", *args, f"--ssm-seed={seed}"])


def export_lines(variables: list[str]) -> list[str]:
    """``export SSM_ADMIN_TOKEN=<your-admin-token> &&`` for each variable a command needs but the run lacked."""
    return [f"export {v}=<your-{v[4:].lower().replace('_', '-')}> &&" for v in variables]
