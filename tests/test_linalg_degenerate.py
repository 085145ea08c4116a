"""Derivatives at degenerate points: singular matrices, repeated eigen/singular values."""

from __future__ import annotations

from functools import partial

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


def _pinv_jvp_and_vjp(a: np.ndarray, t: np.ndarray, v: np.ndarray) -> tuple:
    fw = autojac.autograd.forward_ad
    with fw.dual_level():
        dual = fw.make_dual(autojac.tensor(a), autojac.tensor(t))
        tangent = fw.unpack_dual(autojac.linalg.pinv(dual)).tangent.numpy()
    x = autojac.tensor(a, requires_grad=True)
    (grad,) = autojac.autograd.grad(autojac.linalg.pinv(x), x, autojac.tensor(v))
    return tangent, grad.numpy()


def test_pinv_derivatives_at_repeated_singular_values():
    """The identity and diag(1, 1, 2): pinv is inv there, smooth, with finite derivatives
    (through the SVD's they were NaN)."""
    rng = np.random.default_rng(3)
    for a in (np.eye(3), np.diag([1.0, 1.0, 2.0])):
        t, v = rng.standard_normal((2, 3, 3))
        tangent, grad = _pinv_jvp_and_vjp(a, t, v)
        fd = (np.linalg.pinv(a + 1e-6 * t) - np.linalg.pinv(a - 1e-6 * t)) / 2e-6
        np.testing.assert_allclose(tangent, fd, atol=1e-8)
        np.testing.assert_allclose(np.sum(grad * t), np.sum(v * tangent), rtol=1e-12)


def test_pinv_derivatives_at_rank_deficient_matrices():
    """A = B C of rank r: along a curve (B + h dB)(C + h dC) that keeps the rank, the jvp
    equals the central difference of pinv, and the vjp is its adjoint."""
    rng = np.random.default_rng(4)
    for m, n, r in ((4, 3, 1), (5, 3, 2), (3, 5, 2)):
        B, dB = rng.standard_normal((2, m, r))
        C, dC = rng.standard_normal((2, r, n))
        t, v = dB @ C + B @ dC, rng.standard_normal((n, m))
        ends = [np.linalg.pinv((B + h * dB) @ (C + h * dC)) for h in (1e-6, -1e-6)]
        tangent, grad = _pinv_jvp_and_vjp(B @ C, t, v)
        np.testing.assert_allclose(tangent, (ends[0] - ends[1]) / 2e-6, atol=1e-7)
        np.testing.assert_allclose(np.sum(grad * t), np.sum(v * tangent), rtol=1e-10)


def test_second_derivative_of_a_norm_below_1_at_zero_entries_stays_in_them():
    """For p < 1 the gradient leaves zero entries out (0 there, and the norm of the others
    elsewhere), so on the nonzero entries its derivative is the Hessian of the norm of
    those alone; at the zero entries it is 0 (PyTorch: NaN), not NaN over the whole row."""
    a = np.array([[0.0, 1.0, -2.0, 0.7], [0.5, 0.0, 1.5, 0.0]])
    w = np.array([[0.3, -1.0, 2.0, 0.5], [1.5, 0.7, -0.4, 1.0]])
    x = autojac.tensor(a, requires_grad=True)
    (g,) = autojac.autograd.grad(autojac.linalg.vector_norm(x, 0.5, dim=1).sum(), x,
                                 create_graph=True)
    (h,) = autojac.autograd.grad((g * autojac.tensor(w)).sum(), x)
    def weighted_grad(v: np.ndarray, weights: np.ndarray) -> float:
        """<d ||v||_{1/2} / dv, weights> for v without zeros."""
        return np.sign(v) * np.abs(v) ** -0.5 * np.sum(np.abs(v) ** 0.5) @ weights

    for row, weights, got in zip(a, w, h.numpy()):
        nonzero = row != 0
        expected = _fd_grad(partial(weighted_grad, weights=weights[nonzero]), row[nonzero])
        np.testing.assert_allclose(got[nonzero], expected, rtol=1e-6)
        assert (got[~nonzero] == 0).all()
