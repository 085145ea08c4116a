"""``chunk_size`` bounds the memory of a vectorized Jacobian (measured with tracemalloc)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import autojac
from autojac.autograd.functional import jacobian

MB = 1 << 20
N_IN, N_OUT = 50_000, 100
JAC_BYTES = N_OUT * N_IN * 8  # the result itself: 38 MB in float64


def _reducer(x: autojac.Tensor) -> autojac.Tensor:
    """R^50000 -> R^100, a wide Jacobian."""
    return (x.reshape(N_OUT, N_IN // N_OUT).sin() * 2).sum(1)


def _expected() -> np.ndarray:
    x = np.linspace(-1, 1, N_IN).reshape(N_OUT, N_IN // N_OUT)
    expected = np.zeros((N_OUT, N_OUT, N_IN // N_OUT))
    expected[np.arange(N_OUT), np.arange(N_OUT)] = 2 * np.cos(x)
    return expected.reshape(N_OUT, N_IN)


def _peak(**kw: object) -> tuple[int, np.ndarray]:
    x = autojac.tensor(np.linspace(-1, 1, N_IN))
    tracemalloc.start()
    try:
        jac = jacobian(_reducer, x, **kw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, jac.numpy()


# a pass holds a handful of (chunk, 50000) arrays: basis vectors, (co)tangents, products
PER_BASIS_VECTOR = 6 * N_IN * 8


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_chunk_size_bounds_peak_memory(strategy):
    chunk = 10
    peak, jac = _peak(strategy=strategy, vectorize=True, chunk_size=chunk)
    np.testing.assert_allclose(jac, _expected(), rtol=1e-12)
    assert peak <= JAC_BYTES + chunk * PER_BASIS_VECTOR + 2 * MB, peak / MB


def test_a_written_block_of_rows_is_freed_before_the_next_is_computed():
    """Reverse mode needs two blocks of cotangents at once (one op's input and output);
    the previous block's gradients, already written into J, must not be a third."""
    chunk = 10
    block = chunk * N_IN * 8
    peak, jac = _peak(vectorize=True, chunk_size=chunk)
    np.testing.assert_allclose(jac, _expected(), rtol=1e-12)
    assert peak - JAC_BYTES <= 2.6 * block, (peak - JAC_BYTES) / block


def test_the_whole_basis_would_not_fit_that_budget():
    peak, jac = _peak(vectorize=True, chunk_size=N_OUT)  # reverse mode: all rows in one pass
    np.testing.assert_allclose(jac, _expected(), rtol=1e-12)
    assert peak > JAC_BYTES + 10 * PER_BASIS_VECTOR + 2 * MB, peak / MB


def test_unchunked_sparse_jacobian_needs_little_beyond_its_result():
    peak, jac = _peak(vectorize=True)  # row-diagonal: one compressed VJP by colouring
    np.testing.assert_allclose(jac, _expected(), rtol=1e-12)
    assert peak <= JAC_BYTES + 2 * PER_BASIS_VECTOR + 2 * MB, peak / MB


def test_default_mode_is_memory_bounded_too():
    peak, jac = _peak()
    np.testing.assert_allclose(jac, _expected(), rtol=1e-12)
    assert peak <= JAC_BYTES + 64 * MB, peak / MB
