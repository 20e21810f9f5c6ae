"""The suite's HTTP client: Manila's headers, bounded timeouts, redacted records.

Every call returns an :class:`Exchange` rather than raising: a target that
hangs, resets the connection or answers garbage becomes an exchange with no
status (or an unparsable body, named in ``error``) that a check then fails
under its requirement. One exception to that: an operation that timed out a
few times in a row is not sent again (:class:`Breaker`), so a target that
stopped answering costs seconds, not one timeout per remaining request.
Secrets are redacted here, when the exchange is recorded, so nothing later can
leak them.
"""

from __future__ import annotations

import json as jsonlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from manila_ssm.suite.outcomes import Exchange

VERSION_HEADER = "X-OpenStack-Manila-API-Version"
EXPERIMENTAL_HEADER = "X-OpenStack-Manila-API-Experimental"
REQUEST_ID_HEADER = "x-compute-request-id"
REDACTED = "<redacted>"
_SECRET_HEADERS = frozenset(
    {"x-auth-token", "x-subject-token", "authorization", "cookie", "set-cookie", "x-service-token"}
)
_EXCERPT = 2000
# Response headers worth keeping as evidence; the rest is noise.
_KEPT_RESPONSE_HEADERS = frozenset(
    {"content-type", "content-length", VERSION_HEADER.lower(), EXPERIMENTAL_HEADER.lower(), "vary", "location",
     REQUEST_ID_HEADER, "x-openstack-request-id"}
)
NOT_SET: Any = object()
# Consecutive timeouts after which an operation is not sent again.
PATIENCE = 2
_ID_SEGMENT = re.compile(r"^(?=.*\d)[0-9a-fA-F-]{8,}$")


class TargetUnreachable(RuntimeError):
    """No answer at all from the target: every test is an error of the transport, not a failure."""


class TargetStoppedAnswering(TargetUnreachable):
    """An operation timed out repeatedly; its remaining requirements are errors, not failures."""


class Breaker:
    """Counts consecutive timeouts per operation and stops sending one that keeps timing out.

    Shared by the admin and member clients of a run: a target that stopped
    answering ``migration_get_progress`` stopped for everyone.
    """

    def __init__(self, patience: int = PATIENCE) -> None:
        self.patience = patience
        self._timeouts: dict[str, int] = {}
        self._stopped: dict[str, str] = {}
        self._lock = threading.Lock()  # lanes (suite/lanes.py) send from several threads

    def check(self, operation: str) -> None:
        """Raise :class:`TargetStoppedAnswering` when ``operation`` is no longer sent."""
        if operation in self._stopped:
            raise TargetStoppedAnswering(self._stopped[operation])

    def record(self, operation: str, exchange: Exchange, timed_out: bool, patience: int | None = None) -> None:
        with self._lock:
            if not timed_out:
                self._timeouts.pop(operation, None)
                return
            count = self._timeouts.get(operation, 0) + 1
            self._timeouts[operation] = count
            if count >= (patience or self.patience):
                times = "once" if count == 1 else f"{count} times in a row"
                self._stopped[operation] = (
                    f"the target stopped answering {operation}: {exchange.error} ({times}; last "
                    f"{exchange.method} {exchange.url}); its remaining requests are not sent")
        self.check(operation)


def operation_of(method: str, url: str, data: bytes | None) -> str:
    """A name for what a request does: the action a body names, else its method and path shape."""
    path = urlsplit(url).path
    if method == "POST" and path.endswith("/action"):
        try:
            body = jsonlib.loads(data or b"")
        except (ValueError, RecursionError):
            body = None
        if isinstance(body, dict) and len(body) == 1:
            name = next(iter(body))
            if isinstance(name, str) and re.fullmatch(r"[a-z_]{1,40}", name):
                return name
        return "share server actions"
    shape = "/".join("{id}" if _ID_SEGMENT.match(part) else part for part in path.split("/"))
    return f"{method} {shape}"


@dataclass(slots=True)
class TransportStats:
    """Requests sent and seconds spent waiting for answers (the benchmark reads these)."""

    requests: int = 0
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, seconds: float) -> None:
        with self._lock:
            self.requests += 1
            self.seconds += seconds


