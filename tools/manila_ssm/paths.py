"""Where the project's data lives, in a checkout and in an installed wheel.

A wheel carries ``spec/``, ``samples/`` and ``conformance/`` under
``manila_ssm/_data/``; a checkout (or an editable install) has them at the
repository root, two levels above this package. Everything else asks here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_root() -> Path:
    """The folder holding ``spec/``, ``samples/`` and ``conformance/``."""
    bundled = _PACKAGE_DIR / "_data"
    if (bundled / "spec").is_dir():
        return bundled
    checkout = _PACKAGE_DIR.parent.parent
    if (checkout / "spec").is_dir():
        return checkout
    raise FileNotFoundError(
        f"cannot find the project's spec/ folder next to {_PACKAGE_DIR}; "
        "reinstall the package (pip install .) or run from a checkout"
    )


def spec_dir() -> Path:
    return data_root() / "spec"


def samples_dir() -> Path:
    return data_root() / "samples"


def conformance_dir() -> Path:
    return data_root() / "conformance"


def shared_dir() -> Path | None:
    """The team's ``../shared`` folder beside a checkout, if there is one (tests and tools only)."""
    candidate = _PACKAGE_DIR.parent.parent.parent / "shared"
    return candidate if candidate.is_dir() else None
