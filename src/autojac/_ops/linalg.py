"""Products: matmul in every 1-D/2-D/batched case, and the ops built on it.

Cotangents have the output's full rank, so ``g @ y.mT`` and ``x.mT @ g`` broadcast
correctly with any leading batch. Tangents have their input's rank, which can be lower
than the output's: the jvp pads them with size-1 dims after the batch first.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .._backend import is_cached_identity
from .._tensor import Tensor, cpp_type_name, scalar_type_name
from ._registry import (
    Op,
    ZerosPatternRule,
    apply,
    broadcast_error,
    expand_to,
    install,
    no_kernel,
    reduce_to,
    sum_to,
)


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
    if a.dtype == np.bool_:  # (both, promoted) PyTorch's kernel, by how it folds the dims
        no_kernel(a.dtype, "dot" if a.ndim == b.ndim == 1 else "addmv_impl_cpu" if b.ndim == 1
                  else "addmm_impl_cpu_" if b.ndim == 2 else "bmm", "b")
    if a.ndim > 2 and b.ndim == 2:  # a stack of matrices times one matrix: one GEMM
        return _product(a.reshape(_rows(a), a.shape[-1]), b).reshape(a.shape[:-1] + b.shape[-1:])
    try:
        return _product(a, b)
    except ValueError:
        error = broadcast_error([a.shape[:-2], b.shape[:-2]])
        if error is not None:  # batch dims that do not broadcast: PyTorch's error
            raise error from None
        raise


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.matmul(a, b)``, skipping the arithmetic when a factor is the identity."""
    if a.size * b.size < _IDENTITY_CHECKED_FROM * a.shape[-1]:  # a small GEMM: cheaper
        return np.matmul(a, b)
    for eye, other in ((a, b), (b, a)):
        if _is_identity(eye):
            copy = np.array(other, dtype=np.result_type(a, b), order="C")  # as matmul's
            if copy.dtype.kind not in "fc" or np.isfinite(copy).all():
                return copy
    return np.matmul(a, b)


# A product with the identity is the other factor, exactly, unless that holds inf or NaN
# (then 0 * inf gives NaN elsewhere). Reverse-mode Jacobians seed the backward pass with
# the identity, so the first matrix product on its way (a Hessian's, a final linear
# layer's) would otherwise be a full GEMM that only copies.
_IDENTITY_CHECKED_FROM = 1 << 16  # multiply-adds in the product


def _is_identity(m: np.ndarray) -> bool:
    """Whether ``m`` is a square identity matrix; most matrices fail on their first row."""
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] < 2:
        return False
    if is_cached_identity(m):  # the seeds of reverse-mode Jacobians
        return True
    n = m.shape[0]
    # counting the nonzeros of a boolean array is several times faster than of floats
    return (m[0, 0] == 1 and m[0, 1] == 0 and np.count_nonzero(m != 0) == n
            and bool((m.diagonal() == 1).all()))


def _rows(a: np.ndarray) -> int:
    return int(np.prod(a.shape[:-1])) if a.ndim > 1 else 1


# -- dependency pattern: out[i, j] depends on x[i, k] where y[k, j] != 0, and on y[k, j]
# where x[i, k] != 0, product by product over the broadcast batch (too many: dense)
_PATTERN_GATHER_LIMIT = 1 << 24  # words gathered at most, else dense
_PATTERN_BATCH_LIMIT = 64  # products in a batch, at most


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


class _Stacks(NamedTuple):
    """A product's operands as matrices (a vector x as a row, y as a column) over their
    broadcast batch of ``count`` products."""

    x: np.ndarray
    y: np.ndarray
    batch: tuple[int, ...]
    count: int

    def of(self, a: np.ndarray, lead: tuple[int, ...] = ()) -> np.ndarray:
        """``a`` (``lead`` + an operand's matrix shape) as ``lead + (count, rows, cols)``."""
        missing = len(self.batch) - (a.ndim - len(lead) - 2)  # batch dims it lacks
        a = a.reshape(lead + (1,) * missing + a.shape[len(lead):])
        target = lead + self.batch + a.shape[-2:]
        return np.broadcast_to(a, target).reshape(lead + (self.count,) + a.shape[-2:])


def _stacks(x: np.ndarray, y: np.ndarray) -> _Stacks | None:
    x = x.reshape(1, -1) if x.ndim == 1 else x
    y = y.reshape(-1, 1) if y.ndim == 1 else y
    batch = np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    count = int(np.prod(batch))
    return None if count > _PATTERN_BATCH_LIMIT else _Stacks(x, y, batch, count)


