"""Ops whose results once differed from PyTorch's: writes at repeated indices, sigmoid's
tails, reductions' dtypes, gradients at the ends of a probability, and calls that PyTorch
takes (index lists, keywords, methods) and autojac refused."""

from __future__ import annotations

import numpy as np
import pytest

import autojac
from _torch_compat import import_torch, requires_torch


def _last_writes(size: int, index: list[int], src: list[float]) -> list[float]:
    """What writing ``src`` at ``index`` one element after another leaves in zeros."""
    out = [0.0] * size
    for i, v in zip(index, src):
        out[i] = v
    return out


@pytest.mark.parametrize("index", [[0, 0, 2], [2, 0, 2], [1, 1, 1], [0, 2, 0, 2, 0]])
def test_scatter_keeps_the_last_write_at_a_repeated_index(index: list[int]) -> None:
    src = [float(k + 1) for k in range(len(index))]
    idx = autojac.tensor(index)
    assert autojac.zeros(3).scatter(0, idx, autojac.tensor(src)).tolist() == _last_writes(
        3, index, src)
    assert autojac.zeros(3).scatter(0, idx, 2.5).tolist() == _last_writes(
        3, index, [2.5] * len(index))
    x = autojac.zeros(3)
    x.scatter_(0, idx, autojac.tensor(src))
    assert x.tolist() == _last_writes(3, index, src)


def test_scatter_keeps_the_last_write_along_dim_of_each_row() -> None:
    got = autojac.zeros(3, 2).scatter(
        0, autojac.tensor([[0, 0], [0, 0], [2, 1]]), autojac.arange(1.0, 7).reshape(3, 2))
    assert got.tolist() == [[3.0, 4.0], [0.0, 6.0], [5.0, 0.0]]


def test_scatter_gradients_are_pytorchs_at_repeated_indices() -> None:
    # PyTorch: grad_self = grad.scatter(dim, index, 0), grad_src = grad.gather(dim, index)
    x = autojac.zeros(3, requires_grad=True)
    src = autojac.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = x.scatter(0, autojac.tensor([0, 0, 2]), src)
    out.backward(autojac.tensor([1.0, 10.0, 100.0]))
    assert x.grad.tolist() == [0.0, 10.0, 0.0]
    assert src.grad.tolist() == [1.0, 1.0, 100.0]
    assert out.grad_fn.name() == "ScatterBackward0"
    assert x.scatter(0, autojac.tensor([1]), 2.0).grad_fn.name() == "ScatterBackward1"


def test_scatter_tangent_is_the_scatter_of_the_tangents() -> None:
    fwad = autojac.autograd.forward_ad
    with fwad.dual_level():
        x = fwad.make_dual(autojac.zeros(3), autojac.tensor([1.0, 2.0, 3.0]))
        src = fwad.make_dual(autojac.tensor([1.0, 2.0, 3.0]), autojac.tensor([10.0, 20.0, 30.0]))
        out = x.scatter(0, autojac.tensor([0, 0, 2]), src)
        assert fwad.unpack_dual(out).tangent.tolist() == [20.0, 2.0, 30.0]


def test_scatter_into_a_zero_dim_tensor() -> None:
    got = autojac.tensor(1.0).scatter(0, autojac.tensor(0), autojac.tensor(4.0))
    assert got.shape == () and got.item() == 4.0


