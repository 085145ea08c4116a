"""IEEE arithmetic without NumPy's warnings inside autograd's calls, as PyTorch computes it:
``x log x`` written with ``where`` meets ``log(0)`` and ``0 * inf`` at 0 (its reverse-mode
derivative there is NaN in PyTorch too), and is differentiated silently; the caller's NumPy
error state is left as it was."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autojac
from _torch_compat import import_torch


def _x_log_x(T, x):
    return T.where(x > 0, x * T.log(x), 0.0)


def _point(T):
    return T.tensor([0.0, 1.0], dtype=T.float64)


def _ones(T):
    return T.ones(2, dtype=T.float64)


def _grad(T):
    x = _point(T).requires_grad_()
    with np.errstate(all="ignore"):  # (an eager forward: the caller's NumPy error state)
        y = _x_log_x(T, x).sum()
    return T.autograd.grad(y, x)[0]


def _total(T):
    return lambda x: _x_log_x(T, x).sum()


# call: (the computation, its value recorded from PyTorch 2.13)
NAN_COLUMN = [[np.nan, 0.0], [np.nan, 1.0]]
CALLS = {
    "jacobian": (lambda T: T.autograd.functional.jacobian(
        lambda x: _x_log_x(T, x), _point(T)), NAN_COLUMN),
    "jacobian vectorized": (lambda T: T.autograd.functional.jacobian(
        lambda x: _x_log_x(T, x), _point(T), vectorize=True), NAN_COLUMN),
    "jacobian forward": (lambda T: T.autograd.functional.jacobian(
        lambda x: _x_log_x(T, x), _point(T), vectorize=True, strategy="forward-mode"),
        [[0.0, 0.0], [0.0, 1.0]]),
    "hessian": (lambda T: T.autograd.functional.hessian(_total(T), _point(T)), NAN_COLUMN),
    "vjp": (lambda T: T.autograd.functional.vjp(
        lambda x: _x_log_x(T, x), _point(T), _ones(T))[1], [np.nan, 1.0]),
    "jvp": (lambda T: T.autograd.functional.jvp(
        lambda x: _x_log_x(T, x), _point(T), _ones(T))[1], [0.0, 1.0]),
    "hvp": (lambda T: T.autograd.functional.hvp(_total(T), _point(T), _ones(T))[1],
            [np.nan, 1.0]),
    "grad": (_grad, [np.nan, 1.0]),
    "func.jacrev": (lambda T: T.func.jacrev(lambda x: _x_log_x(T, x))(_point(T)), NAN_COLUMN),
    "func.jacfwd": (lambda T: T.func.jacfwd(lambda x: _x_log_x(T, x))(_point(T)),
                    [[0.0, 0.0], [0.0, 1.0]]),
    "func.grad": (lambda T: T.func.grad(_total(T))(_point(T)), [np.nan, 1.0]),
    "func.vjp": (lambda T: T.func.vjp(lambda x: _x_log_x(T, x), _point(T))[1](_ones(T))[0],
                 [np.nan, 1.0]),
    "func.jvp": (lambda T: T.func.jvp(lambda x: _x_log_x(T, x), (_point(T),), (_ones(T),))[1],
                 [0.0, 1.0]),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_no_floating_point_warnings_inside_autograd_calls(name):
    call, expected = CALLS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):  # (the recorded, replayed and compiled passes alike)
            result = call(autojac)
    np.testing.assert_array_equal(result.numpy(), expected)


@pytest.mark.parametrize("name", list(CALLS))
def test_recorded_values_are_pytorchs(name):
    torch = import_torch()
    call, expected = CALLS[name]
    np.testing.assert_array_equal(call(torch).detach().numpy(), expected)


def test_backward_is_quiet_and_the_callers_error_state_is_kept():
    before = np.geterr()
    x = autojac.tensor([0.0, 4.0], dtype=autojac.float64, requires_grad=True)
    y = autojac.sqrt(x).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [np.inf, 0.25])
    assert np.geterr() == before
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        autojac.log(autojac.zeros(1))  # an eager op: the caller's NumPy error state


def test_casts_beyond_the_target_dtype_are_silent_as_pytorchs():
    """A cast whose values do not fit gives inf (or the C conversion's integer) without
    NumPy's RuntimeWarning: PyTorch's .to() warns of nothing (its values: 2.13's)."""
    wide = autojac.tensor([1e300, float("nan"), 300.7, -1.5], dtype=autojac.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        narrow = wide.to(autojac.float32)
        small = wide[2:].to(autojac.uint8)
    assert narrow[0].item() == np.inf and np.isnan(narrow[1].item())
    assert small.tolist() == [44, 255]
