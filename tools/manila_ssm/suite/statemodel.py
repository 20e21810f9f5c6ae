"""The migration state machine as data: ``conformance/state-model.yaml``, loaded and checked.

The file is read through PyYAML's node tree so that every mistake names
``file:line``; all mistakes are collected before one :class:`SpecError` is
raised. The loaded :class:`StateModel` is a plain value: which answers each
state allows per action, which progress answers, and which states may follow
which. :mod:`manila_ssm.suite.statejudge` holds targets to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from manila_ssm import paths
from manila_ssm.errors import Finding, Location, Severity, SpecError
from manila_ssm.suite.contract import ACTIONS
from manila_ssm.yamlio import FastSafeLoader

SUCCESS = "success"  # the contract's success code of the action
GONE = "gone"  # the server's GET answers 404
OTHER = "other"  # any status no other state names
MODEL_FILE = "state-model.yaml"


@dataclass(frozen=True, slots=True)
class Answer:
    """What one action gets in one state: ``code`` for a valid request, ``also`` what the request may cause."""

    code: int | str
    also: tuple[int, ...]
    requirement: str
    then: str | None
    source: str
    location: Location

    def codes(self, success_code: int) -> frozenset[int]:
        return frozenset({success_code if self.code == SUCCESS else int(self.code), *self.also})

    def main_code(self, success_code: int) -> int:
        return success_code if self.code == SUCCESS else int(self.code)


@dataclass(frozen=True, slots=True)
class ProgressRow:
    """One allowed get_progress answer; ``task_state`` is the destination's."""

    low: int
    high: int
    task_state: str | None
    linked: bool
    source: str
    location: Location

    def describe(self) -> str:
        value = str(self.low) if self.low == self.high else f"{self.low}..{self.high}"
        return f"{{{value}, {self.task_state!r}, {'<destination id>' if self.linked else repr('')}}}"


@dataclass(frozen=True, slots=True)
class Follow:
    to: str
    after: str | None
    source: str


@dataclass(frozen=True, slots=True)
class View:
    statuses: tuple[str, ...]
    task_states: tuple[str | None, ...] | None

    def matches(self, view: Mapping[str, Any] | None) -> bool:
        if view is None:
            return GONE in self.statuses
        if view.get("status") not in self.statuses:
            return False
        return self.task_states is None or view.get("task_state") in self.task_states


@dataclass(frozen=True, slots=True)
class Pairing:
    """The states the destination of a migration may be in while its source is in one state."""

    states: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class State:
    id: str
    statement: str
    view: View
    answers: Mapping[str, Answer]
    progress: tuple[ProgressRow, ...]
    follows: tuple[Follow, ...]
    location: Location
    destination_in: Pairing | None = None  # None: the destination may be in any state
    # Set (with its evidence) for a state only an upstream race reaches, from a state that follows
    # into it: a view alone never puts a server there, so it cannot excuse a fresh server's answers.
    race: str | None = None


@dataclass(frozen=True, slots=True)
class StateModel:
    states: Mapping[str, State]
    location: Location

    def __getitem__(self, state_id: str) -> State:
        return self.states[state_id]

    def states_for(self, view: Mapping[str, Any] | None, *, races: bool = True) -> tuple[str, ...]:
        """The states a GET view fits: one naming the task state beats one that does not, and
        a state whose status is ``other`` takes what no other state fits. ``races=False`` leaves
        out the states only a race reaches (for a server seen for the first time)."""
        fits = [s for s in self.states.values() if s.view.matches(view) and (races or s.race is None)]
        specific = [s for s in fits if s.view.task_states is not None]
        chosen = specific or fits or [s for s in self.states.values() if OTHER in s.view.statuses and view is not None]
        return tuple(s.id for s in chosen)

    def destinations_allowed(self, source_states: Iterable[str]) -> frozenset[str]:
        """The states a destination may be in while its source may be in any of ``source_states``."""
        allowed: set[str] = set()
        for state_id in source_states:
            pairing = self.states[state_id].destination_in
            if pairing is None:
                return frozenset(self.states)
            allowed.update(pairing.states)
        return frozenset(allowed)

    def source_allows(self, source_state: str, destination_states: Iterable[str]) -> bool:
        """Whether a source may be in ``source_state`` while its destination is in one of those states."""
        pairing = self.states[source_state].destination_in
        return pairing is None or not set(pairing.states).isdisjoint(destination_states)

    def requirements(self) -> frozenset[str]:
        """Every requirement id a row names (``status``/``unknown`` stand for derived ids)."""
        return frozenset(a.requirement for s in self.states.values() for a in s.answers.values())


