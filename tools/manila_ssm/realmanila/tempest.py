"""``real-manila tempest``: upstream's share-server migration tests on the same deployment.

tempest and manila-tempest-plugin come from PyPI into a venv of their own
inside the base; their configuration is written from the deployment
(behaviour §8): dynamic credentials from Keystone's admin, no neutron, the
Dummy back ends' names, snapshot and replication capabilities, and the
API's maximum microversion. Needs ``up --auth keystone``.
"""

from __future__ import annotations

import argparse
import configparser
import io
import json
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import requests

from manila_ssm.cli_support import EXIT_FINDINGS, EXIT_OK, UsageError
from manila_ssm.realmanila import keystone
from manila_ssm.realmanila.config import HarnessConfig, child_environment
from manila_ssm.realmanila.procs import HarnessError, run_step

TEMPEST_VERSION = "47.0.0"
PLUGIN_VERSION = "3.2.0"
MIGRATION_TESTS = r"manila_tempest_tests\.tests\.api\.admin\.test_share_servers_migration"


@dataclass(frozen=True, slots=True)
class Deployment:
    """What tempest must be told about the deployment it tests."""

    auth_url: str
    max_microversion: str
    backend_names: tuple[str, ...]
    region: str = keystone.REGION
    migration_timeout: int = 300
    build_timeout: int = 180


def venv(config: HarnessConfig) -> Path:
    return config.base / "tempest-venv"


def workspace(config: HarnessConfig) -> Path:
    return config.base / "tempest"


def render_conf(deployment: Deployment) -> str:
    """tempest.conf for the share-server migration tests (behaviour §8.2)."""
    admin = keystone.ADMIN
    sections: dict[str, dict[str, Any]] = {
        "DEFAULT": {"log_file": "tempest.log", "debug": True},
        "auth": {
            "use_dynamic_credentials": True,
            "admin_username": admin.user,
            "admin_password": admin.password,
            "admin_project_name": admin.project,
            "admin_domain_name": keystone.DOMAIN,
            "create_isolated_networks": False,
        },
        "identity": {"uri_v3": deployment.auth_url, "auth_version": "v3", "region": deployment.region},
        "identity-feature-enabled": {"api_v2": False},
        "service_available": {"manila": True, "neutron": False, "nova": False, "cinder": False,
                              "glance": False, "swift": False},
        "enforce_scope": {"manila": False},
        "share": {
            # the plugin's default catalog type is shared-file-system
            "catalog_type": "sharev2",
            "max_api_microversion": deployment.max_microversion,
            "multitenancy_enabled": True,
            # no neutron: tempest makes plain share networks, as the standalone plugin accepts
            "create_networks_when_multitenancy_enabled": False,
            "enable_protocols": "nfs",
            "run_share_server_migration_tests": True,
            "capability_snapshot_support": True,
            "run_snapshot_tests": True,
            "backend_replication_type": "readable",
            "run_replication_tests": True,
            "share_server_migration_timeout": deployment.migration_timeout,
            "build_timeout": deployment.build_timeout,
            "backend_names": ",".join(deployment.backend_names),
            "multi_backend": True,
        },
    }
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep option case
    for name, options in sections.items():
        if name != "DEFAULT":
            parser.add_section(name)
        for key, value in options.items():
            parser.set(name, key, str(value))
    text = io.StringIO()
    parser.write(text)
    return "# written by ssm-conformance real-manila tempest\n" + text.getvalue()


def max_microversion(versions: dict[str, Any]) -> str:
    """The highest ``version`` of the v2 API in Manila's version document (``GET /``)."""
    found = [v.get("version") for v in versions.get("versions", []) if str(v.get("id", "")).startswith("v2")]
    found = [v for v in found if v]
    if not found:
        raise HarnessError("manila-api", "GET / names no v2 microversion; is this Manila?")
    return max(found, key=lambda v: tuple(int(part) for part in v.split(".")))


def discover(config: HarnessConfig, migration_timeout: int = 300) -> Deployment:
    try:
        versions = requests.get(config.api_root + "/", timeout=10).json()
    except (requests.RequestException, ValueError) as error:
        raise HarnessError("manila-api", f"GET {config.api_root}/ failed: {error}") from None
    return Deployment(keystone.auth_url(config), max_microversion(versions),
                      tuple(name.upper() for name in config.backends), migration_timeout=migration_timeout)


# -- results ------------------------------------------------------------------

_TEST_LINE = re.compile(
    r"^\{\d+\} (?P<name>[\w.]+)(?:\[[^\]]*\])?(?: \[(?P<seconds>[\d.]+)s\])? \.\.\. "
    r"(?P<outcome>ok|FAILED|SKIPPED)(?::\s*(?P<reason>.*))?$")
_TOTALS = {"Passed": "passed", "Skipped": "skipped", "Failed": "failed",
           "Expected Fail": "expected_fail", "Unexpected Success": "unexpected_success"}


@dataclass(slots=True)
class Summary:
    """One tempest run: counts from its totals, each test's outcome, wall time."""

    ran: int = 0
    passed: int = 0
    skipped: int = 0
    failed: int = 0
    expected_fail: int = 0
    unexpected_success: int = 0
    seconds: float = 0.0
    tests: dict[str, str] = field(default_factory=dict)
    complete: bool = False  # the totals block was printed: the run ended normally

    @property
    def ok(self) -> bool:
        return self.complete and self.failed == 0 and self.unexpected_success == 0 and self.ran > 0


