"""``autojac.linalg``: decompositions, solves and norms, differentiable in both modes."""

from .._ops.decomposition import _LinAlgError as LinAlgError
from .._ops.decomposition import (
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    matrix_exp,
    pinv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
)
from .._ops.linalg import matmul
from .._ops.linalg_composed import lstsq, matrix_power, multi_dot, solve_triangular, vecdot
from .._ops.matrix import cross as _cross
from .._ops.matrix import diagonal as _diagonal
from .._ops.matrix import linalg_norm as norm
from .._ops.matrix import matrix_norm, vector_norm
from .._tensor import Tensor


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """``A.diagonal``, over the last two dims by default (a view).

    Example:
        >>> autojac.linalg.diagonal(autojac.eye(2).expand(3, 2, 2)).shape
        autojac.Size([3, 2])
    """
    return _diagonal(A, offset, dim1, dim2)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (the last by default).

    Example:
        >>> autojac.linalg.cross(autojac.tensor([1., 0., 0.]), autojac.tensor([0., 1., 0.]))
        tensor([0., 0., 1.])
    """
    return _cross(input, other, dim)

__all__ = ["LinAlgError", "cholesky", "det", "eigh", "eigvalsh", "inv", "matrix_exp", "pinv",
           "qr", "slogdet", "solve", "svd", "svdvals", "lstsq", "matrix_power", "multi_dot",
           "solve_triangular", "vecdot", "matmul", "cross", "diagonal", "matrix_norm",
           "vector_norm", "norm"]
