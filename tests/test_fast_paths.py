"""Shortcuts taken for speed give exactly what the general path gives."""

from __future__ import annotations

import numpy as np
import pytest

import autojac
from autojac.autograd.functional import hessian, jacobian

RNG = np.random.default_rng(7)


def _matmul_refused(*args, **kwargs):
    raise AssertionError("np.matmul ran: the identity shortcut was not taken")


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128, np.int64])
@pytest.mark.parametrize("other_shape", [(64, 20), (3, 64, 20)])
def test_product_with_identity_is_a_copy_of_the_other_factor(dtype, other_shape, monkeypatch):
    eye = np.eye(64, dtype=dtype)
    other = (RNG.standard_normal(other_shape) * 10).astype(dtype)
    left_expected = np.matmul(eye, other)
    right_other = np.swapaxes(other, -1, -2)
    right_expected = np.matmul(right_other, eye)
    monkeypatch.setattr(np, "matmul", _matmul_refused)
    left = autojac.tensor(eye) @ autojac.tensor(other)
    right = autojac.tensor(right_other) @ autojac.tensor(eye)
    for got, want in ((left, left_expected), (right, right_expected)):
        assert got.numpy().dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got.numpy(), want)
        assert got.numpy().flags.c_contiguous


def test_product_with_identity_does_not_alias_the_other_factor():
    other = autojac.tensor(RNG.standard_normal((64, 20)))
    before = other.numpy().copy()
    out = autojac.eye(64, dtype=autojac.float64) @ other
    out.add_(1.0)
    np.testing.assert_array_equal(other.numpy(), before)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_product_with_identity_keeps_the_nans_of_the_arithmetic(bad):
    other = RNG.standard_normal((64, 20))
    other[1, 2] = bad
    eye = np.eye(64)
    with np.errstate(invalid="ignore"):
        expected = np.matmul(eye, other)  # 0 * inf is NaN in every other row of that column
        got = (autojac.tensor(eye) @ autojac.tensor(other)).numpy()
    np.testing.assert_array_equal(got, expected)
    assert np.isnan(got[0, 2])


def test_small_products_are_multiplied(monkeypatch):
    calls = []
    matmul = np.matmul
    monkeypatch.setattr(np, "matmul", lambda *a: calls.append(1) or matmul(*a))
    other = RNG.standard_normal((5, 3))
    got = (autojac.eye(5, dtype=autojac.float64) @ autojac.tensor(other)).numpy()
    np.testing.assert_array_equal(got, other)
    assert calls  # checking for the identity would cost more than the product


def test_near_identity_is_multiplied():
    almost = np.eye(64)
    almost[63, 0] = 1e-300
    other = RNG.standard_normal((64, 20))
    got = (autojac.tensor(almost) @ autojac.tensor(other)).numpy()
    np.testing.assert_array_equal(got, np.matmul(almost, other))


def test_identity_product_is_differentiable_as_a_product():
    eye = autojac.eye(3, dtype=autojac.float64).requires_grad_()
    b = autojac.tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    (eye @ b).pow(2).sum().backward()
    b_np = b.detach().numpy()
    np.testing.assert_allclose(b.grad.numpy(), 2 * b_np)
    np.testing.assert_allclose(eye.grad.numpy(), 2 * b_np @ b_np.T)


def test_hessian_of_a_scalar_matches_the_analytic_one():
    # the inner gradient of a Hessian is one row: computed without a batch dim of 1
    a = RNG.standard_normal((30, 6))
    x = RNG.standard_normal(6)
    s = 1 / (1 + np.exp(-(a @ x)))
    expected = a.T @ ((s * (1 - s))[:, None] * a)
    ta = autojac.tensor(a)
    got = hessian(lambda v: (1 + (ta @ v).exp()).log().sum(), autojac.tensor(x))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("out_shape", [(), (1,), (1, 1)])
def test_single_row_jacobian_keeps_shape_and_graph(out_shape):
    x = autojac.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    jac = jacobian(lambda v: (v**3).sum().reshape(out_shape), x, create_graph=True)
    assert jac.shape == out_shape + (2, 3)
    np.testing.assert_allclose(jac.detach().numpy().reshape(2, 3), 3 * x.detach().numpy() ** 2)
    (g,) = autojac.autograd.grad(jac.sum(), x)
    np.testing.assert_allclose(g.numpy(), 6 * x.detach().numpy())


def test_hessian_is_the_same_with_and_without_the_identity_shortcut(monkeypatch):
    # n = 100: the outer pass's first product (the identity seed times a (100, 200) factor)
    # is large enough to be skipped
    from autojac._ops import linalg

    a = autojac.tensor(RNG.standard_normal((200, 100)) / 10)
    x = autojac.tensor(RNG.standard_normal(100))

    def f(v):
        return (1 + (a @ v).exp()).log().sum()

    found = []
    is_identity = linalg._is_identity
    monkeypatch.setattr(linalg, "_is_identity", lambda m: found.append(is_identity(m)) or found[-1])
    shortcut = hessian(f, x)
    assert True in found
    monkeypatch.setattr(linalg, "_IDENTITY_CHECKED_FROM", 1 << 62)
    multiplied = hessian(f, x)
    np.testing.assert_array_equal(shortcut.numpy(), multiplied.numpy())


def test_kept_identities_are_recognised_only_whole():
    from autojac._backend import cached_identity, is_cached_identity

    eye = cached_identity(5, np.float64)
    assert cached_identity(5, np.dtype("float64")) is eye and not eye.flags.writeable
    assert is_cached_identity(eye) and is_cached_identity(eye.reshape(5, 5))
    assert not is_cached_identity(eye[1:, 1:])  # an identity, but not a whole kept one
    assert not is_cached_identity(eye[:, ::-1])
    assert not is_cached_identity(eye.view(np.int64))
    assert not is_cached_identity(np.eye(5))
    with pytest.raises(ValueError):
        eye[0, 1] = 1.0  # kept identities stay identities