def _matmul_pattern(bitsets: list, arrays: list) -> np.ndarray | None:
    st = _stacks(*arrays)
    if st is None:
        return None
    words = next(b for b in bitsets if b is not None).shape[0]
    xs, ys = st.of(st.x != 0), st.of(st.y != 0)
    bx, by = (None if b is None else st.of(b.reshape((words,) + a.shape), (words,))
              for b, a in zip(bitsets, (st.x, st.y)))
    out = np.zeros((words, st.count, st.x.shape[-2], st.y.shape[-1]), dtype=np.uint64)
    for b in range(st.count):
        parts = [] if bx is None else [_or_product(bx[:, b], ys[b])]
        if by is not None:
            part = _or_product(by[:, b].swapaxes(1, 2), xs[b].T)
            parts.append(None if part is None else part.swapaxes(1, 2))
        for part in parts:
            if part is None:
                return None
            out[:, b] |= part
    x, y = arrays
    shape = st.batch + x.shape[-2:-1] * (x.ndim > 1) + y.shape[-1:] * (y.ndim > 1)
    return out.reshape((words,) + shape)


def _matmul_pattern_back(bits: np.ndarray, arrays: list) -> list | None:
    st = _stacks(*arrays)
    if st is None:
        return None
    words = bits.shape[0]
    xs, ys = st.of(st.x != 0), st.of(st.y != 0)
    out = bits.reshape((words, st.count, st.x.shape[-2], st.y.shape[-1]))
    to_x = np.zeros((words,) + xs.shape, dtype=np.uint64)
    to_y = np.zeros((words,) + ys.shape, dtype=np.uint64)
    for b in range(st.count):
        part_x = _or_product(out[:, b], ys[b].T)
        part_y = _or_product(out[:, b].swapaxes(1, 2), xs[b])
        if part_x is None or part_y is None:
            return None
        to_x[:, b], to_y[:, b] = part_x, part_y.swapaxes(1, 2)
    back = []
    for whole, own, a in ((to_x, st.x, arrays[0]), (to_y, st.y, arrays[1])):
        whole = whole.reshape((words,) + st.batch + own.shape[-2:])
        lead = len(st.batch) - (own.ndim - 2)  # batch dims the operand was broadcast along
        back.append(reduce_to(np.bitwise_or.reduce, whole, own.shape, lead).reshape(
            (words,) + a.shape))
    return back


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
    a, b = input._data, other._data
    if a.ndim == 1 and b.ndim == 1:
        _check_dot_sizes(a, b)
    if a.dtype != b.dtype and a.ndim and b.ndim:
        raise _dtypes_differ(a, b)
    return apply(MATMUL, (input, other))


def _dtypes_differ(a: np.ndarray, b: np.ndarray) -> RuntimeError:
    """PyTorch's error for a product of two dtypes, worded by the kernel it would run."""
    x, y = scalar_type_name(a.dtype), scalar_type_name(b.dtype)
    if a.ndim == 1 and b.ndim == 1:
        return RuntimeError(
            f"dot : expected both vectors to have same dtype, but found {x} and {y}")
    if b.ndim == 1:
        return RuntimeError(
            f"addmv input tensors must have the same dtype, but got {y}, {x}, and {y}")
    if b.ndim == 2:
        return RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                            f"{cpp_type_name(a.dtype)} != {cpp_type_name(b.dtype)}")
    return RuntimeError(f"expected scalar type {x} but found {y}")


def _check_dot_sizes(a: np.ndarray, b: np.ndarray) -> None:
    n, m = a.shape[0], b.shape[0]
    if n != m:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
            f"number of elements, but got {n} and {m} elements respectively"
        )


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Product of two matrices."""
    for name, t in (("self", input), ("mat2", mat2)):
        if t._data.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix")
    return matmul(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched product of (b, n, k) and (b, k, m) tensors."""
    for name, t in (("batch1", input), ("batch2", mat2)):
        if t._data.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    (b, _, k), given = input._data.shape, mat2._data.shape
    if given[:2] != (b, k):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b}, {k}] but got: [{given[0]}, {given[1]}].")
    return matmul(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product."""
    mat, v = input._data, vec._data
    if mat.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {mat.ndim}, {v.ndim}")
    if mat.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({mat.shape[0]}), mat "
                           f"({mat.shape[0]}x{mat.shape[1]}), vec ({v.shape[0]})")
    return matmul(input, vec)


def dot(input: Tensor, other: Tensor | None = None, *, tensor: Tensor | None = None) -> Tensor:
    """Inner product of two 1-D tensors (``tensor``: PyTorch's other name for ``other``)."""
    if tensor is not None:
        other = tensor
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors"
        )
    return matmul(input, other)


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """Inner product of two 1-D tensors, the first conjugated: ``dot(input.conj(), other)``."""
    return dot(input.conj(), other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-D tensors."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return input.unsqueeze(-1) * vec2


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum product over the last dims."""
    a, b = input._data.shape, other._data.shape
    if not a or not b:
        return input * other
    if a[-1] != b[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(a)} and {list(b)}")
    return matmul(input, other.mT if len(b) > 1 else other)


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
    ("vdot", vdot),
    ("ger", outer),
):
    install(_name, _fn)
