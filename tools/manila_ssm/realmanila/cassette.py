"""Cassettes: recorded exchanges with real Manila, made stable and reviewable.

A cassette is one scenario's exchanges as JSON. Everything that differs
between two deployments or two runs is replaced by a named placeholder at
the point of recording: tokens become ``{token:admin}`` (so nothing secret
or deployment-specific is stored), ids become ``{server:migrate}``,
hosts become ``{host:beta}``, the project id ``{project:admin}``. Replaying
binds the placeholders to another deployment's values. Only the response
headers the API defines are kept, plus the request ids (so an exchange can
be found in Manila's logs); dates and lengths are not. Request ids are
evidence, never compared on replay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manila_ssm import jsonio
from manila_ssm.realmanila.client import Exchange

FORMAT = "ssm-cassette/1"
KEPT_RESPONSE_HEADERS = (
    "Content-Type",
    "X-OpenStack-Manila-API-Version",
    "X-OpenStack-Manila-API-Experimental",
    "Vary",
    "X-Openstack-Request-Id",
    "X-Compute-Request-Id",
)
REQUEST_ID_HEADERS = ("X-Openstack-Request-Id", "X-Compute-Request-Id")
KEPT_REQUEST_HEADERS = (
    "Accept",
    "X-Auth-Token",
    "X-OpenStack-Manila-API-Version",
    "X-OpenStack-Manila-API-Experimental",
    "Content-Type",
)
PLACEHOLDER = re.compile(r"\{[a-z_]+:[a-z0-9_.-]+\}")


@dataclass(slots=True)
class Substitutions:
    """Actual value -> placeholder, applied longest value first."""

    table: dict[str, str] = field(default_factory=dict)

    def add(self, actual: str, placeholder: str) -> None:
        if actual:
            self.table[actual] = placeholder

    def text(self, value: str) -> str:
        # One pass, so a placeholder already put in is never rewritten.
        if not self.table:
            return value
        pattern = "|".join(re.escape(a) for a in sorted(self.table, key=len, reverse=True))
        return re.sub(pattern, lambda match: self.table[match.group(0)], value)

    def value(self, value: Any) -> Any:
        return map_strings(value, self.text)

    def inverse(self) -> Substitutions:
        return Substitutions({placeholder: actual for actual, placeholder in self.table.items()})


def _body(raw: bytes | None) -> dict[str, Any]:
    """A body as stored: parsed JSON when it is JSON, else the text, else nothing."""
    if raw is None:
        return {}
    text = raw.decode("utf-8", errors="replace")
    if not text:
        return {"text": ""}
    try:
        parsed = json.loads(text)
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except ValueError:
        return {"text": text}
    except UnicodeEncodeError:  # an unpaired surrogate escape: kept as the escaped text that was sent
        return {"text": text}
    return {"json": parsed}


def _headers(headers: Mapping[str, str], kept: tuple[str, ...]) -> dict[str, str]:
    lowered = {name.lower(): value for name, value in headers.items()}
    return {name: lowered[name.lower()] for name in kept if name.lower() in lowered}


def interaction(name: str, exchange: Exchange, subs: Substitutions,
                poll: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One exchange in cassette form, with every deployment value replaced."""
    request = {
        "method": exchange.method,
        "path": subs.text(exchange.path),
        "headers": subs.value(_headers(exchange.request_headers, KEPT_REQUEST_HEADERS)),
        **{key: subs.value(value) for key, value in _body(exchange.request_body).items()},
    }
    response = {
        "status": exchange.status,
        "headers": _headers(exchange.response_headers, KEPT_RESPONSE_HEADERS),
        **{key: subs.value(value) for key, value in _body(exchange.response_body).items()},
    }
    item: dict[str, Any] = {"name": name, "request": request, "response": response}
    if poll:
        item["poll"] = dict(poll)
    return item


def note_state(seen: list[dict[str, Any]], status: int, body: Any) -> None:
    """Add an answer's state to a poll's sequence unless it repeats the last one."""
    state: dict[str, Any] = {"status": status}
    if isinstance(body, dict):
        state.update({key: body[key] for key in ("task_state", "total_progress") if key in body})
    if not seen or seen[-1] != state:
        seen.append(state)


@dataclass(frozen=True, slots=True)
class Cassette:
    """One scenario: its description, what it was recorded with, its interactions."""

    scenario: str
    description: str
    recorded_with: Mapping[str, str]
    interactions: tuple[Mapping[str, Any], ...]

    def document(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "scenario": self.scenario,
            "description": self.description,
            "recorded_with": dict(self.recorded_with),
            "interactions": [dict(item) for item in self.interactions],
        }

    def write(self, directory: Path) -> Path:
        path = directory / f"{self.scenario}.json"
        jsonio.write(path, self.document())
        return path


def load(path: Path) -> Cassette:
    """Read a cassette; a malformed one is an error naming the file and the fix."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not a readable JSON cassette ({error}); re-record it "
                         "with `ssm-conformance real-manila record`") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{path}: format is not {FORMAT!r}; re-record it with "
                         "`ssm-conformance real-manila record`")
    return Cassette(document["scenario"], document["description"], document["recorded_with"],
                    tuple(document["interactions"]))


def load_all(directory: Path) -> list[Cassette]:
    return [load(path) for path in sorted(directory.glob("*.json"))]


def placeholders(value: Any) -> set[str]:
    """Every placeholder mentioned anywhere in ``value``."""
    found: set[str] = set()
    if isinstance(value, str):
        found.update(PLACEHOLDER.findall(value))
    elif isinstance(value, list):
        for item in value:
            found |= placeholders(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            found |= placeholders(key) | placeholders(item)
    return found


def map_strings(value: Any, text: Callable[[str], str]) -> Any:
    """``value`` with ``text`` applied to every string in it, keys included (JSON data)."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, list):
        return [map_strings(item, text) for item in value]
    if isinstance(value, dict):
        return {text(key): map_strings(item, text) for key, item in value.items()}
    return value
