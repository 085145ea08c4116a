"""Every name API.md lists exists, where PyTorch has it (module function and/or method),
and every differentiable op is covered by the op sample table."""

from __future__ import annotations

import numpy as np
import pytest

import autojac
from api_names import (
    AUTOGRAD,
    CREATION,
    FORWARD_AD,
    FUNC,
    FUNCTIONAL,
    LINALG,
    NN_FUNCTIONAL,
    OPS,
    TENSOR_ATTRIBUTES,
    TESTING,
)
from op_table import SAMPLES

NAMESPACES = [
    (autojac, CREATION),
    (autojac.autograd, AUTOGRAD),
    (autojac.autograd.functional, FUNCTIONAL),
    (autojac.autograd.forward_ad, FORWARD_AD),
    (autojac.func, FUNC),
    (autojac.linalg, LINALG),
    (autojac.nn.functional, NN_FUNCTIONAL),
    (autojac.testing, TESTING),
    (autojac.Tensor, TENSOR_ATTRIBUTES),
]


@pytest.mark.parametrize("module,names", NAMESPACES, ids=lambda v: getattr(v, "__name__", ""))
def test_namespace_has_every_listed_name(module, names):
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"{module.__name__} lacks {missing}"


@pytest.mark.parametrize("name", OPS)
def test_op_is_a_function_and_method_where_torch_has_them(name):
    assert hasattr(autojac, name) or hasattr(autojac.Tensor, name), name
    torch = pytest.importorskip("torch")
    if hasattr(torch, name) and not name.startswith("_"):
        assert hasattr(autojac, name), f"autojac.{name} missing (torch.{name} exists)"
    if hasattr(torch.Tensor, name):
        assert hasattr(autojac.Tensor, name), f"Tensor.{name} missing"


NOT_DIFFERENTIABLE = {"argmax", "argmin", "all", "any", "floor_divide"}
ALIASES = {
    "true_divide": "div",
    "clip": "clamp",
    "concat": "cat",
    "swapaxes": "transpose",
    "contiguous": "clone",
    "view_as": "reshape",
    "min": "min_dim_keepdim",
    "max": "max_all",
    "norm": "norm",
    "vdot": "dot",
    "inner": "matmul_dot",
    "expand_as": "expand_as",
    "masked_fill": "masked_fill",
    "broadcast_to": "broadcast_to",
}


@pytest.mark.parametrize(
    "name", OPS + [f"linalg.{n}" for n in LINALG] + [f"nn.{n}" for n in NN_FUNCTIONAL]
)
def test_every_differentiable_op_is_in_the_sample_table(name):
    base = name.split(".")[-1]
    if base in NOT_DIFFERENTIABLE or base == "dropout":
        pytest.skip("not differentiable / random")
    names = {s.name for s in SAMPLES}
    target = ALIASES.get(base, base)
    assert any(
        n == target
        or n.startswith(target + "_")
        or n.startswith(base)
        or n.startswith("matmul_" + base)
        or n.startswith("svd")
        and base == "svd"
        or n.startswith(f"{base}2")
        for n in names
    ), f"{name} has no sample"


def test_missing_names_raise_attribute_error_naming_them():
    with pytest.raises(AttributeError, match="no_such_op"):
        autojac.no_such_op  # noqa: B018
    with pytest.raises(AttributeError, match="no_such_method"):
        autojac.ones(2).no_such_method()


# calls with PyTorch's keyword names, each with the same call made positionally
KEYWORD_CALLS = {
    "pow": (lambda T, x: T.pow(input=x, exponent=2), lambda T, x: T.pow(x, 2)),
    "Tensor.pow": (lambda T, x: x.pow(exponent=3), lambda T, x: x.pow(3)),
    "sum": (lambda T, x: T.sum(input=x, dim=1, keepdim=True), lambda T, x: T.sum(x, 1, True)),
    "clamp": (lambda T, x: T.clamp(input=x, min=0.2, max=0.6), lambda T, x: T.clamp(x, 0.2, 0.6)),
    "where": (lambda T, x: T.where(condition=x > 0.5, input=x, other=-x),
              lambda T, x: T.where(x > 0.5, x, -x)),
    "cat": (lambda T, x: T.cat(tensors=[x, x], dim=1), lambda T, x: T.cat([x, x], 1)),
    "matmul": (lambda T, x: T.matmul(input=x, other=x.t()), lambda T, x: T.matmul(x, x.t())),
    "transpose": (lambda T, x: x.transpose(dim0=0, dim1=1), lambda T, x: x.transpose(0, 1)),
    "linalg.norm": (lambda T, x: T.linalg.norm(input=x, ord=2, dim=1),
                    lambda T, x: T.linalg.norm(x, 2, 1)),
    "linalg.vector_norm": (lambda T, x: T.linalg.vector_norm(x=x, ord=1, dim=0, keepdim=True),
                           lambda T, x: T.linalg.vector_norm(x, 1, 0, True)),
    "std": (lambda T, x: T.std(input=x, dim=0, correction=0, keepdim=True),
            lambda T, x: T.std(x, 0, keepdim=True, unbiased=False)),
    "softmax": (lambda T, x: T.softmax(input=x, dim=1), lambda T, x: T.softmax(x, 1)),
    "zeros": (lambda T, x: T.zeros(size=(2, 3)), lambda T, x: T.zeros(2, 3)),
    "new_ones": (lambda T, x: x.new_ones(size=(2,)), lambda T, x: x.new_ones(2)),
    "full": (lambda T, x: T.full(size=(2,), fill_value=1.5), lambda T, x: T.full((2,), 1.5)),
}


def _keyword_arg(T):
    return T.tensor([[0.1, 0.9, 0.4], [0.7, 0.3, 0.5]], dtype=T.float64)


@pytest.mark.parametrize("name", list(KEYWORD_CALLS))
def test_pytorchs_keyword_names(name):
    by_keyword, by_position = KEYWORD_CALLS[name]
    x = _keyword_arg(autojac)
    np.testing.assert_array_equal(by_keyword(autojac, x).numpy(), by_position(autojac, x).numpy())


@pytest.mark.parametrize("name", list(KEYWORD_CALLS))
def test_keyword_names_are_pytorchs(name):
    torch = pytest.importorskip("torch")
    by_keyword, _ = KEYWORD_CALLS[name]
    expected = by_keyword(torch, _keyword_arg(torch)).numpy()
    np.testing.assert_allclose(by_keyword(autojac, _keyword_arg(autojac)).numpy(), expected,
                               rtol=1e-15)
