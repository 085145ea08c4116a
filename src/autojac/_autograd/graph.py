"""Graph nodes: what a recorded operation keeps for its backward pass."""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from . import tape_state

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


def edge_of(t: Any) -> tuple[Any, int] | None:
    """Where a cotangent for ``t`` goes: its grad_fn output, the leaf itself, or nowhere."""
    if type(t) is not Tensor and not isinstance(t, Tensor):
        return None
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    if t._rg:
        return (t, 0)
    return None


class AccumulateGrad:
    """The sink of a leaf tensor, as seen through ``next_functions``."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    next_functions: tuple = ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


_TYPE_NAMES = {
    "float32": "Float",
    "float64": "Double",
    "float16": "Half",
    "int64": "Long",
    "int32": "Int",
    "bool": "Bool",
    "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}


class Node:
    """Base of every graph node: ``edges`` lead to the inputs' nodes or leaves.

    Subclasses implement ``backward(grads, needed)``: cotangents of the node's outputs
    (a list, one per output, ``None`` where nothing flowed) to one cotangent per edge.
    """

    __slots__ = ("edges", "n_out", "retained", "freed", "__weakref__")

    def name(self) -> str:
        raise NotImplementedError

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        out = []
        for e in self.edges:
            if e is None:
                out.append((None, 0))
            elif isinstance(e[0], Tensor):
                out.append((AccumulateGrad(e[0]), 0))
            else:
                out.append(e)
        return tuple(out)

    def retain(self, tensor: Tensor) -> None:
        """Remember ``tensor`` (an output of this node) so backward fills its ``.grad``."""
        if self.retained is None:
            self.retained = []
        self.retained.append(weakref.ref(tensor))

    def forget(self, tensor: Tensor) -> None:
        """No longer retain ``tensor``'s grad here (it has moved to another node)."""
        if self.retained:
            self.retained = [r for r in self.retained if r() is not tensor]

    def release(self) -> None:
        """Drop saved values after a backward pass without ``retain_graph``."""
        self.freed = True

    def see_inputs_as_recorded(self) -> None:
        """Give back to this node the inputs that were reshaped in place after it read them
        (see ``as_recorded``)."""

    def class_name(self) -> str:
        """The name of PyTorch's node class: ``name()`` without a namespace (``CopySlices``
        for ``torch::autograd::CopySlices``)."""
        return self.name().rpartition("::")[2]

    def __repr__(self) -> str:
        return f"<{self.class_name()} object at {id(self):#x}>"

    def __call__(self, *grads: Tensor) -> Any:
        out = self.backward(list(grads), [e is not None for e in self.edges])
        return out[0] if len(out) == 1 else tuple(out)


class SavedTensor:
    """A tensor saved for backward together with its version at save time."""

    __slots__ = ("tensor", "version")

    def __init__(self, tensor: Tensor) -> None:
        self.tensor = tensor
        self.version = tensor._vc[0]

    def check(self) -> None:
        if self.tensor._vc[0] != self.version:
            raise stale_error(self.tensor, self.version)


def stale_error(t: Tensor, version: int) -> RuntimeError:
    """The error for ``t``, saved at ``version``, found changed in place at backward."""
    producer = t.grad_fn.name() if t.grad_fn is not None else None
    return modified_error(t._data, t._vc[0], version, producer, t._output_nr)


def modified_error(
    data: np.ndarray, version: int, expected: int, producer: str | None, output_nr: int = 0
) -> RuntimeError:
    """PyTorch's error for a saved tensor modified in place before backward."""
    which = f", which is output {output_nr} of {_short(producer)}," if producer else ""
    kind = _TYPE_NAMES.get(data.dtype.name, "Float")
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [autojac.{kind}Tensor {list(data.shape)}]{which} is at version "
        f"{version}; expected version {expected} instead. Hint: enable anomaly detection to "
        "find the operation that failed to compute its gradient, with "
        "autojac.autograd.set_detect_anomaly(True, check_nan=False)."
    )


def _short(name: str) -> str:
    head = name.rsplit("Backward", 1)[0]
    return head or name


def freed_error() -> RuntimeError:
    return RuntimeError(_FREED_MESSAGE)


# how many in-place reshapes (``unsqueeze_``, ``t_``, ...) have run; a node notes the count
# when recorded, so it can tell whether an input may have changed shape since
reshapes = [0]
# how many in-place writes (version bumps) and frees have run so far: a node notes the count
# when recorded; while it has not moved, nothing the node saved can have changed
writes = [0]
RESHAPES_KEPT = 64  # the states a tensor keeps (a tensor reshaped in a loop holds no more)


def bump_version(t: Tensor) -> None:
    """``t`` (or the base it shares its version counter with) was written in place."""
    t._vc[0] += 1
    writes[0] += 1


def note_reshape(t: Tensor, before: Tensor) -> None:
    """Keep ``before``, ``t``'s state until now, for the nodes recorded so far; ``t`` is
    about to take another shape in place. ``t._reshaped`` holds ``(last, lost, states)``:
    the count at its last reshape, the count at the newest state no longer kept, and the
    ``(count, state)`` pairs kept (the state before the reshape that made the count)."""
    reshapes[0] += 1
    _, lost, states = getattr(t, "_reshaped", (0, 0, ()))
    states = (*states, (reshapes[0], before))
    if len(states) > RESHAPES_KEPT:
        lost, states = states[0][0], states[1:]
    t._reshaped = (reshapes[0], lost, states)


def as_recorded(inputs: tuple, count: int) -> tuple:
    """``inputs`` as a node recorded when ``reshapes`` was ``count`` saw them: each input
    reshaped in place since is replaced by its state at that time."""
    out = []
    for x in inputs:
        last, lost, states = getattr(x, "_reshaped", (0, 0, ()))
        if count < lost:
            raise RuntimeError(
                f"a tensor of shape {list(x._data.shape)} that an operation read for the "
                f"backward pass has since been reshaped in place more than {RESHAPES_KEPT} "
                "times; clone() it before reshaping it in place")
        if count < last:
            x = next(before for changed_at, before in states if changed_at > count)
        out.append(x)
    return tuple(out)


def zeros_for(batch: tuple[int, ...], like: np.ndarray) -> Tensor:
    """Zeros of shape ``batch + like.shape`` and ``like``'s dtype, outside the graph."""
    zeros = _make(np.zeros(batch + like.shape, dtype=like.dtype), False, None)
    tape_state.made(zeros, np.zeros, batch + like.shape, like.dtype)
    return zeros
