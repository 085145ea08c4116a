"""Forward-mode AD (``autojac.autograd.forward_ad``) against PyTorch: levels, dual tensors,
error texts, JVPs vs finite differences / reverse mode / torch, forward-over-reverse and
reverse-over-forward, value-dependent user code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autojac
import autojac.autograd.forward_ad as fwAD
from _torch_compat import (
    error_registry,
    golden_error_tests,
    import_torch,
    requires_torch,
    xfail_bug,
)

FORWARD_ERRORS, error_case = error_registry("forward_ad/")


def _fw(T):
    return T.autograd.forward_ad


def _t(*values):
    return autojac.tensor(list(values), dtype=autojac.float64)


# ============================================================================================
# Errors (golden, recorded from torch 2.13)
# ============================================================================================


@error_case("make_dual_without_level")
def _(T):
    _fw(T).make_dual(T.tensor([1.0, 2.0]), T.tensor([1.0, 0.5]))


@error_case("nested_level")
def _(T):
    with _fw(T).dual_level():
        with _fw(T).dual_level():
            pass


@error_case("int_primal")
def _(T):
    with _fw(T).dual_level():
        _fw(T).make_dual(T.tensor([1, 2]), T.tensor([1.0, 0.5]))


@error_case("int_tangent")
def _(T):
    with _fw(T).dual_level():
        _fw(T).make_dual(T.tensor([1.0, 2.0]), T.tensor([1, 2]))


@error_case("tangent_shape_mismatch")
def _(T):
    with _fw(T).dual_level():
        _fw(T).make_dual(T.tensor([1.0, 2.0]), T.ones(3))


@error_case("tangent_shape_mismatch_broadcastable")
def _(T):
    with _fw(T).dual_level():
        _fw(T).make_dual(T.ones(2, 3), T.ones(3))


@error_case("make_dual_of_a_dual_view")
def _(T):
    with _fw(T).dual_level():
        x = _fw(T).make_dual(T.tensor([1.0, 2.0]), T.ones(2))
        _fw(T).make_dual(x[:1], T.ones(1))


@error_case("exit_without_level")
def _(T):
    _fw(T).exit_dual_level()


@error_case("unpack_dual_of_non_tensor")
def _(T):
    with _fw(T).dual_level():
        _fw(T).unpack_dual(3.0)


(
    test_error_message_matches_pytorch,
    test_error_type_matches_pytorch,
    test_golden_error_is_pytorchs,
) = golden_error_tests(FORWARD_ERRORS, autojac)


def test_failed_nested_enter_keeps_outer_level():
    with fwAD.dual_level() as level:
        assert level == 0
        with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
            fwAD.enter_dual_level()
        d = fwAD.make_dual(_t(1.0), _t(2.0))
        assert fwAD.unpack_dual(d * 3).tangent.tolist() == [6.0]
    with fwAD.dual_level():  # can enter again after the exit
        pass


def test_enter_and_exit_functions():
    level = fwAD.enter_dual_level()
    try:
        assert level == 0
        d = fwAD.make_dual(_t(1.0), _t(1.0))
        assert fwAD.unpack_dual(d).tangent is not None
    finally:
        fwAD.exit_dual_level()
    with pytest.raises(RuntimeError, match="no level exists"):
        fwAD.make_dual(_t(1.0), _t(1.0))


# ============================================================================================
# Dual tensors
# ============================================================================================


def test_make_dual_and_unpack_dual_named_tuple():
    x, v = autojac.tensor([1.0, 2.0]), autojac.tensor([1.0, 0.5])
    with fwAD.dual_level():
        d = fwAD.make_dual(x, v)
        assert d is not x and d.shape == (2,) and d.dtype == autojac.float32
        u = fwAD.unpack_dual(d)
        assert type(u).__name__ == "UnpackedDualTensor" and isinstance(u, tuple)
        assert u._fields == ("primal", "tangent") and len(u) == 2
        primal, tangent = u
        assert primal is u.primal and tangent is u.tangent
        assert primal.tolist() == [1.0, 2.0] and tangent.tolist() == [1.0, 0.5]
        assert fwAD.unpack_dual(primal).tangent is None
        plain = fwAD.unpack_dual(x)
        assert plain.primal.tolist() == [1.0, 2.0] and plain.tangent is None
        assert not d.requires_grad and d.grad_fn is None
        assert d.tolist() == [1.0, 2.0] and d[0].item() == 1.0


def test_dual_primal_shares_memory_with_original():
    x = autojac.tensor([1.0, 2.0])
    with fwAD.dual_level():
        d = fwAD.make_dual(x, autojac.tensor([1.0, 1.0]))
        x[0] = 10.0
        assert d[0].item() == 10.0 and fwAD.unpack_dual(d).primal[0].item() == 10.0


def test_tangents_disappear_after_level_exits():
    x, v = autojac.tensor([1.0, 2.0]), autojac.tensor([1.0, 0.5])
    with fwAD.dual_level():
        d = fwAD.make_dual(x, v)
        y = (d * d).sin()
        assert fwAD.unpack_dual(y).tangent is not None
    assert fwAD.unpack_dual(d).tangent is None
    assert fwAD.unpack_dual(y).tangent is None
    assert repr(d) == "tensor([1., 2.])"
    assert "tangent" not in repr(y)
    with fwAD.dual_level():  # and they do not come back in a new level
        assert fwAD.unpack_dual(d).tangent is None


REPR_GOLDEN = [  # recorded from torch 2.13 (torch. -> autojac.)
    (
        lambda T: _fw(T).make_dual(T.tensor([1.0, 2.0]), T.tensor([1.0, 0.5])),
        "tensor([1., 2.], tangent=tensor([1.0000, 0.5000]))",
        None,
    ),
    (
        lambda T: _fw(T).make_dual(T.tensor([[1.0, 2.0], [3.0, 4.0]]), T.ones(2, 2)),
        "tensor([[1., 2.],\n        [3., 4.]], tangent=tensor([[1., 1.],\n        [1., 1.]]))",
        None,
    ),
    (
        lambda T: (_fw(T).make_dual(T.tensor([1.0, 2.0]), T.tensor([1.0, 0.5])) * 2).sin(),
        "tensor([ 0.9093, -0.7568], tangent=tensor([-0.8323, -0.6536]))",
        None,
    ),
    (
        lambda T: _fw(T).make_dual(
            T.tensor([1.0, 2.0], dtype=T.float64), T.ones(2, dtype=T.float64)
        ),
        "tensor([1., 2.], dtype=autojac.float64,\n       tangent=tensor([1., 1.], "
        "dtype=autojac.float64))",
        None,
    ),
    (
        lambda T: _fw(T).make_dual(T.tensor(2.0), T.tensor(0.5)) * 3,
        "tensor(6., tangent=1.5)",
        None,
    ),
    (
        lambda T: _fw(T).make_dual(T.tensor([1.0, 2.0], requires_grad=True), T.ones(2)),
        "tensor([1., 2.], grad_fn=<ViewBackward0>, tangent=tensor([1., 1.]))",
        None,
    ),
]


def _repr_in_level(T, make):
    with _fw(T).dual_level():
        return repr(make(T)).replace("torch.", "autojac.")


@pytest.mark.parametrize(
    "make, expected",
    [pytest.param(m, e, marks=[xfail_bug(b)] if b else [], id=e) for m, e, b in REPR_GOLDEN],
)
def test_dual_repr(make, expected):
    assert _repr_in_level(autojac, make) == expected


@requires_torch
@pytest.mark.parametrize(
    "make, expected", [(m, e) for m, e, _ in REPR_GOLDEN], ids=[e for _, e, _ in REPR_GOLDEN]
)
def test_dual_repr_golden_is_pytorchs(make, expected):
    assert _repr_in_level(import_torch(), make) == expected


def test_make_dual_keeps_tangent_dtype():
    with fwAD.dual_level():
        d = fwAD.make_dual(autojac.tensor([1.0, 2.0]), autojac.ones(2, dtype=autojac.float64))
        assert fwAD.unpack_dual(d).tangent.dtype == autojac.float64


def test_float32_tangent_on_float64_primal():
    with fwAD.dual_level():
        d = fwAD.make_dual(_t(1.0, 2.0), autojac.ones(2))
        assert d.dtype == autojac.float64


def test_tangent_rules_for_non_differentiable_results():
    with fwAD.dual_level():
        d = fwAD.make_dual(autojac.tensor([1.0, 2.0]), autojac.tensor([1.0, 0.5]))
        assert fwAD.unpack_dual(d > 1).tangent is None
        assert (d > 1).tolist() == [False, True]
        assert fwAD.unpack_dual(d.argmax()).tangent is None
        assert fwAD.unpack_dual(d.detach()).tangent is None
        assert fwAD.unpack_dual(d.clone()).tangent.tolist() == [1.0, 0.5]


def test_forward_ad_ignores_no_grad():
    with fwAD.dual_level():
        d = fwAD.make_dual(autojac.tensor([1.0, 2.0]), autojac.tensor([1.0, 0.5]))
        with autojac.no_grad():
            y = d * 3
        assert fwAD.unpack_dual(y).tangent.tolist() == [3.0, 1.5]


def test_dual_times_int_tensor_and_constants():
    with fwAD.dual_level():
        d = fwAD.make_dual(autojac.tensor([1.0, 2.0]), autojac.tensor([1.0, 0.5]))
        assert fwAD.unpack_dual(d * autojac.tensor([2, 3])).tangent.tolist() == [2.0, 1.5]
        assert fwAD.unpack_dual(d + 1).tangent.tolist() == [1.0, 0.5]
        assert fwAD.unpack_dual(1 - d).tangent.tolist() == [-1.0, -0.5]


def test_view_ops_carry_tangents():
    with fwAD.dual_level():
        d = fwAD.make_dual(autojac.tensor([1.0, 2.0]), autojac.tensor([1.0, 0.5]))
        assert fwAD.unpack_dual(d[1]).tangent.tolist() == 0.5
        assert fwAD.unpack_dual(d[None, :]).tangent.tolist() == [[1.0, 0.5]]
        assert fwAD.unpack_dual(d.reshape(2, 1)).tangent.tolist() == [[1.0], [0.5]]
        stacked = autojac.stack([d, autojac.tensor([5.0, 6.0])])
        assert fwAD.unpack_dual(stacked).tangent.tolist() == [[1.0, 0.5], [0.0, 0.0]]


def test_inplace_and_setitem_with_dual_values():
    with fwAD.dual_level():
        d = fwAD.make_dual(autojac.tensor([1.0, 2.0]), autojac.tensor([1.0, 0.5]))
        z = autojac.zeros(3)
        z[1:] = d
        assert z.tolist() == [0.0, 1.0, 2.0]
        assert fwAD.unpack_dual(z).tangent.tolist() == [0.0, 1.0, 0.5]
        q = autojac.tensor([3.0, 4.0])
        q.mul_(d)
        assert q.tolist() == [3.0, 8.0]
        assert fwAD.unpack_dual(q).tangent.tolist() == [3.0, 2.0]
        d2 = fwAD.make_dual(autojac.tensor([1.0, 2.0]), autojac.tensor([1.0, 1.0]))
        d2.add_(autojac.tensor([1.0, 1.0]))
        d2.mul_(3)
        assert d2.tolist() == [6.0, 9.0]
        assert fwAD.unpack_dual(d2).tangent.tolist() == [3.0, 3.0]


# ============================================================================================
# JVPs of composite functions
# ============================================================================================

_A = np.array([[0.5, -1.0], [2.0, 0.3], [-0.7, 1.1]])

COMPOSITES = {
    "sin(x*x)": lambda T, x: (x * x).sin(),
    "exp sum": lambda T, x: x.exp().sum(),
    "x @ A": lambda T, x: x @ T.tensor(_A),
    "softmax": lambda T, x: x.exp() / x.exp().sum(),
    "where": lambda T, x: T.where(x > 0, x**3, -x),
    "max": lambda T, x: x.max() * x,
    "index": lambda T, x: x[[0, 2, 2]] * x[1],
    "stack reshape cumsum": lambda T, x: T.stack([x, x * 2]).reshape(6).cumsum(0),
    "outer via matmul": lambda T, x: x.reshape(3, 1) @ x.reshape(1, 3),
    "rms": lambda T, x: (x**2).mean().sqrt(),
    "tanh sigmoid abs": lambda T, x: x.tanh() * x.sigmoid() + x.abs(),
    "pow tensor exponent": lambda T, x: (x.abs() + 1) ** x,
    "clamp": lambda T, x: x.clamp(-0.5, 0.5) * x,
    "cat divide": lambda T, x: T.cat([x[1:], x[:1]]) / (1 + x * x),
    "broadcast outer sum": lambda T, x: (x.unsqueeze(0) * x.unsqueeze(1)).sum(0),
    "logsumexp": lambda T, x: (x.reshape(3, 1) * x.reshape(1, 3)).logsumexp(1),
    "var std": lambda T, x: x.var() + x.std() * x,
    "log1p": lambda T, x: x.log1p() * 2,
    "rdiv rpow": lambda T, x: 1 / (2 + x) + 2**x,
    "transpose matmul": lambda T, x: (x.reshape(3, 1).expand(3, 2).T @ T.tensor(_A)).sum(1),
}
_X = np.array([0.3, -0.6, 1.4])
_V = np.array([0.7, -1.1, 0.4])


def _jvp(T, f, x, v):
    fw = _fw(T)
    with fw.dual_level():
        out = f(T, fw.make_dual(T.tensor(x), T.tensor(v)))
        return out.detach().numpy().copy(), fw.unpack_dual(out).tangent.numpy().copy()


@pytest.mark.parametrize("f", list(COMPOSITES.values()), ids=list(COMPOSITES))
def test_jvp_vs_finite_differences(f):
    value, tangent = _jvp(autojac, f, _X, _V)
    with autojac.no_grad():
        expected_value = f(autojac, autojac.tensor(_X)).numpy()
    np.testing.assert_allclose(value, expected_value, rtol=1e-12)
    eps = 1e-6
    with autojac.no_grad():
        plus = f(autojac, autojac.tensor(_X + eps * _V)).numpy()
        minus = f(autojac, autojac.tensor(_X - eps * _V)).numpy()
    np.testing.assert_allclose(tangent, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("f", list(COMPOSITES.values()), ids=list(COMPOSITES))
def test_jvp_vs_reverse_mode_jacobian(f):
    x = autojac.tensor(_X, requires_grad=True)
    y = f(autojac, x)
    basis = autojac.eye(y.numel(), dtype=autojac.float64).reshape(y.numel(), *y.shape)
    (jac,) = autojac.autograd.grad(y, x, basis, is_grads_batched=True)
    _, tangent = _jvp(autojac, f, _X, _V)
    np.testing.assert_allclose(tangent.reshape(-1), jac.numpy() @ _V, rtol=1e-10, atol=1e-12)


@requires_torch
@pytest.mark.parametrize("f", list(COMPOSITES.values()), ids=list(COMPOSITES))
def test_jvp_vs_torch(f):
    torch = import_torch()
    value, tangent = _jvp(autojac, f, _X, _V)
    t_value, t_tangent = _jvp(torch, f, _X, _V)
    np.testing.assert_allclose(value, t_value, rtol=1e-12)
    np.testing.assert_allclose(tangent, t_tangent, rtol=1e-10, atol=1e-12)


def test_jvp_with_two_dual_inputs_and_a_plain_one():
    x, y, c = _X, np.array([1.5, 0.2, -0.4]), np.array([2.0, -1.0, 0.5])
    tx, ty = np.array([1.0, 0.0, -1.0]), np.array([0.5, 0.5, 0.5])
    with fwAD.dual_level():
        dx = fwAD.make_dual(autojac.tensor(x), autojac.tensor(tx))
        dy = fwAD.make_dual(autojac.tensor(y), autojac.tensor(ty))
        out = dx * dy.exp() + autojac.tensor(c) * dx**2
        tangent = fwAD.unpack_dual(out).tangent.numpy()
    expected = tx * np.exp(y) + x * np.exp(y) * ty + c * 2 * x * tx
    np.testing.assert_allclose(tangent, expected, rtol=1e-12)


def test_jvp_of_matrix_function_analytic():
    a = np.array([[1.0, 2.0], [0.5, -1.0]])
    t = np.array([[0.0, 1.0], [1.0, 0.0]])
    with fwAD.dual_level():
        d = fwAD.make_dual(autojac.tensor(a), autojac.tensor(t))
        out = d @ d  # d(A A) = T A + A T
        np.testing.assert_allclose(fwAD.unpack_dual(out).tangent.numpy(), t @ a + a @ t)


# ============================================================================================
# Custom Function jvp
# ============================================================================================


class ScaledMul(autojac.autograd.Function):
    @staticmethod
    def forward(ctx, x, y, k):
        ctx.save_for_backward(x, y)
        ctx.save_for_forward(x, y)
        ctx.k = k
        return x * y * k

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * y * ctx.k, g * x * ctx.k, None

    @staticmethod
    def jvp(ctx, tx, ty, tk):
        x, y = ctx.saved_tensors
        return (tx * y + x * ty) * ctx.k


def test_custom_function_jvp_in_forward_ad():
    y = autojac.tensor([3.0, 4.0])
    with fwAD.dual_level():
        d = fwAD.make_dual(autojac.tensor([1.0, 2.0]), autojac.tensor([1.0, 0.5]))
        out = ScaledMul.apply(d, y, 2.0)
        assert out.tolist() == [6.0, 16.0]
        assert fwAD.unpack_dual(out).tangent.tolist() == [6.0, 4.0]
        dy = fwAD.make_dual(y, autojac.tensor([1.0, 1.0]))
        out2 = ScaledMul.apply(d, dy, 1.0)
        assert fwAD.unpack_dual(out2).tangent.tolist() == [3.0 + 1.0, 2.0 + 2.0]


def test_custom_function_jvp_checked_by_gradcheck():
    x = autojac.tensor([1.0, -2.0], dtype=autojac.float64, requires_grad=True)
    y = autojac.tensor([0.5, 3.0], dtype=autojac.float64, requires_grad=True)
    assert autojac.autograd.gradcheck(
        lambda a, b: ScaledMul.apply(a, b, 1.5), (x, y), check_forward_ad=True
    )


# ============================================================================================
# Forward-over-reverse and reverse-over-forward
# ============================================================================================


def _f_cubic(x):
    return (x**3).sum() + x[0] * x[1] + (x[1] * x[2]).sin()


def _hessian_cubic(xs):
    h = np.diag(6 * xs)
    h[0, 1] = h[1, 0] = 1.0
    s = math.sin(xs[1] * xs[2])
    c = math.cos(xs[1] * xs[2])
    h[1, 1] += -s * xs[2] ** 2
    h[2, 2] += -s * xs[1] ** 2
    h[1, 2] = h[2, 1] = c - s * xs[1] * xs[2]
    return h


def test_forward_over_reverse_hvp():
    xs, vs = np.array([1.0, 2.0, -0.5]), np.array([1.0, -1.0, 0.5])
    x = autojac.tensor(xs, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, autojac.tensor(vs))
        (g,) = autojac.autograd.grad(_f_cubic(d), d, create_graph=True)
        grad_value = fwAD.unpack_dual(g).primal.detach().numpy()
        hv = fwAD.unpack_dual(g).tangent.detach().numpy()
    expected_grad = (
        3 * xs**2
        + np.array([xs[1], xs[0], 0.0])
        + math.cos(xs[1] * xs[2]) * np.array([0.0, xs[2], xs[1]])
    )
    np.testing.assert_allclose(grad_value, expected_grad, rtol=1e-12)
    np.testing.assert_allclose(hv, _hessian_cubic(xs) @ vs, rtol=1e-10, atol=1e-12)


@requires_torch
def test_forward_over_reverse_hvp_vs_torch_functional():
    torch = import_torch()
    xs, vs = np.array([1.0, 2.0, -0.5]), np.array([1.0, -1.0, 0.5])
    x = autojac.tensor(xs, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, autojac.tensor(vs))
        (g,) = autojac.autograd.grad(_f_cubic(d), d, create_graph=True)
        hv = fwAD.unpack_dual(g).tangent.detach().numpy()
    _, t_hv = torch.autograd.functional.hvp(_f_cubic, torch.tensor(xs), torch.tensor(vs))
    np.testing.assert_allclose(hv, t_hv.numpy(), rtol=1e-10, atol=1e-12)


def test_reverse_over_forward():
    xs, vs = np.array([1.0, 2.0, -0.5]), np.array([1.0, -1.0, 0.5])
    x = autojac.tensor(xs, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, autojac.tensor(vs))
        jvp = fwAD.unpack_dual(_f_cubic(d)).tangent
        assert jvp.requires_grad
        (g,) = autojac.autograd.grad(jvp, x)
    # d/dx (grad f(x) . v) = H v
    np.testing.assert_allclose(g.numpy(), _hessian_cubic(xs) @ vs, rtol=1e-10, atol=1e-12)


def test_reverse_over_forward_simple_analytic():
    x = autojac.tensor([1.0, 2.0], requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, autojac.tensor([1.0, 1.0]))
        t = fwAD.unpack_dual((d * d * d).sum()).tangent  # 3 x^2 . 1
        assert t.item() == 15.0 and t.requires_grad
        (g,) = autojac.autograd.grad(t, x)
    assert g.tolist() == [6.0, 12.0]


# ============================================================================================
# Value-dependent user code in forward mode
# ============================================================================================


def _branchy(q):
    if q.sum().item() > 1:
        out = q * q
    else:
        out = -q
    if float(q[0]) < 0:
        out = out + q[0]
    return out


def test_item_and_branching_work_in_forward_mode():
    with fwAD.dual_level():
        d = fwAD.make_dual(autojac.tensor([2.0, 0.5]), autojac.tensor([1.0, 2.0]))
        assert fwAD.unpack_dual(_branchy(d)).tangent.tolist() == [4.0, 2.0]
        e = fwAD.make_dual(autojac.tensor([-1.0, 0.5]), autojac.tensor([1.0, 2.0]))
        assert fwAD.unpack_dual(_branchy(e)).tangent.tolist() == [0.0, -1.0]
        assert bool(d[0] > 1) and int(d[0]) == 2


def test_while_loop_newton_sqrt_tangent():
    """Newton's iteration for sqrt(a), stopped on the values: its tangent is 1 / (2 sqrt a)."""
    a = 2.0
    with fwAD.dual_level():
        x = fwAD.make_dual(
            autojac.tensor(a, dtype=autojac.float64), autojac.tensor(1.0, dtype=autojac.float64)
        )
        y = x * 1
        steps = 0
        while abs((y * y - x).item()) > 1e-14 and steps < 50:
            y = y - (y * y - x) / (2 * y)
            steps += 1
        tangent = fwAD.unpack_dual(y).tangent.item()
    assert y.item() == pytest.approx(math.sqrt(a), rel=1e-14)
    assert tangent == pytest.approx(0.5 / math.sqrt(a), rel=1e-10)


@requires_torch
def test_branchy_function_vs_torch():
    torch = import_torch()

    def run(T):
        fw = _fw(T)
        with fw.dual_level():
            d = fw.make_dual(T.tensor([-1.0, 2.5]), T.tensor([1.0, 2.0]))
            return fw.unpack_dual(_branchy(d)).tangent.tolist()

    assert run(autojac) == run(torch)
