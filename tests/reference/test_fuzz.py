"""Schemathesis against the reference target, from our effective contract
(``spec/openapi/effective.json``): a few hundred generated requests, never a 5xx,
and every answer a status, content type and body the contract documents.

Requests go to an idle server, to a server whose migration waits at phase 1
done (so complete/cancel/get_progress can succeed), to unknown ids, and
(negative mode) to whatever path parameters schemathesis makes up.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from manila_ssm.paths import spec_dir
from manila_ssm.reference import ADMIN_TOKEN, ReferenceTarget, TargetConfig

CONTRACT = spec_dir() / "openapi" / "effective.json"
ADMIN_PROJECT = ADMIN_TOKEN.partition(":")[2]
PATHS = ("/v2/{project_id}/share-servers/{share_server_id}/action", "/v2/share-servers/{share_server_id}/action")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# a few hundred examples in all: well-formed ones on one URL form, malformed ones on the other
RUNS = [(PATHS[0], GenerationMode.POSITIVE, 160), (PATHS[1], GenerationMode.NEGATIVE, 120)]
SEED = 20261125
# None keeps the generated host (mostly unknown ones: 404)
HOSTS = (None, None, "ref@beta", "ref@gamma", "ref@delta", "ref@alpha")


@pytest.fixture(scope="module")
def fuzz_target() -> Iterator[tuple[str, list[str]]]:
    with ReferenceTarget.start(TargetConfig.default()) as target:
        session = requests.Session()
        session.headers["X-Auth-Token"] = ADMIN_TOKEN

        def server() -> str:
            made = session.post(f"{target.base_url}/_reference/share-servers", json={"host": "ref@alpha"})
            assert made.status_code == 201, made.text
            return str(made.json()["share_server"]["id"])

        idle, migrating = server(), server()
        started = session.post(f"{target.base_url}/v2/share-servers/{migrating}/action",
                               headers={"X-OpenStack-Manila-API-Version": "2.57",
                                        "X-OpenStack-Manila-API-Experimental": "True"},
                               json={"migration_start": {"host": "ref@beta", "writable": True,
                                                         "nondisruptive": False, "preserve_snapshots": True}})
        assert started.status_code == 202, started.text
        deadline = time.monotonic() + 15
        while session.get(f"{target.base_url}/v2/share-servers/{migrating}", headers={
                "X-OpenStack-Manila-API-Version": "2.57"}).json()["share_server"]["task_state"] \
                != "migration_driver_phase1_done":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        yield target.base_url, [idle, migrating, "00000000-0000-0000-0000-000000000000"]


def _aim(case: Any, host: str | None) -> None:
    """Point a generated check/start at a real back end now and then, so that successes happen too."""
    body = case.body
    if host and isinstance(body, dict) and len(body) == 1:
        params = next(iter(body.values()))
        if isinstance(params, dict) and isinstance(params.get("host"), str):
            params["host"] = host


def _strategy(path: str, mode: GenerationMode, server_ids: list[str]) -> Any:
    operation = schemathesis.openapi.from_path(CONTRACT)[path]["POST"]
    fixed = [operation.as_strategy(mode, path_parameters={"share_server_id": server_id,
                                                           **({"project_id": ADMIN_PROJECT}
                                                              if "{project_id}" in path else {})})
             for server_id in server_ids]
    if mode is GenerationMode.NEGATIVE:
        # made-up server ids too; a project id that is not hex never reaches Manila's routes (the
        # router's plain-text 404, outside the contract), so that one stays real
        fixed.append(operation.as_strategy(mode, path_parameters={"project_id": ADMIN_PROJECT}
                                           if "{project_id}" in path else None))
    return st.one_of(fixed)


@pytest.mark.parametrize(("path", "mode", "examples"), RUNS, ids=("with-project-positive", "project-less-negative"))
def test_generated_requests_get_documented_answers(fuzz_target: tuple[str, list[str]], path: str,
                                                   mode: GenerationMode, examples: int) -> None:
    base_url, server_ids = fuzz_target
    session = requests.Session()
    statuses: list[int] = []

    @hypothesis.seed(SEED)
    @settings(max_examples=examples, database=None, deadline=None, derandomize=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=_strategy(path, mode, server_ids), host=st.sampled_from(HOSTS))
    def fuzz(case: Any, host: str | None) -> None:
        _aim(case, host)
        response = case.call(base_url=base_url, session=session, headers={"X-Auth-Token": ADMIN_TOKEN},
                             timeout=30)
        statuses.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    fuzz()
    assert len(statuses) >= examples // 2 and max(statuses) < 500
