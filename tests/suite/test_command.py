"""``ssm-conformance run``: the README's command, its verdict and its exit codes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from manila_ssm import cli

FIXTURE_OPENAPI = Path(__file__).parent / "data" / "openapi-fixture.json"


def run(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    code = cli.run(["run", *argv], io.StringIO(), err)
    return code, err.getvalue()


def test_run_against_the_embedded_target_prints_a_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("--openapi", str(FIXTURE_OPENAPI), "--reports-dir", str(tmp_path), "--max-examples", "2",
                  "-k", "unknown_server or idle_server", "--", "-p", "no:randomly", "--assert=plain")
    out = capsys.readouterr().out
    assert code == cli.EXIT_OK, out[-1500:]
    assert "verdict: target CONFORMS" in out
    assert {p.name for p in tmp_path.iterdir()} >= {"junit.xml", "conformance.json", "conformance.md"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--contract", "strict"), "--ssm-contract: bad value 'strict'"),
        (("--base-url", "http://127.0.0.1:9/v2"), "needs admin credentials"),
        (("--openapi", "/nonexistent/openapi.json"), "cannot read the effective OpenAPI document"),
    ],
)
def test_bad_settings_exit_2_with_the_reason(argv, message, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run(*argv, "--reports-dir", str(tmp_path), "--", "--assert=plain")
    captured = capsys.readouterr()
    assert code == cli.EXIT_USAGE
    assert message in captured.err + captured.out
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "conformance.json").exists()
