"""The command line's own contract: help, usage errors and exit codes."""

from __future__ import annotations

from pathlib import Path

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


def test_an_output_path_that_cannot_be_written_is_a_usage_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("", encoding="utf-8")
    code, _, err = run("spec", "build", "-o", not_a_folder)
    assert code == cli.EXIT_USAGE
    assert f"{not_a_folder}/openapi" in err and "check the path" in err
    assert "Traceback" not in err
