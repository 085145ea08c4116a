"""Derivatives that are zero by definition, as PyTorch gives them.

A function that is piecewise constant (floor, sign, round, ``x ** 0``, the angle of a real
number) has the derivative ``zeros_like(grad)``: 0 even for an infinite or NaN cotangent or
tangent, where multiplying it by 0 would give NaN. A piecewise linear activation (relu,
leaky_relu, hardtanh) has a gradient that stays connected to its input, through a backward
kernel whose own derivative in the input is 0: its second derivative is zeros, not an
unconnected gradient.
"""

from __future__ import annotations

import numpy as np
import pytest

import autojac
from _torch_compat import import_torch

ZERO_DERIVATIVE = {
    "floor": lambda x: x.floor(),
    "ceil": lambda x: x.ceil(),
    "trunc": lambda x: x.trunc(),
    "round": lambda x: x.round(),
    "round(decimals=1)": lambda x: x.round(decimals=1),
    "sign": lambda x: x.sign(),
    "sgn": lambda x: x.sgn(),
    "angle": lambda x: x.angle(),
    "x ** 0": lambda x: x**0,
}
NON_FINITE = [np.inf, np.nan, -np.inf, 1.0]
POINTS = [1.5, -0.3, 2.0, 0.0]


def _reverse_and_forward(T, fn, dtype):
    """fn's vjp and jvp at POINTS for the cotangent and tangent NON_FINITE."""
    dtype = getattr(T, dtype)
    x = T.tensor(POINTS, dtype=dtype, requires_grad=True)
    v = T.tensor(NON_FINITE, dtype=dtype)
    (vjp,) = T.autograd.grad(fn(x), x, v)
    fwd = T.autograd.forward_ad
    with fwd.dual_level():
        jvp = fwd.unpack_dual(fn(fwd.make_dual(x.detach(), v))).tangent
    return vjp, jvp


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(ZERO_DERIVATIVE))
def test_zero_derivative_at_non_finite_cotangents(name, dtype):
    vjp, jvp = _reverse_and_forward(autojac, ZERO_DERIVATIVE[name], dtype)
    for result in (vjp, jvp):
        assert result.dtype == getattr(autojac, dtype)
        np.testing.assert_array_equal(result.numpy(), np.zeros(len(POINTS)))


@pytest.mark.parametrize("name", list(ZERO_DERIVATIVE))
def test_zero_derivative_is_pytorchs(name):
    torch = import_torch()
    for ours, theirs in zip(_reverse_and_forward(autojac, ZERO_DERIVATIVE[name], "float64"),
                            _reverse_and_forward(torch, ZERO_DERIVATIVE[name], "float64")):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(force=True))  # (ZeroTensor)


# activation: (fn(T, x), its derivative at each of POINTS, as PyTorch defines it at kinks)
PIECEWISE_LINEAR = {
    "relu": (lambda T, x: x.relu(), [1.0, 0.0, 1.0, 0.0]),
    "leaky_relu": (lambda T, x: T.nn.functional.leaky_relu(x, 0.2), [1.0, 0.2, 1.0, 0.2]),
    "hardtanh": (lambda T, x: T.nn.functional.hardtanh(x, -0.5, 1.0), [0.0, 1.0, 0.0, 1.0]),
}


def _gradient(fn, x):
    return autojac.autograd.grad(fn(autojac, x).sum(), x, create_graph=True)[0]


@pytest.mark.parametrize("name", list(PIECEWISE_LINEAR))
def test_gradient_of_piecewise_linear_stays_connected(name):
    fn, slope = PIECEWISE_LINEAR[name]
    x = autojac.tensor(POINTS, dtype=autojac.float64, requires_grad=True)
    g = _gradient(fn, x)
    assert g.requires_grad
    np.testing.assert_array_equal(g.detach().numpy(), slope)
    (second,) = autojac.autograd.grad(g.sum(), x)
    np.testing.assert_array_equal(second.numpy(), np.zeros(len(POINTS)))


@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("name", list(PIECEWISE_LINEAR))
def test_jacobian_of_piecewise_linear_gradient_is_zero(name, vectorize):
    fn, _ = PIECEWISE_LINEAR[name]
    x = autojac.tensor(POINTS, dtype=autojac.float64, requires_grad=True)
    for strategy in ("reverse-mode", "forward-mode"):
        if strategy == "forward-mode" and not vectorize:
            continue
        jac = autojac.autograd.functional.jacobian(
            lambda x: _gradient(fn, x), x, vectorize=vectorize, strategy=strategy)
        np.testing.assert_array_equal(jac.numpy(), np.zeros((len(POINTS), len(POINTS))))


@pytest.mark.parametrize("name", list(PIECEWISE_LINEAR))
def test_tangent_of_piecewise_linear_is_its_gradient_kernel(name):
    """The jvp is the same kernel applied to the tangent (an infinite tangent where the
    slope is 0 gives 0, not NaN)."""
    fn, slope = PIECEWISE_LINEAR[name]
    fwd = autojac.autograd.forward_ad
    x = autojac.tensor(POINTS, dtype=autojac.float64)
    t = autojac.tensor(NON_FINITE, dtype=autojac.float64)
    with fwd.dual_level():
        tangent = fwd.unpack_dual(fn(autojac, fwd.make_dual(x, t))).tangent
    expected = [0.0 if s == 0 else s * t for s, t in zip(slope, NON_FINITE)]
    np.testing.assert_array_equal(tangent.numpy(), expected)
