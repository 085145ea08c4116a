"""Sparse Jacobians as SciPy sparse arrays: the sparsity pattern read off the graph the
function records, and the Jacobian's nonzeros computed by colouring (a tridiagonal
Jacobian of any size in three passes).

Inputs and outputs may be tuples; the matrix is then the joint Jacobian of all outputs,
flattened and concatenated, by all inputs, flattened and concatenated (the layout SciPy's
solvers, e.g. ``least_squares(jac_sparsity=...)``, expect). Ops whose pattern rule is not
declared count as dense, so a pattern may hold entries that happen to be zero, never miss
one. Structural zeros are exact zeros here, even where a row-by-row Jacobian would hold
``nan`` from ``0 * inf``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._autograd import compressed, grad_mode
from .._autograd.jacobian_blocks import as_tuple

__all__ = ["jacobian", "jacobian_sparsity"]


def _scipy_sparse() -> Any:
    try:
        import scipy.sparse
    except ImportError as e:  # pragma: no cover - scipy is a test dependency
        raise ImportError(
            "autojac.sparse returns SciPy sparse arrays: install SciPy "
            "(pip install 'autojac[scipy]')"
        ) from e
    return scipy.sparse


def _trace(func: Callable[..., Any], inputs: Any, fn_name: str) -> tuple[tuple, tuple]:
    """Call ``func`` on fresh inputs that require grad: ``(outputs, inputs)``."""
    _, inputs = as_tuple(inputs, "inputs", fn_name)
    with grad_mode.enable_grad():
        inputs = tuple(x.detach().requires_grad_(x._data.dtype.kind in "fc") for x in inputs)
        _, outputs = as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)
    return outputs, inputs


def _pattern(outputs: tuple, inputs: tuple) -> compressed.Pattern:
    pat = compressed.pattern(outputs, inputs)
    if pat is None:
        raise RuntimeError(
            "The sparsity pattern cannot be traced through a custom autograd.Function."
        )
    return pat


def _csr(pat: compressed.Pattern, data: np.ndarray) -> Any:
    return _scipy_sparse().csr_array((data, (pat.rows, pat.cols)), shape=pat.shape)


def jacobian_sparsity(func: Callable[..., Any], inputs: Any) -> Any:
    """The Jacobian's sparsity pattern as a boolean ``scipy.sparse.csr_array`` of shape
    (output elements, input elements), from one call of ``func``.

    Example:
        >>> def diff(x):
        ...     return x[1:] - x[:-1]
        >>> jacobian_sparsity(diff, autojac.zeros(4)).toarray().astype(int)
        array([[1, 1, 0, 0],
               [0, 1, 1, 0],
               [0, 0, 1, 1]])
    """
    pat = _pattern(*_trace(func, inputs, "jacobian_sparsity"))
    return _csr(pat, np.ones(pat.rows.size, dtype=bool))


def jacobian(func: Callable[..., Any], inputs: Any) -> Any:
    """The Jacobian as a ``scipy.sparse.csr_array`` of shape (output elements, input
    elements), computed by colouring: one JVP per group of columns that share no row
    (or one VJP per group of rows that share no column, whichever is fewer).

    Example:
        >>> def f(x):
        ...     return x ** 2
        >>> jacobian(f, autojac.tensor([1.0, 2.0, 3.0], dtype=autojac.float64)).toarray()
        array([[2., 0., 0.],
               [0., 4., 0.],
               [0., 0., 6.]])
    """
    outputs, inputs = _trace(func, inputs, "jacobian")
    pat = _pattern(outputs, inputs)
    chosen = compressed.plan(pat)
    if chosen is None:  # no cheap colouring: one column each
        chosen = (False, np.arange(pat.shape[1]))
    entries = compressed.values(outputs, inputs, pat, *chosen)
    dtype = np.result_type(*(x._data.dtype for x in inputs))
    return _csr(pat, entries._data.astype(dtype, copy=False))
