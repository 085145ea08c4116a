"""Sparse Jacobians: patterns read off the graph, colourings, and the default ``jacobian``
that computes large sparse Jacobians by colouring (identical to the row-by-row result)."""

from __future__ import annotations

import numpy as np
import pytest

import autojac
from autojac._autograd import compressed, replay
from autojac._autograd.structure import structure
from autojac.autograd.functional import jacobian

pytest.importorskip("scipy")


def pde(u: autojac.Tensor) -> autojac.Tensor:
    z = autojac.zeros(1, dtype=u.dtype)
    return autojac.cat([z, u[:-1]]) - 2 * u + autojac.cat([u[1:], z]) + u**3


_BANDED = autojac.tensor(np.diag([2.0, 3, 4, 5]) + np.diag([1.0, 1, 1], 1))


def exp_reducer(x: autojac.Tensor) -> autojac.Tensor:
    return x.exp().sum(dim=1)


def rows_jacobian(func, inputs):  # noqa: ANN001, ANN201
    """PyTorch's definition, row blocks of VJPs (``chunk_size`` skips every shortcut)."""
    return jacobian(func, inputs, vectorize=True, chunk_size=97)


def assert_same(a, b) -> None:  # noqa: ANN001
    """Equal tensors (or nested tuples), dtypes included; NaN equals NaN."""
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
        return
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_pde_pattern_is_tridiagonal() -> None:
    n = 9
    found = autojac.sparse.jacobian_sparsity(pde, autojac.randn(n)).toarray()
    expected = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) <= 1
    np.testing.assert_array_equal(found, expected)


@pytest.mark.parametrize(
    ("func", "shape", "expected"),
    [
        (lambda x: x.cumsum(0), (5,), np.tril(np.ones((5, 5), dtype=bool))),
        (lambda x: x.flip(0)[1:], (4,), np.eye(4, dtype=bool)[::-1][1:]),
        (lambda x: autojac.softmax(x, dim=1).reshape(-1), (2, 2),
         np.kron(np.eye(2, dtype=bool), np.ones((2, 2), dtype=bool))),
        (lambda x: x.amax(dim=0), (2, 3), np.tile(np.eye(3, dtype=bool), 2)),
        (lambda x: x @ x, (2, 2), np.array(  # out[i, j] reads row i and column j of x
            [[1, 1, 1, 0], [1, 1, 0, 1], [1, 0, 1, 1], [0, 1, 1, 1]], dtype=bool)),
        (lambda x: autojac.linalg.det(x).reshape(1), (2, 2),  # no rule: dense
         np.ones((1, 4), dtype=bool)),
        (lambda x: _BANDED @ x, (4,), _BANDED != 0),
        (lambda x: (x @ _BANDED)[1:], (4,), (_BANDED != 0).T[1:]),
        (lambda x: x[[0, 0, 2]] * 2, (3,), np.eye(3, dtype=bool)[[0, 0, 2]]),
        (lambda x: autojac.cat([x, x.expand(2, 2).reshape(-1)]), (2,),
         np.vstack([np.eye(2, dtype=bool)] * 3)),
        (lambda x: x.sum_to_size(1, 2), (3, 2), np.tile(np.eye(2, dtype=bool), 3)),
        (lambda x: x.var(dim=0), (3, 2), np.tile(np.eye(2, dtype=bool), 3)),
    ],
    ids=["cumsum", "flip-slice", "softmax", "amax", "matmul", "det-dense", "banded-matvec",
         "vecmat-banded", "repeated-index",
         "cat-expand", "sum_to", "var"],
)
@pytest.mark.parametrize("forward", [True, False], ids=["forward", "backward"])
def test_patterns_of_declared_rules(func, shape, expected, forward: bool) -> None:  # noqa: ANN001
    x = autojac.randn(*shape, dtype=autojac.float64).requires_grad_()
    out = func(x).reshape(-1)
    pat = compressed.pattern((out,), (x,), forward)
    found = np.zeros(pat.shape, dtype=bool)
    found[pat.rows, pat.cols] = True
    np.testing.assert_array_equal(found, expected)