@requires_torch
def test_scatter_at_random_repeated_indices_is_pytorchs() -> None:
    torch = import_torch()
    index = np.random.default_rng(0).integers(0, 5, (4, 50))
    src = np.arange(200.0).reshape(4, 50)
    for dim in (0, 1):
        want = torch.zeros(5, 50).double().scatter(
            dim, torch.tensor(index if dim else index[:, :5].T.copy()),
            torch.tensor(src if dim else src[:, :5].T.copy()))
        got = autojac.zeros(5, 50).double().scatter(
            dim, autojac.tensor(index if dim else index[:, :5].T.copy()),
            autojac.tensor(src if dim else src[:, :5].T.copy()))
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def _ulps(got: np.ndarray, want: np.ndarray) -> float:
    """The largest distance of ``got`` from ``want`` in units of ``want``'s last place."""
    spacing = np.maximum(np.spacing(np.abs(want)), np.finfo(want.dtype).smallest_subnormal)
    distance = np.abs(got.astype(np.float64) - want.astype(np.float64))
    return float(np.max(np.where(got == want, 0.0, distance / spacing)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_is_relatively_exact_far_below_zero(dtype: str) -> None:
    x = np.array([-10.0, -20.0, -30.0, -80.0], dtype=dtype)
    want = np.array([1 / (1 + np.exp(np.float64(-v))) for v in x]).astype(dtype)
    assert _ulps(autojac.sigmoid(autojac.tensor(x)).numpy(), want) <= 2


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["sigmoid", "silu"])
def test_sigmoid_and_silu_and_their_gradients_are_pytorchs(dtype: str, name: str) -> None:
    torch = import_torch()
    x = np.linspace(-100, 100, 20001).astype(dtype)
    results = []
    for lib in (torch, autojac):
        t = lib.tensor(x, requires_grad=True)
        y = lib.sigmoid(t) if name == "sigmoid" else lib.nn.functional.silu(t)
        y.sum().backward()
        results.append((y.detach().numpy(), t.grad.numpy()))
    (want, want_grad), (got, got_grad) = results
    assert _ulps(got, want) <= 4
    # (where the gradient's terms cancel, one ulp of sigmoid is many of the gradient)
    away = x < (0 if name == "sigmoid" else -2)
    assert _ulps(got_grad[away], want_grad[away]) <= 16


def test_sum_in_an_integer_dtype_casts_first_and_keeps_the_dtype() -> None:
    got = autojac.tensor([[1.5, 2.0]]).sum(dtype=autojac.int32)
    assert got.dtype == autojac.int32 and got.item() == 3
    wrapped = autojac.tensor([100, 100], dtype=autojac.int8).sum(dtype=autojac.int8)
    assert wrapped.dtype == autojac.int8 and wrapped.item() == 200 - 256
    assert autojac.tensor([0.0, -3.0]).sum(dtype=autojac.bool).item() is True
    assert autojac.tensor([0.0, -3.0]).prod(dtype=autojac.bool).item() is False


_DTYPE_REDUCTIONS = {
    "sum": lambda lib, x, d: x.sum(dtype=d),
    "sum_dim": lambda lib, x, d: x.sum(0, dtype=d),
    "prod": lambda lib, x, d: x.prod(dtype=d),
    "prod_dim": lambda lib, x, d: x.prod(1, dtype=d),
    "nansum": lambda lib, x, d: lib.nansum(x, 1, dtype=d),
    "cumsum": lambda lib, x, d: x.cumsum(1, dtype=d),
    "cumprod": lambda lib, x, d: x.cumprod(1, dtype=d),
}


@requires_torch
@pytest.mark.parametrize("name", list(_DTYPE_REDUCTIONS))
@pytest.mark.parametrize("dtype", ["int32", "bool", "int8", "uint8", "int16", "float32"])
def test_reductions_give_the_dtype_asked_for(name: str, dtype: str) -> None:
    torch = import_torch()
    data = [[[1.5, 2.0], [0.0, -3.0]], [[100, 100], [100, 3]], [[True, False], [True, True]]]
    for values, source in zip(data, ["float32", "int32", "bool"]):
        results = []
        for lib in (torch, autojac):
            x = lib.tensor(values, dtype=getattr(lib, source))
            try:
                out = _DTYPE_REDUCTIONS[name](lib, x, getattr(lib, dtype))
            except NotImplementedError as e:
                results.append(str(e))
            else:
                results.append((str(out.dtype).split(".")[-1], out.tolist()))
        assert results[1] == results[0]


@pytest.mark.parametrize("reduce", ["all", "any"])
@pytest.mark.parametrize("dim", [(), []])
def test_all_and_any_over_no_dims_reduce_nothing(reduce: str, dim: tuple | list) -> None:
    x = autojac.tensor([[0.0, 2.0], [3.0, 0.0]])
    for keepdim in (False, True):
        got = getattr(x, reduce)(dim=dim, keepdim=keepdim)
        assert got.dtype == autojac.bool and got.tolist() == [[False, True], [True, False]]


@pytest.mark.parametrize("reduce", ["all", "any"])
def test_all_and_any_of_uint8_are_uint8(reduce: str) -> None:
    x = autojac.tensor([[0, 2], [3, 1]], dtype=autojac.uint8)
    got = getattr(autojac, reduce)(x, 1)
    assert got.dtype == autojac.uint8
    assert got.tolist() == ([0, 1] if reduce == "all" else [1, 1])


def _bce_at_the_ends() -> tuple[autojac.Tensor, autojac.Tensor, autojac.Tensor]:
    p = autojac.tensor([0.0, 1.0, 1.0, 0.0, 0.3], dtype=autojac.float64, requires_grad=True)
    y = autojac.tensor([0.0, 1.0, 0.0, 1.0, 0.4], dtype=autojac.float64, requires_grad=True)
    return p, y, autojac.nn.functional.binary_cross_entropy(p, y)


def test_binary_cross_entropy_gradient_is_finite_at_zero_and_one() -> None:
    # PyTorch's backward: g (x - y) / max(x (1 - x), float32(1e-12)), here g = 1/5 (the mean)
    p, y, loss = _bce_at_the_ends()
    assert loss.item() == pytest.approx((100 + 100 - 0.4 * np.log(0.3) - 0.6 * np.log(0.7)) / 5)
    (grad,) = autojac.autograd.grad(loss, p)
    floor = float(np.float32(1e-12))
    np.testing.assert_allclose(grad.numpy(), [0, 0, 0.2 / floor, -0.2 / floor, -0.1 / 0.21 / 5])


def test_binary_cross_entropy_second_derivatives_are_pytorchs_formulas() -> None:
    p, y, loss = _bce_at_the_ends()
    grad_p, grad_y = autojac.autograd.grad(loss, (p, y), create_graph=True)
    np.testing.assert_allclose(grad_y.detach().numpy()[-1], -np.log(0.3 / 0.7) / 5)
    assert grad_y.detach().numpy()[:4].tolist() == [np.inf, -np.inf, -np.inf, np.inf]
    pp, py = autojac.autograd.grad(grad_p.sum(), (p, y))
    # (x^2 - 2xy + y) / ((x + eps)^2 (1 - x + eps)^2) / 5 and -1 / max(x (1 - x), eps) / 5
    np.testing.assert_allclose(pp.numpy(), [0, 0, 2e23, 2e23, (0.09 - 0.24 + 0.4) / 0.21**2 / 5])
    np.testing.assert_allclose(py.numpy(), [-2e11] * 4 + [-1 / 0.21 / 5])


@requires_torch
def test_binary_cross_entropy_derivatives_are_pytorchs() -> None:
    torch = import_torch()
    found = []
    for lib in (torch, autojac):
        p = lib.tensor([0.0, 1.0, 1.0, 0.0, 0.3, 0.9], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([0.0, 1.0, 0.0, 1.0, 0.4, 0.2], dtype=lib.float64, requires_grad=True)
        loss = lib.nn.functional.binary_cross_entropy(p, y, reduction="sum")
        grad_p, grad_y = lib.autograd.grad(loss, (p, y), create_graph=True)
        found.append([loss, grad_p, grad_y, *lib.autograd.grad((grad_p * lib.arange(6.0)).sum(),
                                                                (p, y))])
    for got, want in zip(found[1], found[0]):
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_over_only_ignored_targets_is_nan_with_zero_gradient(
        label_smoothing: float) -> None:
    x = autojac.tensor([[0.1, 0.2, -1.0], [2.0, 0.0, 1.0]], requires_grad=True)
    loss = autojac.nn.functional.cross_entropy(x, autojac.tensor([-100, -100]),
                                               label_smoothing=label_smoothing)
    loss.backward()
    assert np.isnan(loss.item())
    assert x.grad.tolist() == [[0.0] * 3] * 2


def test_one_element_tensors_in_a_list_are_numbers() -> None:
    assert autojac.tensor([autojac.tensor([1.0]), autojac.tensor([2.0])]).shape == (2,)
    assert autojac.tensor([autojac.tensor([[1.0]]), 2.5]).tolist() == [1.0, 2.5]
    assert autojac.tensor([[autojac.tensor([1.0])], [autojac.tensor(2.0)]]).shape == (2, 1)
    with pytest.raises(ValueError, match="only one element tensors"):
        autojac.tensor([autojac.tensor([1.0, 2.0])])


def test_a_uint8_index_is_a_mask_with_a_deprecation_warning() -> None:
    m = autojac.tensor([[1, 2], [3, 4]])
    with pytest.warns(UserWarning, match="indexing with dtype autojac.uint8 is now deprecated"):
        assert m[autojac.tensor([1, 0], dtype=autojac.uint8)].tolist() == [[1, 2]]
    with pytest.warns(UserWarning):
        assert m[autojac.tensor([[2, 0], [0, 1]], dtype=autojac.uint8)].tolist() == [1, 4]
    with pytest.warns(UserWarning):
        m[autojac.tensor([0, 1], dtype=autojac.uint8)] = autojac.tensor([7, 8])
    assert m.tolist() == [[1, 2], [7, 8]]


def test_filling_through_a_uint8_mask_and_selecting_by_one_raise_pytorchs_errors() -> None:
    m = autojac.tensor([[1, 2], [3, 4]])
    with pytest.raises(RuntimeError, match="^masked_fill_ only supports boolean masks, but got "
                                           "mask with dtype unsigned char$"):
        m[autojac.tensor([1, 0], dtype=autojac.uint8)] = 0
    for mask in (autojac.tensor([1, 0], dtype=autojac.uint8), autojac.tensor([1, 0])):
        with pytest.raises(RuntimeError, match="^masked_select: expected BoolTensor for mask$"):
            autojac.masked_select(m, mask)


def test_an_empty_list_indexes_nothing() -> None:
    x = autojac.zeros(3, 2, requires_grad=True)
    assert x[[]].shape == (0, 2)
    assert x[[], 0].shape == (0,) and x[:, []].shape == (3, 0)
    x[[]].sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0]] * 3
    y = autojac.ones(3, 2)
    y[[]] = 5.0
    assert y.tolist() == [[1.0, 1.0]] * 3


@pytest.mark.parametrize("name", ["add", "sub"])
def test_alpha_scales_in_the_result_dtype(name: str) -> None:
    got = getattr(autojac, name)(autojac.tensor(1.5, dtype=autojac.float64),
                                 autojac.tensor([1, 2]), alpha=0.5)
    assert got.dtype == autojac.float64
    assert got.tolist() == ([2.0, 2.5] if name == "add" else [1.0, 0.5])
    x = autojac.tensor([1.0, 2.0], requires_grad=True)
    out = getattr(autojac, name)(autojac.tensor(1.5, dtype=autojac.float64), x, alpha=0.5)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == autojac.float32


def test_slogdet_sign_tracks_gradients_with_none_flowing_back() -> None:
    a = autojac.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    sign, logabsdet = autojac.linalg.slogdet(a)
    assert sign.requires_grad and sign.grad_fn.name() == "LinalgSlogdetBackward0"
    assert autojac.autograd.grad(sign, a, allow_unused=True) == (None,)
    sign, logabsdet = autojac.linalg.slogdet(a)
    (grad,) = autojac.autograd.grad(sign + logabsdet, a)
    np.testing.assert_allclose(grad.numpy(), np.linalg.inv([[2.0, 1.0], [1.0, 3.0]]).T)
    assert autojac.linalg.slogdet(autojac.eye(2, requires_grad=True))[0].requires_grad


def test_complex_slogdet_sign_gradient_is_its_phase_derivative() -> None:
    # sign = det / |det|; with g = 1 on Re(sign): -i Im(sign) inv(A)^H
    a = np.array([[2.0 + 1.0j, 1.0], [1.0, 3.0]])
    x = autojac.tensor(a, requires_grad=True)
    sign, _ = autojac.linalg.slogdet(x)
    (grad,) = autojac.autograd.grad(sign.real, x)
    d = np.linalg.det(a)
    np.testing.assert_allclose(grad.numpy(), -1j * (d / abs(d)).imag * np.linalg.inv(a).conj().T)


@pytest.mark.parametrize("divide", [
    lambda x: x // 0, lambda x: x % 0, lambda x: autojac.remainder(x, 0),
    lambda x: x.div(0, rounding_mode="floor"), lambda x: x.div(0, rounding_mode="trunc"),
])
def test_integer_division_of_no_elements_by_zero_gives_no_elements(divide) -> None:
    got = divide(autojac.tensor([], dtype=autojac.int64))
    assert got.shape == (0,) and got.dtype == autojac.int64
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        divide(autojac.tensor([1], dtype=autojac.int64))


def test_truncated_division_by_a_bool_and_of_mixed_signs() -> None:
    assert autojac.tensor([5, -3]).div(True, rounding_mode="trunc").tolist() == [5, -3]
    got = autojac.tensor([-5, 3, 7, -7]).div(autojac.tensor([2, -2, 2, -2]), rounding_mode="trunc")
    assert got.tolist() == [-2, -1, 3, 3]


def test_in_looks_for_an_equal_element() -> None:
    x = autojac.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert 2.0 in x and 5 not in x and autojac.tensor(4.0) in x and True in x
    assert float("nan") not in autojac.tensor([float("nan")])
    with pytest.raises(RuntimeError, match="only supports Tensor or scalar"):
        _ = "a" in x


_UNARY_IN_PLACE = ["exp2", "expm1", "log2", "log10", "log1p", "rsqrt", "tan", "asin", "acos",
                   "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "erf", "erfc", "trunc"]


@pytest.mark.parametrize("name", _UNARY_IN_PLACE)
def test_unary_ops_have_in_place_methods(name: str) -> None:
    x = autojac.tensor([1.5, 1.25]) if name == "acosh" else autojac.tensor([0.5, 0.25])
    want = getattr(x, name)().tolist()
    assert getattr(x, name + "_")() is x
    assert x.tolist() == want


def test_matrix_methods_and_transposes_of_zero_dim_tensors() -> None:
    x = autojac.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.det().item() == pytest.approx(-2.0)
    assert x.inverse().tolist() == pytest.approx(np.linalg.inv(x.numpy()))
    assert x.slogdet().logabsdet.item() == pytest.approx(np.log(2.0))
    scalar = autojac.tensor(2.0)
    with pytest.warns(UserWarning, match="Tensor.mT is deprecated on 0-D tensors"):
        assert scalar.mT is scalar
    with pytest.warns(UserWarning, match="Tensor.mH is deprecated on 0-D tensors"):
        assert autojac.tensor(1 + 2j).mH.item() == 1 - 2j
    with pytest.raises(RuntimeError, match="tensor.mH is only supported on matrices"):
        _ = autojac.tensor([1.0]).mH


def test_norm_with_no_p_is_the_frobenius_norm() -> None:
    x = autojac.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.norm(None).item() == pytest.approx(np.sqrt(30.0))
    assert autojac.norm(x, None, 1).tolist() == pytest.approx([np.sqrt(5.0), 5.0])


_KEYWORDS = {
    "reshape": lambda lib, x: x.reshape(shape=(4,)),
    "view": lambda lib, x: x.view(size=(4,)),
    "expand": lambda lib, x: x[0].expand(size=(2, 2)),
    "repeat": lambda lib, x: x.repeat(repeats=(1, 2)),
    "broadcast_to": lambda lib, x: lib.broadcast_to(x[0], size=(2, 2)),
    "permute": lambda lib, x: x.permute(dims=(1, 0)),
    "flip": lambda lib, x: lib.flip(x, dims=(0,)),
    "max_other": lambda lib, x: lib.max(x, other=x.flip(0)),
    "dot": lambda lib, x: lib.dot(x[0], tensor=x[1]),
    "pinv": lambda lib, x: lib.linalg.pinv(x, rcond=1e-3),
    "sum": lambda lib, x: x.sum(axis=0),
    "mean": lambda lib, x: lib.mean(x, axis=1),
    "std": lambda lib, x: x.std(axis=0),
    "max": lambda lib, x: lib.max(x, axis=0).values,
    "argmax": lambda lib, x: x.argmax(axis=1),
    "amax": lambda lib, x: lib.amax(x, axis=0),
    "any": lambda lib, x: (x > 2).any(axis=0),
    "cat": lambda lib, x: lib.cat([x, x], axis=1),
    "concatenate": lambda lib, x: lib.concatenate([x, x], axis=1),
}


@requires_torch
@pytest.mark.parametrize("name", list(_KEYWORDS))
def test_pytorchs_keyword_names_are_taken(name: str) -> None:
    torch = import_torch()
    want, got = (_KEYWORDS[name](lib, lib.tensor([[1.0, 2.0], [3.0, 4.0]]))
                 for lib in (torch, autojac))
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_einsum_takes_the_sublist_form() -> None:
    a, b = autojac.tensor([[1.0, 2.0], [3.0, 4.0]]), autojac.tensor([1.0, 2.0])
    assert autojac.einsum(a, [0, 1], b, [1], [0]).tolist() == [5.0, 11.0]
    assert autojac.einsum(a, [0, 1], b, [1]).tolist() == [5.0, 11.0]
    assert autojac.einsum(a, [..., 1], b, [1], [...]).tolist() == [5.0, 11.0]
    assert autojac.einsum(a, [27, 0], [0, 27]).tolist() == a.mT.tolist()


def test_einsum_gradients_through_a_diagonal() -> None:
    """x[i, i, j] b[j, k] -> out[i, k]: x's gradient lies on its diagonal, G b^T there."""
    rng = np.random.default_rng(3)
    x_, b_, g_ = rng.standard_normal((3, 3, 2)), rng.standard_normal((2, 4)), \
        rng.standard_normal((3, 4))
    x, b = autojac.tensor(x_, requires_grad=True), autojac.tensor(b_, requires_grad=True)
    gx, gb = autojac.autograd.grad(autojac.einsum("iij,jk->ik", x, b), (x, b),
                                   autojac.tensor(g_))
    expected = np.zeros((3, 3, 2))
    expected[np.arange(3), np.arange(3)] = g_ @ b_.T
    np.testing.assert_allclose(gx.numpy(), expected, rtol=1e-14)
    np.testing.assert_allclose(gb.numpy(), np.einsum("iij,ik->jk", x_, g_), rtol=1e-14)
    trace = autojac.tensor(x_[..., 0], requires_grad=True)
    (gt,) = autojac.autograd.grad(autojac.einsum("ii", trace), trace)
    np.testing.assert_array_equal(gt, np.eye(3))


@requires_torch
@pytest.mark.parametrize("equation, shapes", [
    ("ii->i", [(3, 3)]), ("iij->j", [(3, 3, 2)]), ("ijij->ij", [(2, 3, 2, 3)]),
    ("iii->i", [(3, 3, 3)]), ("ii,i->", [(3, 3), (3,)]),
    # size-1 dims broadcast against the other operands'
    ("ii,i->i", [(1, 1), (3,)]), ("ii,i->", [(1, 1), (3,)]), ("ij,jk->ik", [(2, 1), (3, 4)]),
    ("bij,bjk->bik", [(1, 2, 3), (4, 3, 2)]),
])
def test_einsum_derivatives_through_diagonals_and_broadcasts_are_pytorchs(
        equation: str, shapes: list) -> None:
    torch = import_torch()
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(s) for s in shapes]

    def grads(lib: object) -> list:
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = lib.einsum(equation, *xs)
        first = lib.autograd.grad((out * out).sum(), xs, create_graph=True)
        second = lib.autograd.grad(sum(g.sum() for g in first), xs)
        return [g.detach().numpy() for g in (*first, *second)]

    for mine, theirs in zip(grads(autojac), grads(torch)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-13, atol=1e-15)
    jac = autojac.autograd.functional.jacobian
    for _ in range(3):  # (eager, taped, replayed)
        for vectorize in (False, True):
            mine = jac(lambda *z: autojac.einsum(equation, *z),
                       tuple(autojac.tensor(a) for a in arrays), vectorize=vectorize)
            theirs = torch.autograd.functional.jacobian(
                lambda *z: torch.einsum(equation, *z), tuple(torch.tensor(a) for a in arrays))
            for m, t in zip(mine, theirs):
                np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3)])
def test_full_svd_is_differentiated_through_its_reduced_part(shape: tuple) -> None:
    a = np.random.default_rng(5).standard_normal(shape)
    k = min(shape)

    def loss(full: bool, A: autojac.Tensor) -> autojac.Tensor:
        U, S, Vh = autojac.linalg.svd(A, full_matrices=full)
        return (U[:, :k] ** 4).sum() + (S * S).sum() + (Vh[:k] ** 4).sum()  # (sign-free)

    def grad(full: bool) -> np.ndarray:
        A = autojac.tensor(a, requires_grad=True)
        (g,) = autojac.autograd.grad(loss(full, A), A)
        return g.numpy()

    np.testing.assert_allclose(grad(True), grad(False), rtol=1e-12)
    fw = autojac.autograd.forward_ad
    with fw.dual_level():
        dual = fw.make_dual(autojac.tensor(a), autojac.ones(shape, dtype=autojac.float64))
        full = [fw.unpack_dual(t).tangent for t in autojac.linalg.svd(dual)]
        reduced = [fw.unpack_dual(t).tangent
                   for t in autojac.linalg.svd(dual, full_matrices=False)]
    np.testing.assert_allclose(full[0][:, :k], reduced[0], rtol=1e-12)
    np.testing.assert_array_equal(full[0][:, k:], 0)  # (PyTorch's: no tangent beyond)
    np.testing.assert_allclose(full[2][:k], reduced[2], rtol=1e-12)
    np.testing.assert_array_equal(full[2][k:], 0)


@requires_torch
def test_full_svd_gradient_is_pytorchs() -> None:
    torch = import_torch()
    a = np.random.default_rng(6).standard_normal((3, 5))

    def grad(lib: object) -> np.ndarray:
        A = lib.tensor(a, requires_grad=True)
        U, S, Vh = lib.linalg.svd(A)
        ((U ** 4).sum() + (Vh[:3] ** 4).sum() + S.sum()).backward()
        return A.grad.numpy()

    np.testing.assert_allclose(grad(autojac), grad(torch), rtol=1e-10)


def test_qr_modes_without_a_derivative_raise_pytorchs_errors_in_backward() -> None:
    tall = autojac.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    Q, R = autojac.linalg.qr(tall, mode="r")
    assert Q.shape == (0,)
    np.testing.assert_allclose(R.detach().numpy(), np.linalg.qr(tall.detach().numpy(), "r"))
    with pytest.raises(RuntimeError, match="depends on Q, which is not computed when mode='r'"):
        R.sum().backward()
    Q, R = autojac.linalg.qr(tall, mode="complete")
    assert Q.shape == (3, 3)
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows "
                                           "> ncols"):
        R.sum().backward()
    wide = autojac.tensor([[1.0, 2.0, 0.5], [3.0, 4.0, -1.0]], dtype=autojac.float64,
                          requires_grad=True)
    Q, R = autojac.linalg.qr(wide, mode="complete")  # (the reduced QR: Q is square)
    (g,) = autojac.autograd.grad((Q @ R).sum(), wide)
    np.testing.assert_allclose(g.numpy(), np.ones((2, 3)), rtol=1e-12)


@pytest.mark.parametrize("call", [
    lambda x: x.argmax(dim=(0,)), lambda x: x.max(dim=[0]), lambda x: x.cumsum(dim=None),
    lambda x: x.argmin(dim=0.5), lambda x: x.softmax((0,)),
])
def test_a_dim_that_is_not_an_int_is_a_type_error_naming_it(call) -> None:
    with pytest.raises(TypeError, match=r"argument 'dim' must be int, not (tuple|list|NoneType|"
                                        r"float)$"):
        call(autojac.ones(2, 3))


def test_binary_cross_entropy_takes_a_target_of_the_inputs_dtype_only() -> None:
    p = autojac.tensor([0.2, 0.7], dtype=autojac.float64)
    for target, name in ((autojac.tensor([0.0, 1.0]), "Float"), (autojac.tensor([0, 1]), "Long")):
        with pytest.raises(RuntimeError, match=f"^Found dtype {name} but expected Double$"):
            autojac.nn.functional.binary_cross_entropy(p, target)


@pytest.mark.parametrize("other", [None, "a", [1.0, 1.0], (1.0, 3.0), object()])
def test_equality_operators_with_what_is_not_a_number_compare_identity(other) -> None:
    """PyTorch's ``==`` and ``!=`` give Python's answer for operands that are neither
    tensors nor numbers (``eq()`` itself refuses them)."""
    x = autojac.ones(2)
    assert (x == other) is False and (x != other) is True
    np.testing.assert_array_equal(x == 1, [True, True])
