"""``spec build`` and ``spec validate``: the builders and checks on the command line.

``spec build`` with no arguments regenerates everything under ``spec/``
(effective contract from our api-ref source; documented contract from the
upstream page when ``../shared`` is there). With a SOURCE (a page, a folder
or an ``index.rst``) it builds that api-ref: ``--contract documented`` as
written, ``--contract effective`` with the errata overlay applied; with
``--watch`` it stays and builds again when a source changes
(``builder.watch``), each build reusing what the build cache holds.
"""

from __future__ import annotations

import argparse
import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from manila_ssm import jsonio, paths
from manila_ssm.apiref._observed import fingerprint
from manila_ssm.builder.cache import PageStore, cached
from manila_ssm.builder.contracts import CONTRACTS, DOCUMENTED, EFFECTIVE, build_source, default_options, effective_from_documented
from manila_ssm.builder.generate import Generated, committed, contract_files, expected, write
from manila_ssm.builder.detect import options_for
from manila_ssm.builder.options import BuildOptions, load_options
from manila_ssm.cli_support import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, CommandGroups, UsageError
from manila_ssm.errors import Finding, Location, Severity


_BUILD_HELP = """\
Without SOURCE: regenerate everything under spec/ (the effective contract from
our api-ref source spec/api-ref; the documented contract from the upstream page
when ../shared is there, else the committed one stays).

With SOURCE (an api-ref page, a folder or an index.rst): build its OpenAPI
document and JSON Schemas into DIR/openapi and DIR/schemas; --contract
documented builds it as written, --contract effective applies the errata
overlay (spec/errata.overlay.yaml)."""


