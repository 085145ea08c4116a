"""Reverse-mode autograd: ``grad``, ``backward``, custom ``Function``, gradient checks."""

from .._autograd.api import backward, grad
from .._autograd.function import Function, FunctionCtx
from .._autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .._autograd.gradcheck import gradcheck, gradgradcheck
from . import forward_ad, functional


def set_detect_anomaly(mode: bool, check_nan: bool = True) -> None:
    """Accepted for compatibility; autojac's errors already name the failing node."""


__all__ = [
    "backward",
    "grad",
    "Function",
    "FunctionCtx",
    "gradcheck",
    "gradgradcheck",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "forward_ad",
    "functional",
    "set_detect_anomaly",
]