def residual_in_place(u: autojac.Tensor) -> autojac.Tensor:
    """A residual written NumPy-style: interior stencil and boundary rows assigned."""
    r = autojac.zeros_like(u)
    r[1:-1] = u[:-2] - 2 * u[1:-1] + u[2:] + u[1:-1] ** 3
    r[0] = u[0]
    r[-1] = u[-1] - 1
    return r


@pytest.mark.parametrize("forward", [True, False], ids=["forward", "backward"])
def test_assignments_and_fills_keep_the_pattern_exact(forward: bool) -> None:
    def filled(x: autojac.Tensor) -> autojac.Tensor:
        y = x.clone()
        y.zero_()
        y[1:] = x[:-1]
        return y

    for func, expected in (
        (residual_in_place, np.eye(6, dtype=bool) | np.eye(6, k=1, dtype=bool)
         | np.eye(6, k=-1, dtype=bool)),
        (filled, np.eye(6, k=-1, dtype=bool)),
    ):
        if func is residual_in_place:
            expected[0, 1] = expected[-1, -2] = False
        x = autojac.randn(6, dtype=autojac.float64).requires_grad_()
        pat = compressed.pattern((func(x),), (x,), forward)
        found = np.zeros(pat.shape, dtype=bool)
        found[pat.rows, pat.cols] = True
        np.testing.assert_array_equal(found, expected)


def test_a_large_in_place_residual_is_coloured() -> None:
    u = autojac.randn(400, dtype=autojac.float64)
    ur = u.detach().requires_grad_()
    out = residual_in_place(ur)
    assert compressed.plan(compressed.pattern((out,), (ur,)))[1].max() + 1 == 3
    assert_same(jacobian(residual_in_place, u), rows_jacobian(residual_in_place, u))


def _valid(groups: np.ndarray, members: np.ndarray, colours: np.ndarray) -> bool:
    pairs = {(g, colours[m]) for g, m in zip(groups.tolist(), members.tolist())}
    return len(pairs) == groups.size and (colours[members] >= 0).all()


@pytest.mark.parametrize("seed", range(6))
def test_colourings_never_put_two_members_of_a_group_in_one_colour(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m, n = rng.integers(5, 60, size=2)
    dense = rng.random((m, n)) < rng.uniform(0.02, 0.3)
    rows, cols = np.nonzero(dense)
    for groups, members, size in ((rows, cols, n), (cols, rows, m)):
        colours = compressed.colour(groups, members, size)
        assert colours is not None and _valid(groups, members, colours)
        assert colours.max(initial=-1) + 1 >= np.bincount(groups).max(initial=0)
        unused = np.setdiff1d(np.arange(size), members)
        assert (colours[unused] == -1).all()


def test_banded_patterns_take_as_many_colours_as_their_bandwidth() -> None:
    pat = autojac.sparse.jacobian_sparsity(pde, autojac.randn(500)).tocoo()
    colours = compressed.colour(pat.row, pat.col, 500)
    assert colours.max() + 1 == 3


def test_exp_reducer_is_traced_backward_and_takes_one_reverse_pass() -> None:
    x = autojac.randn(40, 40, dtype=autojac.float64).requires_grad_()
    out = exp_reducer(x)
    by_rows, colours = compressed.plan(compressed.pattern((out,), (x,)))
    assert by_rows and colours.max() + 1 == 1


@pytest.mark.parametrize("n", [300, 1000])
def test_default_jacobian_of_a_large_sparse_function_is_the_row_by_row_one(n: int) -> None:
    x = autojac.randn(n, dtype=autojac.float64)
    assert compressed.worth_trying((pde(x),), (x,))
    for vectorize in (False, True):
        assert_same(jacobian(pde, x, vectorize=vectorize), rows_jacobian(pde, x))
    assert_same(jacobian(pde, x, strategy="auto"), rows_jacobian(pde, x))


def test_tuples_and_mixed_dtypes_keep_each_block_in_its_input_dtype() -> None:
    def f(x: autojac.Tensor, y: autojac.Tensor) -> tuple:
        return (x.sin() * 2, (x[:, None] * y[None, :]).reshape(-1)[:300].tanh(), y.exp())

    x = autojac.randn(300, dtype=autojac.float32)
    y = autojac.randn(260, dtype=autojac.float64)
    got, ref = jacobian(f, (x, y)), rows_jacobian(f, (x, y))
    assert [[j.dtype for j in row] for row in got] == [[autojac.float32, autojac.float64]] * 3
    for row_got, row_ref in zip(got, ref):
        for a, b in zip(row_got, row_ref):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-6)


