"""``autojac.linalg`` functions composed of other ops (so differentiable in both modes, to
any order): matrix_power, multi_dot, vecdot, solve_triangular, lstsq."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import return_types
from .._autograd.graph import zeros_for
from .._tensor import Tensor, _make, scalar_type_name
from ._registry import Op, apply, batch_of, broadcast_error, install, kernel_message
from .decomposition import TRIANGULAR_SOLVE, inv, pinv
from .inplace import FILL
from .linalg import matmul
from .matrix import tril, triu


def _square_batches(name: str, A: Tensor) -> None:
    if A._data.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    rows, cols = A._data.shape[-2:]
    if rows != cols:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{rows} by {cols} matrices")


def matrix_power(A: Tensor, n: int) -> Tensor:
    """``A`` multiplied by itself ``n`` times (by squaring); the identity for ``n = 0``, the
    inverse's power for ``n < 0``.

    >>> import autojac as torch
    >>> torch.linalg.matrix_power(torch.tensor([[1.0, 1.0], [0.0, 1.0]]), 3)
    tensor([[1., 3.],
            [0., 1.]])
    """
    _square_batches("matrix_power", A)
    if n == 0:  # (connected to A, with a zero derivative, as PyTorch's)
        eye = _make(np.eye(A._data.shape[-1], dtype=A._data.dtype), False, None)
        return apply(FILL, (A,), (0,)) + eye
    if n == 1:
        return A.clone()
    base, n = (inv(A), -n) if n < 0 else (A, n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def multi_dot(tensors: Sequence[Tensor]) -> Tensor:
    """The product of a chain of matrices; the first may be a row vector and the last a
    column vector (1-D), as in ``matmul``."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    ends = {0: "the first tensor", len(tensors) - 1: "the last tensor"}
    for k, t in enumerate(tensors):
        if k in ends and t._data.ndim not in (1, 2):
            raise RuntimeError(f"multi_dot(): {ends[k]} must be 1D or 2D but got "
                               f"{t._data.ndim}D")
        if k not in ends and t._data.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {k} must be 2D but got {t._data.ndim}D")
    out = tensors[0]
    for t in tensors[1:]:
        out = matmul(out, t)
    return out


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product along ``dim`` (of ``conj(x)`` and ``y``), broadcast over the rest."""
    for t in (x, y):
        if t._data.dtype.kind in "biu":
            raise RuntimeError("linalg.vecdot: Expected a floating point or complex tensor as "
                               f"input. Got {scalar_type_name(t._data.dtype)}")
    return (x.conj() * y).sum(dim)


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """``X`` with ``A X = B`` (``X A = B`` when ``left=False``) reading only the upper or
    lower triangle of ``A`` (and ones on its diagonal with ``unitriangular``), in ``A``'s
    dtype; a zero on the diagonal gives inf and NaN, as PyTorch's (no error).

    >>> import autojac as torch
    >>> A = torch.tensor([[2.0, 1.0], [0.0, 4.0]])
    >>> torch.linalg.solve_triangular(A, torch.tensor([[3.0], [4.0]]), upper=True)
    tensor([[1.],
            [1.]])
    """
    if B._data.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 "
                           "dimensions.")
    _square_batches("solve_triangular", A)
    if A._data.dtype.kind in "biu" or A._data.dtype == np.float16:
        raise NotImplementedError(kernel_message("triangular_solve_cpu").format(
            type=scalar_type_name(A._data.dtype)))
    n, (rows, cols) = A._data.shape[-1], B._data.shape[-2:]
    if (rows if left else cols) != n:
        raise RuntimeError("linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation {'AX' if left else 'XA'} = B ({n}x{n} and {rows}x{cols})")
    error = broadcast_error([B._data.shape[:-2], A._data.shape[:-2]])
    if error is not None:
        raise error
    if B._data.dtype != A._data.dtype:
        B = B.to(A.dtype)
    part = triu if upper else tril
    if unitriangular:
        eye = _make(np.eye(n, dtype=A._data.dtype), False, None)
        triangle = part(A, 1 if upper else -1) + eye
    else:
        triangle = part(A)
    if not left:  # X A = B: A^T X^T = B^T, whose triangle is the other one
        return apply(TRIANGULAR_SOLVE, (triangle.mT, B.mT), (not upper,)).mT
    return apply(TRIANGULAR_SOLVE, (triangle, B), (upper,))


_LSTSQ_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")
# the empty residuals of a driver that gives none: connected to A and B, as PyTorch's, but no
# gradient flows back through them
_NO_RESIDUALS = Op(
    "linalg_lstsq_residuals",
    lambda a, b: np.zeros(0, a.real.dtype),
    vjp=(lambda g, ans, a, b: None,) * 2,
    jvp=(lambda t, ans, a, b: zeros_for(batch_of(t, a), ans._data),
         lambda t, ans, a, b: zeros_for(batch_of(t, b), ans._data)),
    node_name="LinalgLstsqBackward0",
)


def _lstsq_driver(driver: Any) -> str:
    """The driver's name (any case; ``gelsy`` by default), with PyTorch's errors."""
    if driver is None:
        return "gelsy"
    if not isinstance(driver, str):
        raise TypeError(f"linalg_lstsq(): argument 'driver' must be str, not "
                        f"{type(driver).__name__}")
    if driver.lower() not in _LSTSQ_DRIVERS:
        raise RuntimeError("autojac.linalg.lstsq: parameter `driver` should be one of "
                           f"({', '.join(_LSTSQ_DRIVERS)})")
    return driver.lower()


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None
          ) -> Any:
    """The least-squares solution of ``A X = B`` (the minimum-norm one where ``A`` is rank
    deficient), as ``pinv(A) @ B``, whose derivative is PyTorch's, with the other results of
    PyTorch's CPU ``driver`` (default ``gelsy``; ``gels``, which assumes full rank, ignores
    ``rcond``): the squared residuals of each column where ``A`` has more rows
    than columns (``gels``; ``gelsd`` and ``gelss`` when every ``A`` has full rank), the
    numerical rank (not ``gels``), the singular values (``gelsd``, ``gelss``); empty where
    the driver gives none. ``B`` may be a (batch of) vector(s).

    >>> import autojac as torch
    >>> A = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    >>> torch.linalg.lstsq(A, torch.tensor([1.0, 2.0, 2.0]), driver="gelsd").residuals
    tensor([4.])
    """
    driver = _lstsq_driver(driver)
    if A._data.ndim < 2:
        raise RuntimeError("autojac.linalg.lstsq: input must have at least 2 dimensions.")
    if any(t._data.dtype.kind in "biu" or t._data.dtype == np.float16 for t in (A, B)):
        raise RuntimeError("This function doesn't handle types other than float and double")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError("autojac.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {scalar_type_name(A._data.dtype)} "
                           f"and other's dtype {scalar_type_name(B._data.dtype)}")
    if not 0 <= A._data.ndim - B._data.ndim <= 1:
        raise RuntimeError("autojac.linalg.lstsq: input.dim() must be greater or equal to "
                           "other.dim() and (input.dim() - other.dim()) <= 1")
    vector = B._data.ndim == 1 or B._data.shape == A._data.shape[:-1]
    if A._data.shape[-2] != B._data.shape[-1 if vector else -2]:
        raise RuntimeError("autojac.linalg.lstsq: input.size(-2) should match "
                           f"other.size({-1 if vector else -2})")
    columns = B.unsqueeze(-1) if vector else B
    rows, cols = A._data.shape[-2:]
    eps_tol = np.finfo(A._data.dtype).eps * max(rows, cols)
    tol = eps_tol if rcond is None or driver == "gels" else rcond
    solution = matmul(pinv(A, rtol=tol), columns)
    real = A._data.real.dtype
    singular = np.linalg.svd(A._data, compute_uv=False)
    rank = (singular > tol * singular[..., :1]).sum(-1) if singular.shape[-1] else \
        np.zeros(singular.shape[:-1], np.int64)
    if rows > cols and (driver == "gels" or driver != "gelsy" and (rank == cols).all()):
        residuals = (matmul(A, solution) - columns).abs().square().sum(-2)
    else:
        residuals = apply(_NO_RESIDUALS, (A, B))
    return return_types.linalg_lstsq(
        solution.squeeze(-1) if vector else solution,
        residuals,
        _make(np.zeros(0, np.int64) if driver == "gels" else np.asarray(rank, np.int64),
              False, None),
        _make(singular if driver in ("gelsd", "gelss") else np.zeros(0, real), False, None),
    )


install("matrix_power", matrix_power)
