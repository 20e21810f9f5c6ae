"""Replay a cassette against another target and compare the answers.

Placeholders in the recorded requests are bound to the other target's
values before sending; placeholders first seen in a recorded response (the
destination server of a migration) are bound from the live answer at the
same place. A comparison is status code plus body shape (the keys and
JSON types, and for a fault its single top-level key, since messages
legitimately differ between two deployments), plus the values the migration
state machine is made of: every ``task_state``, ``total_progress`` and
``destination_share_server_id`` must equal the recorded one (a destination
id through its placeholder, so the same destination throughout), and the
states a poll passes through, recorded and replayed, must be get_progress
answers of the suite's state model, each one a state that may follow the
one before. A recorded
poll that the target does not bring to its end condition before the
deadline is an error naming what the target last said.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from manila_ssm.realmanila.cassette import PLACEHOLDER, Cassette, map_strings, note_state
from manila_ssm.suite import statemodel
from manila_ssm.suite.statemodel import StateModel

POLL_TIMEOUT = 60.0
# The values of a migration, compared exactly; every other value only by its type.
COMPARED_VALUES = ("task_state", "total_progress", "destination_share_server_id")


class ReplayError(Exception):
    """A replay could not go on: a poll reached its deadline, or a placeholder has no value."""


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
    value_differences: tuple[str, ...] = ()

    @property
    def same_status(self) -> bool:
        return self.status == self.recorded_status

    @property
    def same_shape(self) -> bool:
        return shape(self.recorded_body) == shape(self.body)

    @property
    def same_values(self) -> bool:
        return not self.value_differences

    def describe(self) -> str:
        text = (f"{self.name}: real Manila {self.recorded_status} {json.dumps(shape(self.recorded_body))}, "
                f"replayed {self.status} {json.dumps(shape(self.body))}")
        return text + "".join(f"; {difference}" for difference in self.value_differences)


def value_differences(recorded: Any, actual: Any, bindings: Bindings) -> tuple[str, ...]:
    """Where the migration values of an answer differ from the recorded ones."""
    if not (isinstance(recorded, dict) and isinstance(actual, dict)):
        return ()
    found = []
    for key in COMPARED_VALUES:
        if key not in recorded:
            continue
        expected = recorded[key]
        if isinstance(expected, str) and PLACEHOLDER.fullmatch(expected):
            expected = bindings.values.get(expected, expected)
        if actual.get(key, "<missing>") != expected:
            found.append(f"{key} {actual.get(key, '<missing>')!r}, recorded {expected!r}")
    return tuple(found)


def _progress_states(model: StateModel, state: Mapping[str, Any]) -> set[str]:
    """The model states whose get_progress rows allow this answer (task_state and progress value)."""
    value = state.get("total_progress")
    return {s.id for s in model.states.values() for row in s.progress
            if (row.task_state or "") == (state.get("task_state") or "")
            and isinstance(value, int) and row.low <= value <= row.high}


def _reachable(model: StateModel) -> dict[str, set[str]]:
    """Each state and every state that may follow it, with or without a request (reflexive)."""
    reach = {sid: {sid} | {f.to for f in state.follows} for sid, state in model.states.items()}
    changed = True
    while changed:
        changed = False
        for sid, targets in reach.items():
            grown = set().union(*(reach.get(t, {t}) for t in targets))
            if not grown <= targets:
                targets |= grown
                changed = True
    return reach


def sequence_problems(seen: list[dict[str, Any]], model: StateModel | None = None) -> list[str]:
    """What one poll's 200 answers break in the state model: an answer no state allows, or a step
    to a state that cannot follow the states the earlier answers allowed."""
    model = model or statemodel.shipped()
    reach = _reachable(model)
    problems: list[str] = []
    current: set[str] | None = None
    for state in (s for s in seen if s.get("status") == 200):
        allowed = _progress_states(model, state)
        label = f"{state.get('task_state')!r}/{state.get('total_progress')}"
        if not allowed:
            problems.append(f"{label} is no get_progress answer of the state model")
            current = None
            continue
        following = allowed if current is None else {s for s in allowed if any(s in reach[c] for c in current)}
        if not following:
            problems.append(f"{label} cannot follow {sorted(current or ())} in the state model")
            following = allowed
        current = following
    return problems


def in_order(replayed: list[dict[str, Any]], recorded: list[dict[str, Any]]) -> list[str]:
    """Where a replayed poll's states break the state model, or the recorded ones do.

    A poll samples (it may miss states, and progress values are the back
    end's own), so each sequence is held to the model
    (conformance/state-model.yaml) rather than to the other: a recorded
    sequence edited out of the model's order fails as surely as a replay
    that steps back.
    """
    return ([f"recorded: {p}" for p in sequence_problems(recorded)]
            + [f"replayed: {p}" for p in sequence_problems(replayed)])


def _states(seen: list[dict[str, Any]]) -> str:
    return "[" + ", ".join(f"{s.get('status')} {s.get('task_state', '-')!s}/{s.get('total_progress', '-')}"
                           for s in seen) + "]"


def task_states(answers: list[Answer], recorded: bool = True) -> list[str]:
    """The task_state sequence of a replay, as recorded or as replayed."""
    bodies = (a.recorded_body if recorded else a.body for a in answers)
    return [b["task_state"] for b in bodies if isinstance(b, dict) and "task_state" in b]


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


def replay(cassette: Cassette, root: str, bindings: Bindings, timeout: float = 10.0,
           poll_timeout: float = POLL_TIMEOUT) -> list[Answer]:
    """Send every recorded request, in order, to the target at ``root``."""
    answers = []
    for item in cassette.interactions:
        request, response = item["request"], item["response"]
        until = item.get("poll", {}).get("until")
        deadline = time.monotonic() + poll_timeout
        seen: list[dict[str, Any]] = []
        try:
            while True:
                live = _send(root, request, bindings, timeout)
                note_state(seen, live.status_code, _parsed(live))
                if until is None or _poll_done(live, until):
                    break
                if time.monotonic() > deadline:
                    raise ReplayError(f"{cassette.scenario}: {item['name']}: {dict(until)} not reached in "
                                      f"{poll_timeout:.0f} s; the target last answered {live.status_code} "
                                      f"{live.text[:300]!r}")
                time.sleep(0.05)
        except KeyError as error:
            raise ReplayError(f"{cassette.scenario}: {item['name']}: {error.args[0]}") from None
        body = _parsed(live)
        recorded = _recorded_body(response)
        bindings.learn(recorded, body)
        differences = value_differences(recorded, body, bindings)
        problems = in_order(seen, item["poll"]["seen"]) if until is not None and "seen" in item["poll"] else []
        if problems:
            differences += (f"poll states {_states(seen)} (recorded {_states(item['poll']['seen'])}): "
                            + "; ".join(problems),)
        answers.append(Answer(item["name"], response["status"], live.status_code, recorded, body, differences))
    return answers