def test_non_finite_entries_fall_back_to_the_row_by_row_values() -> None:
    x = autojac.randn(400, dtype=autojac.float64)
    x[7] = 1000.0  # exp overflows: a row-by-row VJP meets 0 * inf in the structural zeros

    def f(v: autojac.Tensor) -> autojac.Tensor:
        return v.exp() * v

    with np.errstate(over="ignore", invalid="ignore"):
        got = jacobian(f, x)
        assert np.isnan(got.numpy()).any()
        assert_same(got, rows_jacobian(f, x))
        sparse = autojac.sparse.jacobian(f, x)  # structural zeros stay zeros there
    assert sparse.nnz == 400 and np.isinf(sparse.diagonal()[7])


# an infinite derivative (sqrt'(0)) at x[1], an element that no output reads: PyTorch's rows
# meet 0 * inf there (NaN in column 1), the colouring's entries do not
DROPPED = {
    # two rows read each even element, no two columns share a row: fewer column colours
    "columns": lambda v: (lambda s: autojac.cat([s, s * 2]))(v.sqrt()[::2]),
    "rows": lambda v: v.sqrt()[2:].reshape(400, 4).sum(1),  # one row colour: VJPs
}


@pytest.mark.parametrize("by", sorted(DROPPED))
def test_an_infinite_derivative_outside_the_pattern_gives_the_rows_nan(by: str) -> None:
    f = DROPPED[by]
    finite = np.linspace(0.5, 2.0, 1602)
    singular = finite.copy()
    singular[1] = 0.0
    x = autojac.tensor(finite, requires_grad=True)
    chosen = compressed.plan(compressed.pattern((f(x),), (x,)))
    assert chosen is not None and chosen[0] == (by == "rows")
    with np.errstate(divide="ignore", invalid="ignore"):
        for values in (finite, finite, singular, singular, finite):  # replayed both ways
            x = autojac.tensor(values)
            expected = rows_jacobian(f, x)
            assert np.isnan(expected.numpy()[:, 1]).all() == (values is singular)
            assert_same(jacobian(f, x), expected)


class Square(autojac.autograd.Function):
    @staticmethod
    def forward(ctx, x):  # noqa: ANN001, ANN205
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001, ANN205
        (x,) = ctx.saved_tensors
        return 2 * x * g


def test_custom_functions_fall_back_or_raise() -> None:
    x = autojac.randn(300, dtype=autojac.float64)
    assert_same(jacobian(Square.apply, x), rows_jacobian(Square.apply, x))
    with pytest.raises(RuntimeError, match="custom autograd.Function"):
        autojac.sparse.jacobian_sparsity(Square.apply, x)


def test_sparse_jacobian_matches_the_dense_one_for_tuples() -> None:
    def f(x: autojac.Tensor, y: autojac.Tensor) -> tuple:
        return x.exp() * y.sum(), (x[:, None] * y[None, :]).sin()

    x, y = autojac.randn(5, dtype=autojac.float64), autojac.randn(4, dtype=autojac.float64)
    coloured = autojac.sparse.jacobian(f, (x, y))
    dense = jacobian(f, (x, y))
    joint = np.block([[b.numpy().reshape(o, -1) for b in row]
                      for row, o in zip(dense, (5, 20))])
    assert coloured.shape == (25, 9)
    np.testing.assert_allclose(coloured.toarray(), joint, rtol=1e-14, atol=0)


