"""Replay a cassette against another target and compare the answers.

Placeholders in the recorded requests are bound to the other target's
values before sending; placeholders first seen in a recorded response (the
destination server of a migration) are bound from the live answer at the
same place. A comparison is status code plus body shape: the keys and
JSON types, and for a fault its single top-level key, since messages and
ids legitimately differ between two deployments.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from manila_ssm.realmanila.cassette import PLACEHOLDER, Cassette, map_strings

POLL_TIMEOUT = 60.0


@dataclass(slots=True)
class Bindings:
    """Placeholder -> value in the target being replayed against."""

    values: dict[str, str] = field(default_factory=dict)

    def text(self, value: str) -> str:
        def substitute(match: Any) -> str:
            name = match.group(0)
            if name not in self.values:
                raise KeyError(f"placeholder {name} has no value for this target")
            return self.values[name]

        return PLACEHOLDER.sub(substitute, value)

    def value(self, value: Any) -> Any:
        return map_strings(value, self.text)

    def learn(self, recorded: Any, actual: Any) -> None:
        """Bind placeholders that a recorded answer introduced, from the live answer."""
        if isinstance(recorded, str):
            if PLACEHOLDER.fullmatch(recorded) and recorded not in self.values and isinstance(actual, str):
                self.values[recorded] = actual
        elif isinstance(recorded, dict) and isinstance(actual, dict):
            for key, item in recorded.items():
                self.learn(item, actual.get(key))
        elif isinstance(recorded, list) and isinstance(actual, list):
            for left, right in zip(recorded, actual):
                self.learn(left, right)


def shape(value: Any) -> Any:
    """The JSON structure of a value without its data: keys and type names."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        shapes = []
        for item in value:
            if shape(item) not in shapes:
                shapes.append(shape(item))
        return shapes
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "null"
    return "string"


@dataclass(frozen=True, slots=True)
class Answer:
    """What the replayed target said to one recorded request."""

    name: str
    recorded_status: int
    status: int
    recorded_body: Any
    body: Any

    @property
    def same_status(self) -> bool:
        return self.status == self.recorded_status

    @property
    def same_shape(self) -> bool:
        return shape(self.recorded_body) == shape(self.body)

    def describe(self) -> str:
        return (f"{self.name}: real Manila {self.recorded_status} {json.dumps(shape(self.recorded_body))}, "
                f"replayed {self.status} {json.dumps(shape(self.body))}")


def _recorded_body(response: Mapping[str, Any]) -> Any:
    if "json" in response:
        return response["json"]
    return response.get("text") or None


def _send(root: str, request: Mapping[str, Any], bindings: Bindings, timeout: float) -> requests.Response:
    headers = {name: bindings.text(value) for name, value in request["headers"].items()}
    data: bytes | None = None
    if "json" in request:
        data = json.dumps(bindings.value(request["json"])).encode()
    elif "text" in request:
        data = bindings.text(request["text"]).encode()
    return requests.request(request["method"], root + bindings.text(request["path"]), data=data,
                            headers=headers, timeout=timeout, allow_redirects=False)


def _parsed(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _poll_done(response: requests.Response, until: Mapping[str, Any]) -> bool:
    if response.status_code != until.get("status", 200):
        return False
    body = _parsed(response)
    return all(isinstance(body, dict) and body.get(k) == v for k, v in until.items() if k != "status")


def replay(cassette: Cassette, root: str, bindings: Bindings, timeout: float = 10.0) -> list[Answer]:
    """Send every recorded request, in order, to the target at ``root``."""
    answers = []
    for item in cassette.interactions:
        request, response = item["request"], item["response"]
        until = item.get("poll", {}).get("until")
        deadline = time.monotonic() + POLL_TIMEOUT
        while True:
            live = _send(root, request, bindings, timeout)
            if until is None or _poll_done(live, until) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        body = _parsed(live)
        bindings.learn(_recorded_body(response), body)
        answers.append(Answer(item["name"], response["status"], live.status_code,
                              _recorded_body(response), body))
    return answers
