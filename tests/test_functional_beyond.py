"""``autojac.autograd.functional.jacobian`` beyond PyTorch (documented extensions).

* ``strategy="forward-mode"`` with ``vectorize=False`` (column by column) and with
  ``create_graph=True`` (differentiable results); ``strict=True`` with ``vectorize=True`` and
  with forward mode, raising the reverse-mode row loop's strict errors; forward-mode results
  are tuples (PyTorch returns lists) and detached unless ``create_graph``.
* keyword-only ``chunk_size``: with ``vectorize=True`` at most that many basis vectors per
  pass; identical results for every chunk size.
* ``strategy="auto"``: forward mode when the total input size is smaller than the total output
  size, reverse mode otherwise; equal results either way.
* Empty inputs/outputs give correctly shaped empty Jacobians.

Everything here runs without PyTorch: expectations are the reverse-mode row loop (itself
checked against PyTorch in test_functional.py), central finite differences in float64, and
closed forms.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autojac
import autojac.autograd.functional as AF
from _torch_compat import import_torch
from autojac.autograd import forward_ad as fwAD

REV, FWD = "reverse-mode", "forward-mode"


# -- functions (PyTorch style; ``lib`` is autojac) -------------------------------------------------
def f_exp_reducer(lib, x):
    return x.exp().sum(dim=1)


def f_elementwise(lib, x):
    return lib.sin(x) * x + x**3


def f_exp_adder(lib, x, y):
    return 2 * x.exp() + 3 * y


def f_mlp(lib, x, w1, w2):
    return lib.tanh(x @ w1) @ w2


def f_two_out(lib, x, y):
    return (x * y.sum()).exp(), (x**2).sum() * y


def f_tuple1(lib, x):
    return (x.exp(),)


def f_scalar(lib, x):
    return (x**3).sum()


def f_scalar_in(lib, x):
    return x.sin() * x


def f_outer(lib, x):
    return (x.reshape(-1, 1) * x.reshape(1, -1)).sin()


SMOOTH = {
    "exp_reducer": (f_exp_reducer, ((2, 3),)),
    "elementwise": (f_elementwise, ((3, 2),)),
    "exp_adder": (f_exp_adder, ((2,), (2,))),
    "mlp": (f_mlp, ((2, 3), (3, 4), (4, 2))),
    "two_out": (f_two_out, ((3,), (2,))),
    "tuple1": (f_tuple1, ((2, 2),)),
    "scalar": (f_scalar, ((4,),)),
    "scalar_in": (f_scalar_in, ((),)),
    "outer": (f_outer, ((3,),)),
}


def inputs_for(name: str, dtype: str = "float64", rg: bool = False) -> tuple:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    shapes = SMOOTH[name][1]
    return tuple(
        autojac.tensor(rng.uniform(-1.0, 1.0, s).astype(dtype), requires_grad=rg) for s in shapes
    )


def bind(name: str) -> Callable[..., Any]:
    fn = SMOOTH[name][0]
    return lambda *xs: fn(autojac, *xs)


def arg(name: str, xs: tuple) -> Any:
    """Single-input functions get a bare tensor, the others a tuple."""
    return xs[0] if len(xs) == 1 else xs


# -- helpers ------------------------------------------------------------------------------------
def leaves(res: Any) -> list:
    if isinstance(res, (tuple, list)):
        return [x for e in res for x in leaves(e)]
    return [res]


def assert_tuples_only(res: Any) -> None:
    """Nested tuples of Tensors: never a list."""
    if isinstance(res, autojac.Tensor):
        return
    assert type(res) is tuple, f"expected a tuple, got {type(res).__name__}"
    for e in res:
        assert_tuples_only(e)


def assert_same(a: Any, b: Any, rtol: float = 1e-12, atol: float = 1e-12) -> None:
    """Same nesting, shapes and dtypes; values within tolerance."""
    if isinstance(b, tuple):
        assert type(a) is tuple and len(a) == len(b), (type(a), a, b)
        for x, y in zip(a, b):
            assert_same(x, y, rtol, atol)
        return
    assert isinstance(a, autojac.Tensor)
    assert tuple(a.shape) == tuple(b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)


def numeric_jacobian(fn: Callable[..., Any], xs: tuple, eps: float = 1e-6) -> Any:
    """Central differences in float64, nested exactly like ``jacobian`` for tuple inputs."""
    base = [x.detach().numpy().astype(np.float64) for x in xs]

    def call(arrays):
        with autojac.no_grad():
            out = fn(*(autojac.tensor(a) for a in arrays))
        outs = out if isinstance(out, tuple) else (out,)
        return [o.numpy().astype(np.float64) for o in outs], isinstance(out, tuple)

    outs0, out_tuple = call(base)
    jac = [[np.zeros(o.shape + b.shape) for b in base] for o in outs0]
    for j, b in enumerate(base):
        for k in np.ndindex(b.shape):
            plus = [a.copy() for a in base]
            minus = [a.copy() for a in base]
            plus[j][k] += eps
            minus[j][k] -= eps
            fp, _ = call(plus)
            fm, _ = call(minus)
            for i in range(len(outs0)):
                jac[i][j][(...,) + k] = (fp[i] - fm[i]) / (2 * eps)
    return jac, out_tuple


def assert_matches_numeric(res: Any, fn: Callable[..., Any], xs: tuple, in_tuple: bool) -> None:
    num, out_tuple = numeric_jacobian(fn, xs)
    rows = res if out_tuple else (res,)
    for i, row in enumerate(rows):
        blocks = row if in_tuple else (row,)
        for j, block in enumerate(blocks):
            np.testing.assert_allclose(block.detach().numpy(), num[i][j], rtol=1e-6, atol=1e-7)


def grads(total: Any, xs: tuple) -> list:
    """d total / d xs, zeros where total does not depend on an input."""
    gs = autojac.autograd.grad(total, xs, allow_unused=True)
    return [np.zeros(tuple(x.shape)) if g is None else g.numpy() for g, x in zip(gs, xs)]


class Counter:
    """Wraps a function: counts calls, records whether it saw the caller's tensor objects."""

    def __init__(self, fn: Callable[..., Any], caller: tuple) -> None:
        self.fn, self.caller, self.calls, self.fresh = fn, caller, 0, True

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        if any(a is c for a in args for c in self.caller):
            self.fresh = False
        return self.fn(*args)