def test_sparse_rejects_non_tensors_with_pytorchs_wording() -> None:
    with pytest.raises(TypeError, match="The inputs given to jacobian_sparsity must be either"):
        autojac.sparse.jacobian_sparsity(pde, [1.0, 2.0])


def test_default_jacobian_agrees_with_torch_on_a_large_sparse_function() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    u = rng.standard_normal(300)

    def torch_pde(v):  # noqa: ANN001, ANN202
        z = torch.zeros(1, dtype=v.dtype)
        return torch.cat([z, v[:-1]]) - 2 * v + torch.cat([v[1:], z]) + v**3

    expected = torch.autograd.functional.jacobian(torch_pde, torch.tensor(u)).numpy()
    np.testing.assert_allclose(jacobian(pde, autojac.tensor(u)).numpy(), expected,
                               rtol=1e-15, atol=0)


def test_a_large_separable_hessian_is_coloured_too() -> None:
    x = autojac.randn(300, dtype=autojac.float64)

    def f(v: autojac.Tensor) -> autojac.Tensor:
        return (v**4).sum() + (v[1:] * v[:-1]).sum()

    got = autojac.autograd.functional.hessian(f, x)
    expected = np.diag(12 * x.numpy() ** 2) + np.eye(300, k=1) + np.eye(300, k=-1)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-14, atol=0)
    assert compressed.colour(*np.nonzero(expected), 300).max() + 1 == 3


def test_patterns_too_crowded_for_any_cheap_colouring_are_given_up_early() -> None:
    def f(x: autojac.Tensor, y: autojac.Tensor) -> tuple:
        return x.exp() * y.sum(), (x[:, None] * y[None, :]).sin()

    xs = (autojac.randn(50, dtype=autojac.float64).requires_grad_(),
          autojac.randn(40, dtype=autojac.float64).requires_grad_())
    outs = f(*xs)
    full = compressed.pattern(outs, xs)
    assert full is not None and full.rows.size == 50 * 41 + 2000 * 2
    # rows of 41 inputs, and 67 rows per input on average: 22 colours cannot do
    assert compressed.pattern(outs, xs, most=22) is None
    assert compressed.pattern(outs, xs, most=41) is not None
    assert_same(jacobian(f, xs), rows_jacobian(f, xs))


def test_outputs_are_coloured_on_their_own_when_another_one_is_dense() -> None:
    def f(x: autojac.Tensor, y: autojac.Tensor) -> tuple:
        return x.exp() * y.sum(), (x[:, None] * y[None, :]).sin()

    xs = (autojac.randn(50, dtype=autojac.float64).requires_grad_(),
          autojac.randn(40, dtype=autojac.float64).requires_grad_())
    [(which, _, by_rows, colours, _)] = compressed._planned(f(*xs), xs, None)
    assert which == (1,) and not by_rows and colours.max() + 1 == 2  # x's and y's columns
    for strategy in ("reverse-mode", "auto"):
        got = jacobian(f, tuple(x.detach() for x in xs), strategy=strategy)
        assert_same(got, rows_jacobian(f, tuple(x.detach() for x in xs)))


@pytest.fixture
def traced(monkeypatch) -> list:  # noqa: ANN001
    """One item per pattern traced, with no plans, verdicts or programs from before (a
    replayed Jacobian traces nothing)."""
    calls = []
    original = compressed.pattern

    def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(compressed, "pattern", counted)
    monkeypatch.setattr(replay, "_programs", {})
    monkeypatch.setattr(compressed, "_plans", type(compressed._plans)())
    monkeypatch.setattr(compressed, "_uncoloured", type(compressed._uncoloured)())
    return calls


