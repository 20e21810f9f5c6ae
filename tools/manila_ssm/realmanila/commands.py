"""``ssm-conformance real-manila up|down|status|record``: the CLI edge of the harness."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TextIO

from manila_ssm.cli_support import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, CommandGroups, UsageError
from manila_ssm.realmanila import harness, ports
from manila_ssm.realmanila.config import API_MODES, AUTH_MODES, ENV_PREFIX, HarnessConfig, from_environment
from manila_ssm.realmanila.procs import HarnessError

_CONFIG_FLAGS = ("base", "manila_version", "api_port", "db_port", "amqp_port", "dist_port", "epmd_port",
                 "rabbit_node", "api_mode", "dummy_delay", "continue_interval", "auth", "keystone_port")
_PORT_HELP = "; 0 or unset: a free port chosen at `up` and recorded in <base>/ports.json"


def register(groups: CommandGroups) -> None:
    parser = groups.top.add_parser(
        "real-manila",
        help="run real upstream Manila (PyPI) on loopback for the suite",
        description=(
            "Bring up upstream Manila with three Dummy back ends on 127.0.0.1, create "
            "fixtures, record exchanges, and tear it all down. Run as root. Every option "
            f"has an environment twin {ENV_PREFIX}<OPTION> (e.g. {ENV_PREFIX}BASE)."
        ),
    )
    commands = parser.add_subparsers(dest="real_manila_command", metavar="ACTION",
                                     parser_class=type(parser))

    def common(sub: argparse.ArgumentParser) -> None:
        env = f" [{ENV_PREFIX}%s]"
        sub.add_argument("--base", type=Path, help="state directory outside the repo (default: one per user "
                         "and checkout, ~/.cache/ssm-real-manila/<checkout>-<digest>)" + env % "BASE")
        sub.add_argument("--manila-version", help="PyPI manila version (default 23.0.1)" + env % "MANILA_VERSION")
        for flag, what in (("api-port", "manila-api port"), ("db-port", "MariaDB port"),
                           ("amqp-port", "RabbitMQ AMQP port"), ("dist-port", "RabbitMQ distribution port"),
                           ("epmd-port", "the base's own epmd port")):
            sub.add_argument(f"--{flag}", type=int,
                             help=what + _PORT_HELP + env % flag.upper().replace("-", "_"))
        sub.add_argument("--rabbit-node", help="RabbitMQ node name (default ssm-<digest of base>@localhost)"
                         + env % "RABBIT_NODE")
        sub.add_argument("--api-mode", choices=API_MODES,
                         help="uWSGI, eventlet, or auto (uWSGI if built)" + env % "API_MODE")
        sub.add_argument("--dummy-delay", type=float,
                         help="seconds each Dummy driver call sleeps (1.0)" + env % "DUMMY_DELAY")
        sub.add_argument("--continue-interval", type=int,
                         help="server_migration_driver_continue_update_interval (3 s)" + env % "CONTINUE_INTERVAL")
        sub.add_argument("--auth", choices=AUTH_MODES,
                         help="noauth tokens (default) or a real Keystone in front" + env % "AUTH")
        sub.add_argument("--keystone-port", type=int,
                         help="Keystone port with --auth keystone (default 0: a free one, recorded in the base)" + env % "KEYSTONE_PORT")

    up = commands.add_parser("up", help="install if needed, start, create fixtures (idempotent)")
    common(up)
    up.add_argument("--fresh-fixtures", action="store_true", help="create a new fixture set")
    up.set_defaults(handler=_up)
    down = commands.add_parser("down", help="stop every daemon the harness started, by PID")
    common(down)
    down.set_defaults(handler=_down)
    status = commands.add_parser("status", help="which daemons run, and the fixtures file")
    common(status)
    status.set_defaults(handler=_status)
    record = commands.add_parser("record", help="drive real Manila through the scenarios; write cassettes")
    common(record)
    record.add_argument("--out", type=Path, default=Path("tests/cassettes"),
                        help="directory for the cassettes (default tests/cassettes)")
    record.add_argument("--only", action="append", default=[], help="record only this scenario (repeatable)")
    record.set_defaults(handler=_record)
    suite = commands.add_parser("run", help="bring Manila up if needed and run the conformance suite on it")
    common(suite)
    suite.add_argument("--contract", action="append", choices=("effective", "documented"),
                       help="contract to run under (repeatable; default: both, effective first)")
    suite.add_argument("--reports-dir", type=Path, default=Path("reports/real-manila"),
                       help="reports go to <dir>/<contract>/ (default reports/real-manila)")
    suite.add_argument("--down", action="store_true", help="stop everything by PID after the run")
    suite.add_argument("suite_args", nargs=argparse.REMAINDER, help="after --: extra `ssm-conformance run` options")
    suite.set_defaults(handler=_run_suite)
    soak = commands.add_parser("soak", help="run both contracts under N fresh seeds; one summary of every seed")
    common(soak)
    soak.add_argument("--seeds", type=int, required=True, help="how many fresh seeds to run")
    soak.add_argument("--seed", type=int, action="append", default=[],
                      help="run this seed (repeatable) instead of fresh ones; --seeds still counts the total")
    soak.add_argument("--reports-dir", type=Path, default=Path("reports/real-manila/soak"),
                      help="per-seed reports go to <dir>/seed-<seed>/<contract>/ and the summary "
                      "(soak.json, soak.md) to <dir> (default reports/real-manila/soak)")
    soak.add_argument("--summary-dir", type=Path,
                      help="also write soak.json and soak.md here (e.g. spec/drift/soak to commit them)")
    soak.add_argument("--parallel", type=int, default=1,
                      help="deployments to spread the seeds over (each its own base <base>-2, <base>-3, ... "
                      "and ports, sharing the first base's venv); default 1")
    soak.add_argument("--down", action="store_true", help="stop everything by PID after the soak")
    soak.set_defaults(handler=_soak)
    from manila_ssm.realmanila import sidebyside, tempest

    tempest.register(commands, common, _config, _reporter, _failed)
    sidebyside.register(commands, common, _config, _reporter, _failed)
    drift = commands.add_parser("drift", help="write the documented-contract drift report (spec/drift/)")
    drift.add_argument("--live-report", type=Path, help="conformance.json of a documented-contract run "
                       "against real Manila (reports/real-manila/documented/conformance.json)")
    drift.add_argument("--note", default="", help="a sentence on how the live run was made (kept in the report)")
    drift.add_argument("--cassettes", type=Path, default=Path("tests/cassettes"), help="recorded cassettes")
    drift.add_argument("--out", type=Path, default=Path("spec/drift"), help="output directory (spec/drift)")
    drift.set_defaults(handler=_drift)
    parser.set_defaults(handler=lambda args, out, err: (parser.print_help(err), 2)[1])


def _config(args: argparse.Namespace) -> HarnessConfig:
    """The base's configuration, with the ports its last ``up`` recorded."""
    try:
        config = from_environment(os.environ, **{name: getattr(args, name, None) for name in _CONFIG_FLAGS})
    except ValueError as error:
        raise UsageError(str(error)) from None
    return ports.with_recorded(config)