# -- forward mode without vectorize / with create_graph --------------------------------------------
@pytest.mark.parametrize("name", sorted(SMOOTH))
@pytest.mark.parametrize("vectorize", [False, True])
def test_forward_mode_equals_reverse_and_finite_differences(name, vectorize):
    xs = inputs_for(name)
    f = Counter(bind(name), xs)
    got = AF.jacobian(f, arg(name, xs), vectorize=vectorize, strategy=FWD)
    assert_tuples_only(got)
    assert_same(got, AF.jacobian(bind(name), arg(name, xs)))
    assert_matches_numeric(got, bind(name), xs, len(xs) > 1)
    assert f.fresh and f.calls >= 1
    assert all(not b.requires_grad and b.grad_fn is None for b in leaves(got))


@pytest.mark.parametrize("name", ["exp_adder", "two_out", "tuple1", "mlp"])
@pytest.mark.parametrize("vectorize", [False, True])
def test_forward_mode_results_are_tuples_with_history(name, vectorize):
    """PyTorch returns lists from forward mode; autojac returns tuples for inputs given as a
    tuple (including a 1-tuple). Both keep the history of inputs that require grad (in grad
    mode: none under no_grad)."""
    xs = inputs_for(name, rg=True)
    got = AF.jacobian(bind(name), xs, vectorize=vectorize, strategy=FWD)  # always a tuple in
    assert_tuples_only(got)
    assert any(b.requires_grad for b in leaves(got))
    with autojac.no_grad():
        plain = AF.jacobian(bind(name), xs, vectorize=vectorize, strategy=FWD)
    assert all(not b.requires_grad and b.grad_fn is None for b in leaves(plain))
    rows = got if isinstance(bind(name)(*xs), tuple) else (got,)
    assert all(type(r) is tuple and len(r) == len(xs) for r in rows)
    assert all(x.grad is None for x in xs)


