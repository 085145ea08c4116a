"""Which backward pass is being taped for replay, per thread (see ``replay``).

Free of imports so that the Tensor can report reads of its values here.
"""

from __future__ import annotations

import threading
from typing import Any


class _State(threading.local):
    tape: Any = None  # the replay.Tape recording this thread's backward pass, if any
    eager = False  # whether passes run eagerly, neither taped nor replayed


state = _State()


def refuse(reason: str) -> None:
    """The pass being taped (if any) cannot be replayed, for ``reason``."""
    tape = state.tape
    if tape is not None:
        tape.refuse(reason)


def made(t: Any, make: Any, *args: Any) -> None:
    """``t`` was made outside an op as ``make(*args)``, from shapes and dtypes alone: the
    pass being taped (if any) makes it again on replay."""
    tape = state.tape
    if tape is not None:
        tape.made(t, lambda: make(*args))


def derived(t: Any, fn: Any, sources: tuple, *params: Any) -> None:
    """``t`` was made outside an op as ``fn(*[s._data for s in sources], *params)``: the
    pass being taped (if any) makes it again on replay from what ``sources`` are then."""
    tape = state.tape
    if tape is not None:
        tape.derived(t, fn, sources, params)


def checked(t: Any, test: Any) -> bool:
    """``test(t's array)``, a bool the computation branches on: a replay of the pass being
    taped (if any) tests the same and gives way to an eager run where the answer differs."""
    answer = bool(test(t._data))
    tape = state.tape
    if tape is not None:
        tape.guard(t, test, answer)
    return answer


VALUE_READ = "a rule read a tensor's values in Python (it may branch on them)"
IN_PLACE = "a rule wrote into a tensor in place"
