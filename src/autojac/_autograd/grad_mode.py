"""Thread-local gradient recording mode: no_grad, enable_grad, set_grad_enabled and
inference_mode, each a context manager and a decorator."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager
from typing import Any


class _State(threading.local):
    enabled = True
    inference = False


state = _State()
_new = object.__new__


def is_grad_enabled() -> bool:
    """Whether operations are currently recorded for reverse-mode autograd."""
    return state.enabled


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode`` block is active."""
    return state.inference


def _decorate(fresh: Callable[[], AbstractContextManager[Any]],
              fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` run inside ``fresh()``, a new context manager for each call."""
    if inspect.isgeneratorfunction(fn):
        return _decorate_generator(fresh, fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with fresh():
            return fn(*args, **kwargs)

    return wrapper


def _decorate_generator(fresh: Callable[[], AbstractContextManager[Any]],
                        fn: Callable[..., Generator[Any, Any, Any]]
                        ) -> Callable[..., Generator[Any, Any, Any]]:
    """The generator function ``fn`` with each step of its generators (start, ``send``,
    ``throw``, ``close``) run inside ``fresh()``: the mode holds while the generator runs and
    the caller's mode is back while it is suspended, as in PyTorch."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        gen = fn(*args, **kwargs)
        try:
            with fresh():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with fresh():
                        gen.close()
                    raise
                except BaseException as e:  # thrown in by the caller: pass it on
                    with fresh():
                        response = gen.throw(e)
                else:
                    with fresh():
                        response = gen.send(request)
        except StopIteration as stop:
            return stop.value

    return wrapper


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
        return _decorate(self._clone, fn)

    def _clone(self) -> _Mode:
        """A new manager like this one, for one call of a decorated function."""
        return type(self)()


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
        return _new(cls)

    def __init__(self, mode: bool) -> None:
        self._prev = state.enabled
        self._target = bool(mode)
        state.enabled = self._target

    def __enter__(self) -> None:
        state.enabled = self._target

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        state.enabled = self._prev
        return super().__call__(fn)

    def _clone(self) -> set_grad_enabled:
        return set_grad_enabled(self._target)


class inference_mode(_Mode):
    """Inference mode on (the default) or off: as a context manager or a decorator (with or
    without parentheses).

    On, it disables recording like ``no_grad``; off, it enables recording. autojac has no
    inference tensors: tensors made inside are ordinary tensors that do not require grad,
    and may be used in recorded computations afterwards. Unlike PyTorch, where nothing is
    recorded in inference mode, ``enable_grad`` inside it turns recording back on.
    """

    __slots__ = ("_mode",)

    def __new__(cls, mode: bool | Callable[..., Any] = True) -> Any:
        self = _new(cls)
        self._mode = mode if isinstance(mode, bool) else True
        return self if isinstance(mode, bool) else self(mode)

    def __enter__(self) -> None:
        self._prev = state.enabled, state.inference
        state.enabled, state.inference = not self._mode, self._mode

    def __exit__(self, *exc: object) -> None:
        state.enabled, state.inference = self._prev

    def _clone(self) -> inference_mode:
        return inference_mode(self._mode)