def test_forward_mode_dtype_is_the_outputs():
    x = autojac.tensor([0.1, 0.2, 0.3])  # float32 in, float64 out

    def f(t):
        return t.double().exp()

    for vec in (False, True):
        assert AF.jacobian(f, x, vectorize=vec, strategy=FWD).dtype == autojac.float64
        assert AF.jacobian(f, x, vectorize=vec, strategy=REV).dtype == autojac.float32
        assert AF.jacobian(f, x, vectorize=vec, strategy=FWD, create_graph=True).dtype == (
            autojac.float64
        )


def _cg_params() -> list:
    out = []
    for name in ["exp_reducer", "elementwise", "exp_adder", "mlp", "two_out"]:
        for vec in (False, True):
            for rg in (True, False):
                pid = f"{name}-{'vec' if vec else 'loop'}-{'rg' if rg else 'norg'}"
                out.append(pytest.param(name, vec, rg, id=pid))
    return out


@pytest.mark.parametrize("name,vectorize,rg", _cg_params())
def test_forward_mode_create_graph_is_differentiable(name, vectorize, rg):
    """The blocks that require grad are the reverse-mode row loop's; grad of sum(J) w.r.t. the
    inputs equals the reverse-mode create_graph result and the finite-difference derivative
    of sum(J)."""
    xs = inputs_for(name, rg=rg)
    jf = AF.jacobian(
        bind(name), arg(name, xs), create_graph=True, vectorize=vectorize, strategy=FWD
    )
    assert_tuples_only(jf)
    jr = AF.jacobian(bind(name), arg(name, xs), create_graph=True)
    assert_same(jf, jr)
    assert [b.requires_grad for b in leaves(jf)] == [b.requires_grad for b in leaves(jr)]
    if not rg:
        return
    gf = grads(sum(b.sum() for b in leaves(jf)), xs)
    gr = grads(sum(b.sum() for b in leaves(jr)), xs)
    for a, b in zip(gf, gr):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)

    def total(*ts):  # sum of the Jacobian's entries, as a function of the inputs
        j = AF.jacobian(bind(name), arg(name, ts))
        return autojac.tensor(sum(float(b.sum()) for b in leaves(j)), dtype=autojac.float64)

    num, _ = numeric_jacobian(total, tuple(x.detach() for x in xs), eps=1e-5)
    for a, n in zip(gf, num[0]):
        np.testing.assert_allclose(a, n, rtol=1e-5, atol=1e-6)
    assert all(x.grad is None for x in xs)