def test_plans_are_reused_for_graphs_of_the_same_structure_only(traced: list) -> None:

    def permuted_squares(index: np.ndarray):  # noqa: ANN202
        return lambda x: x[index] ** 2

    x = autojac.randn(300, dtype=autojac.float64)
    first, second = np.arange(300)[::-1].copy(), np.roll(np.arange(300), 7)
    for index in (first, first, second, first):
        f = permuted_squares(index)
        assert_same(jacobian(f, x), rows_jacobian(f, x))
    assert len(traced) == 2  # once per distinct index array
    for n in (300, 300, 301):  # other values, same structure: reused; another size: not
        u = autojac.randn(n, dtype=autojac.float64)
        assert_same(jacobian(pde, u), rows_jacobian(pde, u))
    assert len(traced) == 4


@pytest.mark.parametrize("func", [pde, lambda x: (x.sin() * x + 1).tanh() ** 2],
                         ids=["tridiagonal", "diagonal"])
def test_sparse_jacobians_of_a_hundred_rows_are_coloured(func) -> None:  # noqa: ANN001
    x = autojac.randn(100, dtype=autojac.float64)
    xr = x.requires_grad_()
    out = func(xr)
    assert compressed.worth_trying((out,), (xr,))
    [(_, _, by_rows, colours, _)] = compressed._planned((out,), (xr,), structure((out,), (xr,)))
    assert by_rows and colours.max() + 1 <= 3  # (as many column colours: a tie goes to rows)
    for _ in range(3):  # eager, taped, replayed
        assert_same(jacobian(func, x.detach()), rows_jacobian(func, x.detach()))


def test_a_structure_whose_colouring_did_not_pay_is_not_traced_again(traced: list) -> None:
    n = 100
    u = autojac.randn(n, dtype=autojac.float64)
    dense = autojac.randn(n, n, dtype=autojac.float64)
    banded = autojac.tensor(np.eye(n) * -2 + np.eye(n, k=1) + np.eye(n, k=-1))
    for a in (dense, dense, dense, banded, banded):  # one structure; only a's zeros differ

        def f(v: autojac.Tensor, a: autojac.Tensor = a) -> autojac.Tensor:
            return a @ v.tanh()

        assert_same(jacobian(f, u), rows_jacobian(f, u))
        ur = u.detach().requires_grad_()
        assert not compressed.may_pay(structure((f(ur),), (ur,)))
    assert len(traced) == 1  # (the banded product's dense rows are still its Jacobian)


def test_products_with_banded_matrices_are_coloured_and_keyed_by_their_zeros() -> None:
    n = 400
    u = autojac.randn(n, dtype=autojac.float64)
    for k, colours in ((1, 3), (3, 4), (1, 3)):  # the plan for k=1 must not serve k=3
        a = autojac.tensor(np.eye(n) * -2 + np.eye(n, k=k) + np.eye(n, k=-k))

        def f(v: autojac.Tensor, a: autojac.Tensor = a) -> autojac.Tensor:
            return a @ v + v**3

        assert_same(jacobian(f, u), rows_jacobian(f, u))
        ur = u.detach().requires_grad_()
        out = f(ur)
        [(_, _, _, found, _)] = compressed._planned((out,), (ur,), structure((out,), (ur,)))
        assert found.max() + 1 == colours


def _exact_pattern(func, *shapes, forward: bool) -> None:  # noqa: ANN001
    xs = tuple(autojac.randn(*s, dtype=autojac.float64).requires_grad_() for s in shapes)
    pat = compressed.pattern((func(*xs),), xs, forward)
    found = np.zeros(pat.shape, dtype=bool)
    found[pat.rows, pat.cols] = True
    rows = rows_jacobian(func, tuple(x.detach() for x in xs))
    rows = rows if isinstance(rows, tuple) else (rows,)
    dense = np.concatenate([j.numpy().reshape(pat.shape[0], -1) for j in rows], axis=1)
    np.testing.assert_array_equal(found, dense != 0)


