"""Custom differentiable operations: ``autograd.Function`` with forward/backward/jvp."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .._ops._registry import sum_to
from .._ops.inplace import inplace
from .._tensor import Tensor, _make, python_type_name
from . import forward_ad as fw
from . import grad_mode
from .graph import Node, SavedTensor, bump_version, edge_of, freed_error, modified_error


class FunctionCtx:
    """The ``ctx`` of a custom Function: saved tensors and flags for its backward."""

    def __init__(self) -> None:
        self._to_save: tuple[Any, ...] = ()
        self._saved: list[SavedTensor | _SavedOutput | None] | None = None
        self._node: FunctionNode | None = None
        self._non_diff: tuple[Tensor, ...] = ()
        self._dirty: tuple[Tensor, ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep tensors for backward; modifying them in place afterwards is an error."""
        self._to_save = tensors

    def save_for_forward(self, *tensors: Tensor | None) -> None:
        self.save_for_backward(*tensors)

    @property
    def saved_tensors(self) -> tuple[Tensor | None, ...]:
        if self._node is not None and self._node.freed:
            raise freed_error()
        return tuple(None if s is None else _unpack(s, self._node) for s in self._saved or ())

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        self._non_diff = tensors

    def mark_dirty(self, *tensors: Tensor) -> None:
        """Declare inputs that forward changed in place (they must be returned): they take
        the Function's node as their history."""
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value

    def _keep_saved(self, node: FunctionNode | None) -> None:
        """Keep what forward asked to save, at the versions it has once ``apply`` is done;
        ``node``'s own outputs are kept without their history (PyTorch's rule), which they
        get back when unpacked."""
        if node is not None:
            for i, t in enumerate(self._to_save):
                if t is not None and not isinstance(t, Tensor):
                    raise TypeError("save_for_backward can only save variables, but argument "
                                    f"{i} is of type {python_type_name(t)}")
        self._saved = [
            None if not isinstance(t, Tensor)  # (refused above where a node records)
            else _SavedOutput(t) if node is not None and t.grad_fn is node
            else SavedTensor(t)
            for t in self._to_save
        ]
        self._to_save = ()


class _SavedOutput:
    """An output of a Function saved for its backward, held without its history (a node
    holding its own output would be a cycle): unpacking makes it an output of the node
    again."""

    __slots__ = ("data", "vc", "version", "output_nr")

    def __init__(self, t: Tensor) -> None:
        self.data, self.vc, self.version, self.output_nr = t._data, t._vc, t._vc[0], t._output_nr


def _unpack(saved: SavedTensor | _SavedOutput, node: FunctionNode | None) -> Tensor:
    """A saved tensor as backward sees it (``node``: the Function's); PyTorch's error if it
    changed in place since it was saved."""
    if isinstance(saved, SavedTensor):
        saved.check()
        return saved.tensor
    if saved.vc[0] != saved.version:
        raise modified_error(saved.data, saved.vc[0], saved.version, node.name(),
                             saved.output_nr)
    t = _make(saved.data, True, node)
    t._vc, t._output_nr = saved.vc, saved.output_nr
    return t


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

    @property
    def saved_tensors(self) -> tuple[Tensor | None, ...]:
        """What the Function saved, as its backward sees it (in PyTorch the node is the ctx)."""
        return self.ctx.saved_tensors

    def release(self) -> None:
        self.freed = True

    def backward(self, grads: list[Any], needed: list[bool]) -> list[Any]:
        batch = _batch_of(grads, self.out_meta)
        if self.ctx.materialize_grads:
            grads = [g if g is not None or meta is None else _zeros(meta, batch)
                     for g, meta in zip(grads, self.out_meta)]
        result = self._checked(self.fn.backward(self.ctx, *[_writable(g) for g in grads]))
        return [g if g is None or edge is None else self._validated(i, g, meta, len(batch))
                for i, (g, edge, meta) in enumerate(zip(result, self.edges, self.in_meta))]

    def _checked(self, result: Any) -> list[Any]:
        """What backward returned, one gradient per argument of ``apply`` (extra trailing
        Nones dropped), with PyTorch's errors for a wrong count or type."""
        grads = list(result) if isinstance(result, tuple) else [result]
        n = len(self.edges)
        if len(grads) > n and all(g is None for g in grads[n:]):
            del grads[n:]
        if len(grads) != n:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                               f"gradients (expected {n}, got {len(grads)})")
        for i, (g, is_tensor) in enumerate(zip(grads, self.tensor_args)):
            if g is None:
                continue
            if not is_tensor:
                raise RuntimeError(
                    f"function {self.name()} returned a gradient different than None at "
                    f"position {i + 1}, but the corresponding forward input was not a Variable")
            if not isinstance(g, Tensor):
                raise RuntimeError(f"expected Variable or None (got {python_type_name(g)})")
        return grads

    def _validated(self, i: int, g: Tensor, meta: tuple, nb: int) -> Tensor:
        """Input ``i``'s gradient summed to its shape and cast to its dtype, as PyTorch takes
        it (``nb``: the batch dims of the rows of a vectorized Jacobian, kept); PyTorch's
        error for a shape the input does not expand to."""
        shape, dtype = meta
        got = g._data.shape[nb:]
        if got != shape:
            if len(shape) > len(got) or any(
                    s not in (1, n) for s, n in zip(shape[::-1], got[::-1])):
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index {i} - got "
                    f"{list(got)} but expected shape compatible with {list(shape)}")
            g = sum_to(g, shape, len(got) - len(shape))
        return g if g._data.dtype == dtype else g.to(dtype)


def _writable(g: Any) -> Any:
    """``g`` as the user's backward may change it in place: a read-only array that autojac
    shares (a Jacobian's seeds are a kept identity) is copied; an expanded one (a zero
    stride) stays, so that writing into it raises PyTorch's error."""
    if g is None or g._rg or g._data.flags.writeable or 0 in g._data.strides:
        return g
    return _make(g._data.copy(), False, None)


def _batch_of(grads: list[Any], out_meta: list[tuple | None]) -> tuple[int, ...]:
    """The batch dims that the cotangents carry (rows of a vectorized Jacobian), from the
    first one present: its dims before those of its output."""
    for g, meta in zip(grads, out_meta):
        if g is not None and meta is not None:
            return g._data.shape[: g._data.ndim - len(meta[0])]
    return ()


def _zeros(meta: tuple, batch: tuple[int, ...]) -> Tensor:
    """The zero cotangent of an output described by ``meta``, with ``batch`` dims first."""
    shape, dtype = meta
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
    def setup_context(ctx: FunctionCtx, inputs: tuple, output: Any) -> None:
        """Fill ``ctx`` from forward's inputs and output, for a forward without ``ctx``."""
        raise NotImplementedError("setup_context is not implemented.")

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
            raw = _run_forward(cls, ctx, args)
        single = not isinstance(raw, tuple)
        outs = (raw,) if single else raw
        if not all(_among(t, outs) for t in ctx._dirty):
            raise RuntimeError(_DIRTY_NOT_RETURNED)
        node = _new_node(cls, ctx, args, outs) if record else None
        results = [_output(o, nr, node, ctx, args) for nr, o in enumerate(outs)]
        ctx._keep_saved(node)
        if fw.state.active and any(isinstance(a, Tensor) and a._fw is not None for a in args):
            _push_tangents(cls, ctx, args, results)
        return results[0] if single else tuple(results)


def _run_forward(cls: type[Function], ctx: FunctionCtx, args: tuple) -> Any:
    """Forward's result: forward takes ``ctx`` unless the Function defines
    ``setup_context``, which then gets it after forward."""
    if cls.setup_context is Function.setup_context:
        return cls.forward(ctx, *args)
    raw = cls.forward(*args)
    cls.setup_context(ctx, args, raw)
    return raw


_DIRTY_NOT_RETURNED = (
    "Some elements marked as dirty during the forward method were not returned as output. "
    "The inputs that are modified inplace must all be outputs of the Function.")


def _among(t: Any, values: tuple) -> bool:
    """Whether ``t`` itself (not an equal tensor) is one of ``values``."""
    return any(v is t for v in values)


