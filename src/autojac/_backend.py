"""The seam to the array library: array creation, the random generator, special functions
and the allocation policy (ops themselves call NumPy functions on their inputs' arrays)."""

from __future__ import annotations

import ctypes
import functools
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np


@functools.cache
def _special(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """``scipy.special``'s function ``name``, imported on first use (importing SciPy takes
    longer than importing autojac); without SciPy, ``math``'s, exact but slower."""
    try:
        import scipy.special
    except ImportError:
        scalar = np.frompyfunc(getattr(math, name), 1, 1)
        return lambda a: np.asarray(scalar(a), dtype=np.result_type(a, np.float32))
    return getattr(scipy.special, name)


def erf(a: np.ndarray) -> np.ndarray:
    return _in_dtype_of(a, _special("erf")(a))


def erfc(a: np.ndarray) -> np.ndarray:
    return _in_dtype_of(a, _special("erfc")(a))


def _in_dtype_of(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out`` in ``a``'s floating dtype (SciPy computes float16 in a wider one)."""
    return out.astype(a.dtype, copy=False) if a.dtype.kind in "fc" else out


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def keep_freed_memory() -> bool:
    """Ask glibc to serve arrays of up to 32 MB from its heap and to keep freed memory.

    Every op allocates a fresh NumPy array; memory newly taken from the OS costs a page
    fault per page on first touch, which on some machines makes array work on megabyte
    arrays several times slower. Returns whether the setting was applied (glibc only);
    ``AUTOJAC_KEEP_FREED_MEMORY=0`` in the environment leaves malloc as it is.
    """
    if os.environ.get("AUTOJAC_KEEP_FREED_MEMORY", "1") == "0":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, 32 << 20)) and bool(mallopt(_M_TRIM_THRESHOLD, 1 << 30))


keep_freed_memory()


def broadcast_view(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``np.broadcast_to(a, shape)`` (a read-only view), without its per-call overhead for
    the common case of a contiguous array (a few times faster on small arrays)."""
    strides = _broadcast_strides(a.shape, a.strides, shape) if a.flags.c_contiguous else None
    if strides is None:
        return np.broadcast_to(a, shape)  # also raises NumPy's error
    return strided_view(a, shape, strides)


def strided_view(a: np.ndarray, shape: tuple[int, ...], strides: tuple[int, ...]) -> np.ndarray:
    """A read-only view of the C-contiguous ``a`` with ``shape`` and ``strides`` (known to
    stay inside it)."""
    out = np.ndarray(shape, a.dtype, a, 0, strides)
    out.setflags(write=False)  # (cheaper than assigning through .flags)
    return out


@functools.lru_cache(maxsize=1024)
def _broadcast_strides(
    have: tuple[int, ...], strides: tuple[int, ...], shape: tuple[int, ...]
) -> tuple[int, ...] | None:
    """The strides that broadcast an array of shape ``have`` to ``shape`` (None: it does not
    broadcast)."""
    lead = len(shape) - len(have)
    if lead < 0:
        return None
    out = [0] * lead
    for size, target, stride in zip(have, shape[lead:], strides):
        if size != target:
            if size != 1:
                return None
            stride = 0
        out.append(stride)
    return tuple(out)


def zeros(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return np.zeros(shape, dtype=dtype)


def ones(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return np.ones(shape, dtype=dtype)


def full(shape: tuple[int, ...], value: object, dtype: np.dtype) -> np.ndarray:
    return np.full(shape, value, dtype=dtype)


def eye(n: int, m: int, dtype: np.dtype) -> np.ndarray:
    return np.eye(n, m, dtype=dtype)


_IDENTITIES: dict[tuple[int, np.dtype], np.ndarray] = {}  # read-only, so always identities
_IDENTITIES_KEPT = 16


def cached_identity(n: int, dtype: np.dtype) -> np.ndarray:
    """The identity of size ``n``, read-only and kept (at most 16 of them)."""
    key = (n, np.dtype(dtype))
    eye = _IDENTITIES.get(key)
    if eye is None:
        eye = np.eye(n, dtype=dtype)
        eye.flags.writeable = False
        while len(_IDENTITIES) >= _IDENTITIES_KEPT:  # the oldest first (threads may race)
            _IDENTITIES.pop(next(iter(_IDENTITIES), None), None)
        _IDENTITIES[key] = eye
    return eye


def is_cached_identity(m: np.ndarray) -> bool:
    """Whether ``m`` is a whole kept identity, or a view of one with its shape, strides and
    dtype (a view with the owner's shape and strides starts where the owner does)."""
    owner = m if m.base is None else m.base
    return (type(owner) is np.ndarray and owner.ndim == 2
            and _IDENTITIES.get((owner.shape[0], owner.dtype)) is owner
            and m.shape == owner.shape and m.strides == owner.strides
            and m.dtype == owner.dtype)


def _fused(a: Any, b: Any, c: Any) -> np.ndarray:
    """``a * b + c`` rounded once to float64, as a fused multiply-add (the products here
    are exact in NumPy's extended precision, where it has one)."""
    return (np.longdouble(a) * np.asarray(b, np.longdouble) + np.longdouble(c)).astype(np.float64)


_VECTOR_BYTES = 32  # PyTorch's CPU kernels' vectors (AVX2)


def arange(start: float, end: float, step: float, size: int, dtype: np.dtype) -> np.ndarray:
    """``size`` values ``start + step * i`` as PyTorch's CPU kernel makes them: in float64
    (fused), blocks of two vectors from a base of the dtype, the rest one by one, so that
    floating values are PyTorch's bit for bit."""
    if dtype.kind not in "fc":
        return (start + step * np.arange(size)).astype(dtype)
    i = np.arange(size)
    width = _VECTOR_BYTES // dtype.itemsize
    blocked = size - size % (2 * width)
    lane = i % width
    base = _fused(step, i - lane, start).astype(dtype).astype(np.float64)
    out = np.where(i < blocked, _fused(step, lane, base), _fused(step, i, start))
    return out.astype(dtype)


def linspace(start: float, end: float, steps: int, dtype: np.dtype) -> np.ndarray:
    """``steps`` values from ``start`` to ``end`` as PyTorch's CPU kernel makes them: the
    first half up from ``start``, the rest down from ``end``, by a step of the dtype
    (float64 for integer dtypes, whose values are then truncated)."""
    if steps <= 1 or dtype.kind == "c":
        return np.linspace(start, end, steps, dtype=dtype)
    acc = dtype.type if dtype.kind == "f" else np.float64
    step = (acc(end) - acc(start)) / acc(steps - 1)
    i = np.arange(steps)
    up, down = _fused(step, i, acc(start)), _fused(-step, steps - 1 - i, acc(end))
    return np.where(i < steps // 2, up, down).astype(dtype)


class _Random:
    """The global generator behind rand/randn/randint, reseeded by ``manual_seed``."""

    __slots__ = ("gen",)

    def __init__(self) -> None:
        self.gen = np.random.default_rng()


random = _Random()


def manual_seed(seed: int) -> None:
    random.gen = np.random.default_rng(seed)
