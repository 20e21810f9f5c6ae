"""The state model file and its judge: located errors, the shipped rows, and the judgement of answers."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from manila_ssm.errors import SpecError
from manila_ssm.suite import catalogue as cat
from manila_ssm.suite import contract as contracts
from manila_ssm.suite import statemodel
from manila_ssm.suite.statejudge import Tracker

SUCCESS = {"migration_check": 200, "migration_start": 202, "migration_complete": 200, "migration_cancel": 202,
           "migration_get_progress": 200}
LINKED = "0f0f0f0f-0000-4000-8000-000000000000"


def progress(total, task, dest=LINKED):
    return {"total_progress": total, "task_state": task, "destination_share_server_id": dest}


def test_the_shipped_model_loads_and_every_state_is_reachable() -> None:
    model = statemodel.shipped()
    reachable, todo = {"idle", "unknown"}, ["idle"]
    while todo:
        state = model[todo.pop()]
        nexts = [f.to for f in state.follows] + [a.then for a in state.answers.values() if a.then]
        for name in nexts:
            if name not in reachable:
                reachable.add(name)
                todo.append(name)
    # the destination is a server of its own: it is reached by aiming at it, not by following the source
    assert set(model.states) - reachable == {"destination"}


@pytest.mark.parametrize("contract", ["effective", "documented"])
def test_every_requirement_a_row_names_is_in_the_catalogue(contract: str) -> None:
    catalogue = cat.build(contracts.load(contract))
    tracker = Tracker(statemodel.shipped(), {a: t.success_code for a, t in contracts.load(contract).actions.items()})
    for state in statemodel.shipped().states.values():
        for action, answer in state.answers.items():
            assert tracker.requirement(action, answer.requirement) in catalogue, (state.id, action)
            assert "§" in answer.source, f"{state.id}.{action} cites no section of the behaviour notes"
        for row in state.progress:
            assert "§" in row.source


BROKEN_FILES = [
    ("not-yaml", "states: [\n", 2, "not YAML"),
    ("unknown-key", """
        model: 1
        states:
          idle:
            statement: s
            view: {status: active}
            colour: red
            answers: {}
        """, 6, "unknown key 'colour'"),
    ("missing-action", """
        model: 1
        states:
          idle:
            statement: s
            view: {status: active}
            answers:
              migration_check: {code: 200, requirement: r, source: "§1"}
        """, 7, "no row for migration_start"),
    ("bad-code", """
        model: 1
        states:
          idle:
            statement: s
            view: {status: active}
            answers:
              migration_check: {code: 99, requirement: r, source: "§1"}
        """, 7, "must be an HTTP status"),
    ("unknown-follow", """
        model: 1
        states:
          idle:
            statement: s
            view: {status: active}
            answers: {}
            follows:
              - {to: nowhere, source: "§1"}
        """, 4, "follows unknown state 'nowhere'"),
    ("bad-progress", """
        model: 1
        states:
          idle:
            statement: s
            view: {status: active}
            answers: {}
            progress:
              - {total_progress: 150, task_state: "", destination: none, source: "§1"}
        """, 8, "total_progress must be 0..100"),
    ("tagged-value", """
        model: 1
        states:
          idle:
            statement: !!python/name:os.system s
            view: {status: active}
            answers: {}
        """, 4, "cannot read this value"),
    ("unknown-paired-state", """
        model: 1
        states:
          idle:
            statement: s
            view: {status: active}
            destination_in: {states: [elsewhere], source: "§1"}
            answers: {}
        """, 4, "destination_in names unknown state 'elsewhere'"),
    ("paired-states-not-a-list", """
        model: 1
        states:
          idle:
            statement: s
            view: {status: active}
            destination_in: {states: elsewhere, source: "§1"}
            answers: {}
        """, 6, "destination_in.states must be a non-empty list"),
]


@pytest.mark.parametrize(("text", "line", "message"), [c[1:] for c in BROKEN_FILES], ids=[c[0] for c in BROKEN_FILES])
def test_mistakes_are_located(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n") if text.startswith("\n") else text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        statemodel.load(path)
    found = [f for f in caught.value.findings if message in f.message]
    assert found, [f.format() for f in caught.value.findings]
    assert found[0].location == found[0].location.__class__(str(path), line)


# (steps, the requirement the last step breaks or None); a step is (action, status, body) or ("view", view)
JUDGEMENTS = [
    ("idle refuses complete", [("migration_complete", 400, None)], None),
    ("complete on an idle server", [("migration_complete", 200, {})], "SSM-COMPLETE-IDLE-400"),
    ("start, then progress before the link", [("migration_start", 202, None),
                                              ("migration_get_progress", 200, progress(0, "", ""))], None),
    ("success during phase 1", [("migration_start", 202, None), ("view", "server_migrating",
                                                                 "migration_driver_in_progress"),
                                ("migration_get_progress", 200, progress(40, "migration_success"))],
     "SSM-PROGRESS-TASK-STATE-BY-STATE"),
    ("phase 1 done below 100", [("view", "server_migrating", "migration_driver_phase1_done"),
                                ("migration_get_progress", 200, progress(50, "migration_driver_phase1_done"))],
     "SSM-PROGRESS-VALUE-BY-STATE"),
    ("empty destination after the link", [("view", "server_migrating", "migration_driver_starting"),
                                          ("migration_get_progress", 200, progress(0, "migration_driver_starting", ""))],
     "SSM-PROGRESS-DEST-LINKED"),
    ("complete after a finished cancel", [("view", "active", "migration_cancelled"), ("migration_complete", 200, {})],
     "SSM-AFTER-CANCEL-400"),
    ("complete right after an accepted cancel may still be taken", [
        ("view", "server_migrating", "migration_driver_phase1_done"), ("migration_cancel", 202, None),
        ("migration_complete", 200, {})], None),
    ("cancel held, then the cancelled state", [
        ("view", "server_migrating", "migration_driver_phase1_done"), ("migration_cancel", 202, None),
        ("view", "server_migrating", "migration_cancel_in_progress"), ("view", "active", "migration_cancelled")], None),
    # upstream's race (state-model.yaml, cancel_overtaken): the periodic task writes phase 1 done
    # over a running cancel, which then finishes; probed on manila 23.0.1
    ("a cancel overtaken by the periodic task", [
        ("view", "server_migrating", "migration_driver_in_progress"), ("migration_cancel", 202, None),
        ("view", "server_migrating", "migration_cancel_in_progress"),
        ("view", "server_migrating", "migration_driver_phase1_done"), ("view", "active", "migration_cancelled")], None),
    ("the race excuses no server seen first at phase 1 done", [
        ("view", "server_migrating", "migration_driver_phase1_done"), ("view", "active", "migration_cancelled")],
     "SSM-STATE-TRANSITIONS"),
    ("a complete while a cancel is seen running is refused, race or not", [
        ("view", "server_migrating", "migration_cancel_in_progress"), ("migration_complete", 200, {})],
     "SSM-COMPLETE-LATE-400"),
    ("once the race is seen, the API answers by the task state it wrote", [
        ("view", "server_migrating", "migration_cancel_in_progress"),
        ("view", "server_migrating", "migration_driver_phase1_done"), ("migration_cancel", 202, None)], None),
    ("a running cancel does not step back into phase 1", [
        ("view", "server_migrating", "migration_cancel_in_progress"),
        ("view", "server_migrating", "migration_driver_in_progress")], "SSM-STATE-TRANSITIONS"),
    ("a view that steps back", [("view", "server_migrating", "migration_driver_phase1_done"),
                                ("view", "server_migrating", "migration_driver_in_progress")], "SSM-STATE-TRANSITIONS"),
    ("cancel before the driver, time passing", [("view", "server_migrating", "migration_in_progress"),
                                                ("migration_cancel", 202, None)], None),
    ("cancel before the driver", [("view", "server_migrating", "migration_in_progress"), ("hold",),
                                  ("migration_cancel", 202, None)], "SSM-CANCEL-EARLY-400"),
    ("progress refused in phase 1", [("view", "server_migrating", "migration_driver_starting"), ("hold",),
                                     ("migration_get_progress", 400, None)], "SSM-PROGRESS-STATUS-200"),
    ("the destination refuses check", [("view", "server_migrating_to", "migration_driver_in_progress"), ("hold",),
                                       ("migration_check", 200, {})], "SSM-DESTINATION-REFUSES"),
    ("progress after success", [("view", "inactive", "migration_success"), ("view", None, None),
                                ("migration_get_progress", 200, progress(100, "migration_success"))], None),
]


@pytest.mark.parametrize(("steps", "expected"), [j[1:] for j in JUDGEMENTS], ids=[j[0] for j in JUDGEMENTS])
def test_answers_are_judged_by_the_observed_state(steps, expected) -> None:
    tracker = Tracker(statemodel.shipped(), SUCCESS)
    if steps[0][0] != "view":  # otherwise the first view sets what the suite knows
        tracker.assume("s", ["idle"])
    outcome = None
    for step in steps:
        if step[0] == "hold":
            tracker.held.add("s")
        elif step[0] == "view":
            view = None if step[1] is None else {"status": step[1], "task_state": step[2]}
            outcome = tracker.observe("s", view)
        else:
            outcome, _ = tracker.judge("s", *step)
    assert (outcome.requirement if outcome else None) == expected, outcome and outcome.message


def test_every_pairing_cites_its_section() -> None:
    model = statemodel.shipped()
    paired = {s.id: s.destination_in for s in model.states.values() if s.destination_in is not None}
    assert {"phase1_done", "removed", "migrated", "cancelled"} <= set(paired)
    for state_id, pairing in paired.items():
        assert "§" in pairing.source, state_id
        assert set(pairing.states) <= set(model.states), state_id


def _view(status, task_state, source=None):
    view = None if status is None else {"status": status, "task_state": task_state}
    if source is not None:
        view["source_share_server_id"] = source
    return view


# A source "s" and its destination "d"; a step is (server, action, status, body) or (server, "view", view)
PAIRED = [
    ("the destination refuses check while its source waits at phase 1 done", [
        ("s", "view", _view("server_migrating", "migration_driver_phase1_done")),
        ("d", "view", _view("server_migrating_to", "migration_driver_phase1_done", "s")),
        ("d", "migration_check", 200, {})], "SSM-DESTINATION-REFUSES"),
    ("the destination's progress is refused by its own row, not the unknown-id one", [
        ("s", "view", _view("server_migrating", "migration_driver_phase1_done")),
        ("d", "view", _view("server_migrating_to", "migration_driver_phase1_done", "s")),
        ("d", "migration_get_progress", 200, progress(100, "migration_driver_phase1_done"))],
     "SSM-DESTINATION-REFUSES"),
    ("unpaired, a destination may have become active since", [
        ("s", "view", _view("server_migrating", "migration_driver_phase1_done")),
        ("d", "view", _view("server_migrating_to", "migration_driver_phase1_done")),
        ("d", "migration_check", 200, {})], None),
    ("the destination turns active while its source waits at phase 1 done", [
        ("s", "view", _view("server_migrating", "migration_driver_phase1_done")),
        ("d", "view", _view("server_migrating_to", "migration_driver_phase1_done", "s")),
        ("d", "view", _view("active", "migration_success", "s"))], "SSM-STATE-TRANSITIONS"),
    ("the destination may turn active before the source's asynchronous delete", [
        ("s", "view", _view("server_migrating", "migration_driver_phase1_done")),
        ("d", "view", _view("server_migrating_to", "migration_driver_phase1_done", "s")),
        ("s", "migration_complete", 200, {}), ("s", "view", _view("inactive", "migration_success")),
        ("d", "view", _view("active", "migration_success", "s")), ("s", "view", None),
        ("s", "migration_get_progress", 200, progress(100, "migration_success"))], None),
    ("a deleted source whose destination is active answers progress", [
        ("s", "view", _view("server_migrating", "migration_driver_phase1_done")),
        ("d", "view", _view("server_migrating_to", "migration_driver_phase1_done", "s")),
        ("s", "migration_complete", 200, {}), ("s", "view", None),
        ("d", "view", _view("active", "migration_success", "s")),
        ("s", "migration_get_progress", 400, None)], "SSM-PROGRESS-AFTER-SUCCESS"),
    ("a deleted source whose destination is not yet active may refuse progress", [
        ("s", "view", _view("server_migrating", "migration_driver_phase1_done")),
        ("d", "view", _view("server_migrating_to", "migration_driver_phase1_done", "s")),
        ("s", "migration_complete", 200, {}), ("s", "view", None),
        ("d", "view", _view("server_migrating_to", "migration_completing", "s")),
        ("s", "migration_get_progress", 400, None)], None),
    ("the cancelled destination is inactive, and refuses as such", [
        ("s", "view", _view("server_migrating", "migration_driver_phase1_done")),
        ("d", "view", _view("server_migrating_to", "migration_driver_phase1_done", "s")),
        ("s", "migration_cancel", 202, None), ("s", "view", _view("active", "migration_cancelled")),
        ("d", "view", _view("inactive", "migration_cancelled", "s")), ("d", "migration_check", 200, {})],
     "SSM-NOT-ACTIVE-REFUSES"),
]


@pytest.mark.parametrize(("steps", "expected"), [j[1:] for j in PAIRED], ids=[j[0] for j in PAIRED])
def test_a_destination_is_judged_with_its_source(steps, expected) -> None:
    tracker = Tracker(statemodel.shipped(), SUCCESS)
    outcome = None
    for server, kind, *rest in steps:
        if kind == "view":
            outcome = tracker.observe(server, rest[0])
        else:
            outcome, _ = tracker.judge(server, kind, *rest)
    assert (outcome.requirement if outcome else None) == expected, outcome and outcome.message


def test_a_new_start_or_a_divergence_ends_the_pairing() -> None:
    tracker = Tracker(statemodel.shipped(), SUCCESS)
    tracker.observe("s", _view("active", "migration_cancelled"))
    tracker.observe("d", _view("server_migrating_to", "migration_driver_phase1_done", "s"))
    assert tracker.pairs == {"d": "s"}
    tracker.judge("s", "migration_start", 202, None)
    assert tracker.pairs == {}
    tracker.observe("s", _view("server_migrating", "migration_driver_phase1_done"))
    tracker.observe("d2", _view("server_migrating_to", "migration_driver_phase1_done", "s"))
    assert tracker.pairs == {"d2": "s"}
    divergence, _ = tracker.judge("d2", "migration_cancel", 202, None)
    assert divergence is not None and divergence.requirement == "SSM-DESTINATION-REFUSES"
    assert tracker.pairs == {}  # the restarted belief of d2 must not hold s to anything
