"""gcpause: start-up objects leave the collector's reach; garbage does not get frozen with them."""

from __future__ import annotations

import gc
import weakref

from manila_ssm import gcpause


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


def test_settle_collects_garbage_first_then_freezes_the_survivors_and_thaw_undoes_it() -> None:
    garbage = _Node()
    gone = weakref.ref(garbage)
    del garbage
    try:
        gcpause.settle()
        assert gone() is None  # collected, not frozen with the rest
        assert gc.get_freeze_count() > 0
        before = gc.get_freeze_count()
        gc.collect()
        assert gc.get_freeze_count() == before  # a full collection leaves the frozen objects alone
    finally:
        gcpause.thaw()
    assert gc.get_freeze_count() == 0


def test_settle_without_collecting_freezes_the_garbage_too_until_thawed() -> None:
    garbage = _Node()
    gone = weakref.ref(garbage)
    del garbage
    try:
        gcpause.settle(collect=False)
        gc.collect()
        assert gone() is not None  # frozen with the rest: not collected yet
    finally:
        gcpause.thaw()
    gc.collect()
    assert gone() is None  # thawed: collected as usual