def _new_node(cls: type, ctx: FunctionCtx, args: tuple, outs: tuple) -> FunctionNode:
    """The node recording one call of ``cls`` on ``args`` that returned ``outs``."""
    node = FunctionNode.__new__(FunctionNode)
    node.fn, node.ctx = cls, ctx
    node.edges = tuple(edge_of(a) for a in args)
    node.tensor_args = tuple(isinstance(a, Tensor) for a in args)
    node.n_out = len(outs)
    node.retained = None
    node.freed = False
    node.out_meta = [_meta(o) for o in outs]
    node.in_meta = tuple(_meta(a) for a in args)
    ctx._node = node
    return node


def _meta(t: Any) -> tuple | None:
    """The shape and dtype of a tensor (None for anything else)."""
    return (t._data.shape, t._data.dtype) if isinstance(t, Tensor) else None


def _output(o: Any, nr: int, node: FunctionNode | None, ctx: FunctionCtx, args: tuple) -> Any:
    """Output ``nr`` of forward as ``apply`` returns it, differentiable ones outputs of
    ``node``: an input marked dirty is returned itself with that history, any other input
    (or a view, or a tensor with a history) as an alias, a tensor made by forward itself."""
    if not isinstance(o, Tensor):
        return o
    differentiable = (node is not None and o._data.dtype.kind in "fc"
                      and not _among(o, ctx._non_diff))
    if _among(o, ctx._dirty):
        if differentiable:
            _rebase(o, node, nr)
        else:
            bump_version(o)
        return o
    if _made_by_forward(o, node, args):
        t = o
        t._fw = None  # (a tangent forward's ops gave it: the jvp's replaces it)
    else:
        t = _make(o._data, False, None)
        t._vc = o._vc
    if differentiable:
        t._rg, t.grad_fn, t._output_nr = True, node, nr
    return t


def _made_by_forward(o: Tensor, node: FunctionNode | None, args: tuple) -> bool:
    """Whether ``o`` is a tensor of its own that forward made (or an output already
    returned): not an input, a view, nor a tensor of another graph."""
    if o.grad_fn is not None or o._rg:
        return o.grad_fn is node is not None
    return o._view is None and not _among(o, args)


def _rebase(t: Tensor, node: FunctionNode, nr: int) -> None:
    """Make ``t``, an input that forward changed in place, output ``nr`` of ``node``, as an
    in-place op would (a view passes the change on to its base); PyTorch's error for a leaf
    that requires grad."""
    if t.grad_fn is None and t._rg and t._view is None:
        raise RuntimeError(
            "a leaf Variable that requires grad has been used in an in-place operation.")
    out = _make(t._data, True, node)
    out._output_nr = nr
    inplace(t, lambda _old, new: new, out)


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


class _DifferentiatedTwice(Function):
    """The history of a ``once_differentiable`` backward's results: differentiating them
    raises."""

    @staticmethod
    def forward(ctx: FunctionCtx, *results: Tensor) -> Any:
        return tuple(r.detach() for r in results) if len(results) > 1 else results[0].detach()

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise RuntimeError(
            "trying to differentiate twice a function that was marked with @once_differentiable")


def once_differentiable(backward: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a Function's ``backward`` as differentiable once: it runs without recording, and
    where its gradients would be differentiated (some of them require grad), doing so raises.

    Example:
        >>> class Square(autojac.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     @once_differentiable
        ...     def backward(ctx, g):
        ...         (x,) = ctx.saved_tensors
        ...         return 2 * x * g
        >>> x = autojac.tensor(3.0, requires_grad=True)
        >>> autojac.autograd.grad(Square.apply(x), x)
        (tensor(6.),)
    """

    @functools.wraps(backward)
    def run_once(ctx: FunctionCtx, *grads: Any) -> Any:
        with grad_mode.no_grad():
            results = backward(ctx, *grads)
        if not grad_mode.is_grad_enabled() or not any(
                isinstance(g, Tensor) and g.requires_grad for g in grads):
            return results
        listed = results if isinstance(results, tuple) else (results,)
        tensors = [r.detach().requires_grad_() for r in listed if isinstance(r, Tensor)]
        guarded = _DifferentiatedTwice.apply(*tensors) if tensors else ()
        guarded = iter(guarded if isinstance(guarded, tuple) else (guarded,))
        out = tuple(next(guarded) if isinstance(r, Tensor) else r for r in listed)
        return out if isinstance(results, tuple) else out[0]

    return run_once
