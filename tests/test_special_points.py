"""Values, vjps, jvps and second derivatives of every op sample at kinks, bounds, ties,
zeros, NaN and infinities, against PyTorch's (recorded in golden/special_points.json; see
special_points.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autojac
from _torch_compat import import_torch
from golden_cases import by_case, errors_match, expected
from op_table import Sample
from special_points import cases, derivatives


@by_case(cases())
def test_derivatives_at_special_points_are_pytorchs(sample: Sample, variant: str) -> None:
    record = expected("special_points.json", sample, variant)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (NumPy's, at the NaNs and infinities)
        found = derivatives(autojac, sample, variant)
    if errors_match(found, record):
        return
    assert found.keys() == record.keys()
    for key, want in record.items():
        got = found[key]
        for g, w in zip(*((got, want) if key.startswith("vjp") else ([got], [want]))):
            np.testing.assert_allclose(g, np.array(w, dtype=float), rtol=1e-6, atol=1e-12,
                                       err_msg=key)


# ops that pick one of two operands: PyTorch keeps the first where they tie, so -0.0 and 0.0
# (equal) keep their own signs; NumPy's maximum and minimum keep the second, its fmax and
# fmin either, by the array's size
PICKS = {
    "maximum": lambda lib, x, y: lib.maximum(x, y),
    "minimum": lambda lib, x, y: lib.minimum(x, y),
    "fmax": lambda lib, x, y: lib.fmax(x, y),
    "fmin": lambda lib, x, y: lib.fmin(x, y),
    "clamp_min_tensor": lambda lib, x, y: lib.clamp(x, min=y),
    "clamp_max_tensor": lambda lib, x, y: lib.clamp(x, max=y),
    "clamp_min": lambda lib, x, y: x.clamp(min=0.0),
    "clamp_max": lambda lib, x, y: x.clamp(max=-0.0),
    "clamp_both": lambda lib, x, y: x.clamp(0.0, 1.0),
    "relu": lambda lib, x, y: x.relu(),
}


@pytest.mark.parametrize("name", sorted(PICKS))
@pytest.mark.parametrize("size", [3, 64])  # (NumPy's scalar and SIMD loops)
@pytest.mark.parametrize("first", [-0.0, 0.0])
def test_an_op_that_picks_keeps_its_first_operand_on_ties(name: str, size: int,
                                                          first: float) -> None:
    x = autojac.full((size,), first, dtype=autojac.float64)
    y = autojac.full((size,), -first, dtype=autojac.float64)  # equal, of the other sign
    got = PICKS[name](autojac, x, y).numpy()
    assert (got == 0).all() and (np.signbit(got) == np.signbit(first)).all()


@pytest.mark.parametrize("name", sorted(PICKS))
def test_picks_on_ties_are_pytorchs(name: str) -> None:
    torch = import_torch()
    values = np.array([-0.0, 0.0, -0.0, 0.0, np.nan, 1.0, -1.0])
    other = np.array([0.0, -0.0, -0.0, 0.0, 1.0, np.nan, -1.0])
    got = PICKS[name](autojac, autojac.tensor(values), autojac.tensor(other)).numpy()
    want = PICKS[name](torch, torch.tensor(values), torch.tensor(other)).numpy()
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("op", ["prod", "cumprod"])
def test_the_gradient_of_a_product_at_an_infinite_element_is_pytorchs(op: str) -> None:
    x = autojac.tensor([2.0, np.inf, 3.0], requires_grad=True)
    y = x.prod() if op == "prod" else x.cumprod(0).sum()
    (g,) = autojac.autograd.grad(y, x)
    assert np.isnan(g.numpy()[1])  # PyTorch 2.13: NaN there (result / x)


@pytest.mark.parametrize(("op", "shape", "dim"), [
    ("prod", (5,), None), ("prod", (3, 4), 1), ("prod", (4, 3), 0), ("prod", (2, 3, 4), -1),
    ("prod", (2, 3), None), ("cumprod", (5,), 0), ("cumprod", (3, 4), 1),
    ("cumprod", (4, 3), 0), ("cumprod", (2, 3, 4), -2)])
def test_products_and_their_gradients_are_pytorchs(op: str, shape: tuple, dim: int) -> None:
    """Bit for bit, with and without zeros (PyTorch's formulas, sequential products)."""
    torch = import_torch()
    rng = np.random.default_rng(1)
    for k in range(20):
        values = rng.uniform(0.5, 1.5, shape)
        values.flat[rng.integers(values.size, size=k % 3)] = 0.0  # (none, one or two zeros)
        found = []
        for lib in (autojac, torch):
            x = lib.tensor(values, requires_grad=True)
            y = x.prod() if dim is None else getattr(x, op)(dim)
            (g,) = lib.autograd.grad(y, x, lib.tensor(np.linspace(-1.0, 2.0, y.numel())
                                                     .reshape(tuple(y.shape))))
            found.append((y.detach().numpy(), g.numpy()))
        for got, want in zip(*found):
            np.testing.assert_array_equal(got, want)


def test_a_whole_product_with_two_zeros_has_pytorchs_zero_gradient() -> None:
    """PyTorch's prod_backward: zeros (not the cotangent times zero) for a whole product
    with several zeros, unless the derivative's graph is recorded."""
    x = autojac.tensor([0.0, 2.0, 0.0], requires_grad=True)
    nan = autojac.tensor(np.nan)
    (g,) = autojac.autograd.grad(x.prod(), x, nan)
    assert g.tolist() == [0.0, 0.0, 0.0]
    (g,) = autojac.autograd.grad(x.prod(), x, nan, create_graph=True)
    assert np.isnan(g.detach().numpy()).all()  # the products of the others, times NaN


@pytest.mark.parametrize("op", ["prod", "cumprod"])
def test_replayed_product_gradients_follow_where_the_zeros_are(op: str) -> None:
    """Whether a row holds a zero decides the rule: a replayed Jacobian tests it again."""
    rng = np.random.default_rng(0)
    for k in range(8):  # (taped at the second call, without zeros, and replayed after)
        values = rng.uniform(0.5, 2.0, (3, 4))
        if k in (2, 5):
            values[1, 2] = 0.0
        if k in (3, 6):
            values[0, 1] = values[0, 2] = values[2, 3] = 0.0
        got = autojac.autograd.functional.jacobian(lambda x: getattr(x, op)(1),
                                                   autojac.tensor(values)).numpy()
        for r, row in enumerate(values):  # d out[r, i] / d x[r, j]: the others' product
            ends = [3] if op == "prod" else range(4)
            block = got[r, :, r] if op == "cumprod" else got[r, r][None]
            want = [[np.prod(np.delete(row[:i + 1], j)) if j <= i else 0.0 for j in range(4)]
                    for i in ends]
            np.testing.assert_allclose(block, want, rtol=1e-15)
