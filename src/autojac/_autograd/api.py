"""``autograd.grad`` and ``backward``: PyTorch's argument handling around the engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._size import Size
from .._tensor import Tensor, _make
from . import tape_state
from .engine import run_backward
from .float_errors import quiet_float_errors


def _as_tuple(x: Any) -> tuple:
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def refuse_complex_seed(output: Tensor) -> None:
    """PyTorch's error where a cotangent of ones would be made for a complex output."""
    if output._data.dtype.kind == "c":
        raise RuntimeError(
            f"grad can be implicitly created only for real scalar outputs but got {output.dtype}")


def conform_grad(i: int, grad: Tensor, output: Tensor) -> Tensor:
    """``grad`` cast to ``output``'s dtype, as PyTorch's engine does; complexness must agree."""
    if (grad._data.dtype.kind == "c") != (output._data.dtype.kind == "c"):
        raise RuntimeError(
            "For complex Tensors, both grad_output and output are required to have "
            f"the same dtype. Mismatch in dtype: grad_output[{i}] has a dtype of "
            f"{grad.dtype} and output[{i}] has a dtype of {output.dtype}.")
    if grad._data.dtype != output._data.dtype and output._data.dtype.kind in "fc":
        return grad.to(output.dtype)
    return grad


def _make_grads(
    outputs: tuple[Tensor, ...], grads: tuple[Any, ...], is_grads_batched: bool
) -> list[Any]:
    """Validate the given grad_outputs (or create ones for scalars), as PyTorch does."""
    out = []
    for i, (o, g) in enumerate(zip(outputs, grads)):
        if isinstance(g, Tensor):
            shape = g._data.shape[1:] if is_grads_batched else g._data.shape
            if shape != o._data.shape:
                if is_grads_batched:
                    raise RuntimeError(
                        "If `is_grads_batched=True`, we interpret the first dimension of each "
                        "grad_output as the batch dimension. The sizes of the remaining "
                        "dimensions are expected to match the shape of corresponding output, "
                        f"but a mismatch was detected: grad_output[{i}] has a shape of "
                        f"{Size(g._data.shape[2:])} and output[{i}] has a shape of "  # (torch's)
                        f"{Size(o._data.shape)}. If you only want some tensors in `grad_output` "
                        "to be considered batched, consider using vmap."
                    )
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {Size(g._data.shape)} "
                    f"and output[{i}] has a shape of {Size(o._data.shape)}."
                )
            out.append(conform_grad(i, g, o))
        elif g is None:
            if o._rg:
                if o._data.size != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                refuse_complex_seed(o)
                ones = _make(np.ones(o._data.shape, o._data.dtype), False, None)
                tape_state.made(ones, np.ones, o._data.shape, o._data.dtype)
                out.append(ones)
            else:
                out.append(None)
        else:
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
    return out


def _check_roots(outputs: tuple, grads: list) -> tuple[list, list]:
    roots, root_grads = [], []
    for i, (o, g) in enumerate(zip(outputs, grads)):
        if not o._rg:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is not None:
            roots.append(o)
            root_grads.append(g)
    return roots, root_grads


@quiet_float_errors
def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves."""
    if inputs is not None:
        inputs = _as_tuple(inputs.values() if isinstance(inputs, dict) else inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        if not all(t.requires_grad for t in inputs):  # (each would retain its grad)
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    outputs = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors) if grad_tensors is not None else (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grads)} gradients")
    if retain_graph is None:
        retain_graph = create_graph
    made = _make_grads(outputs, grads, False)
    roots, root_grads = _check_roots(outputs, made)
    run_backward(
        roots,
        root_grads,
        retain_graph=retain_graph,
        create_graph=create_graph,
        targets=inputs,
        accumulate=True,
    )
    for t in inputs or ():  # (a non-leaf input retains its grad from now on, as in PyTorch)
        if t.grad_fn is not None and not t._retains_grad:
            t.retain_grad()


@quiet_float_errors
def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Any, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    Example:
        >>> x = autojac.tensor([1.0, 2.0], requires_grad=True)
        >>> autojac.autograd.grad((x ** 2).sum(), x)
        (tensor([2., 4.]),)
    """
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, "
            "but got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _as_tuple(outputs)
    if isinstance(inputs, dict):
        inputs = tuple(inputs.values())
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    for t in inputs:
        if not isinstance(t, Tensor):
            raise RuntimeError(
                f"all inputs have to be Tensors or GradientEdges, but got {type(t).__name__}"
            )
    if grad_outputs is None:
        grads: tuple = (None,) * len(outputs)
    else:
        grads = _as_tuple(grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    if len(grads) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grads)} gradients")
    made = _make_grads(outputs, grads, is_grads_batched)
    roots, root_grads = _check_roots(outputs, made)
    for t in inputs:
        if not t.requires_grad:  # (a view outside the graph follows its base)
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    result = run_backward(
        roots,
        root_grads,
        retain_graph=retain_graph,
        create_graph=create_graph,
        targets=inputs,
        accumulate=False,
    )
    final = []
    for i, (t, g) in enumerate(zip(inputs, result)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:  # (without the batch dim of batched grads, as PyTorch)
                g = _make(np.zeros(t._data.shape, dtype=t._data.dtype), False, None)
        elif not create_graph:
            g = g.detach() if g._rg else g
        final.append(_fix_dtype(g, t))
    return tuple(final)


def _fix_dtype(g: Any, t: Tensor) -> Any:
    if g is not None and g._data.dtype != t._data.dtype:
        return g.to(t.dtype)
    return g


def tensor_backward(
    self: Tensor,
    gradient: Tensor | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
) -> None:
    """Compute the gradient of this tensor w.r.t. the graph leaves (``Tensor.backward``)."""
    backward(self, gradient, retain_graph, create_graph, inputs)


Tensor.backward = tensor_backward
