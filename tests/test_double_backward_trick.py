"""``jvp`` and ``hvp`` are PyTorch's double-backward constructions: what they differentiate
is what a backward pass sees (no tangent crosses a ``no_grad`` block, a custom Function
needs only its ``backward``), eagerly and when replayed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autojac
from _torch_compat import import_torch
from autojac.autograd.functional import hessian, hvp, jacobian, jvp, vhp


def _t(a: Any, dtype: Any = None) -> autojac.Tensor:
    return autojac.tensor(np.asarray(a, dtype=np.float64), dtype=dtype or autojac.float64)


def _doubled_without_grad(lib: Any, x: Any) -> Any:
    with lib.no_grad():
        w = x * 2
    return w * x


def _exp_without_grad(lib: Any, x: Any) -> Any:
    with lib.set_grad_enabled(False):
        w = x.exp()
    return w + x


class _Square(autojac.autograd.Function):
    """x * x with a backward only (no jvp)."""

    @staticmethod
    def forward(ctx: Any, x: autojac.Tensor) -> autojac.Tensor:
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx: Any, g: autojac.Tensor) -> autojac.Tensor:
        (x,) = ctx.saved_tensors
        return 2 * x * g


def test_no_tangent_crosses_a_no_grad_block() -> None:
    x, v = _t([1.0, 2.0]), _t([1.0, 1.0])
    # w = 2x is a constant to autograd: J v = w v, and the Hessian of sum(w x) is zero
    np.testing.assert_array_equal(jvp(lambda x: _doubled_without_grad(autojac, x), x, v)[1],
                                  [2.0, 4.0])
    np.testing.assert_array_equal(
        hvp(lambda x: _doubled_without_grad(autojac, x).sum(), x, v)[1], [0.0, 0.0])
    np.testing.assert_array_equal(jvp(lambda x: _exp_without_grad(autojac, x), x, v)[1],
                                  [1.0, 1.0])


@pytest.mark.parametrize("func", [_doubled_without_grad, _exp_without_grad])
def test_grad_mode_blocks_match_pytorch(func: Callable[[Any, Any], Any]) -> None:
    torch = import_torch()
    x, v = np.array([0.5, -1.5, 2.0]), np.array([1.0, -2.0, 0.25])
    for fn in (jvp, hvp):
        def mine(x: Any, fn: Any = fn) -> Any:
            return func(autojac, x) if fn is jvp else func(autojac, x).sum()

        def theirs(x: Any, fn: Any = fn) -> Any:
            return func(torch, x) if fn is jvp else func(torch, x).sum()

        got = fn(mine, _t(x), _t(v))[1]
        want = getattr(torch.autograd.functional, fn.__name__)(
            theirs, torch.tensor(x), torch.tensor(v))[1]
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-15)


def test_a_function_with_a_backward_only() -> None:
    x, v = _t([1.0, -1.0]), _t([0.5, 1.0])
    np.testing.assert_array_equal(jvp(_Square.apply, x, v)[1], [1.0, -2.0])  # 2x v
    np.testing.assert_array_equal(hvp(lambda x: _Square.apply(x).sum(), x, v)[1], [1.0, 2.0])


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("strict", [False, True])
def test_replayed_products_follow_new_values(create_graph: bool, strict: bool) -> None:
    rng = np.random.default_rng(0)
    for _ in range(5):  # the first calls run eagerly, later ones replay a taped pass
        x, v = rng.standard_normal(4), rng.standard_normal(4)
        out, tangent = jvp(lambda x: x.sin() * x, _t(x), _t(v), create_graph, strict)
        np.testing.assert_allclose(out.detach().numpy(), np.sin(x) * x, rtol=1e-14)
        np.testing.assert_allclose(tangent.detach().numpy(), (np.cos(x) * x + np.sin(x)) * v,
                                   rtol=1e-13)
        _, hv = hvp(lambda x: (x ** 3).sum(), _t(x), _t(v), create_graph, strict)
        np.testing.assert_allclose(hv.detach().numpy(), 6 * x * v, rtol=1e-14)
        assert hv.requires_grad is create_graph


def test_products_agree_with_the_jacobian_and_hessian() -> None:
    a = _t([[0.3, -1.2, 0.5], [0.5, 0.9, -0.4]])
    x, v = _t([0.2, -0.7, 1.1]), _t([1.0, 0.5, -2.0])

    def f(x: autojac.Tensor) -> autojac.Tensor:
        return (a @ x).tanh() * x[:2]

    def s(x: autojac.Tensor) -> autojac.Tensor:
        return f(x).exp().sum()

    np.testing.assert_allclose(jvp(f, x, v)[1].numpy(), jacobian(f, x).numpy() @ v.numpy(),
                               rtol=1e-13)
    h = hessian(s, x).numpy()
    np.testing.assert_allclose(hvp(s, x, v)[1].numpy(), h @ v.numpy(), rtol=1e-13)
    np.testing.assert_allclose(vhp(s, x, v)[1].numpy(), v.numpy() @ h, rtol=1e-13)


def test_hvp_has_each_inputs_dtype() -> None:
    x, y = _t([0.3, -0.2]), _t([0.5, 1.5], autojac.float32)

    def f(x: autojac.Tensor, y: autojac.Tensor) -> autojac.Tensor:
        return (x.sum() * y).exp().sum()

    _, (hx, hy) = hvp(f, (x, y), (_t([1.0, 1.0]), _t([1.0, 1.0], autojac.float32)))
    assert (hx.dtype, hy.dtype) == (autojac.float64, autojac.float32)


def test_replays_of_jvp_and_of_linearized_forward_mode_are_kept_apart() -> None:
    """At a NaN bound clamp's double-backward JVP and its forward-mode tangent differ: each
    replayed pass must give its own."""
    nan = float("nan")
    primals = (_t([2.0, 3.0, nan, 1.0]), _t([2.0, 1.0, 0.0, nan]), _t([5.0, 3.0, 1.0, 2.0]))
    tangents = (_t([1.0] * 4), _t([10.0] * 4), _t([100.0] * 4))

    def f(x: autojac.Tensor, lo: autojac.Tensor, hi: autojac.Tensor) -> autojac.Tensor:
        return autojac.clamp(x, lo, hi)

    by_double_backward = jvp(f, primals, tangents, strict=True)[1].numpy()
    by_forward_mode = autojac.func.jvp(f, primals, tangents)[1].numpy()
    _, linearized = autojac.func.linearize(f, *primals)
    for _ in range(4):
        np.testing.assert_array_equal(jvp(f, primals, tangents)[1], by_double_backward)
        np.testing.assert_array_equal(linearized(*tangents), by_forward_mode)