@pytest.mark.parametrize("vectorize", [False, True])
def test_forward_mode_create_graph_second_derivatives_are_the_hessian(vectorize):
    x = autojac.tensor([0.3, -0.7, 1.1], dtype=autojac.float64, requires_grad=True)
    g = AF.jacobian(
        lambda t: (t**3).sum() + t[0] * t[1],
        x,
        create_graph=True,
        vectorize=vectorize,
        strategy=FWD,
    )
    assert g.requires_grad
    rows = [autojac.autograd.grad(g[k], x, retain_graph=True)[0].numpy() for k in range(3)]
    expected = np.diag(6 * x.detach().numpy())
    expected[0, 1] = expected[1, 0] = 1.0
    np.testing.assert_allclose(np.stack(rows), expected, rtol=1e-12)
    h = AF.hessian(
        lambda t: (t**3).sum() + t[0] * t[1], x, vectorize=vectorize, outer_jacobian_strategy=FWD
    )
    assert h.requires_grad  # (as PyTorch's: the outer forward pass keeps x's history)
    np.testing.assert_allclose(h.detach().numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("strategy,vectorize", [(FWD, False), (FWD, True), (REV, True)])
def test_create_graph_works_under_no_grad(strategy, vectorize):
    x = autojac.tensor([0.5, -0.25], dtype=autojac.float64, requires_grad=True)
    with autojac.no_grad():
        j = AF.jacobian(
            lambda t: t.exp() * t.sum(),
            x,
            create_graph=True,
            vectorize=vectorize,
            strategy=strategy,
        )
    assert j.requires_grad
    (g,) = autojac.autograd.grad(j.sum(), x)
    # J_ab = e_a s [a == b] + e_a with e = exp(x), s = sum(x), so sum(J) = (s + n) sum(e)
    e, n, s = np.exp(x.detach().numpy()), 2, float(x.detach().numpy().sum())
    expected = e * (s + n) + e.sum()
    np.testing.assert_allclose(g.numpy(), expected, rtol=1e-12)
    assert x.grad is None


# -- strict with vectorize and with forward mode -------------------------------------------------
def s_independent(lib, x, y):
    return x * 2 + 1, x.exp()


def s_constant(lib, x):
    return lib.ones(2, dtype=x.dtype)


def s_detached(lib, x):
    return x.exp(), x.detach() * 2


def s_integer(lib, x):
    return x.exp(), x.argmax()


def s_linear(lib, x):
    return 3 * x


def s_identity(lib, x, y):
    return x, y.exp()


def s_closure_only(lib, x):
    return CLOSED.exp(), x.sin()


CLOSED = autojac.tensor([0.5, 1.5], requires_grad=True)
STRICT_FUNCS = {
    "independent": (s_independent, ((2,), (3,))),
    "constant": (s_constant, ((3,),)),
    "detached": (s_detached, ((3,),)),
    "integer": (s_integer, ((3,),)),
    "linear": (s_linear, ((3,),)),
    "identity": (s_identity, ((2,), (2,))),
    "closure_only": (s_closure_only, ((2,),)),
    "smooth": (lambda lib, x, y: (x * y).exp(), ((2,), (2,))),
}


def run_strict(name: str, rg: bool, **kwargs: Any) -> tuple[Any, Counter]:
    fn, shapes = STRICT_FUNCS[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    xs = tuple(
        autojac.tensor(rng.uniform(-1, 1, s), dtype=autojac.float64, requires_grad=rg)
        for s in shapes
    )
    f = Counter(lambda *a: fn(autojac, *a), xs + (CLOSED,))
    try:
        res = AF.jacobian(f, xs if len(xs) > 1 else xs[0], strict=True, **kwargs)
    except RuntimeError as e:
        res = e
    assert all(x.grad is None for x in xs) and CLOSED.grad is None
    return res, f


def _strict_params() -> list:
    out = []
    modes = [(REV, True), (FWD, True), (FWD, False), ("auto", False), ("auto", True)]
    for name in sorted(STRICT_FUNCS):
        for strategy, vec in modes:
            for cg, rg in ((False, True), (True, False), (True, True)):
                pid = (
                    f"{name}-{strategy[:4]}-{'vec' if vec else 'loop'}-"
                    f"{'cg' if cg else 'nocg'}-{'rg' if rg else 'norg'}"
                )
                out.append(pytest.param(name, strategy, vec, cg, rg, id=pid))
    return out


@pytest.mark.parametrize("name,strategy,vectorize,create_graph,rg", _strict_params())
def test_strict_everywhere_equals_the_reverse_row_loop(name, strategy, vectorize, create_graph, rg):
    expected, _ = run_strict(name, rg, create_graph=create_graph)
    got, f = run_strict(name, rg, create_graph=create_graph, strategy=strategy, vectorize=vectorize)
    assert f.fresh, "func received the caller's own tensor objects"
    if isinstance(expected, Exception):
        assert isinstance(got, RuntimeError), f"expected {expected!r}, got a result"
        assert str(got) == str(expected)
    else:
        assert not isinstance(got, Exception), got
        assert_same(got, expected)
        for a, b in zip(leaves(got), leaves(expected)):
            assert a.requires_grad == b.requires_grad


def test_strict_row_loop_messages():
    """The reverse row loop's messages (the reference above), pinned down."""
    cases = {
        "independent": "Output 0 of the user-provided function is independent of input 1. "
        "This is not allowed in strict mode.",
        "constant": "Output 0 of the user-provided function does not require gradients. The "
        "outputs must be computed in a differentiable manner from the input when running in "
        "strict mode.",
        "closure_only": "Output 0 of the user-provided function is independent of input 0. "
        "This is not allowed in strict mode.",
    }
    for name, msg in cases.items():
        res, _ = run_strict(name, True)
        assert isinstance(res, RuntimeError) and str(res) == msg
    res, _ = run_strict("linear", True, create_graph=True)
    assert str(res) == (
        "The jacobian of the user-provided function is independent of input 0. This is not "
        "allowed in strict mode when create_graph=True."
    )
    res, _ = run_strict("smooth", True, create_graph=True)
    assert not isinstance(res, Exception)


# -- chunk_size ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["exp_reducer", "mlp", "two_out", "tuple1", "scalar_in"])
@pytest.mark.parametrize("strategy", [REV, FWD])
@pytest.mark.parametrize("create_graph", [False, True])
def test_chunk_size_gives_identical_results(name, strategy, create_graph):
    xs = inputs_for(name, rg=create_graph)
    results = [
        AF.jacobian(
            bind(name),
            arg(name, xs),
            create_graph=create_graph,
            vectorize=True,
            strategy=strategy,
            chunk_size=c,
        )
        for c in (1, 2, 7, None)
    ]
    for r in results[1:]:
        assert_same(r, results[0], rtol=0, atol=0)
        for a, b in zip(leaves(r), leaves(results[0])):
            assert a.requires_grad == b.requires_grad
    assert_same(results[0], AF.jacobian(bind(name), arg(name, xs)), rtol=1e-12)
    assert_same(
        AF.jacobian(bind(name), arg(name, xs), strategy=strategy, chunk_size=3),
        results[0],
        rtol=1e-12,
    )


class Square(autojac.autograd.Function):
    """x*x that records the batch of cotangents each backward pass receives."""

    seen: list = []

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        Square.seen.append(tuple(g.shape))
        (x,) = ctx.saved_tensors
        return 2 * x * g


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 10, 64, None])
def test_chunk_size_bounds_rows_per_reverse_pass(chunk):
    x = autojac.arange(10.0, dtype=autojac.float64)
    Square.seen = []
    j = AF.jacobian(lambda t: Square.apply(t), x, vectorize=True, chunk_size=chunk)
    np.testing.assert_array_equal(j.numpy(), np.diag(2 * np.arange(10.0)))
    sizes = [s[0] for s in Square.seen]
    limit = chunk or 10
    assert sum(sizes) == 10 and all(s <= limit for s in sizes)
    assert len(sizes) == math.ceil(10 / limit)


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 10, 64, None])
def test_chunk_size_bounds_columns_per_forward_pass(chunk):
    x = autojac.arange(10.0, dtype=autojac.float64)
    y = autojac.ones(3, dtype=autojac.float64)
    seen = []

    def f(a, b):
        tangents = [fwAD.unpack_dual(t).tangent for t in (a, b)]
        sizes = [t.shape[0] for t in tangents if t is not None]
        if sizes:  # a dual pass (the reference below is reverse mode)
            seen.append(max(sizes))
        return a.exp().sum() * b

    j = AF.jacobian(f, (x, y), vectorize=True, strategy=FWD, chunk_size=chunk)
    assert_same(j, AF.jacobian(f, (x, y)))
    limit = chunk or 13
    assert all(s <= limit for s in seen)
    assert len(seen) >= math.ceil(13 / limit)


