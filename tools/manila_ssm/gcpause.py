"""Keep the garbage collector's full passes off the request path.

A long-lived process holds tens of thousands of objects from start-up
(imported modules, the contract, schemathesis); every full collection walks
all of them, which on this project's processes took 77-112 ms each: pauses
that land on whichever request or test is running. Start-up objects live as
long as the process, so once start-up is done they are moved to the
permanent generation (:func:`gc.freeze`) and later collections walk only
what was made since. Nothing is leaked: garbage is collected first (or,
for a process that thaws, after the thaw), and :func:`thaw` hands the
frozen objects back for a process that goes on to other work (pytest
sessions run one after another in one interpreter).
"""

from __future__ import annotations

import gc


def settle(*, collect: bool = True) -> None:
    """Exempt everything alive now from later collections, after collecting start-up's garbage.

    ``collect=False`` skips that full pass (0.1 s on the suite's heap) for a
    process that calls :func:`thaw` when it is done: the garbage frozen with
    the rest is collected after that.
    """
    if collect:
        gc.collect()
    gc.freeze()


def thaw() -> None:
    """Undo :func:`settle`: frozen objects are collectable again (in the oldest generation)."""
    gc.unfreeze()
