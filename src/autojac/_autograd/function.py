"""Custom differentiable operations: ``autograd.Function`` with forward/backward/jvp."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from . import forward_ad as fw
from . import grad_mode
from .graph import Node, SavedTensor, edge_of, freed_error


class FunctionCtx:
    """The ``ctx`` of a custom Function: saved tensors and flags for its backward."""

    def __init__(self) -> None:
        self._saved: list[SavedTensor | None] | None = None
        self._node: FunctionNode | None = None
        self.needs_input_grad: tuple[bool, ...] = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep tensors for backward; modifying them in place afterwards is an error."""
        self._saved = [SavedTensor(t) if t is not None else None for t in tensors]

    def save_for_forward(self, *tensors: Tensor | None) -> None:
        self.save_for_backward(*tensors)

    @property
    def saved_tensors(self) -> tuple[Tensor | None, ...]:
        if self._node is not None and self._node.freed:
            raise freed_error()
        out = []
        for s in self._saved or ():
            if s is None:
                out.append(None)
            else:
                s.check()
                out.append(s.tensor)
        return tuple(out)

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        self._non_diff = {id(t) for t in tensors}

    def mark_dirty(self, *tensors: Tensor) -> None:
        """Accepted for compatibility."""

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


class FunctionNode(Node):
    """The graph node of one custom Function call."""

    __slots__ = ("fn", "ctx", "out_meta", "in_meta", "tensor_args")

    def name(self) -> str:
        return f"{self.fn.__name__}Backward"

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """One entry per tensor argument of ``apply`` (other arguments have no edge)."""
        every = Node.next_functions.fget(self)
        return tuple(e for e, is_tensor in zip(every, self.tensor_args) if is_tensor)

    def release(self) -> None:
        self.freed = True

    def backward(self, grads: list[Any], needed: list[bool]) -> list[Any]:
        if self.ctx.materialize_grads:
            grads = [
                g if g is not None else _zeros(meta, grads) for g, meta in zip(grads, self.out_meta)
            ]
        result = self.fn.backward(self.ctx, *[_writable(g) for g in grads])
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) != len(self.edges):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients (expected "
                f"{len(self.edges)}, got {len(result)})"
            )
        if any(_batch(g, meta) for g, meta in zip(grads, self.out_meta)):
            return list(result)  # rows of a vectorized Jacobian: the shapes carry a batch
        return [g if g is None or edge is None else self._validated(i, g, meta)
                for i, (g, edge, meta) in enumerate(zip(result, self.edges, self.in_meta))]

    def _validated(self, i: int, g: Any, meta: tuple) -> Any:
        """Input ``i``'s gradient summed to its shape and cast to its dtype, as PyTorch takes
        it; PyTorch's error for a shape the input does not expand to."""
        shape, dtype = meta
        if not isinstance(g, Tensor):
            return g
        if g._data.shape != shape:
            got = g._data.shape
            if len(shape) > len(got) or any(
                    s not in (1, n) for s, n in zip(shape[::-1], got[::-1])):
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index {i} - got "
                    f"{list(got)} but expected shape compatible with {list(shape)}")
            g = g.sum_to_size(shape)
        return g if g._data.dtype == dtype else g.to(dtype)


def _writable(g: Any) -> Any:
    """``g`` as the user's backward may change it in place: a read-only array that autojac
    shares (a Jacobian's seeds are a kept identity) is copied; an expanded one (a zero
    stride) stays, so that writing into it raises PyTorch's error."""
    if g is None or g._rg or g._data.flags.writeable or 0 in g._data.strides:
        return g
    return _make(g._data.copy(), False, None)


def _batch(g: Any, meta: tuple | None) -> tuple[int, ...]:
    """The batch dims of the cotangent ``g`` of an output described by ``meta``."""
    if g is None or meta is None:
        return ()
    return g._data.shape[: g._data.ndim - meta[2]]


def _zeros(meta: tuple, grads: list[Any]) -> Tensor:
    present = next(g for g in grads if g is not None)
    shape, dtype, out_ndim = meta
    batch = present._data.shape[: present._data.ndim - out_ndim]
    return _make(np.zeros(batch + shape, dtype=dtype), False, None)


class Function:
    """Base class of custom differentiable operations.

    Example:
        >>> class Cube(autojac.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x ** 3
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         (x,) = ctx.saved_tensors
        ...         return g * 3 * x ** 2
        >>> Cube.apply(autojac.tensor(2.0, requires_grad=True))
        tensor(8., grad_fn=<CubeBackward>)
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement either the backward or vjp method for "
            "your custom autograd.Function to use it with backward mode AD."
        )

    @staticmethod
    def jvp(ctx: FunctionCtx, *grad_inputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the jvp function for custom "
            "autograd.Function to use it with forward mode AD."
        )

    @classmethod
    def apply(cls, *args: Any) -> Any:
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        record = grad_mode.state.enabled and any(ctx.needs_input_grad)
        with grad_mode.no_grad():
            raw = cls.forward(ctx, *args)
        single = not isinstance(raw, tuple)
        outs = (raw,) if single else raw
        non_diff = getattr(ctx, "_non_diff", set())
        results = []
        node = None
        if record:
            node = FunctionNode.__new__(FunctionNode)
            node.fn, node.ctx = cls, ctx
            node.edges = tuple(edge_of(a) for a in args)
            node.tensor_args = tuple(isinstance(a, Tensor) for a in args)
            node.n_out = len(outs)
            node.retained = None
            node.freed = False
            node.out_meta = [
                (o._data.shape, o._data.dtype, o._data.ndim) if isinstance(o, Tensor) else None
                for o in outs
            ]
            node.in_meta = tuple((a._data.shape, a._data.dtype) if isinstance(a, Tensor) else None
                                 for a in args)
            ctx._node = node
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                results.append(o)
                continue
            t = _make(o._data, False, None)
            if node is not None and id(o) not in non_diff and o._data.dtype.kind in "fc":
                t._rg, t.grad_fn, t._output_nr = True, node, i
            results.append(t)
        if fw.state.active and any(isinstance(a, Tensor) and a._fw is not None for a in args):
            _push_tangents(cls, ctx, args, results)
        return results[0] if single else tuple(results)


def _push_tangents(cls: type, ctx: FunctionCtx, args: tuple, results: list) -> None:
    tangents = [
        (a._fw if a._fw is not None else _make(np.zeros_like(a._data), False, None))
        if isinstance(a, Tensor)
        else None
        for a in args
    ]
    fw.state.active = False
    try:
        out_t = cls.jvp(ctx, *tangents)
    finally:
        fw.state.active = True
    out_t = out_t if isinstance(out_t, tuple) else (out_t,)
    for r, t in zip(results, out_t):
        if isinstance(r, Tensor) and t is not None:
            fw.attach_tangent(r, t)
