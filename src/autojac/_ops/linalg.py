"""Products: matmul in every 1-D/2-D/batched case, and the ops built on it.

Cotangents have the output's full rank, so ``g @ y.mT`` and ``x.mT @ g`` broadcast
correctly with any leading batch. Tangents have their input's rank, which can be lower
than the output's: the jvp pads them with size-1 dims after the batch first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import Op, ZerosPatternRule, apply, expand_to, install, sum_to


def _pad(t: Tensor, primal_shape: tuple[int, ...], ndim: int) -> Tensor:
    """Insert size-1 dims between ``t``'s batch and its primal dims up to ``ndim`` of them."""
    k = ndim - len(primal_shape)
    return expand_to(t, (1,) * k + primal_shape, k) if k > 0 else t


def _reduce_to(g: Tensor, shape: tuple[int, ...], out_ndim: int) -> Tensor:
    """Sum a batch + broadcast cotangent down to batch + ``shape``."""
    nb = g._data.ndim - out_ndim
    if g._data.shape[nb:] == shape and out_ndim == len(shape):
        return g
    return sum_to(g, shape, g._data.ndim - nb - len(shape))


def _out_ndim(xs: tuple, ys: tuple) -> int:
    """The rank of ``matmul``'s output for operand shapes ``xs`` and ``ys``."""
    if len(xs) == 1:
        return len(ys) - 1
    return len(xs) - 1 if len(ys) == 1 else max(len(xs), len(ys))


# Where one operand is a plain matrix and the other a vector, the batch of (co)tangents
# is itself a matrix: one GEMM (``g @ W``) instead of a batch of matrix-vector products.


def _vjp_x(g: Tensor, ans: Tensor, x: Tensor, y: Tensor) -> Tensor:
    xs, ys = x._data.shape, y._data.shape
    if len(ys) == 1:  # (..., n) = (..., n, k) @ (k,)  or dot
        return g.unsqueeze(-1) * y
    if len(xs) == 1 and len(ys) == 2:  # (m,) = (k,) @ (k, m)
        return g @ y.mT
    if len(xs) == 1:  # (..., m) = (k,) @ (..., k, m)
        return _reduce_to((g.unsqueeze(-2) @ y.mT).squeeze(-2), xs, _out_ndim(xs, ys))
    return _reduce_to(g @ y.mT, xs, _out_ndim(xs, ys))


def _vjp_y(g: Tensor, ans: Tensor, x: Tensor, y: Tensor) -> Tensor:
    xs, ys = x._data.shape, y._data.shape
    if len(xs) == 1 and len(ys) == 1:
        return g.unsqueeze(-1) * x
    if len(xs) == 1:  # y (..., k, m): outer(x, g)
        return x.unsqueeze(-1) * g.unsqueeze(-2)
    if len(ys) == 1 and len(xs) == 2:  # (n,) = (n, k) @ (k,)
        return g @ x
    if len(ys) == 1:  # y (k,): g^T x, summed over x's batch dims
        return _reduce_to((g.unsqueeze(-2) @ x).squeeze(-2), ys, _out_ndim(xs, ys))
    return _reduce_to(x.mT @ g, ys, _out_ndim(xs, ys))


def _jvp_x(t: Tensor, ans: Tensor, x: Tensor, y: Tensor) -> Tensor:
    xs, ys = x._data.shape, y._data.shape
    if len(xs) == 1:
        if len(ys) <= 2:
            return t @ y
        return (_pad(t.unsqueeze(-2), (1,) + xs, len(ys)) @ y).squeeze(-2)
    return _pad(t, xs, max(len(xs), len(ys))) @ y


def _jvp_y(t: Tensor, ans: Tensor, x: Tensor, y: Tensor) -> Tensor:
    xs, ys = x._data.shape, y._data.shape
    if len(ys) == 1:
        if len(xs) == 1:
            return t @ x
        if len(xs) == 2:
            return t @ x.mT
        return (x @ _pad(t.unsqueeze(-1), ys + (1,), len(xs))).squeeze(-1)
    return x @ _pad(t, ys, max(len(xs), len(ys)))


def _matmul_name(inputs: tuple, params: tuple) -> str:
    a, b = (np.ndim(i._data) if isinstance(i, Tensor) else 0 for i in inputs)
    if a == 1 and b == 1:
        return "DotBackward0"
    if a == 2 and b == 1:
        return "MvBackward0"
    if a == 2 and b == 2:
        return "MmBackward0"
    if a == 1 and b == 2:
        return "SqueezeBackward4"
    return "UnsafeViewBackward0"


def _matmul_forward(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
        )
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else -1]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_rows(a)}x{a.shape[-1]} and "
            f"{b.shape[-2] if b.ndim > 1 else b.shape[0]}x{b.shape[-1] if b.ndim > 1 else 1})"
        )
    if a.ndim > 2 and b.ndim == 2:  # a stack of matrices times one matrix: one GEMM
        return np.matmul(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + b.shape[-1:])
    return np.matmul(a, b)


