"""Derivatives at degenerate points: singular matrices, repeated eigen/singular values."""

from __future__ import annotations

import numpy as np

import autojac


def _fd_grad(f, a: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[idx] = eps
        g[idx] = (f(a + e) - f(a - e)) / (2 * eps)
    return g


def test_det_of_singular_matrices_has_the_adjugate_as_gradient():
    for a in (np.array([[1.0, 2.0], [2.0, 4.0]]),
              np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]])):
        x = autojac.tensor(a, requires_grad=True)
        autojac.linalg.det(x).backward()
        np.testing.assert_allclose(x.grad.numpy(), _fd_grad(np.linalg.det, a), atol=1e-8)


def test_det_forward_mode_at_a_singular_matrix():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    t = np.array([[0.3, -1.0], [0.5, 2.0]])
    with autojac.autograd.forward_ad.dual_level():
        d = autojac.linalg.det(autojac.autograd.forward_ad.make_dual(
            autojac.tensor(a), autojac.tensor(t)))
        tangent = autojac.autograd.forward_ad.unpack_dual(d).tangent.item()
    expected = (np.linalg.det(a + 1e-6 * t) - np.linalg.det(a - 1e-6 * t)) / 2e-6
    assert abs(tangent - expected) < 1e-8


def test_eigenvalue_gradients_at_repeated_eigenvalues_are_finite():
    x = autojac.eye(3, dtype=autojac.float64, requires_grad=True)
    w, _ = autojac.linalg.eigh(x)
    (w * autojac.tensor([1.0, 2.0, 3.0], dtype=autojac.float64)).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    assert np.trace(x.grad.numpy()) == 6.0  # d(sum c_i w_i)/dA has trace sum c_i


def test_singular_value_gradients_at_repeated_values_are_finite():
    x = autojac.zeros(2, 2, dtype=autojac.float64, requires_grad=True)
    autojac.linalg.svdvals(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.eye(2))  # PyTorch 2.13 gives the same