class Redactor:
    """Replaces secret header values and any occurrence of a secret string."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a token is never half-replaced by a shorter secret inside it.
        self._secrets = tuple(sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True))

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, REDACTED)
        return value

    def headers(self, headers: Mapping[str, str], keep: frozenset[str] | None = None) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in headers.items():
            lowered = name.lower()
            if lowered in _SECRET_HEADERS:
                out[name] = REDACTED
            elif keep is None or lowered in keep or lowered.startswith("x-openstack"):
                out[name] = self.text(str(value))
        return out


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where the API lives: ``root`` (before ``/v2``) and the project id, if URLs carry one."""

    root: str
    project_id: str | None

    @classmethod
    def parse(cls, base_url: str, project_id: str | None = None) -> Endpoint:
        """Accept ``http://h:p``, ``http://h:p/v2`` or ``http://h:p/v2/<project>``."""
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base URL {base_url!r} is not an http(s) URL; use e.g. http://127.0.0.1:8786/v2/<project_id>")
        segments = [s for s in parts.path.split("/") if s]
        prefix, url_project = segments, None
        if "v2" in segments:
            index = segments.index("v2")
            prefix = segments[:index]
            rest = segments[index + 1 :]
            if len(rest) > 1:
                raise ValueError(f"base URL {base_url!r} has extra path after the project id; end it at /v2 or /v2/<project_id>")
            url_project = rest[0] if rest else None
        root = urlunsplit((parts.scheme, parts.netloc, "/".join(["", *prefix]).rstrip("/"), "", ""))
        return cls(root=root, project_id=url_project or project_id)

    def v2(self, path: str, *, with_project: bool = True) -> str:
        project = f"/{self.project_id}" if with_project and self.project_id else ""
        return f"{self.root}/v2{project}{path}"


