"""Whole-tensor comparisons: isclose, allclose, equal, and argwhere (not differentiable)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _make, scalar_type_name
from ._registry import broadcast_error, install
from .elementwise import nonzero


def _same_dtype(input: Tensor, other: Tensor) -> None:
    a, b = input._data.dtype, other._data.dtype
    if a != b:
        raise RuntimeError(f"{scalar_type_name(a)} did not match {scalar_type_name(b)}")


def isclose(input: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """Where ``|input - other| <= atol + rtol |other|`` (infinities equal to themselves, NaN
    to NaN with ``equal_nan``).

    >>> import autojac as torch
    >>> torch.isclose(torch.tensor([1.0, 2.0]), torch.tensor([1.0 + 1e-9, 2.1]))
    tensor([ True, False])
    """
    if not isinstance(other, Tensor):
        raise TypeError("isclose(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    _same_dtype(input, other)
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if tol < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {tol}")
    error = broadcast_error([input._data.shape, other._data.shape])
    if error is not None:
        raise error
    a, b = input._data, other._data
    if a.dtype.kind in "fc":
        close = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    else:  # (exactly: NumPy's isclose would compare large integers as floats)
        close = (a == b) | (np.abs(a.astype(np.int64) - b) <= atol + rtol * np.abs(b))
    return _make(np.asarray(close), False, None)


def allclose(input: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether ``isclose`` holds everywhere."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input: Tensor, other: Tensor) -> bool:
    """Whether both have the same shape and elements (NaN equals nothing)."""
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data,
                                                                            other._data))


def contains(input: Tensor, element: Any) -> bool:
    """``element in input``: whether some element of ``input`` equals ``element`` (a number,
    or a tensor broadcast against it)."""
    if not isinstance(element, (Tensor, bool, int, float, complex)):
        raise RuntimeError("Tensor.__contains__ only supports Tensor or scalar, but you passed "
                           f"in a {type(element)}.")
    return bool((input == element).any())


def argwhere(input: Tensor) -> Tensor:
    """The indices of the non-zero elements, one row each (``nonzero``)."""
    return nonzero(input)


for _name, _fn in (("isclose", isclose), ("allclose", allclose), ("equal", equal),
                   ("argwhere", argwhere), ("__contains__", contains)):
    install(_name, _fn)