def test_chunk_size_is_keyword_only_and_validated():
    x = autojac.ones(3)
    with pytest.raises(TypeError):
        AF.jacobian(lambda t: t.exp(), x, False, False, True, REV, 2)
    for bad in (0, -1):
        with pytest.raises(ValueError):
            AF.jacobian(lambda t: t.exp(), x, vectorize=True, chunk_size=bad)


# -- strategy="auto" -------------------------------------------------------------------------------
def test_auto_picks_forward_when_inputs_are_smaller():
    """Forward mode keeps the output's dtype, reverse mode the input's: a float32 -> float64
    function shows which mode ran."""
    small = autojac.tensor([0.1, 0.2])  # 2 inputs -> 4 outputs: forward

    def outer(t):
        d = t.double()
        return d.reshape(-1, 1) * d.reshape(1, -1)

    j = AF.jacobian(outer, small, strategy="auto")
    assert j.dtype == autojac.float64
    assert_same(j, AF.jacobian(outer, small, vectorize=True, strategy=FWD))
    big = autojac.tensor([0.1, 0.2, 0.3])  # 3 inputs -> 1 output: reverse
    j = AF.jacobian(lambda t: t.double().exp().sum(), big, strategy="auto")
    assert j.dtype == autojac.float32
    same = autojac.tensor([0.1, 0.2])  # 2 -> 2: reverse (not smaller)
    j = AF.jacobian(lambda t: t.double().exp(), same, strategy="auto")
    assert j.dtype == autojac.float32
    # total sizes over tuples: 1 + 1 inputs < 3 outputs -> forward
    a, b = autojac.tensor(0.5), autojac.tensor(0.25)
    jt = AF.jacobian(
        lambda u, w: u.double() * w.double() * autojac.ones(3, dtype=autojac.float64),
        (a, b),
        strategy="auto",
    )
    assert all(t.dtype == autojac.float64 for t in jt)




