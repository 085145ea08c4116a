"""dtype objects, the default dtype, and PyTorch's type-promotion rules."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type; prints as ``autojac.float32``."""

    __slots__ = ("name", "np", "category", "itemsize")

    def __init__(self, name: str, np_dtype: np.dtype, category: int) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize

    @property
    def is_floating_point(self) -> bool:
        return self.category == _FLOAT

    @property
    def is_complex(self) -> bool:
        return self.category == _COMPLEX

    @property
    def is_signed(self) -> bool:
        return self.np.kind != "u" and self.np.kind != "b"

    def __repr__(self) -> str:
        return f"autojac.{self.name}"

    def __reduce__(self) -> str:
        return self.name


float16 = dtype("float16", np.float16, _FLOAT)
float32 = dtype("float32", np.float32, _FLOAT)
float64 = dtype("float64", np.float64, _FLOAT)
complex64 = dtype("complex64", np.complex64, _COMPLEX)
complex128 = dtype("complex128", np.complex128, _COMPLEX)
uint8 = dtype("uint8", np.uint8, _INT)
int8 = dtype("int8", np.int8, _INT)
int16 = dtype("int16", np.int16, _INT)
int32 = dtype("int32", np.int32, _INT)
int64 = dtype("int64", np.int64, _INT)
bool_ = dtype("bool", np.bool_, _BOOL)

ALL = (float16, float32, float64, complex64, complex128, uint8, int8, int16, int32, int64, bool_)
_FROM_NUMPY = {d.np: d for d in ALL}


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    """The autojac dtype of a NumPy dtype; TypeError for unsupported ones."""
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types "
            "are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
            "uint8, and bool."
        ) from None


def to_numpy_dtype(d: dtype | np.dtype | type | str | None) -> np.dtype | None:
    """Accept an autojac dtype (or a NumPy spelling of one) and give its NumPy dtype."""
    if d is None:
        return None
    if isinstance(d, dtype):
        return d.np
    return from_numpy_dtype(np.dtype(d)).np


class _Defaults:
    __slots__ = ("float",)

    def __init__(self) -> None:
        self.float = np.dtype(np.float32)


_defaults = _Defaults()


def set_default_dtype(d: dtype) -> None:
    """Set the dtype of floating tensors created from Python floats (float32 or float64)."""
    if not isinstance(d, dtype) or d.category != _FLOAT:
        raise TypeError("only floating-point types are supported as the default type")
    _defaults.float = d.np


def get_default_dtype() -> dtype:
    """The current default floating dtype (float32 unless changed)."""
    return _FROM_NUMPY[_defaults.float]


def default_float() -> np.dtype:
    return _defaults.float


def default_complex() -> np.dtype:
    return np.dtype(np.complex128 if _defaults.float == np.float64 else np.complex64)


def _category(d: np.dtype) -> int:
    kind = d.kind
    if kind == "b":
        return _BOOL
    if kind in "iu":
        return _INT
    if kind == "f":
        return _FLOAT
    return _COMPLEX


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promoteTypes: the higher category wins outright, within it the wider type."""
    if a == b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        hi, lo = (a, b) if ca > cb else (b, a)
        if _category(hi) == _COMPLEX and _category(lo) == _FLOAT:
            return np.promote_types(hi, lo)
        return hi
    return np.promote_types(a, b)


def scalar_dtype(value: object) -> np.dtype:
    """The dtype of a Python number (a bool, an int, a complex, else a float) as PyTorch
    takes it on its own."""
    if isinstance(value, bool):
        return np.dtype(np.bool_)
    if isinstance(value, int):
        return np.dtype(np.int64)
    if isinstance(value, complex):
        return default_complex()
    return _defaults.float


def _to_complex(d: np.dtype) -> np.dtype:
    return np.dtype(np.complex128 if d == np.float64 else np.complex64)


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """PyTorch's combine_categories for the three priority classes of operands."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    ch, cl = _category(higher), _category(lower)
    if ch == _COMPLEX:
        return higher
    if cl == _COMPLEX:  # a complex operand of lower priority keeps the float's precision
        return _to_complex(higher) if ch == _FLOAT else lower
    if ch == _FLOAT:
        return higher
    if ch == _BOOL or cl == _FLOAT:
        return promote_types(higher, lower)
    return higher


