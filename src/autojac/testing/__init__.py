"""``autojac.testing.assert_close``: PyTorch's closeness check with dtype-based tolerances."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._size import Size
from .._tensor import Tensor

# PyTorch's default (rtol, atol) per dtype
_TOLERANCES = {
    np.dtype(np.float16): (1e-3, 1e-5),
    np.dtype(np.float32): (1.3e-6, 1e-5),
    np.dtype(np.float64): (1e-7, 1e-7),
    np.dtype(np.complex64): (1.3e-6, 1e-5),
    np.dtype(np.complex128): (1e-7, 1e-7),
}


def _as_array(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def assert_close(actual: Any, expected: Any, *, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_dtype: bool = True,
                 msg: str | None = None) -> None:
    """Raise AssertionError unless ``actual`` and ``expected`` are close.

    Tensors, sequences and mappings of them are compared element by element; shapes and
    (by default) dtypes must agree. Example:
        >>> assert_close(autojac.tensor([1.0]), autojac.tensor([1.0 + 1e-7]))
    """
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            raise AssertionError(f"The length of the sequences mismatch: {len(actual)} != "
                                 f"{len(expected)}")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_dtype=check_dtype, msg=msg)
        return
    if isinstance(actual, dict) and isinstance(expected, dict):
        if actual.keys() != expected.keys():
            raise AssertionError("The keys of the mappings do not match")
        for k in actual:
            assert_close(actual[k], expected[k], rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_dtype=check_dtype, msg=msg)
        return
    if isinstance(actual, Tensor) != isinstance(expected, Tensor):
        raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} "
                        f"and {type(expected)}.")
    a, e = _as_array(actual), _as_array(expected)
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: "
                                    f"{Size(a.shape)!r} != {Size(e.shape)!r}.")
    if check_dtype and isinstance(actual, Tensor) and a.dtype != e.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: "
                                    f"autojac.{a.dtype} != autojac.{e.dtype}.")
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    if rtol is None:
        rtol, atol = _TOLERANCES.get(np.promote_types(a.dtype, e.dtype), (0.0, 0.0))
    ok = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if not ok.all():
        bad = int((~ok).sum())
        diff = np.abs(a.astype(np.complex128) - e.astype(np.complex128))
        idx = np.unravel_index(int(np.argmax(np.where(ok, -1, diff))), a.shape) if a.ndim else ()
        raise AssertionError(msg or (
            f"Tensor-likes are not close!\n\nMismatched elements: {bad} / {a.size} "
            f"({100 * bad / max(a.size, 1):.1f}%)\nGreatest absolute difference: "
            f"{float(diff.max())} at index {tuple(int(i) for i in idx)} (up to {atol} allowed)"
        ))


__all__ = ["assert_close"]