def register(groups: CommandGroups) -> None:
    build = groups.spec.add_parser(
        "build",
        help="build the OpenAPI document and JSON Schemas of an api-ref",
        description=_BUILD_HELP,
        epilog="Exit codes: 0 built cleanly; 1 built, with error findings (defects of the source, samples that "
        "contradict their schemas) or an invalid OpenAPI result; 2 usage or input error.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    build.add_argument("source", nargs="?", type=Path, metavar="SOURCE", help="an api-ref page, folder or index.rst (default: our own spec/api-ref, regenerating spec/)")
    build.add_argument("-o", "--output", type=Path, metavar="DIR", help="where to write openapi/ and schemas/ (default: spec/ without SOURCE, else the current folder)")
    build.add_argument("--contract", choices=CONTRACTS, help="documented (as written) or effective (with the errata overlay); default: both without SOURCE, documented with one")
    build.add_argument("--options", type=Path, metavar="FILE", help="builder options YAML (default: the tree's own, detected from its conf.py and pages; spec/build-options.yaml for Manila's tree and without SOURCE)")
    build.add_argument("--watch", action="store_true", help="stay, and build SOURCE again whenever a file under it or a file the build read changes (Ctrl-C stops; the exit code is the last build's)")
    build.add_argument("--interval", type=_seconds, default=0.5, metavar="SECONDS", help="with --watch, how often to look for changes (default: 0.5)")
    build.set_defaults(handler=run_build)
    check = groups.spec.add_parser(
        "validate",
        help="validate OpenAPI documents, JSON Schemas and samples",
        description="Validate OpenAPI documents (openapi-spec-validator, and their examples against their schemas), "
        "JSON Schemas (2020-12 metaschema) and samples of our api-ref (against the effective schemas). "
        "Without FILE: everything under spec/openapi, spec/schemas and every sample spec/api-ref includes.",
        epilog="Exit codes: 0 valid, 1 findings (examples or samples that do not match), 2 usage or input error "
        "(missing file, invalid JSON, invalid OpenAPI or JSON Schema).",
    )
    check.add_argument("files", nargs="*", type=Path, metavar="FILE")
    check.set_defaults(handler=run_validate)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds between 0 and 3600")
    return value


def run_build(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.source is None:
        if getattr(args, "watch", False):
            raise UsageError("--watch needs a SOURCE to watch")
        return _build_spec(args, load_options(args.options) if args.options else default_options(), out, err)
    if not args.source.exists():
        raise UsageError(f"{args.source}: no such file or folder; give an api-ref page, a folder or an index.rst")
    if getattr(args, "watch", False):
        from manila_ssm.builder.watch import watch

        source = Path(os.path.abspath(args.source))
        return watch(lambda: _build_source(args, out, err), source if source.is_dir() else source.parent, err, args.interval)
    return _build_source(args, out, err)[0]


def _build_source(args: argparse.Namespace, out: TextIO, err: TextIO) -> tuple[int, set[str]]:
    """One ``spec build SOURCE``: its exit code, and with ``--watch`` the files it read (to look at them)."""
    contract = args.contract or DOCUMENTED
    target = args.output or Path.cwd()
    where = Location(str(target / f"openapi/{contract}.json"))

    def compute(store: PageStore | None) -> tuple[dict[str, str], tuple[int, int], list[Finding], list[Finding]]:
        # Imported here: a build the cache answers needs neither jsonschema nor jsonschema-rs.
        from manila_ssm.builder.validate import validate_examples, validate_openapi

        # Inside the cached computation: the options detected from the tree hold while the files read for them do.
        options = (_stored_options(args.options, store) if args.options
                   else options_for(args.source, lambda path: _stored_options(path, store)))
        built = build_source(args.source, options, store)
        memo = built.memo
        findings = list(built.findings)
        document = built.document
        if contract == EFFECTIVE:
            effective = effective_from_documented(document)
            document = effective.document
            findings += effective.findings
        files = contract_files(contract, document, options)
        # The memo's example findings belong to the documents the groups built: not to one the errata changed.
        findings += validate_examples(document, where, memo=memo if contract == DOCUMENTED else None)
        # The files' text is kept (a build the cache answers only writes), and what the summary counts.
        if memo is not None and store is not None:
            last = store.previous
            texts = memo.texts(files, (last.token, last.value[0]) if last is not None else None)
        else:
            texts = {name: jsonio.dumps(value) for name, value in files.items()}
        items = document.get("paths", {})
        counts = (sum(len(item) for item in items.values()), len(items))
        # The keyword memo needs a document whose parts share no objects: the builder's (the errata may copy one in twice).
        checks = memo.checks if memo is not None and contract == DOCUMENTED else None
        return texts, counts, findings, validate_openapi(document, where, memo=checks)

    # Everything but the writing comes from the build cache when no input changed (builder/cache.py).
    source = Path(os.path.abspath(args.source))
    question = ("spec build", str(source), contract, str(Path(os.path.abspath(target))),
                fingerprint(args.options or paths.spec_dir() / "build-options.yaml"),
                fingerprint(paths.spec_dir() / "errata.overlay.yaml") if contract == EFFECTIVE else "")
    read: set[str] | None = set() if getattr(args, "watch", False) else None
    with _without_cycle_collection():
        (texts, (operations, path_count), findings, invalid), _ = cached(question, source if source.is_dir() else source.parent, compute, read)
    changed = [name for name, text in sorted(texts.items()) if jsonio.write_text(target / name, text)]
    _report(findings + invalid, err)
    errors = sum(1 for f in findings if f.severity >= Severity.ERROR)
    print(f"{contract}: {operations} operations on {path_count} paths, {len(texts) - 1} schemas; "
          f"{len(changed)} files written under {target}; {errors} errors, "
          f"{'an invalid' if invalid else 'a valid'} OpenAPI document", file=out)
    return EXIT_FINDINGS if invalid or errors else EXIT_OK, read or set()


def _stored_options(path: Path, store: PageStore | None) -> Any:
    """``load_options(path)``, kept in the build's store by the file's content (PyYAML is not imported for it again)."""
    if store is None:
        return load_options(path)
    key = f"options:{os.path.abspath(path)}:{fingerprint(path)}"
    found = store.get(key)
    if isinstance(found, BuildOptions):
        return found
    options = load_options(path)
    store.put(key, options)
    return options


def _build_spec(args: argparse.Namespace, options: Any, out: TextIO, err: TextIO) -> int:
    from manila_ssm.builder.validate import validate_openapi

    target = args.output or paths.spec_dir()
    contracts = (args.contract,) if args.contract else (EFFECTIVE, DOCUMENTED)
    generated = expected(contracts)
    if DOCUMENTED in generated.skipped:
        note = "../shared (the upstream api-ref page) is absent: the documented contract is not rebuilt"
        if args.contract == DOCUMENTED and target.resolve() == paths.spec_dir().resolve():
            raise UsageError(f"{note}; the committed spec/openapi/documented.json is what there is")
        if target.resolve() != paths.spec_dir().resolve():
            generated = Generated({**generated.files, **committed(DOCUMENTED)}, generated.findings)
            note += "; copied the committed one"
        print(f"note: {note}", file=err)
    changed = write(target, generated, prune=target.resolve() == paths.spec_dir().resolve())
    invalid: list[Finding] = []
    for name, document in generated.files.items():
        if name.startswith("openapi/"):
            invalid += validate_openapi(document, Location(str(target / name)))
    _report([*(f for f in generated.findings if f.severity >= Severity.WARNING), *invalid], err)
    for name in changed:
        print(f"wrote {target / name}", file=out)
    print(f"{len(generated.files)} files up to date under {target} ({len(changed)} changed)", file=out)
    return EXIT_FINDINGS if invalid else EXIT_OK


def run_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from manila_ssm.builder.validate_files import validate_files

    result = validate_files(args.files)
    _report(result.findings, err)
    problems = [f for f in result.findings if f.severity >= Severity.WARNING]
    print(f"{result.checked} files checked: {len(result.input_errors)} input errors, {len(problems) - len(result.input_errors)} findings", file=out)
    if result.input_errors:
        return EXIT_USAGE
    return EXIT_FINDINGS if problems else EXIT_OK


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused for one build, then resumed.

    A build allocates a few hundred thousand objects (doctrees, whose nodes
    point at their parents, and the documents built from them) that live until
    it ends; the collector's repeated passes over them were 7% of a whole-tree
    build. What the build leaves unreachable is collected after it, as before.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _report(findings: list[Finding], err: TextIO) -> None:
    for finding in findings:
        print(finding.format(), file=err)
