"""Fixtures for the reference target's tests: started targets and a small HTTP driver.

``manual_target`` never moves a migration by itself (a one-hour step); tests
walk migrations through their states with the fixture API's ``advance``.
``fast_target`` runs the default sub-second timings.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from manila_ssm.reference import ADMIN_TOKEN, DEMO_TOKEN, Backend, Capabilities, ReferenceTarget, TargetConfig, Timings

ADMIN_PROJECT = ADMIN_TOKEN.partition(":")[2]
DEMO_PROJECT = DEMO_TOKEN.partition(":")[2]
MIGRATION_HEADERS = {"X-OpenStack-Manila-API-Version": "2.57", "X-OpenStack-Manila-API-Experimental": "True"}
VALID_PARAMS = {"host": "ref@beta", "writable": True, "nondisruptive": False, "preserve_snapshots": True,
                "new_share_network_id": None}

TABLE_BACKENDS = (
    Backend("ref@alpha"), Backend("ref@beta"), Backend("ref@gamma"),
    Backend("ref@delta", capabilities=Capabilities(nondisruptive=True)),
    Backend("ref@down", up=False), Backend("ref@flaky"), Backend("ref@faulty"),
    Backend("ref@far", availability_zone="az2"),
    Backend("ref@incompatible", capabilities=Capabilities(compatible=False)),
    Backend("ref@nosnap", capabilities=Capabilities(preserve_snapshots=False)),
    Backend("ref@readonly", capabilities=Capabilities(writable=False)),
    Backend("ref@noprogress", capabilities=Capabilities(migration_get_progress=False)),
)


class Api:
    """Requests against one target, with the defaults the tests mostly want."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def call(self, method: str, path: str, *, token: str | None = ADMIN_TOKEN,
             headers: dict[str, str | None] | None = None, **kwargs: Any) -> requests.Response:
        sent = {"X-Auth-Token": token} if token else {}
        for key, value in (headers or {}).items():
            if value is None:
                sent.pop(key, None)
            else:
                sent[key] = value
        return self.http.request(method, self.base_url + path, headers=sent, timeout=30, **kwargs)

    def action(self, server_id: str, name: str, value: Any = None, *, token: str = ADMIN_TOKEN,
               version: str = "2.57") -> requests.Response:
        headers = {"X-OpenStack-Manila-API-Version": version, "X-OpenStack-Manila-API-Experimental": "True"}
        return self.call("POST", f"/v2/{ADMIN_PROJECT}/share-servers/{server_id}/action", token=token,
                         headers=headers, json={name: value})

    def new_server(self, host: str = "ref@alpha", **body: Any) -> dict[str, Any]:
        response = self.call("POST", "/_reference/share-servers", json={"host": host, **body})
        assert response.status_code == 201, response.text
        return response.json()

    def server(self, server_id: str, version: str = "2.57") -> dict[str, Any] | None:
        response = self.call("GET", f"/v2/{ADMIN_PROJECT}/share-servers/{server_id}",
                             headers={"X-OpenStack-Manila-API-Version": version})
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        return response.json()["share_server"]

    def destination_of(self, source_id: str) -> dict[str, Any] | None:
        response = self.call("GET", f"/v2/{ADMIN_PROJECT}/share-servers",
                             params={"source_share_server_id": source_id},
                             headers={"X-OpenStack-Manila-API-Version": "2.57"})
        found = response.json()["share_servers"]
        return found[-1] if found else None

    def advance(self, server_id: str, steps: int) -> None:
        response = self.call("POST", f"/_reference/share-servers/{server_id}/advance", json={"steps": steps})
        assert response.status_code == 200, response.text

    def backend(self, name: str, **values: Any) -> None:
        response = self.call("PUT", f"/_reference/backends/{name}", json=values)
        assert response.status_code == 200, response.text

    def wait_for(self, server_id: str, timeout: float = 10, **wanted: Any) -> dict[str, Any] | None:
        """Poll the server until every ``wanted`` field matches (``deleted=True``: until it is gone)."""
        deadline = time.monotonic() + timeout
        while True:
            server = self.server(server_id)
            if wanted.get("deleted") and server is None:
                return None
            if server is not None and all(server.get(k) == v for k, v in wanted.items()):
                return server
            if time.monotonic() > deadline:
                raise AssertionError(f"server {server_id} never reached {wanted}; last seen {server}")
            time.sleep(0.01)


def random_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture(scope="module")
def manual_target() -> Iterator[ReferenceTarget]:
    config = TargetConfig(backends=TABLE_BACKENDS, timings=Timings(step=3600, progress_step=25))
    with ReferenceTarget.start(config) as target:
        yield target


@pytest.fixture(scope="module")
def fast_target() -> Iterator[ReferenceTarget]:
    with ReferenceTarget.start(TargetConfig.default()) as target:
        yield target


@pytest.fixture
def manual_api(manual_target: ReferenceTarget) -> Api:
    return Api(manual_target.base_url)


@pytest.fixture
def fast_api(fast_target: ReferenceTarget) -> Api:
    return Api(fast_target.base_url)
