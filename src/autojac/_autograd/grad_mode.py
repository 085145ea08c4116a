"""Thread-local gradient recording mode: no_grad, enable_grad, set_grad_enabled."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any


class _State(threading.local):
    enabled = True


state = _State()
_new = object.__new__


def is_grad_enabled() -> bool:
    """Whether operations are currently recorded for reverse-mode autograd."""
    return state.enabled


class _Mode:
    """Base of the grad-mode context managers, also usable as decorators (with or without
    parentheses: ``@no_grad()`` and ``@no_grad``)."""

    __slots__ = ("_prev",)
    _target = True

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:
        self = _new(cls)
        return self if func is None or not callable(func) else self(func)

    def __enter__(self) -> None:
        self._prev = state.enabled
        state.enabled = self._target

    def __exit__(self, *exc: object) -> None:
        state.enabled = self._prev

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_Mode):
    """Disable recording: inside ``with autojac.no_grad():`` results do not require grad."""

    __slots__ = ()

    _target = False


class enable_grad(_Mode):
    """Enable recording inside a ``no_grad`` block."""

    __slots__ = ()

    _target = True


class set_grad_enabled(_Mode):
    """Set recording on or off: as a function, a context manager or a decorator."""

    __slots__ = ("_target",)

    def __new__(cls, mode: bool) -> set_grad_enabled:
        return object.__new__(cls)

    def __init__(self, mode: bool) -> None:
        self._prev = state.enabled
        self._target = bool(mode)
        state.enabled = self._target

    def __enter__(self) -> None:
        pass

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        state.enabled = self._prev
        mode = self._target

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper
