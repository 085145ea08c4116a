"""Every name API.md lists exists, where PyTorch has it (module function and/or method),
and every differentiable op is covered by the op sample table."""

from __future__ import annotations

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
