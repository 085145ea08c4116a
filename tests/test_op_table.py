"""Generic derivative tests over the op sample table (``op_table.py``).

For every sample: vjp and jvp against central finite differences (float64), batched
vjp/jvp against a loop of unbatched ones, second order (gradgradcheck), the identity
<u, vjp(v)> == <jvp(u), v>, and values/dtypes/gradients against PyTorch (live when
installed, else the golden fixture recorded from it). At complex inputs: the vjp (PyTorch's
conjugate convention) and the jvp against differences along a complex direction, values and
vjps against PyTorch, and the ops PyTorch refuses there (golden/complex_refused.json) raise.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import autojac
from autojac._autograd import compressed
from autojac.autograd import forward_ad as fwAD
from op_table import SAMPLES, Sample

GOLDEN = Path(__file__).parent / "golden" / "ops.json"
EPS = 1e-6


def _tensors(arrays: list[np.ndarray], requires_grad: bool = True) -> list[autojac.Tensor]:
    return [autojac.tensor(a, requires_grad=requires_grad) for a in arrays]


def _fd_jacobians(sample: Sample, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """d out / d input_i by central differences, each of shape (out.size, in_i.size)."""
    out = []
    for i, a in enumerate(arrays):
        cols = []
        for k in range(a.size):
            shifted = []
            for sign in (1, -1):
                b = [x.copy() for x in arrays]
                b[i].reshape(-1)[k] += sign * EPS
                shifted.append(sample.fn(autojac, *_tensors(b, False))._data.ravel())
            cols.append((shifted[0] - shifted[1]) / (2 * EPS))
        out.append(np.stack(cols, axis=1) if cols else np.zeros((0, 0)))
    return out


def _value(sample: Sample, arrays: list[np.ndarray]) -> np.ndarray:
    return sample.fn(autojac, *_tensors(arrays, False))._data


def _grads(out: autojac.Tensor, xs: list, v: autojac.Tensor, **kw: object) -> list[np.ndarray]:
    """The gradients as arrays, zeros where none flowed (a batch of them when batched)."""
    gs = autojac.autograd.grad(out, xs, v, allow_unused=True, **kw)
    batch = tuple(v.shape[: v.ndim - out.ndim]) if kw.get("is_grads_batched") else ()
    return [np.zeros(batch + tuple(x.shape), x._data.dtype) if g is None else g._data
            for g, x in zip(gs, xs)]


def _tangent_out(sample: Sample, xs: list, ts: list) -> np.ndarray:
    with fwAD.dual_level():
        duals = [fwAD.make_batched_dual(x, t) for x, t in zip(xs, ts)]
        out = sample.fn(autojac, *duals)
        tangent = fwAD.unpack_dual(out).tangent
        if tangent is None:
            batch = ts[0]._data.shape[: ts[0].ndim - xs[0].ndim]
            return np.zeros(batch + tuple(out.shape))
        return tangent._data


by_id = pytest.mark.parametrize("sample", SAMPLES, ids=[s.id for s in SAMPLES])


@by_id
def test_vjp_matches_finite_differences(sample: Sample) -> None:
    arrays = sample.arrays(np.float64)
    xs = _tensors(arrays)
    out = sample.fn(autojac, *xs)
    v = np.random.default_rng(1).standard_normal(out.shape)
    grads = _grads(out, xs, autojac.tensor(v))
    for g, jac, x in zip(grads, _fd_jacobians(sample, arrays), arrays):
        assert g.shape == x.shape
        np.testing.assert_allclose(g.ravel(), v.ravel() @ jac, rtol=1e-6, atol=1e-7)


@by_id
def test_jvp_matches_finite_differences(sample: Sample) -> None:
    arrays = sample.arrays(np.float64)
    rng = np.random.default_rng(2)
    ts = [rng.standard_normal(a.shape) for a in arrays]
    got = _tangent_out(sample, _tensors(arrays, False), _tensors(ts, False))
    expected = sum(j @ t.ravel() for j, t in zip(_fd_jacobians(sample, arrays), ts))
    np.testing.assert_allclose(got.ravel(), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("batch", [1, 3])
@by_id
def test_batched_vjp_equals_loop(sample: Sample, batch: int) -> None:
    arrays = sample.arrays(np.float64)
    xs = _tensors(arrays)
    out = sample.fn(autojac, *xs)
    vs = np.random.default_rng(3).standard_normal((batch,) + tuple(out.shape))
    batched = _grads(out, xs, autojac.tensor(vs), is_grads_batched=True, retain_graph=True)
    for k in range(batch):
        single = _grads(out, xs, autojac.tensor(vs[k]), retain_graph=True)
        for b, s in zip(batched, single):
            np.testing.assert_allclose(b[k], s, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("batch", [1, 3])
@by_id
def test_batched_jvp_equals_loop(sample: Sample, batch: int) -> None:
    arrays = sample.arrays(np.float64)
    xs = _tensors(arrays, False)
    rng = np.random.default_rng(4)
    ts = [rng.standard_normal((batch,) + a.shape) for a in arrays]
    batched = _tangent_out(sample, xs, _tensors(ts, False))
    for k in range(batch):
        single = _tangent_out(sample, xs, _tensors([t[k] for t in ts], False))
        np.testing.assert_allclose(batched[k], single, rtol=1e-12, atol=1e-12)


@by_id
def test_vjp_and_jvp_are_adjoint(sample: Sample) -> None:
    """<u, J^T v> == <J u, v> to 1e-12 in float64."""
    arrays = sample.arrays(np.float64)
    rng = np.random.default_rng(5)
    us = [rng.standard_normal(a.shape) for a in arrays]
    xs = _tensors(arrays)
    out = sample.fn(autojac, *xs)
    v = rng.standard_normal(out.shape)
    lhs = sum(float(np.vdot(u, g)) for u, g in zip(us, _grads(out, xs, autojac.tensor(v))))
    ju = _tangent_out(sample, _tensors(arrays, False), _tensors(us, False))
    assert lhs == pytest.approx(float(np.vdot(ju, v)), rel=1e-12, abs=1e-12)


@by_id
def test_second_order(sample: Sample) -> None:
    if not sample.second_order:
        pytest.skip("first-order only")
    xs = _tensors(sample.arrays(np.float64))
    assert autojac.autograd.gradgradcheck(lambda *a: sample.fn(autojac, *a), xs, atol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@by_id
def test_against_torch(sample: Sample, dtype: str) -> None:
    torch = pytest.importorskip("torch")
    arrays = sample.arrays(np.dtype(dtype))
    xs = _tensors(arrays)
    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = sample.fn(autojac, *xs), sample.fn(torch, *txs)
    assert out.dtype.name == str(tout.dtype).removeprefix("torch.")
    assert tuple(out.shape) == tuple(tout.shape)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out._data, tout.detach().numpy(), **tol)
    v = np.random.default_rng(6).standard_normal(out.shape).astype(dtype)
    grads = _grads(out, xs, autojac.tensor(v))
    tgrads = torch.autograd.grad(tout, txs, torch.tensor(v), allow_unused=True)
    for g, tg, x in zip(grads, tgrads, arrays):
        expected = np.zeros(x.shape) if tg is None else tg.numpy()
        np.testing.assert_allclose(g, expected, **tol)
        assert g.dtype == x.dtype


def _golden() -> dict:
    return json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}


@by_id
def test_against_golden_torch_values(sample: Sample) -> None:
    """Values and gradients recorded from PyTorch 2.13 (tests/golden/record_ops.py)."""
    record = _golden().get(sample.id)
    assert record is not None, "no golden record: run tests/golden/record_ops.py with torch"
    arrays = sample.arrays(np.float64)
    xs = _tensors(arrays)
    out = sample.fn(autojac, *xs)
    np.testing.assert_allclose(
        out._data, np.array(record["out"]).reshape(out.shape), rtol=1e-10, atol=1e-12
    )
    v = np.random.default_rng(6).standard_normal(out.shape)
    for g, expected in zip(_grads(out, xs, autojac.tensor(v)), record["grads"]):
        np.testing.assert_allclose(g.ravel(), np.array(expected), rtol=1e-10, atol=1e-12)


@by_id
def test_forward_over_reverse_equals_reverse_over_reverse(sample: Sample) -> None:
    """d/du <v, J(x)> along u, once by pushing a tangent through the backward pass and once
    by a second backward pass (float64, 1e-10)."""
    if not sample.second_order:
        pytest.skip("PyTorch has no second derivative of this op")
    arrays = sample.arrays(np.float64)
    rng = np.random.default_rng(7)
    us = [rng.standard_normal(a.shape) for a in arrays]
    xs = _tensors(arrays)
    out = sample.fn(autojac, *xs)
    v = autojac.tensor(rng.standard_normal(out.shape))
    grads = autojac.autograd.grad(out, xs, v, create_graph=True, allow_unused=True,
                                  materialize_grads=True)
    inner = sum(((g * autojac.tensor(u)).sum() for g, u in zip(grads, us) if g.requires_grad),
                autojac.tensor(0.0))
    rr = (_grads(inner, xs, autojac.ones_like(inner)) if inner.requires_grad
          else [np.zeros(a.shape) for a in arrays])
    with fwAD.dual_level():
        duals = [fwAD.make_dual(x, autojac.tensor(u)) for x, u in zip(xs, us)]
        out = sample.fn(autojac, *duals)
        if "no_forward_over_reverse" in sample.tags:  # PyTorch's error, where it has no rule
            with pytest.raises(NotImplementedError, match="Trying to use forward AD with"):
                autojac.autograd.grad(out, duals, v, allow_unused=True)
            return
        fr = autojac.autograd.grad(out, duals, v, allow_unused=True, materialize_grads=True)
        fr = [np.zeros(a.shape) if g._fw is None else g._fw._data for g, a in zip(fr, arrays)]
    for a, b in zip(fr, rr):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def _non_contiguous(a: np.ndarray) -> np.ndarray:
    """The same values in memory that is not C-contiguous (every other element)."""
    buf = np.zeros(2 * max(a.size, 1), dtype=a.dtype)
    view = buf[::2][: a.size].reshape(a.shape)
    view[...] = a
    return view


@by_id
def test_non_contiguous_inputs(sample: Sample) -> None:
    arrays = sample.arrays(np.float64)
    strided = [_non_contiguous(a) for a in arrays]
    assert all(not s.flags.c_contiguous for s in strided if s.size > 1)
    xs, ys = _tensors(arrays), [autojac.from_numpy(s).requires_grad_() for s in strided]
    out, out2 = sample.fn(autojac, *xs), sample.fn(autojac, *ys)
    np.testing.assert_allclose(out2._data, out._data, rtol=1e-13, atol=1e-13)
    v = autojac.tensor(np.random.default_rng(8).standard_normal(out.shape))
    for a, b in zip(_grads(out2, ys, v), _grads(out, xs, v)):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)


@by_id
def test_sparsity_pattern_holds_every_nonzero(sample: Sample) -> None:
    """The pattern read off the graph covers the Jacobian's nonzeros, and the colouring
    recovers every entry of it."""
    pytest.importorskip("scipy")
    xs = _tensors(sample.arrays(np.float64), False)

    def fn(*args: autojac.Tensor) -> autojac.Tensor:
        return sample.fn(autojac, *args)

    rows = autojac.autograd.functional.jacobian(fn, tuple(xs), vectorize=True, chunk_size=64)
    out_numel = fn(*xs).numel()
    dense = np.concatenate([j._data.reshape(out_numel, -1) for j in rows], axis=1)
    pattern = autojac.sparse.jacobian_sparsity(fn, tuple(xs)).toarray()
    assert pattern.shape == dense.shape
    assert not np.any((dense != 0) & ~pattern)
    traced = [x.detach().requires_grad_() for x in xs]
    out = fn(*traced)
    for forward in (True, False):  # both directions of tracing, whichever the default
        pat = compressed.pattern((out,), tuple(traced), forward)
        found = np.zeros(dense.shape, dtype=bool)
        found[pat.rows, pat.cols] = True
        assert not np.any((dense != 0) & ~found), f"forward={forward}"
    coloured = autojac.sparse.jacobian(fn, tuple(xs)).toarray()
    np.testing.assert_allclose(coloured, dense, rtol=1e-12, atol=1e-12)


def test_ops_whose_params_hold_arrays_declare_index_params() -> None:
    # their nodes keep copies of the index arrays, which the caller may change afterwards;
    # the backward graphs (create_graph) count too: gather's rule scatters with the index
    from autojac._autograd.engine import post_order

    seen = 0
    for sample in SAMPLES:
        xs = _tensors(sample.arrays(np.float64))
        out = sample.fn(autojac, *xs)
        if not out.requires_grad:
            continue
        grads = autojac.autograd.grad(out, xs, autojac.ones_like(out), create_graph=True,
                                      allow_unused=True)
        ends = [t for t in (out, *grads) if t is not None and t.grad_fn is not None]
        for node in post_order([t.grad_fn for t in ends]):
            arrays = _arrays(getattr(node, "params", ()))
            if arrays:
                seen += 1
                assert node.op.index_params, node.op.name
                assert not any(a.flags.writeable for a in arrays), node.op.name
    assert seen > 10  # the table has indexing, gather, scatter and max(dim) samples


def _arrays(value: object) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _arrays(v)]
    return []


# -- complex inputs --------------------------------------------------------------------------
COMPLEX_REFUSED = Path(__file__).parent / "golden" / "complex_refused.json"


def _refused_by_torch() -> dict[str, str]:
    """Sample ids that PyTorch refuses at complex inputs, with the exception type."""
    return json.loads(COMPLEX_REFUSED.read_text())


def _complex_run(sample: Sample, lib: object) -> tuple[np.ndarray, list, np.ndarray]:
    """The value at complex inputs, the vjp of a seed ``v`` (complex for a complex output),
    and ``v``."""
    xs = [lib.tensor(a, requires_grad=True) for a in sample.complex_arrays()]
    out = sample.fn(lib, *xs)
    rng = np.random.default_rng(6)
    v = rng.standard_normal(tuple(out.shape))
    if out.is_complex():
        v = v + 1j * rng.standard_normal(tuple(out.shape))
    grads = lib.autograd.grad(out, xs, lib.tensor(v, dtype=out.dtype), allow_unused=True)
    grads = [np.zeros(x.shape) if g is None else g.detach().resolve_conj().numpy()
             for g, x in zip(grads, xs)]
    return out.detach().resolve_conj().numpy(), grads, v


@by_id
def test_complex_rules_match_finite_differences(sample: Sample) -> None:
    """At complex inputs, Re<v, J t> == Re<vjp(v), t> and jvp(t) == J t, with J t from central
    differences along a complex direction t; ops that PyTorch refuses there raise."""
    if sample.id in _refused_by_torch():
        with pytest.raises((RuntimeError, NotImplementedError)):
            _complex_run(sample, autojac)
        return
    arrays = sample.complex_arrays()
    rng = np.random.default_rng(8)
    ts = [rng.standard_normal(a.shape) + 1j * rng.standard_normal(a.shape) for a in arrays]
    shifted = [_value(sample, [a + sign * EPS * t for a, t in zip(arrays, ts)]) for sign in (1, -1)]
    jt = (shifted[0] - shifted[1]) / (2 * EPS)
    _, grads, v = _complex_run(sample, autojac)
    lhs = np.vdot(v, jt).real
    rhs = sum(np.vdot(g, t).real for g, t in zip(grads, ts))
    assert rhs == pytest.approx(lhs, rel=1e-5, abs=1e-6)
    tangent = _tangent_out(sample, _tensors(arrays, False), _tensors(ts, False))
    np.testing.assert_allclose(tangent, jt, rtol=1e-5, atol=1e-6)


@by_id
def test_against_torch_at_complex_inputs(sample: Sample) -> None:
    """Values and vjps at complex inputs as PyTorch's; where PyTorch raises (as recorded in
    the golden file), autojac raises the same exception type."""
    torch = pytest.importorskip("torch")
    try:
        expected = _complex_run(sample, torch)
    except (RuntimeError, NotImplementedError) as e:
        assert _refused_by_torch().get(sample.id) == type(e).__name__
        with pytest.raises(type(e)):
            _complex_run(sample, autojac)
        return
    assert sample.id not in _refused_by_torch()
    out, grads, _ = _complex_run(sample, autojac)
    np.testing.assert_allclose(out, expected[0], rtol=1e-10, atol=1e-12)
    for g, tg in zip(grads, expected[1]):
        np.testing.assert_allclose(g, tg, rtol=1e-8, atol=1e-10)
