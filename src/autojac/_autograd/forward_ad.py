"""Forward-AD state: the active dual level and the tensors that carry tangents in it."""

from __future__ import annotations

import weakref

from .._tensor import Tensor


class _State:
    """``level`` is the active dual level (None outside one); ``active`` is False while a
    jvp rule itself runs, so that rules see primal values only."""

    __slots__ = ("level", "active", "duals")

    def __init__(self) -> None:
        self.level: int | None = None
        self.active = False
        self.duals: list[weakref.ref] = []


state = _State()


def attach_tangent(t: Tensor, tangent: Tensor) -> None:
    """Give ``t`` a tangent for the current level; it is cleared when the level exits."""
    t._fw = tangent
    state.duals.append(weakref.ref(t))


def enter_level() -> int:
    if state.level is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    state.level = 0
    state.active = True
    return 0


def exit_level() -> None:
    for ref in state.duals:
        t = ref()
        if t is not None:
            t._fw = None
    state.duals = []
    state.level = None
    state.active = False
