"""Shared helpers for the suite's own tests: the hand-made OpenAPI fixture and a reference target."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from manila_ssm.suite import contract as contracts



def pytest_configure(config: pytest.Config) -> None:
    # ``pytest_plugins`` is only allowed in the top-level conftest; load pytester for these tests here.
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")

FIXTURE_OPENAPI = Path(__file__).parent / "data" / "openapi-fixture.json"


@pytest.fixture(scope="session")
def fixture_openapi() -> Path:
    return FIXTURE_OPENAPI


@pytest.fixture(scope="session")
def fixture_contract() -> contracts.Contract:
    return contracts.load("effective", FIXTURE_OPENAPI)


@pytest.fixture
def reference_target() -> Iterator[object]:
    from manila_ssm.target import ReferenceTarget

    target = ReferenceTarget.start()
    try:
        yield target
    finally:
        target.stop()
