"""``gradcheck``/``gradgradcheck``: analytical derivatives against central differences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from . import forward_ad as fw_state
from .api import grad


class GradcheckError(RuntimeError):
    """Raised by gradcheck when a derivative does not match finite differences."""


def _outputs(func: Callable[..., Any], inputs: tuple) -> tuple[Tensor, ...]:
    out = func(*inputs)
    return (out,) if isinstance(out, Tensor) else tuple(out)


def _numerical(func: Callable[..., Any], inputs: tuple, i: int, eps: float) -> list[np.ndarray]:
    """d outputs / d inputs[i] by central differences, one (out.size, in.size) block each."""
    x = inputs[i]
    flat = x._data.reshape(-1)
    cols: list[list[np.ndarray]] = []
    for k in range(flat.size):
        orig = flat[k]
        flat[k] = orig + eps
        plus = [o._data.astype(np.float64).ravel() for o in _outputs(func, inputs)]
        flat[k] = orig - eps
        minus = [o._data.astype(np.float64).ravel() for o in _outputs(func, inputs)]
        flat[k] = orig
        cols.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    n_out = len(_outputs(func, inputs)) if not cols else len(cols[0])
    return [
        np.stack([c[j] for c in cols], axis=1) if cols else np.zeros((0, 0)) for j in range(n_out)
    ]


def _analytical(outputs: tuple[Tensor, ...], inputs: tuple, i: int) -> list[np.ndarray]:
    x = inputs[i]
    blocks = []
    for o in outputs:
        rows = []
        for k in range(o._data.size):
            if not o._rg:
                rows.append(np.zeros(x._data.size))
                continue
            seed = np.zeros(o._data.size, dtype=o._data.dtype)
            seed[k] = 1
            (g,) = grad(
                o,
                x,
                _make(seed.reshape(o._data.shape), False, None),
                retain_graph=True,
                allow_unused=True,
            )
            rows.append(np.zeros(x._data.size) if g is None else g._data.astype(np.float64).ravel())
        blocks.append(np.stack(rows) if rows else np.zeros((0, x._data.size)))
    return blocks


def _forward_mode(func: Callable[..., Any], inputs: tuple, i: int) -> list[np.ndarray]:
    from ..autograd.forward_ad import dual_level, make_dual

    x = inputs[i]
    cols = []
    for k in range(x._data.size):
        tangent = np.zeros(x._data.size, dtype=x._data.dtype)
        tangent[k] = 1
        with dual_level():
            args = list(inputs)
            args[i] = make_dual(x, _make(tangent.reshape(x._data.shape), False, None))
            outs = _outputs(func, tuple(args))
            cols.append(
                [
                    np.zeros(o._data.size)
                    if o._fw is None
                    else o._fw._data.astype(np.float64).ravel()
                    for o in outs
                ]
            )
    return [np.stack([c[j] for c in cols], axis=1) for j in range(len(cols[0]))] if cols else []


def _differentiable(inputs: Any) -> tuple:
    """``inputs`` as a tuple, with PyTorch's error when none requires grad (a check that
    could not fail)."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of them have requires_grad=True.")
    return inputs


def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    **_: Any,
) -> bool:
    """Compare the vjp (and optionally jvp) Jacobians of ``func`` with finite differences.

    Example:
        >>> x = autojac.tensor([0.5, 1.5], dtype=autojac.float64, requires_grad=True)
        >>> autojac.autograd.gradcheck(autojac.sin, (x,))
        True
    """
    inputs = _differentiable(inputs)
    outputs = _outputs(func, inputs)
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        numerical = _numerical(func, inputs, i, eps)
        checks = []
        if check_backward_ad:
            checks.append(("Jacobian", _analytical(outputs, inputs, i)))
        if check_forward_ad and fw_state.state.level is None:
            checks.append(("Jacobian computed with forward mode",
                           _forward_mode(func, inputs, i)))
        for what, blocks in checks:
            for j, (n, a) in enumerate(zip(numerical, blocks)):
                if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=True):
                    if not raise_exception:
                        return False
                    raise GradcheckError(
                        f"{what} mismatch for output {j} with respect to input {i},\n"
                        f"numerical:{n}\nanalytical:{a}\n"
                    )
    return True


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    **_: Any,
) -> bool:
    """gradcheck of the vjp of ``func`` (its second derivatives)."""
    inputs = _differentiable(inputs)
    outputs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            _make(rng.standard_normal(o._data.shape).astype(o._data.dtype), True, None)
            for o in outputs
        )
    else:
        grad_outputs = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
    n = len(inputs)
    diff = [k for k, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def vjp_fn(*args: Any) -> tuple:
        xs, gs = args[:n], args[n:]
        outs = _outputs(func, xs)
        pairs = [(o, g) for o, g in zip(outs, gs) if o._rg]
        return grad(
            [o for o, _ in pairs],
            [xs[k] for k in diff],
            [g for _, g in pairs],
            create_graph=True,
            allow_unused=True,
            materialize_grads=True,
        )

    return gradcheck(
        vjp_fn,
        inputs + tuple(grad_outputs),
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )
