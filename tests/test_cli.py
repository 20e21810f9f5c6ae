"""The command line's own contract: help, usage errors and exit codes."""

from __future__ import annotations

import pytest

from manila_ssm import cli
from ssm_testing import run_cli as run


def test_no_command_prints_help_and_exits_2() -> None:
    code, _, err = run()
    assert code == cli.EXIT_USAGE
    assert "usage: ssm-conformance" in err


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run("no-such-command")
    assert code == cli.EXIT_USAGE
    assert "invalid choice" in capsys.readouterr().err