@pytest.mark.parametrize("forward", [True, False], ids=["forward", "backward"])
def test_batched_products_keep_their_block_and_stencil_patterns(forward: bool) -> None:
    stencil = autojac.tensor([[[1.0, -2.0, 1.0]]], dtype=autojac.float64)
    _exact_pattern(lambda u: autojac.nn.functional.conv1d(u.reshape(1, 1, -1), stencil,
                                                           padding=1).reshape(-1),
                   (9,), forward=forward)
    _exact_pattern(lambda a, x: (a @ x).reshape(-1), (3, 4, 4), (3, 4, 1), forward=forward)
    _exact_pattern(lambda a, y: (a @ y).reshape(-1), (1, 4, 5), (2, 1, 5, 3), forward=forward)
    _exact_pattern(lambda a, v: (a @ v).reshape(-1), (2, 3, 4), (4,), forward=forward)


def test_pattern_blocks_place_every_nonzero_in_its_block():
    rng = np.random.default_rng(3)
    row_starts, col_starts = np.array([0, 3, 3, 8]), np.array([0, 4, 6])  # an empty output
    joint = rng.random((8, 6)) < 0.4
    rows, cols = np.nonzero(joint)
    pat = compressed.Pattern(rows, cols, row_starts, col_starts)
    entries = rng.standard_normal(rows.size)
    expected = np.zeros((8, 6))
    expected[rows, cols] = entries
    seen = np.zeros(rows.size, dtype=int)
    for i, j, positions, which in pat.blocks:
        block = np.zeros((row_starts[i + 1] - row_starts[i], col_starts[j + 1] - col_starts[j]))
        block.reshape(-1)[positions] = entries[which]
        np.testing.assert_array_equal(
            block, expected[row_starts[i]:row_starts[i + 1], col_starts[j]:col_starts[j + 1]])
        seen[which] += 1
    assert (seen == 1).all()


def sines_and_cosines(x: autojac.Tensor) -> autojac.Tensor:
    """Two rows read each element: one column colour, two row colours."""
    return autojac.cat([x.sin(), x.cos()])


@pytest.mark.parametrize("by_rows", [False, True])
def test_a_reused_plan_keeps_read_only_seeds_per_dtype(by_rows: bool) -> None:
    compressed._plans.clear()
    f = exp_reducer if by_rows else sines_and_cosines
    shape = (48, 48) if by_rows else (500,)
    for dtype in (autojac.float64, autojac.float32, autojac.float64):  # one structure
        x = autojac.randn(*shape, dtype=dtype)
        assert_same(jacobian(f, x), rows_jacobian(f, x))
    [(_, _, found_by_rows, _, reuse)] = next(iter(compressed._plans.values()))
    assert found_by_rows is by_rows
    assert len(reuse.seeds) == 2 and reuse.read is not None
    for seeds in reuse.seeds.values():
        assert not any(s.flags.writeable for s in seeds)


@pytest.mark.parametrize("case", ["unused_input", "identity", "constant_output"])
def test_plans_are_keyed_by_the_shapes_of_inputs_and_outputs_no_op_reads(case: str) -> None:
    """A target no op reads, or an output that is a leaf, has its shape in no node: the
    plan kept for one size must not serve another (it used to give misplaced entries)."""
    rng = np.random.default_rng(0)
    for n in (10, 500, 10):
        if case == "unused_input":
            def f(y, x):  # noqa: ANN001, ANN202
                return x.reshape(300, 3).sum(1)
            xs = (autojac.tensor(rng.random(n)), autojac.tensor(rng.random(900)))
        elif case == "identity":
            def f(x):  # noqa: ANN001, ANN202
                return x
            xs = (autojac.tensor(rng.random(300 + n)),)
        else:
            c = autojac.ones(n)

            def f(x, c=c):  # noqa: ANN001, ANN202
                return c, x.repeat(3)
            xs = (autojac.tensor(rng.random(300)),)
        assert_same(jacobian(f, xs), rows_jacobian(f, xs))
