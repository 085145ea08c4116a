"""Neural-network ops: softmax/log_softmax (declared with their own stable rules), and the
activations, losses and convolutions of ``autojac.nn.functional`` composed from ops."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _backend, _dtypes
from .._autograd import grad_mode
from .._creation import full
from .._tensor import Tensor, _make, cpp_type_name, normalize_dim, scalar_type_name
from ._registry import (
    Op,
    apply,
    install,
    kernel_message,
    no_complex,
    no_kernel,
    refuse_complex_autodiff,
)
from .elementwise import NO_COMPLEX_CLAMP, backward_kernel, erf, logaddexp, where
from .indexing import getitem, index_put, index_select
from .linalg import matmul
from .reduction import ALONG
from .shape import cat, narrow


def _row_max(a: np.ndarray, dim: int) -> np.ndarray:
    """The maximum along ``dim`` (-inf over no elements, where NumPy's raises)."""
    return np.max(a, axis=dim, keepdims=True, initial=-np.inf)


def _softmax_forward(a: np.ndarray, dim: int) -> np.ndarray:
    e = np.exp(a - _row_max(a, dim))
    return e / np.sum(e, axis=dim, keepdims=True)


def _log_softmax_forward(a: np.ndarray, dim: int) -> np.ndarray:
    shifted = a - _row_max(a, dim)
    return shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))


def _softmax_rule(g: Tensor, ans: Tensor, x: Tensor, dim: int) -> Tensor:
    return ans * (g - (g * ans).sum(dim, keepdim=True))


def _log_softmax_rule(g: Tensor, ans: Tensor, x: Tensor, dim: int) -> Tensor:
    return g - ans.exp() * g.sum(dim, keepdim=True)


SOFTMAX = Op("softmax", _softmax_forward, vjp=(_softmax_rule,), jvp=(_softmax_rule,),
             to_float=True, pattern=ALONG)
LOG_SOFTMAX = Op("log_softmax", _log_softmax_forward, vjp=(_log_softmax_rule,),
                 jvp=(lambda t, ans, x, dim: t - (ans.exp() * t).sum(dim, keepdim=True),),
                 to_float=True, pattern=ALONG)


def _softmax_dim(input: Tensor, dim: int | None) -> int:
    if dim is None:
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return normalize_dim(dim, input.ndim) - max(input.ndim, 1)


def _softmax_args(name: str, input: Tensor, dim: int | None, dtype: Any) -> tuple:
    """The input (cast to ``dtype``) and the negative dim of a softmax, with PyTorch's error
    for an input that is not floating."""
    if dtype is not None:
        input = input.to(dtype)
    d = _softmax_dim(input, dim)
    if input._data.dtype.kind not in "fc":
        kernel = f"{name}_lastdim_kernel_impl" if d == -1 else f"{name}_kernel_impl"
        raise NotImplementedError(
            f'"{kernel}" not implemented for \'{scalar_type_name(input._data.dtype)}\'')
    return input, d


def _no_complex_kernel(name: str, input: Tensor, dim: int) -> None:
    """PyTorch's error for softmax of complex tensors (its kernel along the last dim, or not)."""
    last = dim in (-1, input._data.ndim - 1) or input._data.ndim == 0
    no_complex(input._data, kernel_message(f"{name}_lastdim_kernel_impl" if last
                                           else f"{name}_kernel_impl"))


def _dim_given(name: str, dim: Any) -> None:
    """``autojac.softmax`` and the methods take no implicit dim (PyTorch's TypeError)."""
    if dim is _NO_DIM:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')


def _implicit_dim(name: str, dim: int | None) -> None:
    """``nn.functional``'s deprecated implicit dim: PyTorch's warning."""
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the "
                      "call to include dim=X as an argument.", UserWarning, stacklevel=3)


_NO_DIM = object()


def softmax(input: Tensor, dim: Any = _NO_DIM, dtype: Any = None) -> Tensor:
    """``exp(x) / exp(x).sum(dim)``, computed stably."""
    _dim_given("softmax", dim)
    input, d = _softmax_args("softmax", input, dim, dtype)
    _no_complex_kernel("softmax", input, d)
    return apply(SOFTMAX, (input,), (d,))