@pytest.mark.parametrize("strategy", ["reverse-mode", "auto"])
def test_columns_over_the_graph_follow_the_edges_recorded_when_each_op_ran(strategy):
    """Outputs larger than the inputs: the Jacobian's columns are pushed forward through
    the recorded graph. After ``a.add_(1)`` the tensor ``a`` has a new grad_fn, but the ops
    that read it before were recorded with its old one: the columns must follow those
    edges (they used to find no tangent and give zeros), and an op that saved ``a`` must
    raise PyTorch's error for a saved tensor changed in place."""
    x = autojac.tensor([1.0, 2.0])

    def added(x):
        a = x * 1
        b = a[:, None] + a  # add saves nothing
        a.add_(1)
        return b

    eye = np.eye(2)
    expected = eye[:, None, :] + eye[None, :, :]  # d(a_i + a_j)/dx_k
    np.testing.assert_array_equal(AF.jacobian(added, x, strategy=strategy)._data, expected)

    def multiplied(x):
        a = x * 1
        b = a[:, None] * a  # mul saves a
        a.add_(1)
        return b

    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        AF.jacobian(multiplied, x, strategy=strategy)


# outputs larger than the inputs (so the default call may push columns for the rows'
# values), and an input x = [4, special] where PyTorch's rows and columns differ
ROWS_NOT_COLUMNS = {
    # sqrt'(0) = inf on an element no output reads: rows NaN in column 1 (0 * inf)
    "dropped": (lambda lib, x: x.sqrt()[0] * lib.ones(5, dtype=x.dtype), 0.0),
    # relu'(0) = 0 after sqrt'(0) = inf: the rows give NaN, the columns 0
    "masked": (lambda lib, x: x.sqrt().relu().repeat(3), 0.0),
    # a NaN input: the rows give column 1 NaN, the columns row 1
    "nan": (lambda lib, x: (x * x).repeat(3), math.nan),
    # ops that read no values: a tangent that overflows float32 (inf - inf; the rows cast
    # back to float64 first), and a mean of nothing (0 / 0; the rows pass nothing back)
    "overflow": (lambda lib, x: (x.exp().float() - x.exp().float()).repeat(2), 100.0),
    "empty_mean": (lambda lib, x: lib.cat([x, x, x[:0].mean().reshape(1)]), 1.0),
    # ties and NaN, where forward mode has conventions of its own
    "fmax_tie": (lambda lib, x: lib.fmax(x, lib.zeros_like(x)).repeat(2), 0.0),
    "maximum_nan": (lambda lib, x: lib.maximum(x, lib.zeros_like(x)).repeat(2), math.nan),
    "clamp_nan": (lambda lib, x: x.clamp(lib.zeros_like(x), lib.ones_like(x)).repeat(2),
                  math.nan),
}


@pytest.mark.parametrize("name", sorted(ROWS_NOT_COLUMNS))
def test_columns_give_way_to_rows_where_they_differ(name):
    """The default call pushes columns for a function with more outputs than inputs. Where
    they differ from PyTorch's rows (a derivative that is infinite or NaN, a tangent that
    overflows, a tie) its result must still be the rows, also when its computation is
    replayed from a call where they agree, and back."""
    f, special = ROWS_NOT_COLUMNS[name]
    plain, singular = np.array([4.0, 2.25]), np.array([4.0, special])

    def g(v: autojac.Tensor) -> autojac.Tensor:
        return f(autojac, v)

    with np.errstate(all="ignore"):
        columns = AF.jacobian(g, autojac.tensor(singular), strategy="forward-mode")
        rows = AF.jacobian(g, autojac.tensor(singular), vectorize=True, chunk_size=1)
        assert not np.array_equal(columns.numpy(), rows.numpy(), equal_nan=True)
        for values in (plain, plain, singular, singular, plain, singular):
            x = autojac.tensor(values)
            rows = AF.jacobian(g, x, vectorize=True, chunk_size=1)  # one row per pass
            got = AF.jacobian(g, x)
            assert got.dtype == rows.dtype
            np.testing.assert_array_equal(got.numpy(), rows.numpy())


@pytest.mark.parametrize("name", sorted(ROWS_NOT_COLUMNS))
def test_rows_where_columns_differ_are_pytorchs(name):
    torch = import_torch()
    f, special = ROWS_NOT_COLUMNS[name]
    values = np.array([4.0, special])
    with np.errstate(all="ignore"):
        got = AF.jacobian(lambda v: f(autojac, v), autojac.tensor(values))
    expected = torch.autograd.functional.jacobian(lambda v: f(torch, v), torch.tensor(values))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-15, atol=0,
                               equal_nan=True)


def _auto_params() -> list:
    out = []
    for name in sorted(SMOOTH):
        for cg in (False, True):
            out.append(pytest.param(name, cg, id=f"{name}-{'cg' if cg else 'nocg'}"))
    return out


# the SMOOTH functions with fewer input than output elements
AUTO_PICKS_FORWARD = {"outer"}


@pytest.mark.parametrize("name,create_graph", _auto_params())
def test_auto_equals_reverse(name, create_graph):
    xs = inputs_for(name, rg=create_graph)
    f = Counter(bind(name), xs)
    got = AF.jacobian(f, arg(name, xs), create_graph=create_graph, strategy="auto")
    ref = AF.jacobian(bind(name), arg(name, xs), create_graph=create_graph)
    assert_same(got, ref)
    assert f.fresh
    for a, b in zip(leaves(got), leaves(ref)):
        assert a.requires_grad == b.requires_grad
    if create_graph:
        ga = grads(sum(b.sum() for b in leaves(got)), xs)
        gr = grads(sum(b.sum() for b in leaves(ref)), xs)
        for a, b in zip(ga, gr):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# -- empty inputs and outputs -------------------------------------------------------------------
EMPTY = {
    # name: (function, input shapes, expected Jacobian shapes (nested like the result))
    "empty_in": (lambda x: x.exp(), ((0,),), (0, 0)),
    "empty_out": (lambda x: x[:0] * 2, ((3,),), (0, 3)),
    "empty_in_const_out": (lambda x: x.sum() + autojac.ones(2, dtype=x.dtype), ((0,),), (2, 0)),
    "empty_2d": (lambda x: x * 2, ((2, 0),), (2, 0, 2, 0)),
    "empty_and_full": (lambda x, y: y * 2 + x.sum(), ((0,), (2,)), ((2, 0), (2, 2))),
    "tuple_out_empty": (lambda x: (x[:0], x.exp()), ((2,),), ((0, 2), (2, 2))),
}