class ManilaClient:
    """One set of credentials against one endpoint."""

    def __init__(
        self,
        endpoint: Endpoint,
        token: str | None,
        *,
        timeout: float,
        redactor: Redactor,
        session: requests.Session | None = None,
        stats: TransportStats | None = None,
        breaker: Breaker | None = None,
    ) -> None:
        self.stats = stats or TransportStats()
        self.breaker = breaker or Breaker()
        self.endpoint = endpoint
        self.token = token
        self.timeout = timeout
        self.redactor = redactor
        self._given = session
        self.closed = False  # once the session ended: a lane still running sends nothing more
        self._local = threading.local()
        self._opened: list[requests.Session] = []
        self._opened_lock = threading.Lock()

    @property
    def _session(self) -> requests.Session:
        """The given session, else one per thread: lanes (``suite/lanes.py``) send side by side."""
        if self._given is not None:
            return self._given
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = _session_for(self.endpoint.root)
            with self._opened_lock:
                self._opened.append(session)
        return session

    def close(self) -> None:
        self.closed = True
        if self._given is not None:
            self._given.close()
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for session in opened:
            session.close()

    def headers(self, version: str | None, experimental: bool | str | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["X-Auth-Token"] = self.token
        if version is not None:
            headers[VERSION_HEADER] = version
        if experimental is True:
            headers[EXPERIMENTAL_HEADER] = "True"
        elif isinstance(experimental, str):
            headers[EXPERIMENTAL_HEADER] = experimental
        return headers

    def action(
        self,
        server_id: str,
        action: str,
        value: Any = None,
        *,
        version: str | None = "2.57",
        experimental: bool | str | None = True,
        with_project: bool = True,
        body: Any = NOT_SET,
        raw_body: bytes | str | None = None,
        content_type: str | None = "application/json",
        extra_headers: Mapping[str, str] | None = None,
    ) -> Exchange:
        """POST one migration action; ``body``/``raw_body`` replace ``{action: value}``."""
        url = self.endpoint.v2(f"/share-servers/{server_id}/action", with_project=with_project)
        document = {action: value} if body is NOT_SET else body
        return self.request(
            "POST", url, json_body=document if raw_body is None else NOT_SET, raw_body=raw_body,
            version=version, experimental=experimental, content_type=content_type, extra_headers=extra_headers,
        )

    def get(self, path: str, *, version: str | None = "2.57", experimental: bool | str | None = None) -> Exchange:
        return self.request("GET", self.endpoint.v2(path), version=version, experimental=experimental)

    def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = NOT_SET,
        raw_body: bytes | str | None = None,
        version: str | None = "2.57",
        experimental: bool | str | None = None,
        content_type: str | None = "application/json",
        extra_headers: Mapping[str, str] | None = None,
    ) -> Exchange:
        headers = self.headers(version, experimental)
        data: bytes | None = None
        if json_body is not NOT_SET:
            data = jsonlib.dumps(json_body).encode()
        elif raw_body is not None:
            data = raw_body.encode() if isinstance(raw_body, str) else raw_body
        if data is not None and content_type:
            headers["Content-Type"] = content_type
        headers.update(extra_headers or {})
        return self.send(method, url, headers, data)

    def send(self, method: str, url: str, headers: Mapping[str, str], data: bytes | None,
             on_response: Callable[[requests.Response], None] | None = None, *,
             operation: str | None = None, patience: int | None = None) -> Exchange:
        """Send as given; ``on_response`` sees the raw response (for schemathesis' own checks).

        ``operation`` names what is sent (default: from the body and path) for
        the breaker; ``patience`` overrides how many timeouts in a row stop it
        (fuzzing stops at the first). Raises :class:`TargetStoppedAnswering`
        when the operation is, or has just been, given up.
        """
        operation = operation or operation_of(method, url, data)
        if self.closed:
            raise TargetUnreachable("the run has ended: nothing more is sent to the target")
        self.breaker.check(operation)
        started = time.monotonic()
        timed_out: list[bool] = []
        try:
            exchange = self._send(method, url, headers, data, started, on_response, timed_out)
        finally:
            self.stats.add(time.monotonic() - started)
        self.breaker.record(operation, exchange, bool(timed_out), patience)
        return exchange

    def _send(self, method: str, url: str, headers: Mapping[str, str], data: bytes | None,
              started: float, on_response: Callable[[requests.Response], None] | None,
              timed_out: list[bool]) -> Exchange:
        request_text = self.redactor.text((data or b"").decode("utf-8", "replace"))[:_EXCERPT]
        recorded_headers = self.redactor.headers(headers)
        recorded_url = self.redactor.text(url)
        try:
            response = self._session.request(method, url, headers=dict(headers), data=data, timeout=self.timeout)
            raw = response.content
            if on_response is not None:
                on_response(response)
        except requests.Timeout:
            timed_out.append(True)
            return _no_answer(method, recorded_url, recorded_headers, request_text, started,
                              f"no answer within the {self.timeout:g} s request timeout")
        except requests.RequestException as error:
            text = str(error)
            errno = re.search(r"\[Errno[^\]]*\][^'\")]*", text)
            reason = self.redactor.text(errno.group(0) if errno else text)[:160]
            return _no_answer(method, recorded_url, recorded_headers, request_text, started,
                              f"transport error: {type(error).__name__}: {reason}")
        text = self.redactor.text(raw.decode("utf-8", "replace"))
        parsed, parsed_ok, problem = None, False, None
        if raw.strip():
            try:
                parsed, parsed_ok = jsonlib.loads(text), True
            except (ValueError, RecursionError) as error:
                problem = _invalid_json(response, text, error)
        return Exchange(
            method=method,
            url=recorded_url,
            request_headers=recorded_headers,
            request_body=request_text,
            status=response.status_code,
            response_headers=self.redactor.headers(response.headers, keep=_KEPT_RESPONSE_HEADERS),
            response_body=text[:_EXCERPT],
            json=parsed,
            json_ok=parsed_ok,
            error=problem,
            elapsed=time.monotonic() - started,
        )


def _invalid_json(response: requests.Response, text: str, error: Exception) -> str | None:
    """Name a body that should be JSON and is not: a success, or any answer that says JSON."""
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if not (200 <= response.status_code < 300 or content_type == "application/json"):
        return None  # plain-text and HTML errors are the fault checks' business
    excerpt = text[:120] + ("..." if len(text) > 120 else "")
    reason = str(error).split(":")[0] if isinstance(error, ValueError) else "nested too deeply"
    return f"the {response.status_code} answer's body is invalid JSON ({reason}): {excerpt!r}"


def _session_for(root: str) -> requests.Session:
    """A session that reads the environment once, not on every request.

    With ``trust_env`` requests looks up proxies, ``no_proxy``, the CA bundle
    and ``~/.netrc`` for each call (a fifth of the suite's client CPU); the
    same settings are taken here once, for the target's root URL.
    """
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(root))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False
    return session


def _no_answer(
    method: str, url: str, headers: dict[str, str], body: str, started: float, error: str
) -> Exchange:
    return Exchange(
        method=method, url=url, request_headers=headers, request_body=body, status=None,
        response_headers={}, response_body="", error=error, elapsed=time.monotonic() - started,
    )
