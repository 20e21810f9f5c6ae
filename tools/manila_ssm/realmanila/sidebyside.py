"""``real-manila compare``: upstream's tests and ours, on one deployment, per broken variant.

For each variant the breaking proxy stands in front of Manila and the
catalog's share endpoints point at it, so tempest (which has no endpoint
override) and the suite (``--cloud``) both meet the same defect. Each run is
timed; the result table says which suite caught what. The catalog is put
back to Manila itself at the end, whatever happened.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from manila_ssm.cli_support import EXIT_FINDINGS, EXIT_OK, UsageError
from manila_ssm.realmanila import breakproxy, keystone, tempest
from manila_ssm.realmanila import fixtures as fixture_phase
from manila_ssm.realmanila.config import HarnessConfig
from manila_ssm.realmanila.procs import HarnessError


def suite_argv(config: HarnessConfig, document: dict[str, Any], root: str, reports: Path,
               extra: tuple[str, ...]) -> list[str]:
    """``ssm-conformance run`` through the proxy at ``root`` with the deployment's clouds."""
    return ["run", "--base-url", f"{root}/v2/{document['project_id']}",
            *keystone.suite_auth_arguments(config),
            "--servers-file", str(config.fixtures_file),
            "--dest-hosts", ",".join(document["backends"].values()),
            "--contract", "effective", "--reports-dir", str(reports), *extra]


def run_suite(config: HarnessConfig, root: str, reports: Path, extra: tuple[str, ...],
              report: Callable[[str], None], err: TextIO) -> dict[str, Any]:
    from manila_ssm import cli

    try:
        fixtures, _ = fixture_phase.ensure(config)
    except (RuntimeError, TimeoutError) as error:
        raise HarnessError("fixtures", str(error), config.log_dir / "manila-share.log") from None
    log = config.log_dir / f"suite-{reports.name}.log"
    report(f"[real-manila] ssm-conformance run (output in {log})")
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as sink:
        code = cli.run(suite_argv(config, fixtures.document, root, reports, extra), sink, sink)
    seconds = round(time.monotonic() - started, 1)
    return {"exit": code, "seconds": seconds, **outcome_of(reports / "conformance.json")}