def _starting_config(args: argparse.Namespace) -> HarnessConfig:
    """For commands that may start daemons: ports settled (chosen free if needed) and recorded."""
    try:
        config = from_environment(os.environ, **{name: getattr(args, name, None) for name in _CONFIG_FLAGS})
    except ValueError as error:
        raise UsageError(str(error)) from None
    return harness.prepare(config)


def _reporter(out: TextIO):
    def report(line: str) -> None:
        print(line, file=out, flush=True)

    return report


def _failed(error: HarnessError, err: TextIO) -> int:
    print(f"ssm-conformance real-manila: {error}", file=err)
    return EXIT_FINDINGS


def _up(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        config = _starting_config(args)
        _, timings = harness.up(config, _reporter(out), fresh_fixtures=args.fresh_fixtures)
    except HarnessError as error:
        return _failed(error, err)
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.phases.items())
    print(f"[real-manila] ready: {config.api_root} ({phases}; total {timings.total():.1f} s)", file=out)
    print(f"[real-manila] fixtures and tokens: {config.fixtures_file}", file=out)
    if config.auth == "keystone":
        from manila_ssm.realmanila import keystone

        print(f"[real-manila] keystone: {keystone.auth_url(config)}; clouds "
              f"{keystone.ADMIN_CLOUD} and {keystone.MEMBER_CLOUD} in {keystone.clouds_file(config)}", file=out)
    return EXIT_OK


