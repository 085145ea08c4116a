"""More activations of ``nn.functional``, composed of ops whose conventions at kinks are
PyTorch's: relu6, softsign, selu, celu, mish, softmin, glu."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor, normalize_dim
from ._registry import apply, no_kernel
from .nn import ELU, _implicit_dim, elu, hardtanh, softmax, softplus
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