def log_softmax(input: Tensor, dim: Any = _NO_DIM, dtype: Any = None) -> Tensor:
    """``x - logsumexp(x, dim)``, computed stably."""
    _dim_given("log_softmax", dim)
    input, d = _softmax_args("log_softmax", input, dim, dtype)
    _no_complex_kernel("log_softmax", input, d)
    return apply(LOG_SOFTMAX, (input,), (d,))


def functional_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """``nn.functional.softmax``: ``dim`` may be left implicit (deprecated, as in PyTorch)."""
    _implicit_dim("softmax", dim)
    return softmax(input, dim, dtype)


def functional_log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None
                           ) -> Tensor:
    """``nn.functional.log_softmax``: ``dim`` may be left implicit (deprecated)."""
    _implicit_dim("log_softmax", dim)
    return log_softmax(input, dim, dtype)


install("softmax", softmax)
install("log_softmax", log_softmax)


# -- activations
def _in_place(fn: Callable[[Tensor], Tensor], input: Tensor, inplace: bool) -> Tensor:
    """``fn(input)``; with ``inplace``, written into ``input``, which is returned (``fn``
    reads a copy, so what its rules saved is not the tensor being overwritten)."""
    return input.copy_(fn(input.clone())) if inplace else fn(input)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return _in_place(Tensor.relu, input, inplace)


def _leaky_relu_forward(a: np.ndarray, slope: float) -> np.ndarray:
    if a.dtype.kind != "f":
        raise NotImplementedError(kernel_message("leaky_relu_cpu").format(
            type=scalar_type_name(a.dtype)))
    return np.where(a > 0, a, a * slope)


_LEAKY_RELU_BACKWARD = backward_kernel(  # (g * slope at NaN, as PyTorch's)
    "leaky_relu_backward", lambda g, x, slope: np.where(x > 0, g, g * slope))
LEAKY_RELU = Op("leaky_relu", _leaky_relu_forward,
                vjp=(lambda g, ans, x, slope: apply(_LEAKY_RELU_BACKWARD, (g, x), (slope,)),),
                jvp=(lambda t, ans, x, slope: apply(_LEAKY_RELU_BACKWARD, (t, x), (slope,)),),
                pattern="pointwise")


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``input`` where it is positive, else ``negative_slope * input``."""
    return _in_place(lambda x: apply(LEAKY_RELU, (x,), (negative_slope,)), input, inplace)


def _elu_forward(a: np.ndarray, alpha: float, input_scale: float) -> np.ndarray:
    no_kernel(a.dtype, "elu_cpu")
    out = a.copy()
    negative = ~(a > 0)
    out[negative] = alpha * np.expm1(a[negative] * input_scale)
    return out


def _elu_rule(g: Tensor, ans: Tensor, x: Tensor, alpha: float, input_scale: float) -> Tensor:
    """g alpha s e^(s x) where x <= 0, else g (at NaN too, as PyTorch's scalar kernel);
    written so that its own derivative is PyTorch's: nonzero only where x < 0."""
    slope = (where(x < 0, x, 0.0) * input_scale).exp() * (alpha * input_scale)
    return g * where(x <= 0, slope, 1.0)


# PyTorch's elu kernel: alpha (e^(s x) - 1) for x <= 0 (s = input_scale: 1, or 1/alpha in celu)
ELU = Op("elu", _elu_forward, vjp=(_elu_rule,), jvp=(_elu_rule,), pattern="pointwise")


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _in_place(lambda x: apply(ELU, (x,), (alpha, 1.0)), input, inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit (exact, or ``approximate="tanh"``)."""
    no_kernel(input._data.dtype, "GeluKernelImpl")
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2 / math.pi)
        return input * 0.5 * (inner.tanh() + 1)
    if approximate != "none":
        raise RuntimeError("approximate argument must be either none or tanh.")
    return input * 0.5 * (erf(input * (1 / math.sqrt(2))) + 1)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    no_kernel(input._data.dtype, "silu_cpu", "biu")
    refuse_complex_autodiff("silu", input)
    return _in_place(lambda x: x * x.sigmoid(), input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, linear above ``threshold``."""
    no_kernel(input._data.dtype, "softplus_cpu")
    soft = logaddexp(input * beta, 0.0) / beta
    return where(input * beta > threshold, input, soft)


def logsigmoid(input: Tensor) -> Tensor:
    no_kernel(input._data.dtype, "log_sigmoid_cpu")
    return -softplus(-input)


def _hardtanh_forward(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    if a.dtype == np.bool_:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if a.dtype.kind == "u" and (math.trunc(lo) < 0 or math.trunc(hi) < 0):  # (as cast)
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    no_complex(a, NO_COMPLEX_CLAMP)
    return np.clip(a, lo, hi).astype(a.dtype, copy=False)


_HARDTANH_BACKWARD = backward_kernel(  # g strictly inside (lo, hi), and at NaN
    "hardtanh_backward", lambda g, x, lo, hi: np.where((x <= lo) | (x >= hi), 0, g))


def _hardtanh_rule(g: Tensor, ans: Tensor, x: Tensor, lo: float, hi: float) -> Tensor:
    """0 on the bounds (unlike clamp's)."""
    return apply(_HARDTANH_BACKWARD, (g, x), (lo, hi))


HARDTANH = Op("hardtanh", _hardtanh_forward, vjp=(_hardtanh_rule,), jvp=(_hardtanh_rule,),
              pattern="pointwise")


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``input`` limited to ``[min_val, max_val]``; its gradient is 0 on the bounds.

    >>> import autojac as torch
    >>> torch.nn.functional.hardtanh(torch.tensor([-2.0, 0.5, 1.0]))
    tensor([-1.0000,  0.5000,  1.0000])
    """
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _in_place(lambda x: apply(HARDTANH, (x,), (min_val, max_val)), input, inplace)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``input / max(||input||_p along dim, eps)``."""
    from .matrix import vector_norm

    norm = vector_norm(input, p, dim, keepdim=True)
    return input / norm.clamp(min=eps).expand_as(input)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``."""
    out = matmul(input, weight.t() if weight.ndim == 2 else weight)
    return out if bias is None else out + bias


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
            ) -> Tensor:
    """Zero each element with probability ``p`` (scaled by ``1/(1-p)``) when training."""
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return _in_place(lambda x: x * 0, input, inplace)
    keep = _make((_backend.random.gen.random(input.shape) >= p) / (1 - p), False, None)
    return _in_place(lambda x: x * keep.to(x.dtype), input, inplace)


# -- losses
def _legacy(size_average: Any, reduce: Any, reduction: str) -> str:
    """``reduction``, or what PyTorch's deprecated ``size_average`` and ``reduce`` say."""
    if size_average is None and reduce is None:
        return reduction
    return "none" if reduce is False else "sum" if size_average is False else "mean"


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def warn_if_sizes_differ(input: Tensor, target: Tensor) -> None:
    """PyTorch's warning for a pointwise loss whose target broadcasts against the input."""
    if target._data.shape != input._data.shape:
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input "
                      f"size ({input.size()}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=3)


def mse_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    warn_if_sizes_differ(input, target)
    no_kernel(_dtypes.result_type(input._data, target._data), "mse_cpu")
    diff = input - target
    return _reduce(diff * diff, _legacy(size_average, reduce, reduction))


def l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean") -> Tensor:
    warn_if_sizes_differ(input, target)
    return _reduce((input - target).abs(), _legacy(size_average, reduce, reduction))


def _check_weight(weight: Tensor | None, n_classes: int, prefix: str = "") -> None:
    if weight is not None and weight._data.size != n_classes:
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {n_classes} "
                           f"classes or no classes but got weight tensor of shape: "
                           f"{list(weight._data.shape)}")


def _check_class_targets(input: Tensor, target: Tensor, weight: Tensor | None,
                         ignore_index: int) -> None:
    """PyTorch's checks of class indices ``target`` for the scores ``input`` (classes along
    dim 1), in its order: batch size, shape, dtype, weight, range."""
    x, t = input._data.shape, target._data.shape
    if len(x) >= 2 and t and x[0] != t[0]:
        raise ValueError(f"Expected input batch_size ({x[0]}) to match target batch_size "
                         f"({t[0]}).")
    if len(x) <= 2 and len(t) > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if len(x) > 2 and t != x[:1] + x[2:]:
        raise RuntimeError(f"Expected target size {list(x[:1] + x[2:])}, got {list(t)}")
    if target._data.dtype != np.int64 and target._data.dtype != np.uint8:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{scalar_type_name(target._data.dtype)}")
    n_classes = x[1] if len(x) > 1 else x[0]
    _check_weight(weight, n_classes)
    values = target._data[target._data != ignore_index]
    outside = (values < 0) | (values >= n_classes)
    if outside.any():
        raise IndexError(f"Target {values[outside][0]} is out of bounds.")


def _weighted_mean(total: Tensor, weight: float) -> Tensor:
    """``total / weight``; over no weight (every target ignored), PyTorch's 0 / 0, NaN, with
    its zero gradient."""
    return total / weight if weight else total * 0.0 + math.nan


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """Negative log likelihood of class indices ``target`` under log-probabilities ``input``
    (classes along dim 1)."""
    no_complex(input._data, kernel_message("nll_loss_out_frame"))
    reduction = _legacy(size_average, reduce, reduction)
    _check_class_targets(input, target, weight, ignore_index)
    t = target._data
    safe = np.where(t == ignore_index, 0, t)
    moved = input.movedim(1, -1) if input.ndim > 1 else input.unsqueeze(0)
    flat_t = safe.reshape(-1)
    picked = getitem(moved.reshape(-1, moved.shape[-1]), (np.arange(flat_t.size), flat_t))
    w = np.ones(flat_t.size, dtype=input._data.dtype)
    if weight is not None:
        w = weight._data[flat_t]
    w = np.where(t.reshape(-1) == ignore_index, 0, w).astype(input._data.dtype)
    losses = -picked * _make(w, False, None)
    if reduction == "mean":
        return _weighted_mean(losses.sum(), float(w.sum()))
    return _reduce(losses.reshape(t.shape), reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of logits ``input`` (classes along dim 1) with class indices or
    class probabilities ``target``, via log-softmax."""
    reduction = _legacy(size_average, reduce, reduction)
    class_dim = 1 if input.ndim > 1 else 0
    n_classes = input.shape[class_dim]
    logp = log_softmax(input, class_dim)
    # the weight of each class, along the class dim
    w = weight.reshape((-1,) + (1,) * (input.ndim - 2)) if weight is not None else None
    if target._data.shape == input._data.shape:  # class probabilities
        if target._data.dtype.kind not in "fc":
            raise RuntimeError("Expected floating point type for target with class "
                               f"probabilities, got {scalar_type_name(target._data.dtype)}")
        _check_weight(weight, n_classes, "cross_entropy: ")
        probs = (target * (1 - label_smoothing) + label_smoothing / n_classes
                 if label_smoothing > 0 else target)  # (PyTorch skips it, checking nothing)
        loss = -(logp * probs * (1.0 if w is None else w)).sum(class_dim)
        return _reduce(loss, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing:g}")
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if not label_smoothing:
        return nll
    # PyTorch's smoothing term: the (weighted) sum over the classes, zero where the target
    # is ignored, averaged over the (weights of the) targets that are not
    ignored = target._data == ignore_index
    smooth = where(_make(ignored, False, None), 0.0,
                   -(logp if w is None else logp * w).sum(class_dim))
    if reduction == "mean":
        kept = target._data[~ignored]
        smooth = _weighted_mean(
            smooth.sum(), float(kept.size if weight is None else weight._data[kept].sum()))
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


_BCE_FLOOR = float(np.float32(1e-12))  # under x (1 - x) in PyTorch's backward (a float)
_BCE_EPSILON = 1e-12  # the same in PyTorch's double backward (a double)


def _bce_backward_input(gg: Tensor, ans: Tensor, g: Tensor, x: Tensor, t: Tensor) -> Tensor:
    """PyTorch's derivative of binary_cross_entropy_backward in ``x``."""
    return gg * g * (x * x - 2 * x * t + t) / ((x + _BCE_EPSILON) ** 2
                                               * (1 - x + _BCE_EPSILON) ** 2)


def _bce_backward_target(gg: Tensor, ans: Tensor, g: Tensor, x: Tensor, t: Tensor) -> Tensor:
    """PyTorch's derivative of binary_cross_entropy_backward in the target (its floor
    taken without recording, as PyTorch's)."""
    with grad_mode.no_grad():
        floor = (x * (1 - x)).clamp(min=_BCE_EPSILON)
    return -(gg * g) / floor


def _bce_backward_grad(gg: Tensor, ans: Tensor, g: Tensor, x: Tensor, t: Tensor) -> Tensor:
    """PyTorch's derivative of binary_cross_entropy_backward in its cotangent (floored at
    1e-12 as a double)."""
    return gg * (x - t) / (x * (1 - x)).clamp(min=_BCE_EPSILON)


_BCE_BACKWARD = Op(  # (finite at x = 0 and 1, where the log's derivative is not)
    "binary_cross_entropy_backward",
    lambda g, x, t: g * (x - t) / np.maximum(x * (1 - x), _BCE_FLOOR),
    vjp=(_bce_backward_grad, _bce_backward_input, _bce_backward_target),
    jvp=(_bce_backward_grad, _bce_backward_input, _bce_backward_target),
    elementwise=True,
    promote=True,
)


def _bce_forward(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return (t - 1) * np.maximum(np.log1p(-x), -100) - t * np.maximum(np.log(x), -100)


def _bce_target_rule(g: Tensor, ans: Tensor, x: Tensor, t: Tensor) -> Tensor:
    return g * ((1 - x).log() - x.log())  # (-logit(x))


_BINARY_CROSS_ENTROPY = Op(
    "binary_cross_entropy",
    _bce_forward,
    vjp=(lambda g, ans, x, t: apply(_BCE_BACKWARD, (g, x, t)), _bce_target_rule),
    jvp=(lambda g, ans, x, t: apply(_BCE_BACKWARD, (g, x, t)), _bce_target_rule),
    elementwise=True,
    promote=True,
)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """``-(t log x + (1-t) log(1-x))`` with logs clamped at -100, and PyTorch's gradient,
    finite at x = 0 and 1."""
    reduction = _legacy(size_average, reduce, reduction)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Using a target size ({target.size()}) that is different to the "
                         f"input size ({input.size()}) is deprecated. Please ensure they have "
                         "the same size.")
    if target._data.dtype != input._data.dtype:
        raise RuntimeError(f"Found dtype {scalar_type_name(target._data.dtype)} but expected "
                           f"{scalar_type_name(input._data.dtype)}")
    no_kernel(input._data.dtype, "binary_cross_entropy", "c")
    if not ((input._data >= 0) & (input._data <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = apply(_BINARY_CROSS_ENTROPY, (input, target))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average: Any = None,
                                     reduce: Any = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """PyTorch's ``(1 - t) x - w log(sigmoid(x))`` with ``w = 1 + (pos_weight - 1) t``,
    times ``weight``; ``size_average`` and ``reduce`` are the deprecated spellings of
    ``reduction``."""
    no_kernel(input._data.dtype, "log_sigmoid_cpu")
    if target._data.shape != input._data.shape:
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    reduction = _legacy(size_average, reduce, reduction)
    log_weight = 1.0 if pos_weight is None else (pos_weight - 1) * target + 1
    loss = (1 - target) * input + log_weight * logaddexp(-input, 0.0)
    return _reduce(loss if weight is None else loss * weight, reduction)


# -- convolution (im2col through differentiable indexing and matmul)
def _tuple(v: Any, n: int) -> tuple[int, ...]:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _pad(input: Tensor, pads: tuple[tuple[int, int], ...]) -> Tensor:
    """Zero-pad the last ``len(pads)`` dims, ``(before, after)`` each (differentiable)."""
    if not any(lo or hi for lo, hi in pads):
        return input
    sizes = input.shape[-len(pads):]
    lead = input.shape[: input.ndim - len(pads)]
    shape = tuple(lead) + tuple(s + lo + hi for s, (lo, hi) in zip(sizes, pads))
    zeros = _make(np.zeros(shape, dtype=input._data.dtype), False, None)
    region = (Ellipsis,) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(sizes, pads))
    return index_put(zeros, region, input)


def _check_conv(input: Tensor, weight: Tensor, bias: Tensor | None, stride: tuple,
                padding: Any, dilation: tuple, groups: int, nd: int) -> None:
    """PyTorch's checks of a convolution's arguments, with its words."""
    x, w = input._data.shape, weight._data.shape
    if len(x) not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"conv{nd}d, but got input of size: {list(x)}")
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if padding == "same" and any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if not isinstance(padding, str) and any(p < 0 for p in _tuple(padding, nd)):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if len(w) != nd + 2:
        raise RuntimeError(f"expected stride to be a single integer value or a list of "
                           f"{len(w) - 2} values to match the convolution dimensions, but got "
                           f"stride={list(stride)}")
    if len(x) == nd + 1:
        x = (1,) + x  # (as PyTorch words it)
    if w[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {list(w)} instead")
    if w[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(w)}] instead")
    if x[1] != w[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(w)}, expected input"
                           f"{list(x)} to have {w[1] * groups} channels, but got {x[1]} "
                           "channels instead")
    if bias is not None and bias._data.shape != (w[0],):
        raise RuntimeError(f"Given weight of size {list(w)}, expected bias to be 1-dimensional "
                           f"with {w[0]} elements, but got bias of size "
                           f"{list(bias._data.shape)} instead")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"expected scalar type {scalar_type_name(input._data.dtype)} but "
                           f"found {scalar_type_name(weight._data.dtype)}")
    if bias is not None and bias._data.dtype != input._data.dtype:
        raise RuntimeError(f"Input type ({cpp_type_name(input._data.dtype)}) and bias type "
                           f"({cpp_type_name(bias._data.dtype)}) should be the same")
    if 0 in w[2:]:  # (PyTorch words it by kernel, as a 2-d one)
        sizes = (1,) * (2 - nd) + tuple(w[2:])
        raise RuntimeError("kernel size should be greater than zero, but got " + (
            str(list(sizes)) if any(d != 1 for d in dilation)
            else f"kernel_height: {sizes[0]} kernel_width: {sizes[1]}"))
    pads = (0,) * nd if isinstance(padding, str) else _tuple(padding, nd)
    padded = [s + 2 * p for s, p in zip(x[2:], pads)]
    spans = [d * (k - 1) + 1 for d, k in zip(dilation, w[2:])]
    if padding != "same" and any(p < k for p, k in zip(padded, spans)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, spans))}). Kernel size can't be greater than "
            "actual input size")
    if 0 in x[2:]:
        raise RuntimeError("Only zero batch or zero channel inputs are supported, but got input "
                           f"shape: {list(x)}")


