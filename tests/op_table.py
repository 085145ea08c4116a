"""The op sample table: every differentiable op with sample inputs (like PyTorch's OpInfo).

Each sample's ``fn(lib, *tensors)`` is written once in PyTorch style and runs with
``lib = autojac`` or ``lib = torch``. The generic tests in ``test_op_table.py`` run over
this table, so an op is covered the moment it has a sample here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# domains: how to draw values so the op is smooth around them
DOMAINS: dict[str, Callable[[np.random.Generator, tuple], np.ndarray]] = {
    "real": lambda r, s: r.uniform(-2, 2, s),
    "pos": lambda r, s: r.uniform(0.5, 2.0, s),
    "unit": lambda r, s: r.uniform(-0.8, 0.8, s),
    "gt1": lambda r, s: r.uniform(1.5, 3.0, s),
    "away0": lambda r, s: r.choice([-1, 1], s) * r.uniform(0.2, 2.0, s),
    "small": lambda r, s: r.uniform(-0.5, 0.5, s),
}


@dataclass
class Sample:
    """One sample: ``name`` of the op, how to call it, and its inputs' shapes/domains."""

    name: str
    fn: Callable[..., Any]
    shapes: tuple[tuple[int, ...], ...]
    domain: str | tuple[str, ...] = "real"
    second_order: bool = True
    tags: set[str] = field(default_factory=set)

    @property
    def id(self) -> str:
        shapes = "_".join("x".join(map(str, s)) or "scalar" for s in self.shapes)
        return f"{self.name}-{shapes}"

    def arrays(self, dtype: Any, seed: int = 0) -> list[np.ndarray]:
        rng = np.random.default_rng(seed + sum(map(ord, self.id)))
        doms = self.domain if isinstance(self.domain, tuple) else (self.domain,) * len(self.shapes)
        return [np.asarray(DOMAINS[d](rng, s), dtype=dtype) for d, s in zip(doms, self.shapes)]

    def complex_arrays(self) -> list[np.ndarray]:
        """complex128 inputs: the float64 ones with imaginary parts in [-0.3, 0.3]."""
        rng = np.random.default_rng(11 + sum(map(ord, self.id)))
        return [a + 0.3j * rng.uniform(-1, 1, a.shape) for a in self.arrays(np.float64)]


def _unary(
    name: str,
    domain: str = "real",
    method: bool = True,
    shapes=((3, 4), (), (5,)),
    second_order: bool = True,
) -> list[Sample]:
    if method:
        fn = lambda lib, x, _n=name: getattr(x, _n)()  # noqa: E731
    else:
        fn = lambda lib, x, _n=name: getattr(lib, _n)(x)  # noqa: E731
    return [Sample(name, fn, (s,), domain, second_order) for s in shapes]


SAMPLES: list[Sample] = []
for _name, _dom in [
    ("exp", "real"),
    ("exp2", "real"),
    ("expm1", "real"),
    ("log", "pos"),
    ("log2", "pos"),
    ("log10", "pos"),
    ("log1p", "pos"),
    ("sqrt", "pos"),
    ("rsqrt", "pos"),
    ("square", "real"),
    ("reciprocal", "away0"),
    ("sin", "real"),
    ("cos", "real"),
    ("tan", "unit"),
    ("asin", "unit"),
    ("acos", "unit"),
    ("atan", "real"),
    ("sinh", "real"),
    ("cosh", "real"),
    ("tanh", "real"),
    ("asinh", "real"),
    ("acosh", "gt1"),
    ("atanh", "unit"),
    ("sigmoid", "real"),
    ("erf", "real"),
    ("erfc", "real"),
    ("abs", "away0"),
    ("relu", "away0"),
    ("neg", "real"),
]:
    SAMPLES += _unary(_name, _dom)
for _name in ("sign", "floor", "ceil", "trunc", "round"):
    SAMPLES += _unary(_name, "away0", shapes=((3, 4),))

_BROADCAST_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (3,)), ((5,), ())]
for _name, _fn, _dom in [
    ("add", lambda lib, x, y: x + y, "real"),
    ("sub", lambda lib, x, y: x - y, "real"),
    ("mul", lambda lib, x, y: x * y, "real"),
    ("div", lambda lib, x, y: x / y, ("real", "away0")),
    ("pow", lambda lib, x, y: x**y, ("pos", "real")),
    ("atan2", lambda lib, x, y: lib.atan2(x, y), ("away0", "away0")),
    ("hypot", lambda lib, x, y: lib.hypot(x, y), ("away0", "away0")),
    ("logaddexp", lambda lib, x, y: lib.logaddexp(x, y), "real"),
    ("maximum", lambda lib, x, y: lib.maximum(x, y), "real"),
    ("minimum", lambda lib, x, y: lib.minimum(x, y), "real"),
    ("fmax", lambda lib, x, y: lib.fmax(x, y), "real"),
    ("fmin", lambda lib, x, y: lib.fmin(x, y), "real"),
    ("remainder", lambda lib, x, y: lib.remainder(x, y), ("real", "pos")),
]:
    SAMPLES += [Sample(_name, _fn, shapes, _dom) for shapes in _BROADCAST_PAIRS]
