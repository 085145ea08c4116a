"""Tensor hooks (``Tensor.register_hook``): functions of a tensor's gradient.

The backward pass runs a tensor's hooks, in the order they were registered, once that
tensor's gradient is complete: a leaf's before it is accumulated into ``.grad`` (or
returned by ``autograd.grad``), another tensor's before it flows on into the node that
made the tensor. A hook that returns a tensor replaces the gradient: it must be a tensor of
the gradient's dtype and shape, as PyTorch checks. A hook stays with
the node its tensor came from when it was registered. Passes over a graph with hooks are
never replayed (``structure``): a hook is Python the replay cannot see.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from .._tensor import Tensor, python_type_name, scalar_type_name

registered = [0]  # hooks registered so far in this process: nothing to look up while 0
# node -> (tensor, output number) of its outputs with hooks
_watched: weakref.WeakKeyDictionary[Any, list[tuple[weakref.ref, int]]] = (
    weakref.WeakKeyDictionary())


class RemovableHandle:
    """What ``register_hook`` returns: ``remove()`` takes the hook off again."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list[Callable[..., Any]], hook: Callable[..., Any]) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def register(t: Any, hook: Callable[..., Any]) -> RemovableHandle:
    """Add ``hook`` to the hooks of ``t`` (a tensor that requires grad)."""
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    hooks = getattr(t, "_hooks", None)
    if hooks is None:
        hooks = t._hooks = []
        if t.grad_fn is not None:
            _watched.setdefault(t.grad_fn, []).append((weakref.ref(t), t._output_nr))
    hooks.append(hook)
    registered[0] += 1
    return RemovableHandle(hooks, hook)


def run(t: Any, g: Any) -> Any:
    """``g``, the gradient of ``t``, through ``t``'s hooks."""
    for hook in list(getattr(t, "_hooks", ())):
        out = hook(g)
        if out is not None:
            _check_result(hook, g, out)
            g = out
    return g


def _check_result(hook: Callable[..., Any], g: Tensor, out: Any) -> None:
    """Raise PyTorch's error when ``out``, what ``hook`` returned, cannot replace ``g``."""
    if not isinstance(out, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{python_type_name(out)}'")
    name = getattr(hook, "__name__", "<unknown>")
    if out._data.dtype != g._data.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value "
                           f"(was {_tensor_type(g)} got {_tensor_type(out)})")
    if out.shape != g.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")


_LEGACY_TYPES = frozenset({"Byte", "Char", "Short", "Int", "Long", "Half", "Float", "Double"})


def _tensor_type(t: Tensor) -> str:
    """A tensor's type as PyTorch's errors print it: ``autojac.FloatTensor``, or
    ``CPUBoolType`` for a dtype without a legacy tensor type (bool, complex)."""
    name = scalar_type_name(t._data.dtype)
    return f"autojac.{name}Tensor" if name in _LEGACY_TYPES else f"CPU{name}Type"


def on_node(node: Any, grads: list[Any]) -> list[Any]:
    """The cotangents of ``node``'s outputs, through the hooks of its hooked outputs."""
    watched = _watched.get(node)
    if not watched:
        return grads
    grads = list(grads)
    for ref, nr in watched:
        t = ref()
        if t is not None and grads[nr] is not None:
            grads[nr] = run(t, grads[nr])
    return grads


def watched(node: Any) -> bool:
    """Whether an output of ``node`` has hooks."""
    return bool(_watched.get(node))


def has_hooks(t: Any) -> bool:
    return bool(getattr(t, "_hooks", None))
