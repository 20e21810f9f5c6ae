"""The harness's pure parts and its process handling, without Manila."""

from __future__ import annotations

import configparser
import sys
from pathlib import Path

import pytest

from manila_ssm.cli import run
from manila_ssm.realmanila.config import HarnessConfig, from_environment, render_all
from manila_ssm.realmanila.procs import Daemon, HarnessError, log_tail


def test_configuration_renders_three_dhss_backends(tmp_path: Path) -> None:
    config = from_environment({}, base=tmp_path)
    files = render_all(config)
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(files[config.etc_dir / "manila.conf"])
    assert conf["DEFAULT"]["enabled_share_backends"] == "alpha,beta,gamma"
    assert conf["DEFAULT"]["server_migration_driver_continue_update_interval"] == "3"
    assert conf["DEFAULT"]["auth_strategy"] == "noauth"
    assert conf["oslo_policy"]["enforce_new_defaults"] == "True"
    for backend in ("alpha", "beta", "gamma"):
        assert conf[backend]["driver_handles_share_servers"] == "True"
        assert conf[backend]["share_driver"].endswith("dummy.DummyDriver")
        assert conf[conf[backend]["network_config_group"]]["network_api_class"].endswith(
            "StandaloneNetworkPlugin")
    assert 'user_id:admin"' in files[config.etc_dir / "policy.yaml"]
    assert str(tmp_path) in files[config.etc_dir / "uwsgi.ini"]


@pytest.mark.parametrize(
    ("environ", "overrides", "field", "expected"),
    [
        ({"SSM_REAL_MANILA_API_PORT": "9999"}, {}, "api_port", 9999),
        ({"SSM_REAL_MANILA_API_PORT": "9999"}, {"api_port": 7000}, "api_port", 7000),
        ({"SSM_REAL_MANILA_DUMMY_DELAY": "0.5"}, {}, "dummy_delay", 0.5),
        ({"SSM_REAL_MANILA_BACKENDS": "a, b,c"}, {}, "backends", ("a", "b", "c")),
        ({}, {"api_port": None}, "api_port", 0),
    ],
)
def test_flags_override_environment_override_defaults(environ, overrides, field, expected, tmp_path) -> None:
    config = from_environment(environ, base=tmp_path, **overrides)
    assert getattr(config, field) == expected


@pytest.mark.parametrize(
    ("environ", "overrides", "message"),
    [
        ({"SSM_REAL_MANILA_API_PORT": "x"}, {}, "SSM_REAL_MANILA_API_PORT='x' is not a number"),
        ({}, {"base": Path(__file__).parent}, "inside the repository"),
        ({}, {"api_mode": "gunicorn"}, "api mode 'gunicorn'"),
        ({}, {"backends": ("a", "b")}, "at least three back ends"),
    ],
)
def test_bad_settings_are_named(environ, overrides, message) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        from_environment(environ, **{"base": Path("/tmp/x"), **overrides})


def test_cli_reports_bad_settings_as_usage_errors(capsys, monkeypatch) -> None:
    monkeypatch.setenv("SSM_REAL_MANILA_API_PORT", "eighty")
    code = run(["real-manila", "status"], sys.stdout, sys.stderr)
    assert code == 2
    assert "SSM_REAL_MANILA_API_PORT" in capsys.readouterr().err


def test_daemon_starts_once_and_stops_by_pid(tmp_path: Path) -> None:
    marker = str(tmp_path)
    script = tmp_path / "sleeper.py"
    script.write_text("import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\ntime.sleep(60)\n")
    daemon = Daemon("sleeper", (sys.executable, str(script)), tmp_path / "s.log", tmp_path / "s.pid", marker)
    pid = daemon.start({}, tmp_path)
    try:
        assert daemon.start({}, tmp_path) == pid  # idempotent
        assert daemon.pid() == pid
    finally:
        assert daemon.stop(timeout=5)
    assert daemon.pid() is None
    assert not (tmp_path / "s.pid").exists()
    assert not daemon.stop()


def test_a_stale_pid_file_is_not_trusted(tmp_path: Path) -> None:
    (tmp_path / "d.pid").write_text("1\n")  # pid 1 exists but is not ours
    daemon = Daemon("d", ("true",), tmp_path / "d.log", tmp_path / "d.pid", str(tmp_path))
    assert daemon.pid() is None


def test_failure_names_the_service_and_shows_its_log_without_debug(tmp_path: Path) -> None:
    log = tmp_path / "svc.log"
    log.write_text("2026 1 DEBUG chatter\n2026 2 ERROR manila.share boom: no driver\n")
    error = HarnessError("manila-share", "exited during start-up", log)
    assert str(error).startswith("manila-share: exited during start-up")
    assert "ERROR manila.share boom" in str(error)
    assert "chatter" not in log_tail(log)


def test_suite_is_pointed_at_the_fixtures(tmp_path: Path) -> None:
    from manila_ssm.realmanila.fixtures import FixtureSet
    from manila_ssm.realmanila.live import suite_arguments

    config = from_environment({}, base=tmp_path)
    fixtures = FixtureSet({"base_url": "http://127.0.0.1:8786/v2/p", "tokens": {"admin": "a:p", "non_admin": "d:q"},
                           "backends": {"alpha": "m@alpha", "beta": "m@beta"}})
    argv = suite_arguments(fixtures, config, "documented", tmp_path / "r")
    options = dict(zip(argv[1::2], argv[2::2]))
    assert argv[0] == "run"
    assert options["--servers-file"] == str(config.fixtures_file)
    assert options["--dest-hosts"] == "m@alpha,m@beta"
    assert options["--member-token"] == "d:q" and options["--contract"] == "documented"


def test_a_service_that_dies_at_start_up_is_named_with_its_log(tmp_path: Path) -> None:
    from manila_ssm.realmanila.procs import wait_until

    script = tmp_path / "dies.py"
    script.write_text("import sys\nprint('ERROR cannot bind 127.0.0.1:8786', flush=True)\nsys.exit(3)\n")
    daemon = Daemon("manila-api", (sys.executable, str(script)), tmp_path / "api.log", tmp_path / "api.pid",
                    str(tmp_path))
    daemon.start({}, tmp_path)
    with pytest.raises(HarnessError) as caught:
        wait_until("manila-api", lambda: False, 10, daemon.log, daemon)
    assert "manila-api: exited during start-up" in str(caught.value)
    assert "cannot bind" in str(caught.value)


def test_record_without_a_deployment_says_to_run_up(tmp_path: Path, capsys) -> None:
    code = run(["real-manila", "record", "--base", str(tmp_path), "--api-port", "9", "--out", str(tmp_path)],
               sys.stdout, sys.stderr)
    assert code == 1
    assert "real-manila up" in capsys.readouterr().err