def _down(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    harness.down(_config(args), _reporter(out))
    return EXIT_OK


def _status(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    config = _config(args)
    pids = harness.status(config)
    print(f"{'base':18} {config.base}", file=out)
    for name, pid in pids.items():
        print(f"{name:18} {'running, pid ' + str(pid) if pid else 'stopped'}", file=out)
    recorded = ports.recorded(config)
    print(f"{'ports':18} " + (", ".join(f"{k} {v}" for k, v in recorded.items()) or "none recorded yet"),
          file=out)
    fixtures = config.fixtures_file
    print(f"{'fixtures':18} {fixtures if fixtures.is_file() else 'none yet'}", file=out)
    print(json.dumps({"running": all(pids.values()), "base": str(config.base), "ports": recorded}), file=out)
    return EXIT_OK if all(pids.values()) else EXIT_FINDINGS


def _record(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from manila_ssm.realmanila import recorder

    config = _config(args)
    try:
        written = recorder.record_all(config, args.out, only=tuple(args.only), report=_reporter(out))
    except HarnessError as error:
        return _failed(error, err)
    for path in written:
        print(f"[real-manila] wrote {path}", file=out)
    return EXIT_OK


def _run_suite(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from manila_ssm.realmanila import live

    extra = list(args.suite_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    config = _config(args)
    try:
        config = _starting_config(args)
        return live.run_suite(config, tuple(args.contract or ("effective", "documented")), args.reports_dir,
                              tuple(extra), _reporter(out), err)
    except HarnessError as error:
        return _failed(error, err)
    finally:
        if args.down:
            harness.down(config, _reporter(out))


def _soak(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import sys

    from manila_ssm.realmanila import live, soak

    if args.seeds < 1 or len(args.seed) > args.seeds:
        raise UsageError("--seeds must be at least 1 and at least the number of --seed values")
    if args.parallel < 1:
        raise UsageError(f"--parallel {args.parallel}: give the number of deployments, at least 1")
    seeds = list(dict.fromkeys(args.seed))
    seeds += [s for s in soak.fresh_seeds(args.seeds) if s not in seeds][: args.seeds - len(seeds)]
    command = ["ssm-conformance", *sys.argv[1:]] if sys.argv[1:2] == ["real-manila"] else \
        ["ssm-conformance", "real-manila", "soak", "--seeds", str(args.seeds)]
    config = _config(args)
    report = _reporter(out)
    entries: list[dict] = []
    if args.parallel > 1:
        return _soak_parallel(args, config, seeds, command, out, err)

    def drift_of(live_report: Path) -> dict:
        return live.drift_document(Path("tests/cassettes"), live_report, manila=live.installed_manila(config))

    written: list[Path] = []
    summary: dict = {"holds": False}
    with soak.stop_on_signal() as stopping:
        try:
            config = _starting_config(args)
            for number, seed in enumerate(seeds, 1):
                report(f"[real-manila] soak: seed {seed} ({number} of {len(seeds)})")
                entries.append(soak.run_seed(config, seed, args.reports_dir, live.run_suite, drift_of, report, err,
                                             stopping))
                # After the seed: a fresh base has installed manila only now.
                summary = soak.summarise(entries, command, soak.versions(config))
                written = soak.write(args.reports_dir, summary)
                if args.summary_dir is not None:
                    written += soak.write(args.summary_dir, summary)
                report(f"[real-manila] soak after {number} seeds: {summary['effective']['false_failures']} false "
                       f"failures, {summary['documented']['unexplained_divergences']} unexplained divergences")
                if stopping.is_set():
                    break
        except HarnessError as error:
            return _failed(error, err)
        except KeyboardInterrupt:  # between runs (a run inside pytest ends with its partial reports instead)
            stopping.set()
        finally:
            if args.down:
                harness.down(config, report)
    for path in written:
        print(f"[real-manila] wrote {path}", file=out)
    if stopping.is_set():
        print(f"[real-manila] soak stopped by a signal after {len(entries)} of {len(seeds)} seeds", file=err)
        return EXIT_INCOMPLETE
    return EXIT_OK if summary["holds"] else EXIT_FINDINGS


def _soak_parallel(args: argparse.Namespace, config: HarnessConfig, seeds: list[int], command: list[str],
                   out: TextIO, err: TextIO) -> int:
    """Spread the seeds over ``--parallel`` deployments, one worker process each; one merged summary."""
    import subprocess

    from manila_ssm.realmanila import soak

    report = _reporter(out)
    try:  # install once; the other bases share this venv
        first = _starting_config(args)
        harness.up(first, report)
    except HarnessError as error:
        return _failed(error, err)
    workers = []
    for index in range(args.parallel):
        chunk = seeds[index::args.parallel]
        if not chunk:
            continue
        base = config.base if index == 0 else config.base.with_name(f"{config.base.name}-{index + 1}")
        if index:
            base.mkdir(parents=True, exist_ok=True)
            if not (base / "venv").exists():
                (base / "venv").symlink_to(config.venv, target_is_directory=True)
        argv = _soak_worker_argv(args, base, chunk, index)
        log = args.reports_dir / f"worker-{index + 1}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as sink:  # own session: a stopped soak can stop each worker's whole group
            workers.append((index, subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT,
                                                    start_new_session=True)))
        report(f"[real-manila] soak worker {index + 1}: {len(chunk)} seeds on {base}; log {log}")
    with soak.stop_on_signal() as stopping:
        try:
            for _, process in workers:
                process.wait()
        except KeyboardInterrupt:
            stopping.set()
            report("[real-manila] soak: stopping the workers (SIGTERM, then SIGKILL after 60 s)")
            soak.stop_workers([process for _, process in workers])
    entries: list[dict] = []
    for index, process in workers:
        try:
            done = json.loads((args.reports_dir / f"worker-{index + 1}" / "soak.json").read_text(encoding="utf-8"))
            entries += done["per_seed"]
        except (OSError, ValueError, KeyError):
            report(f"[real-manila] soak worker {index + 1} wrote no summary (exit {process.returncode})")
    summary = soak.summarise(entries, command, soak.versions(first))
    summary["incomplete_seeds"] += [s for s in seeds if s not in {e["seed"] for e in entries}]
    summary["holds"] = summary["holds"] and not summary["incomplete_seeds"]
    written = soak.write(args.reports_dir, summary)
    if args.summary_dir is not None:
        written += soak.write(args.summary_dir, summary)
    for path in written:
        print(f"[real-manila] wrote {path}", file=out)
    if stopping.is_set():
        print(f"[real-manila] soak stopped by a signal after {len(entries)} of {len(seeds)} seeds", file=err)
        return EXIT_INCOMPLETE
    return EXIT_OK if summary["holds"] else EXIT_FINDINGS


# What every deployment of a parallel soak shares; ports and the RabbitMQ node stay per base.
_SHARED_FLAGS = ("manila_version", "api_mode", "dummy_delay", "continue_interval", "auth")


def _soak_worker_argv(args: argparse.Namespace, base: Path, seeds: list[int], index: int) -> list[str]:
    """The command of one parallel soak worker: its base, its seeds, and the soak's deployment options."""
    import sys

    argv = [sys.executable, "-m", "manila_ssm", "real-manila", "soak", "--seeds", str(len(seeds)),
            "--base", str(base), "--reports-dir", str(args.reports_dir / f"worker-{index + 1}")]
    for name in _SHARED_FLAGS:
        value = getattr(args, name, None)
        if value is not None:
            argv += ["--" + name.replace("_", "-"), str(value)]
    argv += [part for seed in seeds for part in ("--seed", str(seed))]
    return argv + (["--down"] if args.down else [])


def _drift(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from manila_ssm.realmanila import live

    try:
        document, written = live.write_drift(args.cassettes, args.live_report, args.out, args.note)
    except ValueError as error:
        raise UsageError(str(error)) from None
    for path in written:
        print(f"[real-manila] wrote {path}", file=out)
    unexplained = len(document["unexplained"])
    print(f"[real-manila] {len(document['divergences'])} divergences, {unexplained} unexplained", file=out)
    return EXIT_FINDINGS if unexplained else EXIT_OK
