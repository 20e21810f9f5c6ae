"""docutils' reST state machines, reused within one parse instead of rebuilt for every nested block.

docutils builds a new nested state machine for every list, field list and
directive option block: fifteen states, each compiling its transition table.
On an os-api-ref tree (a parameter list in every ``rest_parameters``) that
construction was a fifth of ``spec build``'s CPU. Here a machine that has
finished (``unlink``) goes back to a pool owned by the parse, and is handed
out again with its own and its states' attributes restored to what they were
when it was built, so a reused machine starts exactly as a new one would.
Only machines of the standard state classes are pooled (a state that edits
its own transitions, as the quoted-literal-block one does, always gets a new
machine); the pool lives and dies with one parse, so nothing is shared
between parses or with other users of docutils in the process.
"""

from __future__ import annotations

from typing import Any

from docutils.parsers.rst import states


def _nested_machine(
    state_classes: Any, initial_state: str, debug: bool = False, parent_state_machine: Any = None
) -> states.NestedStateMachine:
    """The nested machine a state asks for: a pooled one when it is of our state classes."""
    pool = getattr(parent_state_machine, "apiref_pool", None)
    if pool is None or state_classes is not STATE_CLASSES:
        return states.NestedStateMachine(state_classes, initial_state, debug, parent_state_machine)
    free = pool.free.get(initial_state)
    if free:
        machine = free.pop()
        machine.reset(parent_state_machine)
        return machine
    return _PooledMachine(pool, initial_state, debug, parent_state_machine)


class _Pool:
    """The finished machines of one parse (by initial state), and the cache of ``nested_parse``."""

    def __init__(self) -> None:
        self.free: dict[str, list[_PooledMachine]] = {}
        self.all: list[_PooledMachine] = []
        self.nested_parse_cache: list[states.NestedStateMachine] = []


class _PooledState:
    """Mixed into each standard state class: nested machines come from the parse's pool."""

    nested_sm = staticmethod(_nested_machine)

    def __init__(self, state_machine: Any, debug: bool = False) -> None:
        super().__init__(state_machine, debug)  # type: ignore[call-arg]
        # RSTState.__init__ names docutils' own classes; the same dict also serves
        # as indent_sm_kwargs and known_indent_sm_kwargs.
        self.nested_sm_kwargs["state_classes"] = STATE_CLASSES  # type: ignore[attr-defined]
        # docutils keeps the machines of plain nested_parse calls in a class-level list;
        # ours are per parse.
        self.nested_sm_cache = state_machine.apiref_pool.nested_parse_cache

    def unlink(self) -> None:
        """docutils' unlink, and the transition table too: its bound methods hold the state in a cycle."""
        super().unlink()  # type: ignore[misc]
        self.transitions = {}


STATE_CLASSES: list[type] = [
    type(cls.__name__, (_PooledState, cls), {"__module__": __name__, "__doc__": cls.__doc__})
    for cls in states.state_classes
]
"""docutils' standard reST states, each with :class:`_PooledState` mixed in (same names)."""


class _PooledMachine(states.NestedStateMachine):
    """A nested machine that returns to its pool when docutils is done with it."""

    def __init__(self, pool: _Pool, initial_state: str, debug: bool, parent_state_machine: Any) -> None:
        self.apiref_pool = pool
        super().__init__(STATE_CLASSES, initial_state, debug, parent_state_machine)
        self._fresh = {key: value for key, value in self.__dict__.items() if key != "parent_state_machine"}
        self._fresh_states = {name: dict(state.__dict__) for name, state in self.states.items()}
        pool.all.append(self)

    def reset(self, parent_state_machine: Any) -> None:
        """Back to the attributes it had when built (docutils sets some on states before a run)."""
        fresh, fresh_states = self._fresh, self._fresh_states
        for name, state in fresh_states.items():
            attributes = self.states[name].__dict__
            attributes.clear()
            attributes.update(state)
        self.__dict__.clear()
        self.__dict__.update(fresh)
        self._fresh, self._fresh_states = fresh, fresh_states
        self.observers = []  # the one mutable attribute a run fills in place (attach_observer)
        self.parent_state_machine = parent_state_machine

    def unlink(self) -> None:
        # docutils still reads abs_line_offset() after unlink(): the reset waits for the next use.
        self.apiref_pool.free.setdefault(self.initial_state, []).append(self)

    def release(self) -> None:
        """docutils' own unlink: break the cycles between the machine and its states."""
        states.NestedStateMachine.unlink(self)
        self._fresh = self._fresh_states = {}  # their transition tables hold the states


class Pool(_Pool):
    """Finished machines shared by the parses of one tree's pages (``_splice``), released by its owner.

    docutils keeps the machines of plain ``nested_parse`` calls for every
    later parse in the process; a page parsed on its own reuses those of the
    pages before it in the same way, instead of building its own.
    """

    def release(self) -> None:
        """Break every cycle of the machines in the pool."""
        for machine in self.all:
            if machine.states is not None:
                machine.release()
        for machines in (self.all, self.nested_parse_cache, *self.free.values()):
            machines.clear()  # the states still point at these lists


class TopMachine(states.RSTStateMachine):
    """The document's machine, owning the pool its nested machines come from (or using a shared one)."""

    def __init__(self, initial_state: str = "Body", debug: bool = False, pool: Pool | None = None) -> None:
        self.apiref_pool = pool or Pool()
        self.owns_pool = pool is None
        super().__init__(STATE_CLASSES, initial_state, debug)

    def release(self) -> None:
        """Break every cycle of the parse's machines (its own pool ends with the parse)."""
        if self.owns_pool:
            self.apiref_pool.release()
        self.apiref_pool = _Pool()
        self.unlink()


__all__ = ["STATE_CLASSES", "Pool", "TopMachine"]