class _Reader:
    """Walks the composed YAML nodes, collecting findings with their lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.findings: list[Finding] = []
        # Scalars take the values safe_load would give them, from the node's resolved tag.
        self._constructor = yaml.constructor.SafeConstructor()

    def at(self, node: yaml.Node) -> Location:
        return Location(str(self.path), node.start_mark.line + 1)

    def error(self, node: yaml.Node, message: str, hint: str = "") -> None:
        self.findings.append(Finding("SSM-MODEL", Severity.ERROR, self.at(node), message, hint))

    def mapping(self, node: yaml.Node, what: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping")
            return {}
        result: dict[str, yaml.Node] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                self.error(key, f"{what}: keys must be plain names")
                continue
            if key.value in result:
                self.error(key, f"{what}: {key.value!r} appears twice")
            result[key.value] = value
        return result

    def scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return None
        try:
            return self._constructor.construct_object(node)
        except yaml.YAMLError as error:  # a tag safe_load refuses, e.g. !!python/name
            self.error(node, f"cannot read this value: {getattr(error, 'problem', None) or error}",
                       "write plain YAML scalars, without tags")
            return None

    def keys(self, node: yaml.Node, found: Mapping[str, yaml.Node], allowed: tuple[str, ...],
             required: tuple[str, ...], what: str) -> bool:
        ok = True
        for key in found:
            if key not in allowed:
                self.error(found[key], f"{what}: unknown key {key!r}", f"use {', '.join(allowed)}")
                ok = False
        for key in required:
            if key not in found:
                self.error(node, f"{what}: {key!r} is missing")
                ok = False
        return ok

    def text(self, node: yaml.Node | None, what: str) -> str:
        value = self.scalar(node) if node is not None else None
        if not isinstance(value, str) or not value.strip():
            if node is not None:
                self.error(node, f"{what} must be a non-empty string")
            return ""
        return value

    def strings(self, node: yaml.Node, what: str, nullable: bool = False) -> tuple[Any, ...]:
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        values = tuple(self.scalar(item) for item in items)
        for item, value in zip(items, values):
            if not (isinstance(value, str) or (nullable and value is None)):
                self.error(item, f"{what} must be a string{' or null' if nullable else ''}")
        return values

    def code(self, node: yaml.Node, what: str) -> int | str:
        value = self.scalar(node)
        if value == SUCCESS or (isinstance(value, int) and not isinstance(value, bool) and 200 <= value < 600):
            return value
        self.error(node, f"{what} must be an HTTP status or {SUCCESS!r}, got {value!r}")
        return 0

    def answer(self, node: yaml.Node, what: str) -> Answer | None:
        found = self.mapping(node, what)
        if not self.keys(node, found, ("code", "also", "requirement", "then", "source"),
                         ("code", "requirement", "source"), what):
            return None
        also = found.get("also")
        codes = tuple(self.code(item, f"{what}.also") for item in also.value) \
            if isinstance(also, yaml.SequenceNode) else ()
        if also is not None and not isinstance(also, yaml.SequenceNode):
            self.error(also, f"{what}.also must be a list of status codes")
        then = self.text(found["then"], f"{what}.then") if "then" in found else None
        return Answer(self.code(found["code"], f"{what}.code"), tuple(int(c) for c in codes if c != SUCCESS),
                      self.text(found["requirement"], f"{what}.requirement"), then,
                      self.text(found["source"], f"{what}.source"), self.at(node))

    def progress_row(self, node: yaml.Node, what: str) -> ProgressRow | None:
        found = self.mapping(node, what)
        if not self.keys(node, found, ("total_progress", "task_state", "destination", "source"),
                         ("total_progress", "task_state", "destination", "source"), what):
            return None
        total = self.scalar(found["total_progress"]) if isinstance(found["total_progress"], yaml.ScalarNode) \
            else [self.scalar(n) for n in getattr(found["total_progress"], "value", [])]
        low, high = (total, total) if isinstance(total, int) else (tuple(total) + (None, None))[:2] \
            if isinstance(total, list) and len(total) == 2 else (None, None)
        if not (isinstance(low, int) and isinstance(high, int) and 0 <= low <= high <= 100):
            self.error(found["total_progress"], f"{what}.total_progress must be 0..100 or [low, high], got {total!r}")
            return None
        state = self.scalar(found["task_state"])
        if state is not None and not isinstance(state, str):
            self.error(found["task_state"], f"{what}.task_state must be a string or null")
        destination = self.scalar(found["destination"])
        if destination not in ("none", "linked"):
            self.error(found["destination"], f"{what}.destination must be none or linked, got {destination!r}")
        return ProgressRow(low, high, state, destination == "linked", self.text(found["source"], f"{what}.source"),
                           self.at(node))

    def state(self, name: str, node: yaml.Node) -> State | None:
        what = f"states.{name}"
        found = self.mapping(node, what)
        if not self.keys(node, found, ("statement", "view", "answers", "progress", "follows", "destination_in", "race"),
                         ("statement", "view", "answers"), what):
            return None
        view_nodes = self.mapping(found["view"], f"{what}.view")
        self.keys(found["view"], view_nodes, ("status", "task_state"), ("status",), f"{what}.view")
        statuses = self.strings(view_nodes["status"], f"{what}.view.status") if "status" in view_nodes else ()
        tasks = self.strings(view_nodes["task_state"], f"{what}.view.task_state", nullable=True) \
            if "task_state" in view_nodes else None
        answer_nodes = self.mapping(found["answers"], f"{what}.answers")
        answers: dict[str, Answer] = {}
        for action in ACTIONS:
            if action not in answer_nodes:
                self.error(found["answers"], f"{what}.answers: no row for {action}", "every state answers all five")
                continue
            row = self.answer(answer_nodes[action], f"{what}.answers.{action}")
            if row is not None:
                answers[action] = row
        for extra in set(answer_nodes) - set(ACTIONS):
            self.error(answer_nodes[extra], f"{what}.answers: {extra!r} is none of the five actions")
        progress_node = found.get("progress")
        rows = tuple(r for i, item in enumerate(getattr(progress_node, "value", None) or ())
                     if (r := self.progress_row(item, f"{what}.progress[{i}]")) is not None)
        follows: list[Follow] = []
        for i, item in enumerate(getattr(found.get("follows"), "value", None) or ()):
            entry = self.mapping(item, f"{what}.follows[{i}]")
            if self.keys(item, entry, ("to", "after", "source"), ("to", "source"), f"{what}.follows[{i}]"):
                after = self.text(entry["after"], f"{what}.follows[{i}].after") if "after" in entry else None
                follows.append(Follow(self.text(entry["to"], f"{what}.follows[{i}].to"), after,
                                      self.text(entry["source"], f"{what}.follows[{i}].source")))
        pairing = self.pairing(found["destination_in"], f"{what}.destination_in") if "destination_in" in found else None
        race = self.text(found["race"], f"{what}.race") if "race" in found else None
        return State(name, self.text(found["statement"], f"{what}.statement"),
                     View(tuple(statuses), tasks), answers, rows, tuple(follows), self.at(node), pairing, race)

    def pairing(self, node: yaml.Node, what: str) -> Pairing | None:
        found = self.mapping(node, what)
        if not self.keys(node, found, ("states", "source"), ("states", "source"), what):
            return None
        if not isinstance(found["states"], yaml.SequenceNode) or not found["states"].value:
            self.error(found["states"], f"{what}.states must be a non-empty list of state names")
            return None
        states = self.strings(found["states"], f"{what}.states")
        return Pairing(tuple(s for s in states if isinstance(s, str)), self.text(found["source"], f"{what}.source"))

    def check_links(self, states: Mapping[str, State], nodes: Mapping[str, yaml.Node]) -> None:
        for state in states.values():
            node = nodes[state.id]
            for follow in state.follows:
                if follow.to not in states:
                    self.error(node, f"states.{state.id}: follows unknown state {follow.to!r}")
                if follow.after is not None and follow.after not in ACTIONS:
                    self.error(node, f"states.{state.id}: follows after {follow.after!r}, none of the five actions")
            for action, answer in state.answers.items():
                if answer.then is not None and answer.then not in states:
                    self.error(node, f"states.{state.id}.answers.{action}: then names unknown state {answer.then!r}")
            for paired in state.destination_in.states if state.destination_in is not None else ():
                if paired not in states:
                    self.error(node, f"states.{state.id}.destination_in names unknown state {paired!r}")
            has_success = state.answers.get("migration_get_progress")
            if has_success is not None and has_success.code == SUCCESS and not state.progress:
                self.error(node, f"states.{state.id}: get_progress succeeds but no progress rows are given")


def load(path: Path | None = None) -> StateModel:
    """Read and check the model file; :class:`SpecError` lists every mistake with its line."""
    path = path or paths.conformance_dir() / MODEL_FILE
    reader = _Reader(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=FastSafeLoader)
    except OSError as error:
        raise SpecError(Finding("SSM-MODEL", Severity.ERROR, Location(str(path)),
                                f"cannot read the state model: {error.strerror or error}")) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise SpecError(Finding("SSM-MODEL", Severity.ERROR,
                                Location(str(path), mark.line + 1 if mark else None),
                                f"not YAML: {getattr(error, 'problem', None) or error}")) from None
    if root is None:
        raise SpecError(Finding("SSM-MODEL", Severity.ERROR, Location(str(path)), "the state model file is empty"))
    top = reader.mapping(root, "the state model")
    reader.keys(root, top, ("model", "states"), ("model", "states"), "the state model")
    state_nodes = reader.mapping(top["states"], "states") if "states" in top else {}
    states = {name: state for name, node in state_nodes.items() if (state := reader.state(name, node)) is not None}
    reader.check_links(states, state_nodes)
    if reader.findings:
        raise SpecError(reader.findings)
    return StateModel(states, reader.at(root))


@cache
def shipped() -> StateModel:
    """The model the suite uses (``conformance/state-model.yaml``), loaded once per process."""
    return load()
