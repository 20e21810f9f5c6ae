"""A small HTTP client for the Manila API on loopback, with an optional tap.

The fixtures and the recorder both speak to Manila through this client;
the recorder passes a ``tap`` that sees every exchange exactly as sent and
received, so cassettes hold the wire truth rather than a re-creation.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from manila_ssm.realmanila.config import ADMIN_PROJECT, ADMIN_TOKEN

VERSION_HEADER = "X-OpenStack-Manila-API-Version"
EXPERIMENTAL_HEADER = "X-OpenStack-Manila-API-Experimental"
# Marks "leave this header out" where None would mean "use the default".
OMIT = object()


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and its response, as they crossed the wire."""

    method: str
    path: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int
    response_headers: dict[str, str]
    response_body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.response_body) if self.response_body else None
        except ValueError:
            return None


Tap = Callable[[Exchange], None]


class ManilaClient:
    """Requests as one user (noauth token) against one API root."""

    def __init__(
        self,
        root: str,
        token: str | None = ADMIN_TOKEN,
        project: str | None = ADMIN_PROJECT,
        microversion: str | None = "2.57",
        experimental: str | None = "True",
        tap: Tap | None = None,
    ) -> None:
        self.root = root.rstrip("/")
        self.token = token
        self.project = project
        self.microversion = microversion
        self.experimental = experimental
        self.tap = tap

    def path(self, resource: str, project: object = OMIT) -> str:
        chosen = self.project if project is OMIT else project
        return f"/v2/{chosen}{resource}" if chosen else f"/v2{resource}"

    def request(
        self,
        method: str,
        resource: str,
        body: Any = OMIT,
        *,
        raw: bytes | None = None,
        token: object = OMIT,
        microversion: object = OMIT,
        experimental: object = OMIT,
        project: object = OMIT,
        headers: Mapping[str, str] | None = None,
        full_path: bool = False,
        timeout: float = 120,
    ) -> Exchange:
        """Send one request; ``OMIT`` keeps the client default, ``None`` drops the header."""
        sent: dict[str, str] = {"Accept": "application/json"}
        for name, value, default in (
            ("X-Auth-Token", token, self.token),
            (VERSION_HEADER, microversion, self.microversion),
            (EXPERIMENTAL_HEADER, experimental, self.experimental),
        ):
            chosen = default if value is OMIT else value
            if chosen is not None:
                sent[name] = str(chosen)
        payload = raw if raw is not None else (None if body is OMIT else json.dumps(body).encode())
        if payload is not None:
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        path = resource if full_path else self.path(resource, project)
        response = requests.request(
            method, self.root + path, data=payload, headers=sent, timeout=timeout, allow_redirects=False
        )
        exchange = Exchange(
            method=method,
            path=path,
            request_headers=sent,
            request_body=payload,
            status=response.status_code,
            response_headers=dict(response.headers),
            response_body=response.content,
        )
        if self.tap is not None:
            self.tap(exchange)
        return exchange

    def get(self, resource: str, **options: Any) -> Exchange:
        return self.request("GET", resource, **options)

    def post(self, resource: str, body: Any = OMIT, **options: Any) -> Exchange:
        return self.request("POST", resource, body, **options)

    def action(self, server_id: str, body: Any = OMIT, **options: Any) -> Exchange:
        return self.request("POST", f"/share-servers/{server_id}/action", body, **options)


def expect(exchange: Exchange, what: str, statuses: tuple[int, ...] = (200, 201, 202)) -> Any:
    """The JSON body of a fixture call, or an error that says which call failed."""
    if exchange.status not in statuses:
        text = exchange.response_body[:400].decode(errors="replace")
        raise RuntimeError(f"{what}: {exchange.method} {exchange.path} answered {exchange.status}: {text}")
    return exchange.json()


def poll(check: Callable[[], Any], timeout: float, interval: float, what: str) -> Any:
    """Call ``check`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached within {timeout:.0f} s")
        time.sleep(interval)