def outcome_of(path: Path) -> dict[str, Any]:
    """Verdict, counts and the requirements that failed, from a suite report."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"verdict": "no report", "counts": {}, "failed": []}
    failed = sorted(r["id"] for r in document.get("requirements", []) if r.get("outcome") in ("fail", "error"))
    return {"verdict": document.get("verdict"), "counts": document.get("counts", {}), "failed": failed}


def caught(entry: dict[str, Any]) -> tuple[bool, bool]:
    """(tempest caught it, the suite caught it): anything but a clean pass counts."""
    upstream = entry.get("tempest")
    ours = entry.get("suite")
    return (bool(upstream) and not upstream["ok"], bool(ours) and ours["verdict"] != "pass")


_VERDICTS = {"pass": "CONFORMS", "fail": "DOES NOT CONFORM", "none": "NO VERDICT"}


def markdown(document: dict[str, Any]) -> str:
    lines = ["| variant | what is broken | tempest (migration tests) | ssm-conformance (effective) |",
             "|---|---|---|---|"]
    for entry in document["variants"]:
        upstream, ours = entry.get("tempest"), entry.get("suite")
        t = ("–" if not upstream else
             f"{'**caught**' if not upstream['ok'] else 'passes'}: {upstream['passed']} pass, "
             f"{upstream['failed']} fail, {upstream['skipped']} skip{'' if upstream['complete'] else ', cut short'}"
             f" ({upstream['seconds']:.0f} s)")
        o = ("–" if not ours else
             f"{'**caught**' if ours['verdict'] != 'pass' else 'passes'}: {_VERDICTS.get(ours['verdict'], ours['verdict'])}"
             f"{' (' + ', '.join(ours['failed']) + ')' if ours['failed'] else ''} ({ours['seconds']:.0f} s)")
        lines.append(f"| {entry['variant']} | {entry['what']} | {t} | {o} |")
    return "\n".join(lines) + "\n"


def compare(config: HarnessConfig, variants: tuple[str, ...], out: Path, report: Callable[[str], None],
            err: TextIO, *, concurrency: int, migration_timeout: int, tempest_timeout: float,
            suites: tuple[str, ...], extra: tuple[str, ...], scope: str = "all") -> dict[str, Any]:
    if not keystone.enabled(config):
        raise HarnessError("compare", "the comparison needs Keystone: use --auth keystone")
    out.mkdir(parents=True, exist_ok=True)
    document: dict[str, Any] = {"manila": config.manila_version, "keystone": keystone.KEYSTONE_VERSION,
                                "tempest": tempest.versions(config), "variants": []}
    try:
        for name in variants:
            variant = breakproxy.variant(name)
            entry: dict[str, Any] = {"variant": name, "what": variant.what}
            with breakproxy.serving(config.api_root, variant.rule) as root:
                if "tempest" in suites:  # the suite is given the proxy's URL; tempest only reads the catalog
                    keystone.point_share_catalog(config, root)
                report(f"[real-manila] compare {name}: proxy {root}")
                if "tempest" in suites:
                    regex = tempest.MIGRATION_TESTS + (".*" + variant.tempest_calls if scope == "calls" else "")
                    entry["tempest_regex"] = regex
                    summary = tempest.run(config, report, regex=regex, concurrency=concurrency,
                                          migration_timeout=migration_timeout, timeout=tempest_timeout,
                                          log_name=f"tempest-{name}.log")
                    entry["tempest"] = {**asdict(summary), "ok": summary.ok}
                if "suite" in suites:
                    entry["suite"] = run_suite(config, root, out / name, extra, report, err)
            document["variants"].append(entry)
            report(f"[real-manila] compare {name}: caught by tempest/suite = {caught(entry)}")
            (out / "compare.json").write_text(json.dumps(document, indent=2, sort_keys=True) + "\n",
                                              encoding="utf-8")
    finally:
        if "tempest" in suites:
            keystone.point_share_catalog(config, config.api_root)
    (out / "compare.md").write_text(markdown(document), encoding="utf-8")
    report(f"[real-manila] compare: {out / 'compare.json'}, {out / 'compare.md'}")
    return document


def register(commands: Any, common: Callable[[argparse.ArgumentParser], None],
             make_config: Callable[[argparse.Namespace], HarnessConfig],
             reporter: Callable[[TextIO], Callable[[str], None]],
             failed: Callable[[HarnessError, TextIO], int]) -> None:
    sub = commands.add_parser("compare", help="tempest's migration tests and the suite against the same "
                              "deployment behind a proxy that breaks one behaviour per variant")
    common(sub)
    sub.add_argument("--variant", action="append", choices=tuple(breakproxy.VARIANTS),
                     help="variant to run (repeatable; default: all)")
    sub.add_argument("--only", choices=("tempest", "suite"), help="run one side only")
    sub.add_argument("--tempest-scope", choices=("all", "calls"), default="all",
                     help="all migration tests per variant, or only those that send the broken action")
    sub.add_argument("--out", type=Path, default=Path("reports/real-manila/compare"),
                     help="compare.json, compare.md and the suite's reports (default reports/real-manila/compare)")
    sub.add_argument("--concurrency", type=int, default=3, help="tempest workers (default 3)")
    sub.add_argument("--migration-timeout", type=int, default=120,
                     help="tempest's share_server_migration_timeout (default 120 s)")
    sub.add_argument("--tempest-timeout", type=float, default=900, help="stop one tempest run after (900 s)")
    sub.add_argument("suite_args", nargs=argparse.REMAINDER, help="after --: extra `ssm-conformance run` options")

    def handler(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        config = make_config(args)
        if args.concurrency < 1 or args.migration_timeout < 1 or args.tempest_timeout <= 0:
            raise UsageError("--concurrency, --migration-timeout and --tempest-timeout must be positive")
        extra = tuple(args.suite_args[1:] if args.suite_args[:1] == ["--"] else args.suite_args)
        suites = (args.only,) if args.only else ("tempest", "suite")
        try:
            document = compare(config, tuple(args.variant or breakproxy.VARIANTS), args.out, reporter(out), err,
                               concurrency=args.concurrency, migration_timeout=args.migration_timeout,
                               tempest_timeout=args.tempest_timeout, suites=suites, extra=extra,
                               scope=args.tempest_scope)
        except HarnessError as error:
            return failed(error, err)
        print(markdown(document), file=out)
        clean = [e for e in document["variants"] if e["variant"] == "none"]
        return EXIT_FINDINGS if any(any(caught(e)) for e in clean) else EXIT_OK

    sub.set_defaults(handler=handler)
