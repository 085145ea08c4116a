"""Differences along a dim and what is built on them: diff, trapezoid, and cdist (pairwise
distances). Composed of differentiable ops, so every derivative order comes with them, but
for cdist's p=0, p=1 and p=inf distances, ops with PyTorch's kernels' conventions.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _make, normalize_dim, scalar_type_name
from ._registry import Op, PatternRule, apply, broadcast_error, install, kernel_message
from .elementwise import logical_xor, where
from .matrix import NONZERO_DISTANCE, vector_norm
from .reduction import REDUCED
from .shape import cat, narrow


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The ``n``-th forward difference along ``dim`` (``x[i+1] - x[i]``; for bool tensors,
    ``x[i+1] != x[i]``), of ``input`` with ``prepend`` and ``append`` joined to it.

    >>> import autojac as torch
    >>> torch.diff(torch.tensor([1.0, 4.0, 9.0]))
    tensor([3., 5.])
    """
    if not input._data.ndim:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = normalize_dim(dim, input._data.ndim)
    ends = [t for t in (prepend, append) if t is not None]
    if any(t._data.ndim != input._data.ndim for t in ends):
        raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    x = cat([t for t in (prepend, input, append) if t is not None], d) if ends else input
    for _ in range(n):
        size = x._data.shape[d]
        if size == 0:
            break
        later, earlier = narrow(x, d, 1, size - 1), narrow(x, d, 0, size - 1)
        x = logical_xor(later, earlier) if x._data.dtype == np.bool_ else later - earlier
    return x


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1
              ) -> Tensor:
    """The integral of ``y`` along ``dim`` by the trapezoidal rule, at the points ``x``
    (broadcast along ``dim``) or spaced ``dx`` apart (1 by default)."""
    for t in (y, x):
        if t is not None and t._data.dtype == np.bool_:
            raise RuntimeError("trapezoid: received a bool input for "
                               f"{'`y`' if x is None else '`x` or `y`'}, but bool is not "
                               "supported")
    d = normalize_dim(dim, y._data.ndim)
    size = y._data.shape[d]
    if size == 0:  # (zeros, with no gradient: nothing was integrated)
        shape = y._data.shape[:d] + y._data.shape[d + 1:]
        return _make(np.zeros(shape, np.result_type(y._data, 0.5)), False, None)
    if x is None:
        ends = y.select(d, 0) + y.select(d, -1)
        return (y.sum(d) - ends * 0.5) * (1.0 if dx is None else dx)
    if x._data.ndim == 1:  # (the points along dim, for every other index)
        if x._data.shape[0] != size:
            raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
        x = x.reshape((-1,) + (1,) * (y._data.ndim - 1 - d))
    steps = diff(x, dim=d - y._data.ndim)
    return (steps * (narrow(y, d, 1, size - 1) + narrow(y, d, 0, size - 1))).sum(d) / 2.0


def _nearest_coordinates(ans: Tensor, d: Tensor) -> Tensor:
    """d(max |d|)/dd as PyTorch's cdist kernel takes it: ``sign(d)`` where ``|d|`` is the
    distance (every tied coordinate), 0 elsewhere, NaN where either is NaN or both are
    infinite (``1 - min(1, ceil(||d| - distance|))``)."""
    gap = (d.abs() - ans.unsqueeze(-1)).abs()
    return d.sign() * (1 - gap.ceil().clamp(max=1))


def _signs(d: Tensor) -> Tensor:
    """sign(d) as PyTorch's cdist kernel computes it (from ceil and floor): NaN stays NaN."""
    return where(d.isnan(), d, d.sign())


_LAST_DIM_REDUCED = PatternRule(lambda bits: REDUCED.forward(bits, (-1,), False),
                                lambda bits, x: REDUCED.reverse(bits, x, (-1,), False))

# the p=1 distance over the last dim, with PyTorch's kernel's gradient: NaN at a NaN
# coordinate (vector_norm's gradient, sgn, is 0 there)
_ONE_DISTANCE = Op(
    "cdist_one",
    lambda d: np.add.reduce(np.abs(d), axis=-1),
    vjp=(lambda g, ans, d: g.unsqueeze(-1) * _signs(d),),
    jvp=(lambda t, ans, d: (t * _signs(d)).sum(-1),),
    node_name="CdistBackward0",
    pattern=_LAST_DIM_REDUCED,
)

# the p=inf distance over the last dim: the largest |d|, NaN skipped (0 if all are NaN), as
# PyTorch's kernel
_INF_DISTANCE = Op(
    "cdist_inf",
    lambda d: np.fmax.reduce(np.abs(d), axis=-1, initial=0),
    vjp=(lambda g, ans, d: g.unsqueeze(-1) * _nearest_coordinates(ans, d),),
    jvp=(lambda t, ans, d: (t * _nearest_coordinates(ans, d)).sum(-1),),
    node_name="CdistBackward0",
    pattern=_LAST_DIM_REDUCED,
)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The ``p``-norm distance between each row of ``x1`` and each row of ``x2`` (batched
    over leading dims); its gradient is 0 where two rows coincide, as PyTorch's."""
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{t._data.ndim}D")
        if t._data.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{scalar_type_name(t._data.dtype)}")
        if t._data.dtype == np.float16:
            raise NotImplementedError(kernel_message("cdist").format(type="Half"))
    if x1._data.shape[-1] != x2._data.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1._data.shape[-1]} X2: {x2._data.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    a, b = x1._data, x2._data
    if a.dtype != b.dtype:  # PyTorch's kernel refuses them after the batch dims, when it runs
        if a.size and b.size:
            raise broadcast_error([a.shape[:-2], b.shape[:-2]]) or RuntimeError(
                f"expected scalar type {scalar_type_name(a.dtype)} but found "
                f"{scalar_type_name(b.dtype)}")
        x2 = x2.to(x1.dtype)  # (an empty result, in X1's dtype)
    difference = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 0:  # (its gradient is 0, not none as vector_norm's)
        return apply(NONZERO_DISTANCE, (difference,), ((-1,), False))
    if p == 1:
        return apply(_ONE_DISTANCE, (difference,))
    if p == float("inf"):
        return apply(_INF_DISTANCE, (difference,))
    return vector_norm(difference, p, dim=-1)


install("diff", diff)