def _conv(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
          dilation: Any, groups: int, nd: int) -> Tensor:
    stride, dilation = _tuple(stride, nd), _tuple(dilation, nd)
    _check_conv(input, weight, bias, stride, padding, dilation, groups, nd)
    batched = input.ndim == nd + 2
    if not batched:
        input = input.unsqueeze(0)
    kernel = tuple(weight.shape[2:])
    if padding == "same":  # (an odd total puts the extra zero after, as PyTorch)
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
        pads = tuple((t // 2, t - t // 2) for t in totals)
    else:
        pads = tuple((p, p) for p in _tuple(0 if padding == "valid" else padding, nd))
    x = _pad(input, pads)
    n, c_in = x.shape[:2]
    spatial = x.shape[2:]
    out_size = tuple((s - d * (k - 1) - 1) // st + 1
                     for s, d, k, st in zip(spatial, dilation, kernel, stride))
    if any(o <= 0 for o in out_size):
        raise RuntimeError("Calculated output size is too small")
    # index arrays selecting every patch: (*out_size, *kernel) per spatial dim
    grids = []
    for i in range(nd):
        pos = np.arange(out_size[i]) * stride[i]
        off = np.arange(kernel[i]) * dilation[i]
        idx = pos[:, None] + off[None, :]
        shape = [1] * (2 * nd)
        shape[i], shape[nd + i] = out_size[i], kernel[i]
        grids.append(idx.reshape(shape))
    patches = getitem(x, (slice(None), slice(None)) + tuple(grids))
    # patches: (n, c_in, *out_size, *kernel) -> (n, groups, c_in/g * prod(kernel), prod(out))
    c_out = weight.shape[0]
    cg = c_in // groups
    k_el = int(np.prod(kernel))
    o_el = int(np.prod(out_size))
    perm = (0, 1) + tuple(range(2 + nd, 2 + 2 * nd)) + tuple(range(2, 2 + nd))
    cols = patches.permute(perm).reshape(n, groups, cg * k_el, o_el)
    w = weight.reshape(groups, c_out // groups, cg * k_el)
    out = matmul(w, cols).reshape((n, c_out) + out_size)
    if bias is not None:
        out = out + bias.reshape((1, c_out) + (1,) * nd)
    return out if batched else out.squeeze(0)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D convolution (cross-correlation) over ``(N, C, L)`` or ``(C, L)`` inputs."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation) over ``(N, C, H, W)`` or ``(C, H, W)`` inputs."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)



# -- padding
_NON_CONSTANT_NDIMS = {2: (2, 3), 4: (3, 4), 6: (4, 5)}  # pad length: the inputs it pads
_NON_CONSTANT_HELP = (
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _source_index(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each place of a dim padded by ``before`` and ``after``, the place of the ``n``
    input elements it copies (replicate, circular or reflect)."""
    i = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    if mode == "circular":
        return i % n
    return np.where(i < 0, -i, np.where(i >= n, 2 * (n - 1) - i, i))


def _pad_dim(x: Tensor, dim: int, before: int, after: int, mode: str, value: Any,
             check: Callable[[int, int, int, int], None]) -> Tensor:
    """``x`` padded along the negative ``dim`` (negative amounts crop)."""
    n = x._data.shape[dim]
    if mode in ("constant", "circular"):  # (these crop first, then pad what is left)
        start, stop = max(-before, 0), n - max(-after, 0)
        if stop < start:  # (cropped by more than there is)
            raise RuntimeError("narrow(): length must be non-negative.")
        if start or stop != n:
            x = narrow(x, dim, start, stop - start)
        before, after, n = max(before, 0), max(after, 0), stop - start
    if not before and not after:
        return x
    if mode == "constant":
        sizes = list(x._data.shape)

        def filled(amount: int) -> list[Tensor]:
            sizes[dim] = amount
            return [full(sizes, 0 if value is None else value, dtype=x.dtype)] if amount else []

        return cat(filled(before) + [x] + filled(after), dim)
    check(n, before, after, x._data.ndim + dim)
    index = _source_index(n, before, after, mode)
    return index_select(x, dim, _make(index.astype(np.int64), False, None))


def _check_kernel_padding(input: Tensor, mode: str, dims: int) -> None:
    """PyTorch's errors of its reflection and replication kernels: no bool tensors, and no
    empty dims but a batch."""
    shape = input._data.shape
    if 0 in shape[1 if len(shape) == dims + 2 else 0:]:  # (past a batch dim)
        raise RuntimeError(f"Expected {dims + 1}D or {dims + 2}D (batch mode) tensor with "
                           "possibly 0 batch size and other non-zero dimensions for input, but "
                           f"got: {list(shape)}")
    kernel = "reflection" if mode == "reflect" else "replication"
    no_kernel(input._data.dtype, f"{kernel}_pad{dims}d", "b")


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None
        ) -> Tensor:
    """``input`` padded on its last ``len(pad) // 2`` dims (``pad`` lists the amounts before
    and after each, last dim first), with ``value`` or by copying its edge elements
    (``"replicate"``), its other end (``"circular"``) or its mirror image (``"reflect"``).

    >>> import autojac as torch
    >>> torch.nn.functional.pad(torch.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
    tensor([[3., 2., 1., 2., 3., 2.]])
    """
    pad = tuple(pad)
    ndim = input._data.ndim
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{ndim}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant":
        if value is not None and value != 0:
            raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
        if ndim not in _NON_CONSTANT_NDIMS.get(len(pad), ()):
            raise NotImplementedError(f"Padding size {len(pad)} is not supported for {ndim}D "
                                      f"input tensor.\n{_NON_CONSTANT_HELP}")
        if mode != "circular":
            _check_kernel_padding(input, mode, len(pad) // 2)
    def check(n: int, before: int, after: int, dim: int) -> None:
        if mode == "circular" and max(before, after) > n:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if mode == "reflect" and max(before, after) >= n:
            raise RuntimeError(
                f"Argument #{len(pad) + 2}: Padding size should be less than the "
                f"corresponding input dimension, but got: padding ({before}, {after}) at "
                f"dimension {dim} of input {list(input._data.shape)}")

    x = input
    for k in range(len(pad) // 2):
        x = _pad_dim(x, -1 - k, pad[2 * k], pad[2 * k + 1], mode, value, check)
    return x


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """An int64 tensor with a last dim of ``num_classes`` (one more than the largest class by
    default), 1 at each element's class and 0 elsewhere (not differentiable)."""
    classes = tensor._data
    if classes.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if not classes.size:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(classes.max()) + 1
    if classes.size and classes.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if classes.size and classes.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _make((classes[..., None] == np.arange(num_classes)).astype(np.int64), False, None)
