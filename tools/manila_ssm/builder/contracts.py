"""The two contracts of the migration API, and where their inputs live.

*documented*: the OpenAPI built from the upstream api-ref page as written.
*effective*: documented + the errata overlay (``spec/errata.overlay.yaml``),
which must equal what our own api-ref source (``spec/api-ref``) builds; the
committed ``spec/openapi/effective.json`` is built from our own source. In
both, ``x-ssm.actions.<action>.errata`` lists the errata whose
``x-erratum.actions`` name that action (empty in the documented contract).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from manila_ssm import paths
from manila_ssm.builder.detect import options_for
from manila_ssm.builder.options import BuildOptions, load_options

if TYPE_CHECKING:
    from manila_ssm.builder.openapi import BuildResult
    from manila_ssm.builder.overlay import Erratum, Overlay

# The parser and the builder are imported where a build starts: a `spec build` answered by
# the build cache (builder/cache.py) imports neither docutils nor the builder.

DOCUMENTED = "documented"
EFFECTIVE = "effective"
CONTRACTS = (DOCUMENTED, EFFECTIVE)
PAGE = "share-server-migration.inc"


def own_source() -> Path:
    return paths.spec_dir() / "api-ref" / PAGE


def upstream_page() -> Path | None:
    """The upstream page in ``../shared`` (not shipped), or ``None`` when absent."""
    shared = paths.shared_dir()
    page = shared / "upstream" / "manila-api-ref" / PAGE if shared else None
    return page if page is not None and page.is_file() else None


def default_options() -> BuildOptions:
    """Manila's options (``spec/build-options.yaml``): for our own source and Manila's tree only."""
    return load_options(paths.spec_dir() / "build-options.yaml")


def errata_overlay() -> Overlay:
    from manila_ssm.builder.overlay import load_overlay  # jsonpath-ng: only the effective contract needs it

    return load_overlay(paths.spec_dir() / "errata.overlay.yaml", display="spec/errata.overlay.yaml")


def build_source(source: Path, options: BuildOptions | None = None, store: Any = None) -> BuildResult:
    """Parse an api-ref page, tree or folder and build its OpenAPI (sources relative to the data root when inside it).

    Without ``options``, the tree's own (``manila_ssm.builder.detect``). Nothing
    in the source is fatal: what cannot be read is left out and reported.
    With a ``store`` (``builder.cache.PageStore``), what earlier builds made
    of the same pages and operations is reused (``apiref.PageCache``,
    ``builder.memo``), and the result's ``memo`` serves the later steps.
    """
    from manila_ssm.apiref import PageCache, parse
    from manila_ssm.builder.openapi import BuildResult, build_openapi

    options = options or options_for(source)
    cache = PageCache(store) if store is not None else None
    api = parse(source, tolerant=True, cache=cache)
    base = paths.data_root() if _inside(source, paths.data_root()) else Path(api.root).parent
    memo = None
    if cache is not None:
        from manila_ssm.builder.memo import BuildMemo

        memo = BuildMemo(store, cache.origin, options, str(base))
    built = build_openapi(api, options, base, memo)
    return BuildResult(built.document, (*api.findings, *built.findings), memo)


def build_documented(page: Path | None = None, options: BuildOptions | None = None) -> BuildResult:
    page = page or upstream_page()
    if page is None:
        raise FileNotFoundError("the upstream api-ref page is not available (../shared is absent)")
    return build_source(page, options)


def build_effective(source: Path | None = None, overlay: Overlay | None = None, options: BuildOptions | None = None) -> BuildResult:
    """The effective contract from our own api-ref source, annotated with the errata ids."""
    from manila_ssm.builder.openapi import BuildResult

    built = build_source(source or own_source(), options)
    return BuildResult(annotate_errata(built.document, (overlay or errata_overlay()).errata()), built.findings)


def effective_from_documented(documented: dict[str, Any], overlay: Overlay | None = None) -> BuildResult:
    """Documented + errata overlay (the other road to the effective contract).

    On a whole tree the overlay reaches only the migration page's path items,
    which then join the tree's own share-servers family (``errata_scope``).
    """
    from manila_ssm.builder.errata_scope import apply_errata
    from manila_ssm.builder.openapi import BuildResult

    overlay = overlay or errata_overlay()
    applied, findings = apply_errata(documented, overlay)
    return BuildResult(annotate_errata(applied, overlay.errata()), findings)


def annotate_errata(document: dict[str, Any], errata: Iterable[Erratum]) -> dict[str, Any]:
    """A copy of ``document`` whose ``x-ssm`` actions list the errata naming them."""
    result = copy.deepcopy(document)
    errata = tuple(errata)
    for item in result.get("paths", {}).values():
        for operation in item.values():
            actions = operation.get("x-ssm", {}).get("actions", {}) if isinstance(operation, dict) else {}
            for name, meta in actions.items():
                meta["errata"] = sorted({e.id for e in errata if name in e.actions})
    return result


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True