def _rows(a: np.ndarray) -> int:
    return int(np.prod(a.shape[:-1])) if a.ndim > 1 else 1


# -- dependency pattern: out[i, j] depends on x[i, k] where y[k, j] != 0, and on y[k, j]
# where x[i, k] != 0 (matrices and vectors, no batch dims; larger products count as dense)
_PATTERN_GATHER_LIMIT = 1 << 24  # words gathered at most, else dense


def _or_product(bits: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """``out[..., j] = OR of bits[..., k] over k with mask[k, j]``: bits (words, m, k) and a
    boolean mask (k, n) give (words, m, n); None when that would gather too much."""
    if bits[..., :1].size * np.count_nonzero(mask) > _PATTERN_GATHER_LIMIT:
        return None
    j_of, k_of = np.nonzero(mask.T)  # sorted by j
    out = np.zeros(bits.shape[:-1] + mask.shape[1:], dtype=np.uint64)
    if k_of.size:
        starts = np.flatnonzero(np.diff(j_of, prepend=-1))
        out[..., j_of[starts]] = np.bitwise_or.reduceat(bits[..., k_of], starts, axis=-1)
    return out


def _as_matrices(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``x`` and ``y`` as matrices (a vector x as a row, y as a column); None with batches."""
    if x.ndim > 2 or y.ndim > 2:
        return None
    return x.reshape(1, -1) if x.ndim == 1 else x, y.reshape(-1, 1) if y.ndim == 1 else y


def _matmul_pattern(bitsets: list, arrays: list) -> np.ndarray | None:
    mats = _as_matrices(*arrays)
    if mats is None:
        return None
    (x, y), (bx, by) = mats, bitsets
    words = (bx if bx is not None else by).shape[0]
    out = np.zeros((words, x.shape[0], y.shape[1]), dtype=np.uint64)
    if bx is not None:
        part = _or_product(bx.reshape((words,) + x.shape), y != 0)
        if part is None:
            return None
        out |= part
    if by is not None:
        part = _or_product(by.reshape((words,) + y.shape).swapaxes(1, 2), (x != 0).T)
        if part is None:
            return None
        out |= part.swapaxes(1, 2)
    return out.reshape((words,) + arrays[0].shape[:-1] + arrays[1].shape[1:])


def _matmul_pattern_back(bits: np.ndarray, arrays: list) -> list | None:
    mats = _as_matrices(*arrays)
    if mats is None:
        return None
    x, y = mats
    out = bits.reshape((bits.shape[0], x.shape[0], y.shape[1]))
    to_x = _or_product(out, (y != 0).T)  # (words, m, k)
    to_y = _or_product(out.swapaxes(1, 2), x != 0)  # (words, n, k)
    if to_x is None or to_y is None:
        return None
    return [to_x.reshape(bits.shape[:1] + arrays[0].shape),
            to_y.swapaxes(1, 2).reshape(bits.shape[:1] + arrays[1].shape)]


MATMUL = Op(
    "matmul",
    _matmul_forward,
    vjp=(_vjp_x, _vjp_y),
    jvp=(_jvp_x, _jvp_y),
    promote=True,
    node_name=_matmul_name,
    pattern=ZerosPatternRule(_matmul_pattern, _matmul_pattern_back),
)



def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy/PyTorch broadcasting for 1-D and batched operands."""
    return apply(MATMUL, (input, other))


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Product of two matrices."""
    for name, t in (("self", input), ("mat2", mat2)):
        if t._data.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix")
    return matmul(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched product of (b, n, k) and (b, k, m) tensors."""
    if input._data.ndim != 3 or mat2._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    return matmul(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product."""
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(
            f"vector + matrix @ vector expected, got {input._data.ndim}, {vec._data.ndim}"
        )
    return matmul(input, vec)


def dot(input: Tensor, other: Tensor) -> Tensor:
    """Inner product of two 1-D tensors."""
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors"
        )
    n, m = input._data.shape[0], other._data.shape[0]
    if n != m:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
            f"number of elements, but got {n} and {m} elements respectively"
        )
    return matmul(input, other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-D tensors."""
    return input.unsqueeze(-1) * vec2


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum product over the last dims."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    return matmul(input, other.mT if other._data.ndim > 1 else other)


vdot = dot
ger = outer


def _rmatmul(self: Tensor, other: Any) -> Tensor:
    return matmul(other, self)


for _name, _fn in (
    ("matmul", matmul),
    ("__matmul__", matmul),
    ("__rmatmul__", _rmatmul),
    ("mm", mm),
    ("bmm", bmm),
    ("mv", mv),
    ("dot", dot),
    ("outer", outer),
    ("inner", inner),
    ("vdot", dot),
    ("ger", outer),
):
    install(_name, _fn)
