"""More activations of ``nn.functional``, composed of ops whose conventions at kinks are
PyTorch's: relu6, softsign, selu, celu, mish, softmin, glu; and hardsigmoid and hardswish,
ops with PyTorch's backward kernels."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, normalize_dim
from ._registry import Op, apply, no_kernel
from .elementwise import backward_kernel, no_derivative, where
from .nn import ELU, _implicit_dim, _in_place, elu, hardtanh, softmax, softplus
from .shape import chunk

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``: hardtanh on [0, 6] (gradient 0 at both bounds)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    no_kernel(input._data.dtype, "elu_cpu")
    out = elu(input, _SELU_ALPHA) * _SELU_SCALE
    return input.copy_(out) if inplace else out


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha (exp(x / alpha) - 1))``."""
    no_kernel(input._data.dtype, "elu_cpu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    out = apply(ELU, (input,), (alpha, 1.0 / alpha))
    return input.copy_(out) if inplace else out


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x tanh(softplus(x))``."""
    no_kernel(input._data.dtype, "mish_cpu")
    out = input * softplus(input).tanh()
    return input.copy_(out) if inplace else out


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
            ) -> Tensor:
    """``softmax(-x)`` along ``dim`` (implicit: deprecated, with PyTorch's warning)."""
    _implicit_dim("softmin", dim)
    return softmax(-input, dim, dtype)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """``a * sigmoid(b)`` for the halves ``a``, ``b`` of ``input`` along ``dim``."""
    if not input._data.ndim:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    no_kernel(input._data.dtype, "glu_cpu")
    d = normalize_dim(dim, input._data.ndim)
    if input._data.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{input._data.shape[d]}")
    first, second = chunk(input, 2, d)
    return first * second.sigmoid()


_ONE_SIXTH = 0.1666666716337204  # PyTorch's 1.0f / 6.0f: float32's sixth in every dtype
_HARDSIGMOID_BACKWARD = Op(  # (PyTorch has no derivative for its backward)
    "hardsigmoid_backward",
    lambda g, x: np.where((x > -3) & (x < 3), g * _ONE_SIXTH, 0),
    vjp=(no_derivative(RuntimeError(
        "derivative for aten::hardsigmoid_backward is not implemented")),) * 2,
    jvp=(no_derivative(NotImplementedError(
        "Trying to use forward AD with aten::hardsigmoid_backward that does not support it.")),
         ) * 2,
    node_name="torch::autograd::NotImplemented",
    elementwise=True,
)
HARDSIGMOID = Op(
    "hardsigmoid",
    lambda a: np.minimum(np.maximum(a + 3, 0), 6) / 6,
    vjp=(lambda g, ans, x: apply(_HARDSIGMOID_BACKWARD, (g, x)),),
    jvp=(lambda t, ans, x: apply(_HARDSIGMOID_BACKWARD, (t, x)),),
    pattern="pointwise",
)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x + 3, 0), 6) / 6``; its gradient is 0 at -3 and 3 and cannot be
    differentiated again (as PyTorch's).

    >>> import autojac as torch
    >>> torch.nn.functional.hardsigmoid(torch.tensor([-4.0, 0.0, 1.5]))
    tensor([0.0000, 0.5000, 0.7500])
    """
    no_kernel(input._data.dtype, "hardsigmoid_cpu")
    return _in_place(lambda x: apply(HARDSIGMOID, (x,)), input, inplace)


def _hardswish_second(g: Tensor, ans: Tensor, grad_output: Tensor, x: Tensor) -> Tensor:
    """d/dx of hardswish's backward: ``g * grad_output / 3`` strictly inside (-3, 3)."""
    return where((x > -3) & (x < 3), g * grad_output / 3.0, 0.0)


_HARDSWISH_BACKWARD = backward_kernel(  # (g at NaN, as PyTorch's)
    "hardswish_backward",
    lambda g, x: np.where(x <= -3, 0, np.where(x < 3, g * (x / 3 + 0.5), g)),
    _hardswish_second,
)
HARDSWISH = Op(
    "hardswish",
    lambda a: a * np.minimum(np.maximum(a + 3, 0), 6) / 6,
    vjp=(lambda g, ans, x: apply(_HARDSWISH_BACKWARD, (g, x)),),
    jvp=(lambda t, ans, x: apply(_HARDSWISH_BACKWARD, (t, x)),),
    pattern="pointwise",
)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * hardsigmoid(x)``, as PyTorch computes it: ``x * min(max(x + 3, 0), 6) / 6``.

    >>> import autojac as torch
    >>> torch.nn.functional.hardswish(torch.tensor([-4.0, 0.0, 1.5]))
    tensor([-0.0000,  0.0000,  1.1250])
    """
    no_kernel(input._data.dtype, "hardswish_cpu")
    return _in_place(lambda x: apply(HARDSWISH, (x,)), input, inplace)
