"""IEEE arithmetic as PyTorch has it: ``log(0)`` is ``-inf`` and ``0 / 0`` NaN, without a
warning. NumPy warns for them (``RuntimeWarning: divide by zero``) unless its error state
says otherwise; autograd's entry points (``backward``, ``grad``, the functional API and
``func``'s transforms) set it for the duration of the call, so that neither the user's
function run under them nor a derivative rule warns. Plain eager ops keep the caller's
NumPy error state.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable[..., Any])

try:  # NumPy 2 keeps its error state in a context variable: setting it costs ~0.2 us
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj

    _QUIET = _make_extobj(all="ignore")
except (ImportError, AttributeError, TypeError):  # (NumPy's internals changed: the public
    _extobj_contextvar = None  # context manager instead, ~2 us)


def quiet_float_errors(fn: F) -> F:
    """``fn`` with NumPy's floating-point warnings off while it runs."""
    if _extobj_contextvar is None:
        return functools.wraps(fn)(np.errstate(all="ignore")(fn))  # type: ignore[return-value]

    @functools.wraps(fn)
    def quiet(*args: Any, **kwargs: Any) -> Any:
        token = _extobj_contextvar.set(_QUIET)
        try:
            return fn(*args, **kwargs)
        finally:
            _extobj_contextvar.reset(token)

    return quiet  # type: ignore[return-value]
