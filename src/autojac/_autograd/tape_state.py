"""Which backward pass is being taped for replay, per thread (see ``replay``).

Free of imports so that the Tensor can report reads of its values here.
"""

from __future__ import annotations

import threading
from typing import Any


class _State(threading.local):
    tape: Any = None  # the replay.Tape recording this thread's backward pass, if any


state = _State()


def refuse(reason: str) -> None:
    """The pass being taped (if any) cannot be replayed, for ``reason``."""
    tape = state.tape
    if tape is not None:
        tape.refuse(reason)


VALUE_READ = "a rule read a tensor's values in Python (it may branch on them)"
IN_PLACE = "a rule wrote into a tensor in place"
