"""Forward-mode AD with PyTorch's ``torch.autograd.forward_ad`` interface.

Example:
    >>> import autojac.autograd.forward_ad as fwAD
    >>> with fwAD.dual_level():
    ...     y = fwAD.make_dual(autojac.tensor([1.0, 2.0]), autojac.tensor([1.0, 0.0])) ** 2
    ...     fwAD.unpack_dual(y).tangent
    tensor([2., 0.])
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .._autograd import forward_ad as _state
from .._ops._registry import Op, apply, current
from .._tensor import Tensor

__all__ = [
    "dual_level",
    "enter_dual_level",
    "exit_dual_level",
    "make_dual",
    "unpack_dual",
    "UnpackedDualTensor",
]


class UnpackedDualTensor(NamedTuple):
    """The primal view and the tangent (None if there is none) of a dual tensor."""

    primal: Tensor
    tangent: Tensor | None


_ALIAS = Op("alias", lambda a: a, vjp=(lambda g, *_: g,), jvp="linear", saves=False, view=True,
            node_name="ViewBackward0", unview=lambda parent, new: new)


def enter_dual_level() -> int:
    """Enter a forward-AD level (only one at a time, as PyTorch)."""
    return _state.enter_level()


def exit_dual_level(*, level: int | None = None) -> None:
    """Leave the level: every tangent created in it is dropped."""
    if _state.state.level is None:
        raise RuntimeError("Dual level must be a positive number.")
    _state.exit_level()


class dual_level:
    """Context manager for a forward-AD level."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: object) -> None:
        exit_dual_level()


def _check_float(what: str, t: Tensor) -> None:
    if t._data.dtype.kind not in "fc":
        raise ValueError(f"Expected {what} to be floating point or complex, but got: {t.dtype}")


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A view of ``tensor`` carrying ``tangent`` as its forward gradient."""
    if _state.state.level is None:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to "
            "enter_dual_level() first."
        )
    if tensor._fw is not None:
        raise RuntimeError(
            "Making a dual Tensor based on a Tensor that already has a forward gradient at the "
            f"same level {_state.state.level} is not supported.")
    _check_float("primal", tensor)
    _check_float("tangent", tangent)
    if tangent._data.shape != tensor._data.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(tensor.shape)} "
            f"while the given forward gradient is of size {list(tangent.shape)}."
        )
    return make_batched_dual(tensor, tangent)


def make_batched_dual(tensor: Tensor, tangent: Tensor) -> Tensor:
    """``make_dual`` for a tangent with extra leading batch dims (internal form)."""
    _state.state.active = False
    try:
        dual = apply(_ALIAS, (tensor,))
    finally:
        _state.state.active = True
    _state.attach_tangent(dual, tangent)
    return dual


def unpack_dual(tensor: Any, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of a dual tensor; the tangent is None for ordinary tensors."""
    if not isinstance(tensor, Tensor):
        raise TypeError("_unpack_dual(): argument 'dual' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    current((tensor,))  # a view whose base changed in place: its tangent derived again
    if tensor._fw is None or _state.state.level is None:
        return UnpackedDualTensor(tensor, None)
    _state.state.active = False
    try:
        primal = apply(_ALIAS, (tensor,))
    finally:
        _state.state.active = True
    return UnpackedDualTensor(primal, tensor._fw)
