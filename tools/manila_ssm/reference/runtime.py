"""What request handlers share: the store, the configuration, and a way to wake the worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from manila_ssm.reference.config import TargetConfig
from manila_ssm.reference.store import Store


@dataclass(frozen=True, slots=True)
class Runtime:
    store: Store
    config: TargetConfig
    wake_worker: Callable[[], None]
    #: run up to n steps of a source server's migration at once (fixture API)
    advance: Callable[[str, int], int]

    @property
    def step(self) -> float:
        return self.config.timings.step
