"""Hypothesis: random broadcastable shapes and short random compositions of ops; every
Jacobian mode (row loop, vectorized, chunked, forward, forward loop, auto) must agree, and
agree with PyTorch when it is installed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autojac
from autojac.autograd.functional import jacobian

UNARY = {
    "sin": lambda lib, x: x.sin(),
    "tanh": lambda lib, x: x.tanh(),
    "sigmoid": lambda lib, x: x.sigmoid(),
    "square": lambda lib, x: x * x,
    "atan": lambda lib, x: lib.atan(x),
    "gauss": lambda lib, x: (-x * x).exp(),
    "softplus": lambda lib, x: lib.logaddexp(x, lib.zeros_like(x)),
}
BINARY = {
    "add": lambda lib, x, y: x + y,
    "mul": lambda lib, x, y: x * y,
    "sub": lambda lib, x, y: x - 2.0 * y,
    "div": lambda lib, x, y: x / (1.5 + y.sin()),
}

programs = st.tuples(
    mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    st.lists(st.sampled_from(sorted(UNARY)), min_size=1, max_size=3),
    st.sampled_from(sorted(BINARY)),
    st.lists(st.sampled_from(sorted(UNARY)), min_size=0, max_size=2),
    st.one_of(st.none(), st.integers(-1, 2)),
    st.booleans(),
)


def _build(program):
    (shapes, _), before, binary, after, reduce_dim, tuple_out = program

    def f(lib, x, y):
        for name in before:
            x = UNARY[name](lib, x)
        z = BINARY[binary](lib, x, y)
        for name in after:
            z = UNARY[name](lib, z)
        if reduce_dim is not None and z.dim() > 0:
            z = z.sum(reduce_dim % z.dim())
        return (z, x * 2) if tuple_out else z

    return shapes, f


def _flat(jac):
    if isinstance(jac, tuple):
        return [a for j in jac for a in _flat(j)]
    return [np.asarray(jac.detach().numpy() if hasattr(jac, "detach") else jac)]


@settings(max_examples=60, deadline=None)
@given(programs, st.integers(0, 2**31 - 1))
def test_every_jacobian_mode_agrees(program, seed):
    shapes, f = _build(program)
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-1.5, 1.5, s) for s in shapes]
    inputs = tuple(autojac.tensor(a) for a in arrays)

    def fn(x, y):
        return f(autojac, x, y)

    reference = _flat(jacobian(fn, inputs))
    modes = [
        dict(vectorize=True),
        dict(vectorize=True, chunk_size=2),
        dict(strategy="forward-mode", vectorize=True),
        dict(strategy="forward-mode"),
        dict(strategy="forward-mode", vectorize=True, chunk_size=3),
        dict(strategy="auto"),
        dict(strategy="auto", vectorize=True, chunk_size=1),
    ]
    for kw in modes:
        got = _flat(jacobian(fn, inputs, **kw))
        assert len(got) == len(reference)
        for g, r in zip(got, reference):
            assert g.shape == r.shape, kw
            np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12, err_msg=str(kw))
    try:
        import torch
    except ImportError:
        return
    tin = tuple(torch.tensor(a) for a in arrays)
    expected = _flat(
        torch.autograd.functional.jacobian(lambda x, y: f(torch, x, y), tin, vectorize=True)
    )
    for g, e in zip(reference, expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_modes_keep_dtypes(dtype):
    x = autojac.ones(3, dtype=getattr(autojac, dtype))
    for kw in ({}, dict(vectorize=True), dict(strategy="forward-mode"), dict(strategy="auto")):
        assert jacobian(lambda v: v.sin(), x, **kw).dtype == x.dtype


@pytest.mark.parametrize("index", [0, (slice(None), 1), [0, 2]], ids=["int", "slice", "list"])
def test_a_hessian_through_a_create_graph_jacobian_of_an_index(index):
    """The index's rule, applied to batched cotangents of batched cotangents: f(x) sums the
    squares of J = d(y[index] ** 2)/dy, so H = 8 on the diagonal of the indexed entries."""
    from autojac.autograd.functional import hessian

    x = np.arange(1.0, 7.0).reshape(3, 2) / 7
    h = hessian(lambda x: (jacobian(lambda y: y[index] ** 2, x, create_graph=True) ** 2).sum(),
                autojac.tensor(x))
    picked = np.zeros((3, 2))
    picked[index] = 1
    np.testing.assert_allclose(h._data, 8 * np.diag(picked.ravel()).reshape(3, 2, 3, 2))