def parse_output(text: str) -> Summary:
    """Counts and per-test outcomes from ``tempest run``'s console output."""
    summary = Summary()
    for line in text.splitlines():
        line = line.rstrip()
        test = _TEST_LINE.match(line)
        if test:
            summary.tests[test["name"]] = {"ok": "pass", "FAILED": "fail", "SKIPPED": "skip"}[test["outcome"]]
            continue
        ran = re.match(r"^Ran: (\d+) tests? in ([\d.]+) sec", line)
        if ran:
            summary.ran, summary.complete = int(ran[1]), True
            continue
        count = re.match(r"^ - ([A-Za-z ]+): (\d+)$", line)
        if count and count[1] in _TOTALS:
            setattr(summary, _TOTALS[count[1]], int(count[2]))
    return summary


# -- install and run ----------------------------------------------------------

def ensure_installed(config: HarnessConfig) -> bool:
    python = venv(config) / "bin" / "python"
    env = child_environment(config)
    log = config.log_dir / "pip-tempest.log"
    if not python.exists():
        run_step("tempest venv", [config.python, "-m", "venv", str(venv(config))], log, env)
    wanted = {"tempest": TEMPEST_VERSION, "manila-tempest-plugin": PLUGIN_VERSION}
    probe = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m, json, sys; "
         "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))", *wanted],
        capture_output=True, text=True, check=False)
    try:
        if json.loads(probe.stdout) == wanted:
            return False
    except ValueError:
        pass
    run_step("pip", [str(python), "-m", "pip", "install", "-q",
                     *(f"{name}=={version}" for name, version in wanted.items())], log, env, timeout=1200)
    return True


def prepare(config: HarnessConfig, deployment: Deployment) -> Path:
    """The workspace with its tempest.conf; ``tempest init`` once, kept out of ~/.tempest."""
    root = workspace(config)
    tempest = str(venv(config) / "bin" / "tempest")
    if not (root / ".stestr.conf").is_file():
        root.parent.mkdir(parents=True, exist_ok=True)
        run_step("tempest init", [tempest, "init", "--workspace-path", str(config.base / "tempest-workspaces.yaml"),
                                  "--name", "ssm", str(root)], config.log_dir / "tempest-init.log",
                 child_environment(config))
    (root / "etc" / "tempest.conf").write_text(render_conf(deployment), encoding="utf-8")
    return root


def run(config: HarnessConfig, report: Callable[[str], None], *, regex: str = MIGRATION_TESTS,
        concurrency: int = 3, migration_timeout: int = 300, timeout: float = 1800,
        log_name: str = "tempest-run.log") -> Summary:
    """Run the tests; the console output goes to the log, the summary is returned."""
    if not keystone.enabled(config):
        raise HarnessError("tempest", "tempest needs Keystone: bring the deployment up with --auth keystone")
    ensure_installed(config)
    root = prepare(config, discover(config, migration_timeout))
    env = child_environment(config)
    env.update({"TEMPEST_CONFIG_DIR": str(root / "etc"), "TEMPEST_CONFIG": "tempest.conf"})
    log = config.log_dir / log_name
    argv = [str(venv(config) / "bin" / "tempest"), "run", "--regex", regex, "--concurrency", str(concurrency)]
    report(f"[real-manila] tempest: {' '.join(argv[1:])} (output in {log})")
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as sink:
        try:
            subprocess.run(argv, cwd=root, env=env, stdout=sink, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=timeout, check=False, start_new_session=True)
        except subprocess.TimeoutExpired:
            report(f"[real-manila] tempest: stopped after {timeout:.0f} s")
    summary = parse_output(log.read_text(encoding="utf-8", errors="replace"))
    summary.seconds = round(time.monotonic() - started, 1)
    return summary


def versions(config: HarnessConfig) -> dict[str, str]:
    python = venv(config) / "bin" / "python"
    names = ("tempest", "manila-tempest-plugin")
    out = subprocess.run([str(python), "-c", "import importlib.metadata as m, json, sys; "
                          "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))", *names],
                         capture_output=True, text=True, check=False).stdout
    try:
        return json.loads(out)
    except ValueError:
        return {}


# -- CLI ----------------------------------------------------------------------

def register(commands: Any, common: Callable[[argparse.ArgumentParser], None],
             make_config: Callable[[argparse.Namespace], HarnessConfig],
             reporter: Callable[[TextIO], Callable[[str], None]],
             failed: Callable[[HarnessError, TextIO], int]) -> None:
    sub = commands.add_parser("tempest", help="run manila-tempest-plugin's share-server migration tests "
                              "(needs up --auth keystone)")
    common(sub)
    sub.add_argument("--regex", default=MIGRATION_TESTS, help="tests to run (default: the migration tests)")
    sub.add_argument("--concurrency", type=int, default=3, help="tempest workers (default 3)")
    sub.add_argument("--migration-timeout", type=int, default=300,
                     help="[share] share_server_migration_timeout in seconds (default 300)")
    sub.add_argument("--results", type=Path, help="also write the summary as JSON here")

    def handler(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        config = make_config(args)
        if args.concurrency < 1 or args.migration_timeout < 1:
            raise UsageError("--concurrency and --migration-timeout must be at least 1")
        try:
            summary = run(config, reporter(out), regex=args.regex, concurrency=args.concurrency,
                          migration_timeout=args.migration_timeout)
        except HarnessError as error:
            return failed(error, err)
        document = {**asdict(summary), "versions": versions(config), "regex": args.regex,
                    "concurrency": args.concurrency}
        if args.results:
            args.results.parent.mkdir(parents=True, exist_ok=True)
            args.results.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"[real-manila] tempest: ran {summary.ran}, passed {summary.passed}, skipped {summary.skipped}, "
              f"failed {summary.failed} in {summary.seconds:.0f} s", file=out)
        return EXIT_OK if summary.ok else EXIT_FINDINGS

    sub.set_defaults(handler=handler)

