"""Report evidence made readable: pretty-printed bodies, secrets masked again, request ids picked out.

Evidence is redacted where it is recorded (the client's ``Redactor``); the
views here mask ``X-Auth-Token`` and similar headers once more, so that a
report never shows a credential even from a record made elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SECRET_HEADERS = frozenset({"x-auth-token", "x-subject-token", "authorization", "cookie", "set-cookie"})
REQUEST_ID_HEADERS = ("x-compute-request-id", "x-openstack-request-id")
REDACTED = "<redacted>"


def pretty_body(text: str) -> str:
    """A JSON body indented for reading; any other text as it came."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (ValueError, TypeError):
        return text


def masked(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SECRET_HEADERS and v != REDACTED else v) for k, v in headers.items()}


@dataclass(frozen=True, slots=True)
class ExchangeView:
    """One recorded exchange as the HTML and JUnit reports show it."""

    request_line: str
    request_headers: dict[str, str]
    request_body: str
    status: str
    response_headers: dict[str, str]
    response_body: str
    request_ids: tuple[str, ...]

    @classmethod
    def of(cls, exchange: Mapping[str, Any]) -> ExchangeView:
        request, response = exchange.get("request", {}), exchange.get("response", {})
        headers = masked(response.get("headers") or {})
        lowered = {k.lower(): v for k, v in headers.items()}
        status = response.get("status")
        return cls(
            request_line=f"{request.get('method', '?')} {request.get('url', '?')}",
            request_headers=masked(request.get("headers") or {}),
            request_body=pretty_body(request.get("body") or ""),
            status=str(status) if status is not None else f"no response ({response.get('error')})",
            response_headers=headers,
            response_body=pretty_body(response.get("body") or ""),
            request_ids=tuple(lowered[h] for h in REQUEST_ID_HEADERS if h in lowered),
        )

    def text(self) -> str:
        lines = [self.request_line, *(f"{k}: {v}" for k, v in self.request_headers.items())]
        if self.request_body:
            lines += ["", self.request_body]
        lines += ["", f"=> {self.status}", *(f"{k}: {v}" for k, v in self.response_headers.items())]
        if self.response_body:
            lines += ["", self.response_body]
        return "\n".join(lines)
