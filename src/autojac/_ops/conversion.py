"""dtype conversion: ``to``, ``float()``, ``double()``, ``type``, ..."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _dtypes
from .._device import device, is_cpu
from .._tensor import Tensor
from ._registry import Op, apply, install


def _cast_back(g: Tensor, x: Tensor) -> Tensor:
    """The cotangent in the input's dtype; a real input takes the real part."""
    if g._data.dtype.kind == "c" and x._data.dtype.kind != "c":
        g = g.real
    return g.to(x._data.dtype) if g._data.dtype != x._data.dtype else g


def _cast(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if a.dtype.kind == "c" and np.dtype(dtype).kind not in "cb":  # (bool: nonzero)
        warnings.warn("Casting complex values to real discards the imaginary part", UserWarning,
                      stacklevel=4)
        a = a.real
    if np.can_cast(a.dtype, dtype):
        return a.astype(dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # (inf, or C's value: silent, as PyTorch)
        return a.astype(dtype)


TO_COPY = Op(
    "to_copy",
    _cast,
    vjp=(lambda g, ans, x, dtype: _cast_back(g, x),),
    jvp="linear",
    saves=False,
    node_name="ToCopyBackward0",
    pattern="pointwise",
    complex_rule="own",
)


def _dtype_arg(args: tuple, kwargs: dict) -> Any:
    dtype = kwargs.get("dtype")
    for a in args:
        if isinstance(a, (_dtypes.dtype, np.dtype, type)):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a._data.dtype
    return dtype


def to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Convert to a dtype (``device`` arguments other than 'cpu' are rejected)."""
    where = kwargs.get("device", next((a for a in args if isinstance(a, (str, device))), None))
    if where is not None and not is_cpu(where):
        raise RuntimeError(f"autojac tensors live on the CPU; cannot move to '{where}'")
    dtype = _dtypes.to_numpy_dtype(_dtype_arg(args, kwargs))
    if dtype is None or dtype == self._data.dtype:
        return self.clone() if kwargs.get("copy") else self
    return apply(TO_COPY, (self,), (dtype,))


def _caster(dtype: _dtypes.dtype):
    def cast(self: Tensor, memory_format: Any = None) -> Tensor:
        return to(self, dtype)

    cast.__doc__ = f"``self.to({dtype!r})``."
    return cast


for _name, _dt in (
    ("float", _dtypes.float32),
    ("double", _dtypes.float64),
    ("half", _dtypes.float16),
    ("int", _dtypes.int32),
    ("long", _dtypes.int64),
    ("bool", _dtypes.bool_),
    ("short", _dtypes.int16),
    ("cfloat", _dtypes.complex64),
    ("cdouble", _dtypes.complex128),
):
    install(_name, _caster(_dt))
install("to", to)
install(
    "type",
    lambda self, dtype=None: (
        f"autojac.{_TYPE_NAMES[self._data.dtype.name]}" if dtype is None else to(self, dtype)
    ),
)
install("type_as", lambda self, other: to(self, other._data.dtype))
install("cpu", lambda self: self)
_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
    "complex64": "ComplexFloatTensor",
    "complex128": "ComplexDoubleTensor",
}