def result_type(*operands: object) -> np.dtype:
    """PyTorch's result_type: dimensioned tensors outrank 0-d tensors outrank Python scalars.

    ``operands`` are NumPy arrays (standing for tensors) and Python scalars.
    """
    dims = zero = scal = None
    for op in operands:
        if op is None:
            continue
        if isinstance(op, np.ndarray):
            if op.ndim:
                dims = op.dtype if dims is None else promote_types(dims, op.dtype)
            else:
                zero = op.dtype if zero is None else promote_types(zero, op.dtype)
        else:
            d = scalar_dtype(op)
            scal = d if scal is None else promote_types(scal, d)
    return _combine(dims, _combine(zero, scal))


# the C type that PyTorch names when a number does not fit a dtype (float16's is checked
# as a double, so only a complex number fails it)
_CHECKED_AS = {np.dtype(name): c_type for name, c_type in (
    ("float16", "double"), ("float32", "float"), ("float64", "double"), ("int8", "int8_t"),
    ("uint8", "uint8_t"), ("int16", "int16_t"), ("int32", "int"), ("int64", "int64_t"),
    ("complex64", "c10::complex<float>"))}
_FLOAT32, _COMPLEX64 = np.dtype(np.float32), np.dtype(np.complex64)


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def wrapped(value: int, d: np.dtype) -> int:
    """A Python int operand of an op computed in the integer dtype ``d``, as PyTorch casts
    it: modulo 2**bits (an error beyond what int64 and uint64 hold).

    >>> wrapped(300, np.dtype(np.uint8))
    44
    """
    low, high = INT_RANGES[d]
    if low <= value <= high:
        return value
    if not -(2**63) <= value < 2**64:
        raise OverflowError("int too big to convert")
    return (value - low) % (high - low + 1) + low


# each integer dtype's (least, greatest) value (np.iinfo costs microseconds per call)
INT_RANGES = {np.dtype(t): (int(np.iinfo(t).min), int(np.iinfo(t).max))
              for t in (np.uint8, np.int8, np.int16, np.int32, np.int64)}


def fill_value(value: Any, d: np.dtype) -> Any:
    """A Python number as a tensor of dtype ``d`` stores it, with PyTorch's errors where it
    does not fit (``full``, ``fill_``, ``masked_fill``, setitem, clamp's bounds).

    >>> fill_value(-1, np.dtype(np.uint8))
    255
    """
    if isinstance(value, np.generic):  # (a NumPy scalar: as its Python number)
        value = value.item()
    if not isinstance(value, (int, float, complex)) or isinstance(value, bool):
        return value
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise OverflowError("int too big to convert")
    c_type = _CHECKED_AS.get(d)
    if c_type is None:  # (bool, complex128: every number fits)
        return value
    if d == _COMPLEX64:
        parts = (value.real, value.imag) if isinstance(value, complex) else (value,)
        if any(math.isfinite(p) and abs(p) > _FLOAT32_MAX for p in parts):
            raise RuntimeError(f"value cannot be converted to type {c_type} without overflow")
        return value
    if isinstance(value, complex):
        if value.imag != 0:
            raise RuntimeError(f"value cannot be converted to type {c_type} without overflow")
        value = value.real
    if d.kind == "f":
        if d == _FLOAT32 and math.isfinite(value) and abs(value) > _FLOAT32_MAX:
            raise RuntimeError(f"value cannot be converted to type {c_type} without overflow")
        return value
    low, high = INT_RANGES[d]
    wraps = isinstance(value, int) and d.kind == "u"  # (C's wrap-around of a negative int)
    if not (-high if wraps else low) <= value <= high:  # (NaN fails too)
        raise RuntimeError(f"value cannot be converted to type {c_type} without overflow")
    return value % (high + 1) if wraps else value
