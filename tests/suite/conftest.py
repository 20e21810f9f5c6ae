"""Shared helpers for the suite's own tests: the hand-made OpenAPI fixture and a reference target."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# Imported here, before any in-process pytester run: pytester drops modules first imported inside a
# run, and re-importing schemathesis under pytest's assertion rewriting costs seconds per run.
import manila_ssm.suite.fuzz  # noqa: F401
import manila_ssm.reference  # noqa: F401
from manila_ssm.suite import contract as contracts



def pytest_configure(config: pytest.Config) -> None:
    # ``pytest_plugins`` is only allowed in the top-level conftest; load pytester for these tests here.
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")

FIXTURE_OPENAPI = Path(__file__).parent / "data" / "openapi-fixture.json"


def _warm_up() -> None:
    """Generate one case now, so schemathesis' lazily imported modules are loaded outside pytester."""
    from manila_ssm.suite import fuzz
    from manila_ssm.suite.client import Endpoint, ManilaClient, Redactor

    client = ManilaClient(Endpoint.parse("http://127.0.0.1:9/v2/p"), None, timeout=0.05, redactor=Redactor(()))
    fuzz.run(contracts.load("effective", FIXTURE_OPENAPI), "migration_check", "negative", client, "s", "2.57",
             real_host="a@b", max_examples=1, seed=0)


@pytest.fixture(scope="session", autouse=True)
def _schemathesis_loaded() -> None:
    _warm_up()


@pytest.fixture(scope="session")
def fixture_openapi() -> Path:
    return FIXTURE_OPENAPI


@pytest.fixture(scope="session")
def fixture_contract() -> contracts.Contract:
    return contracts.load("effective", FIXTURE_OPENAPI)


@pytest.fixture
def reference_target() -> Iterator[object]:
    from manila_ssm.reference import ReferenceTarget

    target = ReferenceTarget.start()
    try:
        yield target
    finally:
        target.stop()
