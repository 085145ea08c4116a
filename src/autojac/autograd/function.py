"""``autojac.autograd.function``: custom Functions and the ``once_differentiable`` mark."""

from .._autograd.function import Function, FunctionCtx, once_differentiable

__all__ = ["Function", "FunctionCtx", "once_differentiable"]
