"""Robust regression losses (ops with PyTorch's backward kernels) and similarity of
``nn.functional``: smooth_l1_loss, huber_loss; cosine_similarity, layer_norm (composed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtypes
from .._tensor import Tensor, scalar_type_name
from ._registry import Op, apply, broadcast_error, no_kernel
from .elementwise import backward_kernel, where
from .matrix import vector_norm
from .nn import _legacy, _reduce, warn_if_sizes_differ
from .shape import broadcast_tensors


def _difference(kernel: str, input: Tensor, target: Tensor) -> Tensor:
    warn_if_sizes_differ(input, target)
    no_kernel(_dtypes.result_type(input._data, target._data), kernel)
    error = broadcast_error([input._data.shape, target._data.shape])
    if error is not None:
        raise error
    return input - target


def _robust_loss(name: str, value: Any, slope: Any, curvature: Any,
                 forward_ad: bool = True) -> Op:
    """A loss of the difference ``d`` that is quadratic within a threshold ``limit`` (its
    param) and linear beyond: ``value(d, limit)``, and PyTorch's backward kernel
    ``g * slope(d, limit)`` (NaN at a NaN ``d``) as an op whose derivative in ``d`` is
    ``curvature(limit)`` strictly within the threshold, 0 elsewhere and at NaN (PyTorch's
    double backward). Its tangent is NaN at a NaN ``d``: PyTorch's forward-mode formula
    also runs the kernel on the tangent of ``g``, zeros if it has none; without
    ``forward_ad``, PyTorch's error instead."""

    def within(gg: Tensor, ans: Tensor, grad_output: Tensor, d: Tensor, limit: float) -> Tensor:
        return where(d.abs() < limit, gg * grad_output * curvature(limit), 0.0)

    backward = backward_kernel(
        f"{name}_backward", lambda g, d, limit: g * slope(d, limit), within,
        (lambda t, ans, grad_output, d, limit: where(
            d.isnan(), d, within(t, ans, grad_output, d, limit))) if forward_ad
        else NotImplementedError(f"Trying to use forward AD with {name}_backward that does "
                                 "not support it because it has not been implemented yet."))
    return Op(
        name,
        value,
        vjp=(lambda g, ans, d, limit: apply(backward, (g, d), (limit,)),),
        jvp=(lambda t, ans, d, limit: apply(backward, (t, d), (limit,)),),
        elementwise=True,
    )


_SMOOTH_L1 = _robust_loss(  # (0.5 d^2 / beta within beta, |d| - beta / 2 beyond)
    "smooth_l1_loss",
    lambda d, beta: np.where(np.abs(d) < beta, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta),
    lambda d, beta: np.where(d < -beta, -1, np.where(d > beta, 1, d / beta)),
    lambda beta: 1 / beta,
)
_HUBER = _robust_loss(  # (0.5 d^2 within delta, delta (|d| - delta / 2) beyond)
    "huber_loss",
    lambda d, delta: np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta)),
    lambda d, delta: np.where(d <= -delta, -delta, np.where(d >= delta, delta, d)),
    lambda delta: 1,
    forward_ad=False,
)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``|d|`` for
    ``beta = 0``)."""
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = _difference("smooth_l1_cpu", input, target)
    loss = d.abs() if beta == 0 else apply(_SMOOTH_L1, (d,), (float(beta),))
    return _reduce(loss, _legacy(size_average, reduce, reduction))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = _difference("huber_cpu", input, target)
    loss = apply(_HUBER, (d,), (float(delta),))
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