for _mode in ("floor", "trunc"):  # (a zero derivative, as the rounding unaries')
    SAMPLES += [Sample(f"div_{_mode}", lambda lib, x, y, m=_mode: lib.div(x, y, rounding_mode=m),
                       shapes, ("away0", "away0")) for shapes in (((3, 4), (4,)), ((5,), ()))]

SAMPLES += [
    Sample("add_scalar", lambda lib, x: 2.5 + x - 1, ((3,),)),
    Sample("rsub_scalar", lambda lib, x: 1 - x, ((3,),)),
    Sample("mul_scalar", lambda lib, x: 3 * x * 0.5, ((2, 3),)),
    Sample("rdiv_scalar", lambda lib, x: 2 / x, ((3,),), "away0"),
    Sample("pow_scalar", lambda lib, x: x**3, ((4,),)),
    Sample("pow_scalar_frac", lambda lib, x: x**1.5, ((4,),), "pos"),
    Sample("rpow_scalar", lambda lib, x: 2**x, ((4,),)),
    Sample("where", lambda lib, x, y: lib.where(x > 0, x, y), ((3, 4), (4,)), "away0"),
    Sample("where_scalar", lambda lib, x: lib.where(x > 0, x, 0.0), ((3, 4),), "away0"),
    Sample("clamp", lambda lib, x: lib.clamp(x, -0.5, 0.7), ((3, 4),), "real"),
    Sample("clamp_min", lambda lib, x: x.clamp(min=0.1), ((5,),), "real"),
    Sample("clamp_tensor", lambda lib, x, lo: lib.clamp(x, min=lo), ((3, 4), (4,)), "real"),
    Sample("clamp_tensor_max", lambda lib, x, hi: lib.clamp(x, max=hi), ((3, 4), (4,)), "real"),
    Sample(  # bounds that cross in places (clamp gives max there)
        "clamp_tensors", lambda lib, x, lo, hi: lib.clamp(x, lo, hi), ((3, 4), (4,), (3, 1))),
    Sample("lerp", lambda lib, x, y: lib.lerp(x, y, 0.3), ((3,), (3,))),
    Sample("masked_fill", lambda lib, x: x.masked_fill(x > 0.5, 0.0), ((3, 4),), "away0"),
    Sample("nan_to_num", lambda lib, x: lib.nan_to_num(x), ((3,),)),
    # reductions
    Sample("sum", lambda lib, x: x.sum(), ((3, 4),)),
    Sample("sum_dim", lambda lib, x: x.sum(dim=1), ((3, 4),)),
    Sample("sum_dims_keepdim", lambda lib, x: x.sum(dim=(0, -1), keepdim=True), ((2, 3, 4),)),
    Sample("sum_scalar", lambda lib, x: x.sum(), ((),)),
    Sample("mean", lambda lib, x: x.mean(), ((3, 4),)),
    Sample("mean_dim", lambda lib, x: x.mean(-1, keepdim=True), ((3, 4),)),
    Sample("amax", lambda lib, x: lib.amax(x, dim=0), ((3, 4),)),
    Sample("amin_all", lambda lib, x: lib.amin(x, dim=(0, 1)), ((3, 4),)),
    Sample("max_all", lambda lib, x: x.max(), ((3, 4),)),
    Sample("max_dim", lambda lib, x: x.max(dim=1).values, ((3, 4),)),
    Sample("min_dim_keepdim", lambda lib, x: x.min(dim=0, keepdim=True)[0], ((3, 4),)),
    Sample("logsumexp", lambda lib, x: lib.logsumexp(x, dim=1), ((3, 4),)),
    Sample("var", lambda lib, x: x.var(dim=1), ((3, 4),)),
    Sample("std_all", lambda lib, x: x.std(), ((3, 4),)),
    Sample("var_correction0", lambda lib, x: lib.var(x, dim=0, correction=0), ((3, 4),)),
    Sample("cumsum", lambda lib, x: lib.cumsum(x, dim=1), ((3, 4),)),
    Sample("cummax", lambda lib, x: lib.cummax(x, 1).values, ((3, 4),)),
    Sample("cummin", lambda lib, x: x.cummin(0)[0], ((3, 4),)),
    Sample("nansum", lambda lib, x: lib.nansum(x, 1), ((3, 4),)),
    Sample("nanmean", lambda lib, x: x.nanmean(), ((3, 4),)),
    # sorting and differences
    Sample("sort", lambda lib, x: lib.sort(x).values, ((3, 4),)),
    Sample("sort_descending", lambda lib, x: x.sort(0, descending=True)[0], ((3, 4),)),
    Sample("msort", lambda lib, x: lib.msort(x), ((4, 3),)),
    Sample("topk", lambda lib, x: lib.topk(x, 2).values, ((3, 4),)),
    Sample("topk_smallest", lambda lib, x: x.topk(2, dim=0, largest=False)[0], ((3, 4),)),
    Sample("diff", lambda lib, x: lib.diff(x), ((3, 4),)),
    Sample("diff_twice_joined", lambda lib, x, y: lib.diff(x, 2, 0, prepend=y, append=y),
           ((3, 4), (1, 4))),
    Sample("trapezoid", lambda lib, y: lib.trapezoid(y, dx=0.5), ((3, 4),)),
    Sample("trapezoid_points", lambda lib, y, x: lib.trapezoid(y, x, dim=0), ((3, 4), (3,))),
    Sample("cdist", lambda lib, x, y: lib.cdist(x, y), ((3, 4), (2, 4))),
    Sample("cdist_p1_batched", lambda lib, x, y: lib.cdist(x, y, p=1), ((2, 3, 4), (2, 2, 4))),
    Sample("cdist_p3", lambda lib, x, y: lib.cdist(x, y, p=3.0), ((3, 4), (2, 4))),
    Sample("cdist_p0", lambda lib, x, y: lib.cdist(x, y, p=0.0), ((3, 4), (2, 4))),
    Sample("cdist_pinf", lambda lib, x, y: lib.cdist(x, y, p=float("inf")), ((3, 4), (2, 4))),
    # products
    Sample("matmul_mm", lambda lib, x, y: x @ y, ((3, 4), (4, 2))),
    Sample("matmul_mv", lambda lib, x, y: x @ y, ((3, 4), (4,))),
    Sample("matmul_vm", lambda lib, x, y: x @ y, ((4,), (4, 2))),
    Sample("matmul_dot", lambda lib, x, y: x @ y, ((4,), (4,))),
    Sample("matmul_bmm", lambda lib, x, y: x @ y, ((2, 3, 4), (2, 4, 5))),
    Sample("matmul_broadcast", lambda lib, x, y: x @ y, ((2, 3, 4), (4, 5))),
    Sample("matmul_broadcast2", lambda lib, x, y: x @ y, ((3, 4), (2, 4, 5))),
    Sample("matmul_vb", lambda lib, x, y: x @ y, ((4,), (2, 4, 5))),
    Sample("matmul_bv", lambda lib, x, y: x @ y, ((2, 3, 4), (4,))),
    Sample("mm", lambda lib, x, y: lib.mm(x, y), ((2, 3), (3, 2))),
    Sample("mv", lambda lib, x, y: lib.mv(x, y), ((2, 3), (3,))),
    Sample("dot", lambda lib, x, y: lib.dot(x, y), ((3,), (3,))),
    Sample("outer", lambda lib, x, y: lib.outer(x, y), ((3,), (2,))),
    Sample("bmm", lambda lib, x, y: lib.bmm(x, y), ((2, 2, 3), (2, 3, 2))),
    # shapes
    Sample("reshape", lambda lib, x: x.reshape(4, 3), ((3, 4),)),
    Sample("view", lambda lib, x: x.view(-1), ((3, 4),)),
    Sample("flatten", lambda lib, x: x.flatten(1), ((2, 3, 4),)),
    Sample("unflatten", lambda lib, x: x.unflatten(1, (2, 2)), ((3, 4),)),
    Sample("squeeze", lambda lib, x: x.squeeze(), ((3, 1, 4),)),
    Sample("squeeze_dim", lambda lib, x: x.squeeze(1), ((3, 1, 4),)),
    Sample("unsqueeze", lambda lib, x: x.unsqueeze(-1), ((3, 4),)),
    Sample("transpose", lambda lib, x: x.transpose(0, 2), ((2, 3, 4),)),
    Sample("t", lambda lib, x: x.t(), ((3, 4),)),
    Sample("T", lambda lib, x: x.T, ((3, 4),)),
    Sample("mT", lambda lib, x: x.mT, ((2, 3, 4),)),
    Sample("permute", lambda lib, x: x.permute(2, 0, 1), ((2, 3, 4),)),
    Sample("movedim", lambda lib, x: lib.movedim(x, 0, -1), ((2, 3, 4),)),
    Sample("expand", lambda lib, x: x.expand(2, 3, 4), ((3, 1),)),
    Sample("expand_as", lambda lib, x, y: x.expand_as(y) * y, ((4,), (3, 4))),
    Sample("broadcast_to", lambda lib, x: lib.broadcast_to(x, (2, 3)), ((3,),)),
    Sample("cat", lambda lib, x, y: lib.cat([x, y], dim=1), ((2, 3), (2, 2))),
    Sample("cat0", lambda lib, x, y: lib.cat((x, y)), ((2, 3), (1, 3))),
    Sample("stack", lambda lib, x, y: lib.stack([x, y], dim=1), ((2, 3), (2, 3))),
    Sample("hstack", lambda lib, x, y: lib.hstack([x, y]), ((3,), (2,))),
    Sample("vstack", lambda lib, x, y: lib.vstack([x, y]), ((3,), (2, 3))),
    Sample("split", lambda lib, x: x.split(2, dim=1)[1], ((3, 5),)),
    Sample("chunk", lambda lib, x: x.chunk(2)[0] * 2, ((4, 3),)),
    Sample("unbind", lambda lib, x: x.unbind(1)[2], ((3, 4),)),
    Sample("narrow", lambda lib, x: x.narrow(1, 1, 2), ((3, 4),)),
    Sample("select", lambda lib, x: x.select(0, -1), ((3, 4),)),
    Sample("flip", lambda lib, x: lib.flip(x, (0, 1)), ((3, 4),)),
    Sample("roll", lambda lib, x: lib.roll(x, 1, 0), ((3, 4),)),
    Sample("repeat", lambda lib, x: x.repeat(2, 3), ((2, 2),)),
    Sample("repeat_new_dims", lambda lib, x: x.repeat(2, 1, 3), ((2, 2),)),
    Sample("tile", lambda lib, x: lib.tile(x, (2,)), ((3,),)),
    Sample("clone", lambda lib, x: x.clone(), ((3,),)),
    Sample("to_float64", lambda lib, x: x.to(lib.float64) * 2, ((3,),)),
    # indexing
    Sample("index_int", lambda lib, x: x[1], ((3, 4),)),
    Sample("index_slice", lambda lib, x: x[:, 1:3], ((3, 4),)),
    Sample("index_step", lambda lib, x: x[::2, 1::2], ((4, 4),)),
    Sample("index_none_ellipsis", lambda lib, x: x[None, ..., 0], ((2, 3, 4),)),
    Sample("index_list", lambda lib, x: x[[0, 2, 0]], ((3, 4),)),
    Sample("index_tensor_2d", lambda lib, x: x[lib.tensor([[0, 1], [1, 1]])], ((3, 4),)),
    Sample("index_adv_pair", lambda lib, x: x[[0, 1, 1], [2, 0, 2]], ((3, 4),)),
    Sample("index_adv_split", lambda lib, x: x[[0, 1], :, [1, 0]], ((2, 3, 4),)),
    Sample("index_mask", lambda lib, x: x[x > 0], ((3, 4),), "away0"),
    Sample("index_mask_row", lambda lib, x: x[lib.tensor([True, False, True])], ((3, 4),)),
    Sample(
        "gather", lambda lib, x: lib.gather(x, 1, lib.tensor([[0, 0], [1, 0], [3, 2]])), ((3, 4),)
    ),
    Sample(  # an index smaller than the input along the other dim: only its part is read
        "gather_smaller_index",
        lambda lib, x: lib.gather(x, 0, lib.tensor([[2, 0], [1, 1]])),
        ((3, 4),),
    ),
    Sample(
        "take_along_dim",
        lambda lib, x: lib.take_along_dim(x, lib.tensor([[1], [0], [2]]), 1),
        ((3, 4),),
    ),
    Sample(  # along a dim, PyTorch takes indices modulo its size
        "take_along_dim_wrapped",
        lambda lib, x: lib.take_along_dim(x, lib.tensor([[-1], [4], [-6]]), 1),
        ((3, 4),),
    ),
    Sample("index_select", lambda lib, x: lib.index_select(x, 1, lib.tensor([2, 0, 2])), ((3, 4),)),
    Sample("take", lambda lib, x: lib.take(x, lib.tensor([[0, 5], [11, 5]])), ((3, 4),)),
    Sample(
        "masked_select",
        lambda lib, x: lib.masked_select(x, lib.tensor([True, False, True, True])),
        ((3, 4),),
    ),
    Sample(
        "index_add",
        lambda lib, x, s: x.index_add(0, lib.tensor([0, 2, 0]), s, alpha=2.0),
        ((3, 4), (3, 4)),
    ),
    Sample(
        "scatter_add",
        lambda lib, x, s: lib.scatter_add(x, 1, lib.tensor([[0, 1, 0], [3, 3, 2]]), s),
        ((2, 4), (2, 3)),
    ),
    Sample(
        "scatter",
        lambda lib, x, s: lib.scatter(x, 0, lib.tensor([[1, 0, 2, 0]]), s),
        ((3, 4), (1, 4)),
    ),
    Sample(
        "scatter_value",
        lambda lib, x: x.scatter(1, lib.tensor([[0], [2], [1]]), value=2.0),
        ((3, 4),),
    ),
    Sample("setitem", lambda lib, x, v: _setitem(lib, x, v), ((3, 4), (4,))),
    Sample("setitem_scalar", lambda lib, x: _setitem(lib, x, 1.5), ((3, 4),)),
]


def _setitem(lib: Any, x: Any, v: Any) -> Any:
    out = x * 1
    out[1] = v
    out[:, 0] = 0.0 if not hasattr(v, "shape") else v[0]
    return out


def _eye(lib: Any, n: int, like: Any) -> Any:
    return lib.eye(n, dtype=like.dtype)


def _tall_eye(lib: Any, like: Any) -> Any:
    """3 I over zeros, to keep a tall matrix well conditioned."""
    rows, cols = like.shape
    return lib.cat([3 * _eye(lib, cols, like), lib.zeros(rows - cols, cols, dtype=like.dtype)])


def _sym(lib: Any, m: Any) -> Any:
    return (m + m.mH) / 2


def _spd(lib: Any, m: Any) -> Any:
    return m @ m.mH + 3 * _eye(lib, m.shape[-1], m)


SAMPLES += [
    # nn.functional
    Sample("softmax", lambda lib, x: lib.softmax(x, dim=1), ((3, 4),)),
    Sample("softmax_neg_dim", lambda lib, x: x.softmax(-1), ((2, 3, 4),)),
    Sample("log_softmax", lambda lib, x: lib.log_softmax(x, dim=0), ((3, 4),)),
    Sample("hardtanh", lambda lib, x: lib.nn.functional.hardtanh(x, -0.5, 0.7), ((3, 4),)),
    Sample("leaky_relu", lambda lib, x: lib.nn.functional.leaky_relu(x, 0.1), ((3, 4),), "away0"),
    Sample("elu", lambda lib, x: lib.nn.functional.elu(x), ((3, 4),), "away0"),
    Sample("gelu", lambda lib, x: lib.nn.functional.gelu(x), ((3, 4),)),
    Sample("gelu_tanh", lambda lib, x: lib.nn.functional.gelu(x, approximate="tanh"), ((3, 4),)),
    Sample("silu", lambda lib, x: lib.nn.functional.silu(x), ((3, 4),)),
    Sample("softplus", lambda lib, x: lib.nn.functional.softplus(x, beta=2.0), ((3, 4),)),
    Sample("logsigmoid", lambda lib, x: lib.nn.functional.logsigmoid(x), ((3, 4),)),
    Sample("normalize", lambda lib, x: lib.nn.functional.normalize(x, dim=1), ((3, 4),)),
    Sample(
        "linear", lambda lib, x, w, b: lib.nn.functional.linear(x, w, b), ((2, 3), (4, 3), (4,))
    ),
    Sample("relu6", lambda lib, x: lib.nn.functional.relu6(x * 4), ((3, 4),)),
    Sample("hardsigmoid", lambda lib, x: lib.nn.functional.hardsigmoid(x * 4), ((3, 4),),
           second_order=False),  # (PyTorch cannot differentiate its gradient)
    Sample("hardswish", lambda lib, x: lib.nn.functional.hardswish(x * 4), ((3, 4),)),
    Sample("softsign", lambda lib, x: lib.nn.functional.softsign(x), ((3, 4),), "away0"),
    Sample("selu", lambda lib, x: lib.nn.functional.selu(x), ((3, 4),), "away0"),
    Sample("celu", lambda lib, x: lib.nn.functional.celu(x, 0.5), ((3, 4),), "away0"),
    Sample("mish", lambda lib, x: lib.nn.functional.mish(x), ((3, 4),)),
    Sample("softmin", lambda lib, x: lib.nn.functional.softmin(x, 1), ((3, 4),)),
    Sample("glu", lambda lib, x: lib.nn.functional.glu(x, 0), ((4, 3),)),
    Sample("smooth_l1_loss", lambda lib, x, y: lib.nn.functional.smooth_l1_loss(
        x, y, reduction="none", beta=0.7), ((3, 4), (3, 4))),
    Sample("huber_loss", lambda lib, x, y: lib.nn.functional.huber_loss(x, y, delta=0.8),
           ((3, 4), (3, 4)), tags={"no_forward_over_reverse"}),  # (PyTorch's backward has none)
    Sample("cosine_similarity", lambda lib, x, y: lib.nn.functional.cosine_similarity(x, y),
           ((3, 4), (1, 4))),
    Sample("layer_norm", lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (4,), w, b),
           ((3, 4), (4,), (4,))),
    Sample("mse_loss", lambda lib, x, y: lib.nn.functional.mse_loss(x, y), ((3, 4), (3, 4))),
    Sample(
        "l1_loss_sum",
        lambda lib, x, y: lib.nn.functional.l1_loss(x, y, reduction="sum"),
        ((3, 4), (3, 4)),
        "away0",
    ),
    Sample(
        "cross_entropy",
        lambda lib, x: lib.nn.functional.cross_entropy(x, lib.tensor([0, 3, 1])),
        ((3, 4),),
    ),
    Sample(  # PyTorch's smoothing: weighted, zero at the ignored target, averaged over the rest
        "cross_entropy_smoothed_ignored",
        lambda lib, x: lib.nn.functional.cross_entropy(
            x, lib.tensor([[0, -100, 2], [3, 1, 1]]),
            weight=lib.tensor([0.5, 1.0, 2.0, 1.5], dtype=x.dtype), label_smoothing=0.2),
        ((2, 4, 3),),
    ),
    Sample(
        "cross_entropy_probs",
        lambda lib, x, p: lib.nn.functional.cross_entropy(x, p.softmax(1)),
        ((3, 4), (3, 4)),
    ),
    Sample(
        "nll_loss",
        lambda lib, x: lib.nn.functional.nll_loss(
            x.log_softmax(1), lib.tensor([1, 0, 2]), reduction="sum"
        ),
        ((3, 4),),
    ),
    Sample(
        "bce_with_logits",
        lambda lib, x, y: lib.nn.functional.binary_cross_entropy_with_logits(x * 5, y.sigmoid()),
        ((3, 4), (3, 4)),
    ),
    Sample(
        "bce_with_logits_weighted",
        lambda lib, x, y: lib.nn.functional.binary_cross_entropy_with_logits(
            x * 5, y.sigmoid(), weight=lib.tensor([0.5, 1.0, 2.0, 1.5], dtype=x.dtype),
            pos_weight=lib.tensor([2.0, 0.5, 1.0, 3.0], dtype=x.dtype), reduction="sum"),
        ((3, 4), (3, 4)),
    ),
    Sample(
        "binary_cross_entropy",
        lambda lib, x, y: lib.nn.functional.binary_cross_entropy(x.sigmoid(), y.sigmoid()),
        ((3, 4), (3, 4)),
    ),
    Sample(
        "conv1d",
        lambda lib, x, w, b: lib.nn.functional.conv1d(x, w, b, padding=1),
        ((2, 3, 7), (4, 3, 3), (4,)),
    ),
    Sample(
        "conv1d_stride_dil",
        lambda lib, x, w: lib.nn.functional.conv1d(x, w, stride=2, dilation=2),
        ((1, 2, 9), (3, 2, 2)),
    ),
    Sample(
        "conv2d",
        lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, stride=(2, 1), padding=1),
        ((2, 2, 5, 4), (3, 2, 3, 2), (3,)),
    ),
    Sample(
        "conv2d_groups",
        lambda lib, x, w: lib.nn.functional.conv2d(x, w, groups=2),
        ((1, 4, 4, 4), (2, 2, 2, 2)),
    ),
    Sample(  # an even kernel: the extra zero of "same" padding goes after, as in PyTorch
        "conv2d_same_even_kernel",
        lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding="same", dilation=(1, 2)),
        ((1, 2, 5, 6), (3, 2, 2, 3)),
    ),
    # tensor algebra
    Sample("einsum_mm", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), ((2, 3), (3, 4))),
    Sample(
        "einsum_batch_ellipsis",
        lambda lib, a, b: lib.einsum("...ij,...jk", a, b),
        ((2, 2, 3), (3, 2)),
    ),
    Sample("einsum_outer_sum", lambda lib, a, b: lib.einsum("i,j->", a, b), ((3,), (2,))),
    Sample("einsum_broadcast_dim", lambda lib, a: lib.einsum("ij->j", a), ((3, 4),)),
    Sample(
        "einsum_three",
        lambda lib, a, b, c: lib.einsum("ij,jk,k->i", a, b, c),
        ((2, 3), (3, 4), (4,)),
    ),
    Sample(
        "tensordot",
        lambda lib, a, b: lib.tensordot(a, b, dims=([1, 2], [0, 1])),
        ((2, 3, 4), (3, 4, 2)),
    ),
    Sample("kron", lambda lib, a, b: lib.kron(a, b), ((2, 3), (2, 2))),
    Sample("trace", lambda lib, a: lib.trace(a), ((3, 3),)),
    Sample("diag_vector", lambda lib, a: lib.diag(a, 1), ((3,),)),
    Sample("diag_matrix", lambda lib, a: lib.diag(a, -1), ((3, 4),)),
    Sample("diagonal", lambda lib, a: lib.diagonal(a, 1, 0, 2), ((3, 2, 4),)),
    Sample("diag_embed", lambda lib, a: lib.diag_embed(a), ((2, 3),)),
    Sample("tril", lambda lib, a: lib.tril(a), ((3, 4),)),
    Sample("triu", lambda lib, a: lib.triu(a, 1), ((3, 4),)),
    Sample("cross", lambda lib, a, b: lib.cross(a, b, dim=1), ((2, 3), (2, 3))),
    Sample("prod_all", lambda lib, a: lib.prod(a), ((2, 3),)),
    Sample("prod_dim", lambda lib, a: a.prod(1, keepdim=True), ((3, 5),)),
    Sample("prod_with_zero", lambda lib, a: (a * lib.tensor([1.0, 0.0, 1.0])).prod(1), ((2, 3),)),
    Sample("cumprod", lambda lib, a: lib.cumprod(a, 1), ((2, 5),)),
    Sample("vector_norm2", lambda lib, a: lib.linalg.vector_norm(a), ((3, 4),)),
    Sample(
        "vector_norm3_dim", lambda lib, a: lib.linalg.vector_norm(a, 3, dim=1), ((3, 4),), "away0"
    ),
    Sample("vector_norm_inf", lambda lib, a: lib.linalg.vector_norm(a, float("inf"), 0), ((3, 4),)),
    Sample("vector_norm_0", lambda lib, a: lib.linalg.vector_norm(a, 0, 1, keepdim=True),
           ((3, 4),)),
    Sample("matrix_norm_fro", lambda lib, a: lib.linalg.matrix_norm(a), ((2, 3, 4),)),
    Sample("matrix_norm_1", lambda lib, a: lib.linalg.matrix_norm(a, 1), ((3, 4),), "away0"),
    Sample("matrix_norm_nuc", lambda lib, a: lib.linalg.matrix_norm(a, "nuc"), ((3, 4),)),
    Sample("matrix_norm_2", lambda lib, a: lib.linalg.matrix_norm(a, 2), ((3, 3),)),
    Sample("norm", lambda lib, a: lib.norm(a, dim=1), ((3, 4),)),
    Sample("linalg_norm", lambda lib, a: lib.linalg.norm(a), ((3, 4),)),
    # decompositions
    Sample("inv", lambda lib, a: lib.linalg.inv(a + 3 * _eye(lib, 3, a)), ((3, 3),)),
    Sample("inv_batched", lambda lib, a: lib.linalg.inv(a + 3 * _eye(lib, 3, a)), ((2, 3, 3),)),
    Sample("det", lambda lib, a: lib.linalg.det(a), ((3, 3),)),
    Sample("det_batched", lambda lib, a: lib.det(a), ((2, 2, 2),)),
    Sample("slogdet", lambda lib, a: lib.linalg.slogdet(a)[1], ((3, 3),)),
    Sample(
        "solve_vector",
        lambda lib, a, b: lib.linalg.solve(a + 3 * _eye(lib, 3, a), b),
        ((3, 3), (3,)),
    ),
    Sample(
        "solve_matrix",
        lambda lib, a, b: lib.linalg.solve(a + 3 * _eye(lib, 3, a), b),
        ((2, 3, 3), (3, 2)),
    ),
    Sample("cholesky", lambda lib, m: lib.linalg.cholesky(_spd(lib, m)), ((3, 3),)),
    Sample(
        "cholesky_upper", lambda lib, m: lib.linalg.cholesky(_spd(lib, m), upper=True), ((2, 3, 3),)
    ),
    Sample("eigh_values", lambda lib, m: lib.linalg.eigh(_sym(lib, m))[0], ((4, 4),)),
    Sample(
        "eigh_vectors",
        lambda lib, m: (lambda w, v: v * v[..., :1, :].sign())(*lib.linalg.eigh(_sym(lib, m))),
        ((3, 3),),
    ),
    Sample(
        "eigh_projector",
        lambda lib, m: (lambda w, v: (v * w.unsqueeze(-2)) @ v.mT)(*lib.linalg.eigh(_sym(lib, m))),
        ((2, 3, 3),),
    ),
    Sample("svd_values", lambda lib, a: lib.linalg.svdvals(a), ((3, 4),)),
    Sample(
        "svd_factors",
        lambda lib, a: (lambda u, s, vh: (u * s.unsqueeze(-2) ** 2) @ vh + u @ vh)(
            *lib.linalg.svd(a, full_matrices=False)
        ),
        ((4, 3),),
    ),
    Sample(
        "svd_wide",
        lambda lib, a: (lambda u, s, vh: u @ vh[..., :2, :2] * s[0])(
            *lib.linalg.svd(a, full_matrices=False)
        ),
        ((2, 4),),
    ),
    Sample(
        "qr", lambda lib, a: (lambda q, r: q.sum() + (r * r).sum())(*lib.linalg.qr(a)), ((4, 3),)
    ),
    Sample("qr_square", lambda lib, a: lib.linalg.qr(a)[1], ((3, 3),)),
    Sample(  # wide: R = [R1 R2] with R1 square
        "qr_wide", lambda lib, a: (lambda q, r: (q * q.sum(0)).sum() + (r * r).sum())(
            *lib.linalg.qr(a)), ((2, 4),)),
    Sample("pinv", lambda lib, a: lib.linalg.pinv(a), ((4, 3),)),
    Sample("matrix_exp", lambda lib, a: lib.linalg.matrix_exp(a), ((3, 3),), "small"),
    Sample("matrix_exp_batched", lambda lib, a: lib.linalg.matrix_exp(a), ((2, 2, 2),)),
    # padding
    Sample("pad_constant", lambda lib, x: lib.nn.functional.pad(x, (1, 2, -1, 1), value=0.5),
           ((2, 3, 4),)),
    Sample("pad_reflect", lambda lib, x: lib.nn.functional.pad(x, (2, 1), mode="reflect"),
           ((2, 3, 4),)),
    Sample("pad_replicate", lambda lib, x: lib.nn.functional.pad(x, (1, 3, 2, 0),
                                                                 mode="replicate"),
           ((1, 2, 3, 4),)),
    Sample("pad_circular", lambda lib, x: lib.nn.functional.pad(x, (3, 1), mode="circular"),
           ((2, 4),)),
    # composed linear algebra
    Sample("matrix_power", lambda lib, a: lib.linalg.matrix_power(a, 3), ((2, 3, 3),)),
    Sample("matrix_power_negative",
           lambda lib, a: (a + 3 * _eye(lib, 3, a)).matrix_power(-2), ((3, 3),)),
    Sample("multi_dot", lambda lib, x, a, b: lib.linalg.multi_dot([x, a, b]),
           ((3,), (3, 4), (4, 2))),
    Sample("vecdot", lambda lib, x, y: lib.linalg.vecdot(x, y, dim=0), ((3, 4), (3, 1))),
    Sample("solve_triangular",
           lambda lib, a, b: lib.linalg.solve_triangular(a + 3 * _eye(lib, 3, a), b, upper=True),
           ((3, 3), (3, 2))),
    Sample("solve_triangular_unit_right", lambda lib, a, b: lib.linalg.solve_triangular(
        a, b, upper=False, left=False, unitriangular=True), ((3, 3), (2, 3)), "small"),
    Sample("lstsq", lambda lib, a, b: lib.linalg.lstsq(a + _tall_eye(lib, a), b).solution,
           ((5, 3), (5, 2))),
]
OP_NAMES = sorted({s.name for s in SAMPLES})


def sample_cases(variants: Sequence[str], left_out: dict[str, tuple[tuple[str, ...], str]]
                 ) -> list[tuple[Sample, str]]:
    """Each sample (one per id) with each variant of a test, but those that ``left_out``
    names for its op (with the reason)."""
    seen: set[str] = set()
    out = []
    for sample in SAMPLES:
        if sample.id not in seen:
            seen.add(sample.id)
            skipped = left_out.get(sample.name, ((), ""))[0]
            out += [(sample, variant) for variant in variants if variant not in skipped]
    return out
