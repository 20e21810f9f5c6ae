"""The generated files under ``spec/``, as values, and writing them.

Layout: ``openapi/<contract>.json`` and ``schemas/<contract>/<file>.json``
(see :mod:`manila_ssm.builder.jsonschemas` for file names). ``expected()``
returns what ``spec build`` would write, so the staleness test and the
command share one definition.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manila_ssm import jsonio, paths
from manila_ssm.builder.contracts import DOCUMENTED, EFFECTIVE, build_documented, build_effective, default_options, upstream_page
from manila_ssm.builder.jsonschemas import schema_files
from manila_ssm.builder.options import BuildOptions
from manila_ssm.errors import Finding


@dataclass(frozen=True, slots=True)
class Generated:
    """Files (relative path -> JSON document) and the builder's findings."""

    files: dict[str, Any]
    findings: tuple[Finding, ...]
    skipped: tuple[str, ...] = ()


def contract_files(contract: str, document: dict[str, Any], options: BuildOptions) -> dict[str, Any]:
    files: dict[str, Any] = {f"openapi/{contract}.json": document}
    for name, schema in schema_files(document, contract, options.schema_id_prefix).items():
        files[f"schemas/{contract}/{name}"] = schema
    return files


def expected(contracts: tuple[str, ...] = (EFFECTIVE, DOCUMENTED)) -> Generated:
    """What belongs under ``spec/``: effective from our source, documented from upstream when present."""
    options = default_options()
    files: dict[str, Any] = {}
    findings: list[Finding] = []
    skipped: list[str] = []
    if EFFECTIVE in contracts:
        built = build_effective(options=options)
        files |= contract_files(EFFECTIVE, built.document, options)
        findings += built.findings
    if DOCUMENTED in contracts:
        if upstream_page() is None:
            skipped.append(DOCUMENTED)
        else:
            # The upstream page's own defects are the errata's business, not findings of this build.
            built = build_documented(options=options)
            files |= contract_files(DOCUMENTED, built.document, options)
    return Generated(files, tuple(findings), tuple(skipped))


def write(out_dir: Path, generated: Generated, prune: bool = False) -> list[str]:
    """Write every file; with ``prune``, delete schema files of the built contracts nobody generates any more."""
    changed = [name for name, document in sorted(generated.files.items()) if jsonio.write(out_dir / name, document)]
    if prune:
        contracts = {name.split("/")[1] for name in generated.files if name.startswith("schemas/")}
        for contract in sorted(contracts):
            for stale in sorted((out_dir / "schemas" / contract).glob("*.json")):
                if f"schemas/{contract}/{stale.name}" not in generated.files:
                    stale.unlink()
                    changed.append(f"schemas/{contract}/{stale.name} (removed)")
    return changed


def committed(contract: str) -> dict[str, Any]:
    """The committed artifacts of ``contract`` under ``spec/`` (for users without ``../shared``)."""
    root = paths.spec_dir()
    files = {}
    for path in [root / "openapi" / f"{contract}.json", *sorted((root / "schemas" / contract).glob("*.json"))]:
        if path.is_file():
            files[path.relative_to(root).as_posix()] = json.loads(path.read_text(encoding="utf-8"))
    return files