@pytest.mark.parametrize("name", sorted(EMPTY))
@pytest.mark.parametrize(
    "strategy,vectorize", [(REV, False), (REV, True), (FWD, True), (FWD, False), ("auto", False)]
)
@pytest.mark.parametrize("create_graph", [False, True])
def test_empty_inputs_and_outputs(name, strategy, vectorize, create_graph):
    fn, shapes, expected = EMPTY[name]
    xs = tuple(autojac.ones(*s, dtype=autojac.float64, requires_grad=True) for s in shapes)
    j = AF.jacobian(
        fn,
        xs if len(xs) > 1 else xs[0],
        create_graph=create_graph,
        vectorize=vectorize,
        strategy=strategy,
    )
    got_shapes = tuple(tuple(t.shape) for t in j) if isinstance(j, tuple) else tuple(j.shape)
    assert got_shapes == expected
    for t in leaves(j):
        assert t.dtype == autojac.float64
        if t.numel() == 0:
            assert not t.requires_grad
    if name == "empty_and_full":
        np.testing.assert_array_equal(j[1].detach().numpy(), 2 * np.eye(2))
    if name == "tuple_out_empty":
        np.testing.assert_allclose(j[1].detach().numpy(), np.diag(np.exp([1.0, 1.0])))


def test_empty_hessian_and_products():
    x = autojac.ones(0, dtype=autojac.float64)
    h = AF.hessian(lambda t: (t**2).sum(), x)
    assert tuple(h.shape) == (0, 0)
    out, vjp = AF.vjp(lambda t: t.exp(), x, autojac.ones(0, dtype=autojac.float64))
    assert tuple(out.shape) == (0,) and tuple(vjp.shape) == (0,)
    out, jvp = AF.jvp(lambda t: t.exp(), x, autojac.ones(0, dtype=autojac.float64))
    assert tuple(jvp.shape) == (0,)


# -- vectorize and every strategy agree exactly with the row loop -------------------------------
@pytest.mark.parametrize("name", sorted(SMOOTH))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_all_modes_agree(name, dtype):
    xs = inputs_for(name, dtype)
    loop = AF.jacobian(bind(name), arg(name, xs))
    tol = 1e-5 if dtype == "float32" else 1e-12
    for kw in (
        {"vectorize": True},
        {"vectorize": True, "strategy": FWD},
        {"strategy": FWD},
        {"strategy": "auto"},
        {"vectorize": True, "strict": True},
        {"vectorize": True, "chunk_size": 2},
    ):
        assert_same(AF.jacobian(bind(name), arg(name, xs), **kw), loop, rtol=tol, atol=tol)


def test_hessian_outer_forward_beyond_pytorch():
    """hessian's outer forward mode without vectorize, with create_graph and with strict."""
    xs = inputs_for("two_out")

    def f(x, y):
        return ((x * y.sum()).exp().sum() + (x**2).sum() * y.sum()).sin()

    ref = AF.hessian(f, xs)
    for kw in ({}, {"create_graph": True}, {"strict": True}, {"vectorize": True}):
        got = AF.hessian(f, xs, outer_jacobian_strategy=FWD, **kw)
        assert_tuples_only(got)
        assert_same(got, ref, rtol=1e-10, atol=1e-12)
    num, _ = numeric_jacobian(lambda x, y: AF.jacobian(f, (x, y)), xs)
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(ref[i][j].numpy(), num[i][j], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,args,same", [
    ("mse_loss", (None, False), {"reduction": "none"}),  # reduce=False
    ("l1_loss", (False,), {"reduction": "sum"}),  # size_average=False
    ("nll_loss", (None, None, 2), {"ignore_index": 2}),
    ("cross_entropy", (None, False), {"reduction": "sum"}),
    ("binary_cross_entropy", (None, None, False), {"reduction": "none"}),
    ("binary_cross_entropy_with_logits", (None, False), {"reduction": "sum"}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_losses_take_pytorchs_positional_arguments(name, args, same):
    """weight, size_average, ignore_index, reduce in PyTorch's order; the deprecated
    size_average/reduce pair picks the reduction."""
    import autojac.nn.functional as F

    rng = np.random.default_rng(2)
    x, p = rng.standard_normal((3, 4)), rng.random((3, 4))
    first = {"nll_loss": autojac.tensor(x).log_softmax(1),
             "binary_cross_entropy": autojac.tensor(p)}.get(name, autojac.tensor(x))
    classes = name in ("nll_loss", "cross_entropy")
    second = autojac.tensor([0, 2, 3]) if classes else autojac.tensor(p)
    fn = getattr(F, name)
    np.testing.assert_allclose(fn(first, second, *args)._data, fn(first, second, **same)._data)
