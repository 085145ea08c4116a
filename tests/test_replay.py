"""Replayed backward passes (``_autograd/replay.py``) give what the eager pass gives.

A graph structure is taped on one set of values (the second time it is met: ``_twice``)
and replayed on another, by the program interpreted and compiled; every result is
compared bit for bit with the eager pass on the second set. Rules that read values in
Python (ties in ``maximum``, a singular matrix in ``det``) must never be replayed, and the
saved tensors' in-place checks must hold on the replayed path too.
"""

from __future__ import annotations

import collections
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import autojac
from autojac._autograd import compressed, program, replay
from autojac._autograd.engine import run_forward
from autojac._autograd.structure import frozen, structure
from autojac.autograd import functional
from autojac.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp
from op_table import SAMPLES, Sample

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import workloads  # noqa: E402


@pytest.fixture(params=["interpreted", "compiled"])
def runs(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A fresh program cache, whose programs run interpreted, or compiled from their first
    run; the list grows by one entry per replayed pass."""
    monkeypatch.setattr(replay, "_programs", {})
    if request.param == "compiled":
        monkeypatch.setattr(program, "COMPILE_AFTER", 1)
    counted: list[int] = []
    real = replay.Program.run

    def run(self: replay.Program, order: list, seeds: list) -> list:
        counted.append(1)
        return real(self, order, seeds)

    monkeypatch.setattr(replay.Program, "run", run)
    return counted


def _twice(fn, *args, **kw):
    """``fn(*args, **kw)`` twice: a structure met a second time is taped, and replayed
    from the third time on."""
    fn(*args, **kw)
    return fn(*args, **kw)


def _eager(fn, *args, **kw):
    """``fn(*args, **kw)`` with nothing taped or replayed."""
    saved = dict(replay._programs)
    try:
        replay._programs.clear()
        return fn(*args, **kw)  # the first pass over a structure runs eagerly
    finally:
        replay._programs.clear()
        replay._programs.update(saved)


def _arrays(result) -> list[np.ndarray]:
    if isinstance(result, autojac.Tensor):
        return [result._data]
    return [a for r in result for a in _arrays(r)]


def _assert_same(got, expected) -> None:
    for g, e in zip(_arrays(got), _arrays(expected), strict=True):
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_array_equal(g, e)  # bit for bit: the same NumPy calls


def _jacobian_of(sample: Sample, arrays: list[np.ndarray], vectorize: bool):
    xs = tuple(autojac.tensor(a, requires_grad=True) for a in arrays)
    return jacobian(lambda *a: sample.fn(autojac, *a), xs, vectorize=vectorize)


# the samples whose backward pass is not replayed, and why
_VALUES = "its rule reads values in Python"
_SEVERAL = "an op with several outputs"
_INDEX = "the index it selects (a param) depends on the values"
NOT_REPLAYED = {
    "maximum": _VALUES, "minimum": _VALUES, "det": _VALUES, "det_batched": _VALUES,
    "cholesky": "its rule builds a constant mask outside an op",
    "cholesky_upper": "its rule builds a constant mask outside an op",
    "eigh_projector": _SEVERAL, "eigh_values": _SEVERAL, "eigh_vectors": _SEVERAL,
    "matrix_norm_2": _SEVERAL, "matrix_norm_nuc": _SEVERAL, "qr": _SEVERAL,
    "qr_square": _SEVERAL, "qr_wide": _SEVERAL, "svd_factors": _SEVERAL, "svd_values": _SEVERAL,
    "svd_wide": _SEVERAL,
    "index_mask": _INDEX, "max_dim": _INDEX, "min_dim_keepdim": _INDEX,
    **dict.fromkeys(("sort", "sort_descending", "msort", "topk", "topk_smallest", "cummax",
                     "cummin"), _INDEX),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sample", SAMPLES, ids=[s.id for s in SAMPLES])
def test_a_replayed_jacobian_equals_the_eager_one(sample: Sample, dtype, runs) -> None:
    taped_on, replayed_on = sample.arrays(dtype, seed=0), sample.arrays(dtype, seed=1)
    expected = _eager(_jacobian_of, sample, replayed_on, True)
    _twice(_jacobian_of, sample, taped_on, True)
    _assert_same(_jacobian_of(sample, replayed_on, True), expected)
    assert bool(runs) == (sample.name not in NOT_REPLAYED), NOT_REPLAYED.get(sample.name)
    _assert_same(_jacobian_of(sample, replayed_on, False), _eager(_jacobian_of, sample,
                                                                   replayed_on, False))


def _tangents_of(sample: Sample, arrays: list[np.ndarray], replayed: bool) -> list:
    """The tangents of the sample's output for a batch of random input tangents, pushed
    through its recorded graph (forward over the graph, as strategy="auto" does)."""
    xs = [autojac.tensor(a, requires_grad=True) for a in arrays]
    out = sample.fn(autojac, *xs)
    rng = np.random.default_rng(7)
    seeds = [autojac.tensor(rng.standard_normal((3,) + a.shape).astype(a.dtype)) for a in arrays]
    if replayed:
        return replay.tangents([out], xs, seeds)
    return run_forward([out], xs, seeds)


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.id for s in SAMPLES])
def test_replayed_tangents_equal_the_eager_ones(sample: Sample, runs) -> None:
    taped_on, replayed_on = sample.arrays(np.float64, seed=0), sample.arrays(np.float64, seed=1)
    _twice(_tangents_of, sample, taped_on, True)
    got = _tangents_of(sample, replayed_on, True)
    expected = _tangents_of(sample, replayed_on, False)
    for g, e in zip(got, expected, strict=True):
        assert (g is None) == (e is None)
        if g is not None:
            _assert_same(g, e)
    assert bool(runs) == (sample.name not in NOT_REPLAYED), NOT_REPLAYED.get(sample.name)


def _weighted_sum(sample: Sample):
    """A scalar function: a weighted sum of the sample's output (weights fixed per sample)."""
    def f(*a):
        out = sample.fn(autojac, *a)
        w = np.random.default_rng(3).uniform(0.5, 1.5, out.shape).astype(out._data.dtype)
        return (out * autojac.tensor(w)).sum()

    return f


def _hessian_of(sample: Sample, arrays: list[np.ndarray], vectorize: bool):
    return hessian(_weighted_sum(sample), tuple(map(autojac.tensor, arrays)), vectorize=vectorize)


def _hessian_by_nested_jacobians(sample: Sample, arrays: list[np.ndarray]):
    """The same Hessian as the Jacobian of a Jacobian built with ``create_graph``."""
    f, xs = _weighted_sum(sample), tuple(map(autojac.tensor, arrays))
    return jacobian(lambda *a: jacobian(f, a, create_graph=True), xs)


_SECOND_ORDER = [s for s in SAMPLES if s.second_order]


@pytest.mark.parametrize("sample", _SECOND_ORDER, ids=[s.id for s in _SECOND_ORDER])
def test_a_replayed_hessian_equals_the_eager_one(sample: Sample, runs) -> None:
    """The gradient's graph and the passes over it are replayed as one computation from
    the function's graph: bit for bit what they give eagerly, and what the Jacobian of a
    Jacobian gives."""
    taped_on, replayed_on = sample.arrays(np.float64, seed=0), sample.arrays(np.float64, seed=1)
    for vectorize in (False, True):
        expected = _eager(_raises_or, _hessian_of, sample, replayed_on, vectorize)
        _twice(_raises_or, _hessian_of, sample, taped_on, vectorize)
        got = _raises_or(_hessian_of, sample, replayed_on, vectorize)
        if isinstance(expected, Exception):
            assert type(got) is type(expected) and str(got) == str(expected)
            continue
        _assert_same(got, expected)
        _assert_same(got, _eager(_hessian_by_nested_jacobians, sample, replayed_on))
    if sample.name not in NOT_REPLAYED and not isinstance(expected, Exception):
        assert runs


def _like(arrays: list[np.ndarray]) -> tuple:
    """Tensors of the shapes and dtypes of ``arrays``, of values fixed per shape."""
    rng = np.random.default_rng(5)
    return tuple(autojac.tensor(rng.uniform(-1, 1, a.shape).astype(a.dtype)) for a in arrays)


def _product_of(product, sample: Sample, arrays: list[np.ndarray]):
    """``product`` (vjp, jvp, vhp or hvp) of the sample (of its weighted sum, for the
    Hessian's products) at ``arrays``."""
    xs = tuple(map(autojac.tensor, arrays))
    if product in (vhp, hvp):
        return product(_weighted_sum(sample), xs, _like(arrays))
    f = lambda *a: sample.fn(autojac, *a)  # noqa: E731
    if product is jvp:
        return jvp(f, xs, _like(arrays))
    return vjp(f, xs, _like([f(*xs)._data]))


def _assert_replayed_product(product, sample: Sample, runs: list[int]) -> None:
    """The product's passes, replayed from the function's graph with v as seeds, give what
    they give eagerly."""
    taped_on, replayed_on = sample.arrays(np.float64, seed=0), sample.arrays(np.float64, seed=1)
    expected = _eager(_raises_or, _product_of, product, sample, replayed_on)
    _twice(_raises_or, _product_of, product, sample, taped_on)
    got = _raises_or(_product_of, product, sample, replayed_on)
    if isinstance(expected, Exception):  # (an op without a second derivative, for jvp)
        assert type(got) is type(expected) and str(got) == str(expected)
        return
    _assert_same(got, expected)
    if sample.name not in NOT_REPLAYED:
        assert runs


@pytest.mark.parametrize("product", [vjp, jvp], ids=["vjp", "jvp"])
@pytest.mark.parametrize("sample", SAMPLES, ids=[s.id for s in SAMPLES])
def test_a_replayed_first_order_product_equals_the_eager_one(sample: Sample, product,
                                                             runs) -> None:
    _assert_replayed_product(product, sample, runs)


@pytest.mark.parametrize("product", [vhp, hvp], ids=["vhp", "hvp"])
@pytest.mark.parametrize("sample", _SECOND_ORDER, ids=[s.id for s in _SECOND_ORDER])
def test_a_replayed_hessian_product_equals_the_eager_one(sample: Sample, product,
                                                         runs) -> None:
    _assert_replayed_product(product, sample, runs)


def test_seeds_that_share_arrays_with_the_graph_or_each_other_are_told_apart(runs) -> None:
    """A seed is known by its tensor, not its array: v taped as the input's own array (or
    as one tensor for two inputs) is still read from v when v changes."""
    f = lambda x: (x**3).sum()  # noqa: E731
    for k in range(4):
        x = autojac.tensor(np.array([1.0, 2.0, 3.0]) + k)
        v = x if k < 2 else autojac.tensor([1.0, 1.0, 1.0], dtype=autojac.float64)
        np.testing.assert_allclose(vhp(f, x, v)[1]._data, 6 * x._data * v._data)
    g = lambda a, b: (a * a * b).sum()  # noqa: E731
    a, b = autojac.tensor([1.0, 2.0]), autojac.tensor([3.0, 4.0])
    for k in range(4):
        w = autojac.ones(2)
        vs = (w, w) if k < 2 else (autojac.ones(2), autojac.full((2,), 5.0))
        (ga, gb), (va, vb) = vhp(g, (a, b), vs)[1], (vs[0]._data, vs[1]._data)
        np.testing.assert_allclose(ga._data, 2 * b._data * va + 2 * a._data * vb)
        np.testing.assert_allclose(gb._data, 2 * a._data * va)
    assert runs


def test_a_hessian_replay_checks_the_saved_tensors(runs) -> None:
    """The replayed computation runs the checks of the function's saved tensors."""
    def f(x, change):
        a = x * 1
        b = (a * a).sum()
        if change:
            a.add_(1)
        return b

    x = autojac.tensor([1.0, 2.0])
    expected = _twice(hessian, lambda x: f(x, False), x)
    _assert_same(hessian(lambda x: f(x, False), x), expected)
    assert runs
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        hessian(lambda x: f(x, True), x)


def _workload_calls() -> list[tuple[str, object]]:
    rng = np.random.default_rng(0)

    def t(*shape):
        return autojac.tensor(rng.uniform(-1, 1, shape))

    W1, b1, W2, b2, A = t(32, 8), t(32), t(8, 32), t(8), t(200, 10)
    x44, x16, x8, u20, x10, zero = t(4, 4), t(16), t(8), t(20), t(10), autojac.zeros(1)
    x50, y40 = t(50), t(40)
    return [
        ("exp_reducer", lambda: jacobian(lambda x: workloads.exp_reducer(autojac, x), x44)),
        ("elementwise", lambda: jacobian(lambda x: workloads.elementwise(autojac, x), x16)),
        ("mlp", lambda: jacobian(lambda x: workloads.mlp(autojac, x, W1, b1, W2, b2), x8)),
        ("pde", lambda: jacobian(lambda u: workloads.pde(autojac, u, zero), u20,
                                 vectorize=True)),
        ("hessian", lambda: hessian(lambda x: workloads.softplus_sum(autojac, x, A), x10)),
        ("tuple_io", lambda: jacobian(lambda x, y: workloads.tuple_io(autojac, x, y),
                                      (x50, y40))),
    ]


@pytest.mark.parametrize("name,call", _workload_calls(), ids=lambda v: v if isinstance(v, str)
                         else "")
def test_the_benchmark_workloads_are_replayed(name: str, call, runs) -> None:
    expected = _eager(call)
    _twice(call)
    before = len(runs)
    _assert_same(call(), expected)
    assert len(runs) == before + 1, f"{name}: not replayed as one program"


def _overflowing_product(v: autojac.Tensor) -> autojac.Tensor:
    """Coloured (diagonal, 400 by 400); where exp overflows, PyTorch's rows meet 0 * inf
    in the structural zeros, so the Jacobian there is the rows' (NaN), not the colours'."""
    return v.exp() * v


@pytest.mark.parametrize("taped_finite", [True, False], ids=["taped_finite", "taped_overflow"])
def test_a_replayed_coloured_jacobian_gives_way_where_its_entries_turn(taped_finite, runs
                                                                       ) -> None:
    """The colouring branches on whether its entries are finite: a replay that finds the
    other answer runs the Jacobian eagerly, and later calls are replayed again."""
    finite = autojac.tensor(np.linspace(-1.0, 1.0, 400))
    overflow = finite.clone()
    overflow[7] = 1000.0
    taped, other = (finite, overflow) if taped_finite else (overflow, finite)
    with np.errstate(over="ignore", invalid="ignore"):
        expected = [_eager(jacobian, _overflowing_product, x) for x in (taped, other)]
        assert np.isnan(expected[0 if not taped_finite else 1]._data).any()
        _twice(jacobian, _overflowing_product, taped)
        for x, want in ((taped, expected[0]), (other, expected[1]), (taped, expected[0])):
            before = len(runs)
            _assert_same(jacobian(_overflowing_product, x), want)
            assert len(runs) == before + 1
        # a program that keeps giving way is taped again on the branch its calls now take
        for _ in range(replay.RETAPE_AFTER - 1):
            _assert_same(jacobian(_overflowing_product, other), expected[1])
        before = len(runs)
        _assert_same(jacobian(_overflowing_product, other), expected[1])
        assert len(runs) == before + 1
        programs = [p for p in replay._programs.values() if type(p) is replay.Program]
        assert programs and all(p.diverged == 0 for p in programs)


def test_a_coloured_jacobian_walks_its_graph_once(runs, monkeypatch) -> None:
    """tuple_io's second output is coloured (a forward pass), its first is dense (rows):
    the colouring, its pass and the rows all key on one walk of the graph."""
    walks = []

    def counted(ends, targets):
        walks.append(len(ends))
        return structure(ends, targets)

    monkeypatch.setattr(replay, "structure", counted)
    monkeypatch.setattr(functional, "structure", counted)
    x, y = autojac.tensor(np.linspace(-1, 1, 50)), autojac.tensor(np.linspace(0, 0.3, 40))
    f = lambda x, y: workloads.tuple_io(autojac, x, y)  # noqa: E731
    expected = _eager(jacobian, f, (x, y))
    walks.clear()
    _twice(jacobian, f, (x, y))
    _assert_same(jacobian(f, (x, y)), expected)
    assert runs and walks == [2, 2, 2]


def test_maximum_with_ties_is_never_replayed_from_a_pass_without(runs) -> None:
    """The rule branches on ``bool(ties.any())``: taped without ties, the tie-free select
    would give 1 instead of PyTorch's 0.5 on a tie."""
    y = autojac.tensor([0.5, 0.5, 0.5])
    f = lambda x: autojac.maximum(x, y)  # noqa: E731
    _twice(jacobian, f, autojac.tensor([1.0, 0.0, 2.0]))
    got = jacobian(f, autojac.tensor([1.0, 0.5, 2.0]))
    np.testing.assert_array_equal(got._data, np.diag([1.0, 0.5, 1.0]))
    assert not runs


def test_det_of_a_singular_matrix_after_a_regular_one(runs) -> None:
    """det's rule takes the SVD branch when det is 0: replaying the inverse branch would
    give inf/nan."""
    _twice(jacobian, autojac.linalg.det, autojac.tensor([[2.0, 1.0], [1.0, 3.0]]))
    got = jacobian(autojac.linalg.det, autojac.tensor([[1.0, 2.0], [2.0, 4.0]]))
    np.testing.assert_allclose(got._data, [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)
    assert not runs


@pytest.mark.parametrize("outer", [False, True], ids=["rows", "columns_over_the_graph"])
def test_a_saved_tensor_changed_in_place_is_still_an_error_when_replayed(outer, runs) -> None:
    """With ``outer`` the output is larger than the input, so the Jacobian's columns are
    pushed forward through the recorded graph: that pass checks the saved tensors too."""

    def f(x, change):
        a = x * 1
        b = a[:, None] * a if outer else a * a
        if change:
            a.add_(1)
        return b

    x = autojac.tensor([1.0, 2.0])
    expected = _twice(jacobian, lambda x: f(x, False), x)
    np.testing.assert_array_equal(jacobian(lambda x: f(x, False), x)._data, expected._data)
    assert runs
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        jacobian(lambda x: f(x, True), x)


def test_one_constant_used_twice_and_two_constants_are_different_structures(runs) -> None:
    c, d = autojac.tensor([2.0, 3.0]), autojac.tensor([5.0, 7.0])
    x = autojac.tensor([1.0, 1.0])
    _twice(jacobian, lambda x: x * c * c, x)
    np.testing.assert_array_equal(jacobian(lambda x: x * c * d, x)._data, np.diag([10.0, 21.0]))
    np.testing.assert_array_equal(jacobian(lambda x: x * d * d, x)._data, np.diag([25.0, 49.0]))


def test_scalar_operands_are_part_of_the_structure(runs) -> None:
    x = autojac.tensor([1.5, 2.0])
    for k in (2, 3, 2.5, 0):
        np.testing.assert_allclose(jacobian(lambda x, k=k: x**k, x)._data,
                                   np.diag(k * x._data ** (k - 1)) if k else np.zeros((2, 2)))


def test_a_structure_met_once_is_not_taped(runs, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Python scalar that changes on every call (a time step) makes a new structure
    each time: those calls must not pay for a tape they will never replay."""
    tapes = []
    real = replay.Tape.__init__
    monkeypatch.setattr(replay.Tape, "__init__",
                        lambda self, *a: tapes.append(1) or real(self, *a))
    x = autojac.tensor([1.0, 2.0], dtype=autojac.float64)
    for t in (0.1, 0.2, 0.3, 0.4):
        np.testing.assert_array_equal(jacobian(lambda x, t=t: x * t, x)._data, np.diag([t, t]))
    assert not tapes and not runs
    for _ in range(3):
        jacobian(lambda x: x * 0.5, x)
    assert len(tapes) == 1 and len(runs) == 1


def test_dtypes_of_the_inputs_are_part_of_the_structure(runs) -> None:
    for dtype in (autojac.float32, autojac.float64, autojac.float32):
        x = autojac.tensor([0.5, 1.0], dtype=dtype)
        y = autojac.tensor([2.0, 3.0])
        got = jacobian(lambda x, y=y: x * y, x)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got._data, np.diag([2.0, 3.0]).astype(got._data.dtype))


def test_dtypes_of_the_targets_are_part_of_the_structure(runs) -> None:
    c = autojac.tensor([1.0, 2.0])  # the Jacobian of a constant has the input's dtype
    for dtype in (autojac.float32, autojac.float32, autojac.float32, autojac.float64):
        got = jacobian(lambda x: c, autojac.zeros(3, dtype=dtype))
        assert got.dtype == dtype
        np.testing.assert_array_equal(got._data, np.zeros((2, 3)))


@pytest.mark.parametrize("f", [lambda x: x, lambda x: x * 2, lambda x: x[1:]],
                         ids=["identity", "fresh", "view"])
def test_replayed_jacobians_are_fresh_writable_arrays(f, runs) -> None:
    """The whole block of a single pass is the pass's result only when that is an array of
    its own; the seed itself (an identity's Jacobian) and views are copied."""
    x = autojac.tensor([1.0, 2.0, 3.0])
    results = [jacobian(f, x) for _ in range(4)]
    assert len(runs) == 2
    for a, b in zip(results, results[1:]):
        assert a._data.flags.writeable and a._data.flags.c_contiguous
        assert not np.shares_memory(a._data, b._data)
        _assert_same(a, b)


def test_replayed_hessians_are_fresh_writable_arrays(runs) -> None:
    """A Hessian's blocks are taken whole from its passes within the replayed computation:
    a seed or one array given to two blocks is copied, as in the eager pass."""

    def f(x: autojac.Tensor, y: autojac.Tensor) -> autojac.Tensor:
        return (x * y).sum() + (x**3).sum() + y.sum()

    inputs = (autojac.tensor([1.0, 2.0]), autojac.tensor([3.0, 4.0]))
    expected = _eager(hessian, f, inputs)
    results = [hessian(f, inputs) for _ in range(4)]
    assert len(runs) == 2
    arrays = [_arrays(r) for r in results]
    for got in results:
        _assert_same(got, expected)
    for a in arrays[2] + arrays[3]:
        assert a.flags.writeable and a.flags.c_contiguous
    every = arrays[2] + arrays[3]
    for i, a in enumerate(every):
        assert not any(np.shares_memory(a, b) for b in every[i + 1:])


def test_the_passes_of_a_refused_jacobian_are_neither_taped_nor_replayed(runs) -> None:
    y = autojac.tensor([0.5, 2.0, 3.0])
    f = lambda x: (x.maximum(y).sin() * x).exp()  # noqa: E731  (max's rule reads values)
    x = autojac.tensor([1.0, 2.0, 3.0])
    expected = _eager(jacobian, f, x)
    for _ in range(4):
        _assert_same(jacobian(f, x), expected)
    # the Jacobian and its rows, refused; their passes left no entries
    assert [(key[0], v) for key, v in replay._programs.items()] == [
        (("reverse-mode", None, None), "refused"), ("jacobian rows", "refused")]
    assert not runs


def test_one_gradient_of_two_inputs_gives_two_jacobian_blocks(runs) -> None:
    x, y = autojac.tensor([1.0, 2.0]), autojac.tensor([3.0, 4.0])
    for _ in range(4):  # eager, taped, replayed twice
        jx, jy = jacobian(lambda x, y: (x + y) * 2, (x, y))
        assert not np.shares_memory(jx._data, jy._data)
        jx.add_(1)
        np.testing.assert_array_equal(jy._data, 2 * np.eye(2))
    assert runs


def test_a_jacobian_frees_what_its_passes_no_longer_need(runs) -> None:
    """Each output's pass holds a 4 MB cotangent for ``cat``: its slice for ``x`` must not
    keep it alive once the Jacobian's block is made (the slice for the constant ``c``, which
    no pass reads, neither), eagerly or replayed as one program for all the outputs."""
    c = autojac.tensor(np.ones(500_000))
    w = [autojac.tensor(np.full(500_008, k + 1.0)) for k in range(8)]
    f = lambda x: tuple((autojac.cat([x, c]) * wk).sum() for wk in w)  # noqa: E731
    x = autojac.tensor(np.arange(8.0))

    def peak(fn, *args) -> int:
        tracemalloc.start()
        try:
            fn(*args)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    graph = peak(f, x.detach().requires_grad_(True))  # what the graph itself holds
    for _ in range(4):  # eager, taped, replayed twice
        assert peak(jacobian, f, x) <= graph + 3 * 500_008 * 8
    assert runs


def test_a_replayed_pass_frees_what_it_no_longer_needs(runs) -> None:
    rng = np.random.default_rng(1)
    A, x = autojac.tensor(rng.uniform(-1, 1, (256, 256))), autojac.tensor(rng.uniform(-1, 1, 256))
    f = lambda x: (((A @ x).sin() * x + 1).tanh()) ** 2  # noqa: E731

    def peak() -> int:
        tracemalloc.start()
        try:
            jacobian(f, x, vectorize=True)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    eager = _eager(peak)
    _twice(jacobian, f, x, vectorize=True)
    before = len(runs)
    replayed = peak()
    assert len(runs) > before
    assert replayed <= 1.05 * eager, (replayed, eager)


def test_a_program_is_compiled_once_it_has_run_often(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay, "_programs", {})
    x = autojac.tensor([0.3, -1.2, 2.0])
    f = lambda x: ((x.sin() * x + 1).tanh()) ** 2  # noqa: E731
    expected = _eager(jacobian, f, x)
    _twice(jacobian, f, x)  # taped
    (taped,) = [p for p in replay._programs.values() if isinstance(p, program.Program)]
    for _ in range(program.COMPILE_AFTER - 1):
        _assert_same(jacobian(f, x), expected)
    assert taped.compiled is None
    _assert_same(jacobian(f, x), expected)
    assert taped.compiled is not None
    _assert_same(jacobian(f, x), expected)
    assert taped.runs == program.COMPILE_AFTER


def test_a_program_of_many_calls_stays_interpreted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay, "_programs", {})
    monkeypatch.setattr(program, "COMPILE_AFTER", 1)
    monkeypatch.setattr(program, "COMPILE_MAX_CALLS", 3)
    x = autojac.tensor([0.3, -1.2, 2.0])
    f = lambda x: ((x.sin() * x + 1).tanh()) ** 2  # noqa: E731
    expected = _eager(jacobian, f, x)
    for _ in range(4):
        _assert_same(jacobian(f, x), expected)
    (taped,) = [p for p in replay._programs.values() if isinstance(p, program.Program)]
    assert len(taped.steps) > 3 and taped.runs == 2 and taped.compiled is None


def test_the_cache_is_bounded(runs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay, "MAX_PROGRAMS", 3)
    x = autojac.tensor([1.0, 2.0])
    for n in range(2, 8):
        jacobian(lambda x, n=n: x.reshape(1, 2).expand(n, 2), x, vectorize=True)
    assert len(replay._programs) == 3


_Pair = collections.namedtuple("_Pair", "a b")


def test_params_that_differ_give_different_keys() -> None:
    """``frozen`` keys the params of every node: equal keys for equal params only (a
    tuple that mimics another param's key included)."""
    params = [(1,), (2,), ((1,),), (slice(1, None),), (slice(None, 1),), ((slice(1), None),),
              ((slice(1), 0),), ([1],), (np.arange(2),), (np.arange(2.0),), (np.dtype("f4"),),
              (("slice", None, 1, None),), (("tuple", 1),), ((1, 2),), ((2, 1),),
              (np.float64(-0.0),), (np.float64(0.0),), (np.float32(1.0),), (1.0,), (True,),
              (_Pair(1, 2),), (_Pair(True, 2),), ((-1,), False, True), ((-1,), 0, 1),
              ((-1,), True, False), ((-1,), False, 1), ((True,), False), (((1,),), False),
              (((1,), bool, bool), False), ((1,), (tuple, bool))]
    keys = [frozen(p) for p in params]
    assert len({*keys}) == len(keys)
    assert frozen((slice(None, 1), [3])) == frozen((slice(None, 1), [3]))


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_a_scalar_operand_is_keyed_by_its_bits(runs) -> None:
    """0.0 == -0.0 in Python, but x / -0.0 is -inf where x / 0.0 is inf."""
    x = autojac.tensor([1.0, 2.0], dtype=autojac.float64)
    _twice(jacobian, lambda x: x / 0.0, x)
    got = jacobian(lambda x: x / -0.0, x)
    _assert_same(got, _eager(jacobian, lambda x: x / -0.0, x))
    assert got._data[0, 0] == -np.inf


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("dtype", [autojac.float32, autojac.float64])
@pytest.mark.parametrize("scale", [0.1, -0.0, 3, 2**70, 1e300])
def test_scalar_operands_kept_as_arrays_give_the_same_bits(runs, dtype, scale) -> None:
    """A program keeps a ufunc's int or float operand as a 0-d array of the other
    operands' dtype (NumPy casts it to that dtype anyway): the replay's bits are the eager
    pass's, rounding (0.1 in float32), signed zeros and overflow included."""
    x = autojac.tensor([0.3, -1.7, 0.5], dtype=dtype)

    def f(x):
        return (x * scale + 1).tanh() ** 2 + (1 - x).sqrt() * 0.5

    _twice(jacobian, f, x)
    x2 = autojac.tensor([0.1, -0.4, 0.9], dtype=dtype)
    got = jacobian(f, x2)
    assert runs
    _assert_same(got, _eager(jacobian, f, x2))
    kept = [c for p in replay._programs.values() if isinstance(p, replay.Program)
            for c in p.constants if isinstance(c, np.ndarray) and c.ndim == 0]
    assert kept and all(c.dtype == x._data.dtype for c in kept)


def test_an_index_changed_in_place_after_the_tape_does_not_change_the_replay(runs) -> None:
    """A program keeps its own copy of the index arrays it was taped with (the caller's
    array may be reused for other indices)."""
    x = autojac.tensor([1.0, 2.0, 3.0], dtype=autojac.float64)
    index = np.array([0, 2])
    _twice(jacobian, lambda x: x[index] * 3, x)
    index[:] = [1, 0]
    got = jacobian(lambda x: x[np.array([0, 2])] * 3, x)
    assert runs
    np.testing.assert_array_equal(got._data, [[3, 0, 0], [0, 0, 3]])


def test_large_index_params_are_neither_taped_nor_kept(runs) -> None:
    x = autojac.tensor(np.ones(10))
    tracemalloc.start()
    try:
        for seed in (0, 0, 0, 1, 2):  # met three times: taped (and refused) the second
            index = np.random.default_rng(seed).integers(0, 10, 140_000)  # 1.1 MB each
            got = jacobian(lambda x, i=index: (x[i] ** 2).reshape(14_000, 10).sum(1), x)
            del index, got
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert not runs
    assert held < 1_000_000, held


# -- randomized: chains of ops, sizes that change between calls -----------------------------
_UNARY = [
    lambda x: x.sin(), lambda x: x.exp(), lambda x: x.tanh(), lambda x: x**2, lambda x: x**3,
    lambda x: (x.abs() + 1).sqrt(), lambda x: x.relu(), lambda x: x.sigmoid(), lambda x: -x,
    lambda x: x * 2.5, lambda x: 1 / (x + 3), lambda x: x.cumsum(0), lambda x: x.roll(1, 0),
    lambda x: x.softmax(0), lambda x: x.flip(0), lambda x: autojac.cat([x, x * x]),
    lambda x: x[::2], lambda x: x[1:] - x[:-1], lambda x: x.reshape(-1, 1) * x[:2],
    lambda x: x.sum(0, keepdim=True) * x, lambda x: autojac.where(x > 0, x, x * 0.5),
]
_BINARY = [
    lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x / (y * y + 1),
    lambda x, y: autojac.maximum(x, y), lambda x, y: (x[:, None] * y[None, :4]).sum(1),
]
_MAXIMUM = 3  # its index in _BINARY
_MODES = [{}, {"vectorize": True}, {"strategy": "auto"},
          {"vectorize": True, "strategy": "forward-mode"}]


def _random_function(rng: np.random.Generator):
    """A chain of 1-6 ops on two inputs of one size (the second may be unused)."""
    steps = [(int(rng.integers(len(_UNARY))), None) if rng.random() < 0.7
             else (int(rng.integers(len(_BINARY))), int(rng.integers(2)))
             for _ in range(int(rng.integers(1, 7)))]

    def f(x, y):
        for k, other in steps:
            x = _UNARY[k](x) if other is None else _BINARY[k](x, (x, y)[other][: x.shape[0]]
                                                               if x.ndim == 1 else y)
            if x.ndim != 1 or x.shape[0] < 2:
                x = x.reshape(-1)[:4] + y[:1]
        return x

    f.steps = steps
    return f


@pytest.mark.parametrize("seed", range(40))
def test_random_chains_replay_as_they_run_eagerly(seed: int, runs) -> None:
    """Three calls per mode, with new values and (sometimes) a new size on the last: the
    last is compared bit for bit with an eager call (both caches cleared)."""
    rng = np.random.default_rng(seed)
    f = _random_function(rng)
    # sizes of (x, y) in the three calls: the same; the second input's only (it may be
    # unused); or both, large enough for the sparse path in half of those
    sizes = [[(4, 4)] * 3, [(4, 4), (4, 4), (4, 7)],
             [(300, 300), (300, 300), (301, 301)] if seed % 2 else [(5, 5), (5, 5), (6, 6)]
             ][seed % 3]
    for mode in _MODES:
        for nx, ny in sizes:
            xs = (autojac.tensor(rng.uniform(-2, 2, nx)), autojac.tensor(rng.uniform(-2, 2, ny)))
            try:
                got = jacobian(f, xs, **mode)
            except Exception as error:  # noqa: BLE001 - the same error eagerly, below
                got = error
        compressed._plans.clear()
        expected = _eager(_raises_or, jacobian, f, xs, **mode)
        if isinstance(got, Exception):
            assert type(got) is type(expected), (got, expected)
        else:
            _assert_same(got, expected)
    if seed % 3 == 0 and (_MAXIMUM, 0) not in f.steps and (_MAXIMUM, 1) not in f.steps:
        assert runs  # the same size three times: replayed (maximum's rule reads values)


def _raises_or(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except Exception as error:  # noqa: BLE001
        return error
