"""``autojac.linalg``: decompositions, solves and norms, differentiable in both modes."""

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
from .._ops.matrix import cross, diagonal, matrix_norm, vector_norm
from .._ops.matrix import linalg_norm as norm

__all__ = ["cholesky", "det", "eigh", "eigvalsh", "inv", "matrix_exp", "pinv", "qr", "slogdet",
           "solve", "svd", "svdvals", "matmul", "cross", "diagonal", "matrix_norm",
           "vector_norm", "norm"]
