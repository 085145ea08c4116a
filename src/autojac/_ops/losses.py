"""Robust regression losses and similarity of ``nn.functional``, composed of ops:
smooth_l1_loss, huber_loss, cosine_similarity, layer_norm."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import _dtypes
from .._tensor import Tensor, scalar_type_name
from ._registry import broadcast_error, no_kernel
from .elementwise import where
from .matrix import vector_norm
from .nn import _legacy, _reduce
from .shape import broadcast_tensors


def _difference(kernel: str, input: Tensor, target: Tensor) -> Tensor:
    no_kernel(_dtypes.result_type(input._data, target._data), kernel)
    error = broadcast_error([input._data.shape, target._data.shape])
    if error is not None:
        raise error
    return input - target


def _quadratic_within(d: Tensor, threshold: float, scale: float, linear: Tensor) -> Tensor:
    """``scale d^2`` where ``|d| < threshold``, else ``linear``. The square is of ``d``
    within the threshold (0 beyond), so neither branch is infinite (no ``inf * 0`` in the
    gradient), and of a NaN as it is, so that its gradient is NaN, as PyTorch's kernels
    give."""
    beyond = d.abs() >= threshold
    inner = where(beyond, 0.0, d)
    return where(beyond, linear, inner * inner * scale)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``|d|`` for
    ``beta = 0``)."""
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = _difference("smooth_l1_cpu", input, target)
    size = d.abs()
    loss = size if beta == 0 else _quadratic_within(d, beta, 0.5 / beta, size - 0.5 * beta)
    return _reduce(loss, _legacy(size_average, reduce, reduction))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = _difference("huber_cpu", input, target)
    loss = _quadratic_within(d, delta, 0.5, (d.abs() - 0.5 * delta) * delta)
    return _reduce(loss if weight is None else loss * weight, reduction)


def _at_least(norm: Tensor, eps: float) -> Tensor:
    """``max(norm, eps)`` whose gradient is the norm's everywhere (PyTorch clamps without
    recording it)."""
    return norm + (norm.clamp(min=eps) - norm).detach()


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """The dot product along ``dim`` of ``x1`` and ``x2`` (broadcast together first), each
    divided by its norm (at least ``eps``)."""
    common = _dtypes.result_type(x1._data, x2._data)
    if common.kind != "f":
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{scalar_type_name(common)}")
    error = broadcast_error([x1._data.shape, x2._data.shape])
    if error is not None:
        raise error
    x1, x2 = broadcast_tensors(x1, x2)
    unit1 = x1 / _at_least(vector_norm(x1, dim=dim, keepdim=True), eps)
    unit2 = x2 / _at_least(vector_norm(x2, dim=dim, keepdim=True), eps)
    return (unit1 * unit2).sum(dim)


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """``input`` standardised over its last dims (``normalized_shape``), then scaled by
    ``weight`` and shifted by ``bias``."""
    no_kernel(input._data.dtype, "LayerNormKernelImpl")
    shape = tuple(normalized_shape) if not isinstance(normalized_shape, int) \
        else (normalized_shape,)
    if input._data.shape[len(input._data.shape) - len(shape):] != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input._data.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t._data.shape != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got "
                               f"{name} of shape {list(t._data.shape)} and normalized_shape = "
                               f"{list(shape)}")
    dims = tuple(range(-len(shape), 0))
    centered = input - input.mean(dims, keepdim=True)
    out = centered * (centered * centered).mean(dims, keepdim=True).add(eps).rsqrt()
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias
