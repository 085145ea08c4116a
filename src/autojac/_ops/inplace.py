"""In-place updates: ``add_``, ``mul_``, ``zero_``, ``x[i] = v``, ``x += y``, ...

An in-place op runs its out-of-place twin on a snapshot of the old value and writes the
result into the tensor's memory; the version counter (shared with every view of that
memory) is bumped so that nodes which saved the old value detect the change. When the
tensor is a view, the new value is scattered back through each view op (its ``unview``
rule) to the base, which gets the new history (PyTorch's CopySlices), and the views are
re-derived from it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtypes
from .._autograd import forward_ad as fw
from .._autograd import grad_mode, tape_state
from .._autograd.graph import bump_version, note_reshape, reshapes
from .._tensor import Tensor, _make, scalar_type_name
from ._registry import (
    Op,
    PatternRule,
    adopt,
    apply,
    current,
    install,
    no_grad_view_error,
    view_parent,
)
from .indexing import GETITEM, index_put, normalize_index

_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation.")


def _snapshot(t: Tensor) -> Tensor:
    """A copy of ``t``'s current value with ``t``'s autograd identity (graph and tangent)."""
    old = _make(t._data.copy(), t._rg, t.grad_fn)
    old._output_nr = t._output_nr
    old._fw = t._fw
    return old


def _view_chain(t: Tensor) -> list[tuple[Tensor, Tensor, Op, tuple]]:
    """``(view, parent, op, params)`` from ``t`` up to the tensor that owns the memory."""
    chain = []
    while t._view is not None:
        parent = view_parent(t)
        if parent is None:  # the tensor reshaped in place is gone: t owns what is left
            break
        chain.append((t, parent, t._view[1], t._view[2]))
        t = parent
    return chain


def _check_leaf(t: Tensor, root: Tensor, is_view: bool) -> None:
    if root.grad_fn is None and root._rg:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place "
            "operation." if is_view else
            "a leaf Variable that requires grad is being used in an in-place operation.")


def _check_no_grad_view(t: Tensor, operands: tuple,
                        through: Callable[[], str] | None = None) -> None:
    """PyTorch's error for a write in grad mode, that autograd would record, into a view
    made in no_grad mode or a view of one (``through``: the node of the view written, when
    that is a view taken for the write, as ``x[i] = v``)."""
    if not (grad_mode.state.enabled and t._view is not None and t._view[5] and (
            t.requires_grad or any(isinstance(a, Tensor) and a.requires_grad
                                   for a in operands))):
        return
    if through is not None:
        raise no_grad_view_error("is being modified inplace", through())
    raise no_grad_view_error("is being modified inplace",
                             None if t.grad_fn is None else t.grad_fn.name(), t._output_nr)


def _check_result(out: Tensor, t: Tensor) -> None:
    """PyTorch's errors for a result that ``t`` cannot hold: a broadcast shape or a dtype."""
    if out._data.shape != t._data.shape:
        raise RuntimeError(f"output with shape {list(t._data.shape)} doesn't match the "
                           f"broadcast shape {list(out._data.shape)}")
    _check_cast(out._data.dtype, t._data.dtype)


def _check_cast(src: np.dtype, dst: np.dtype) -> None:
    """PyTorch's error where its canCast refuses a result of dtype ``src`` into ``dst``: not
    complex to real, floating to integral, nor anything to bool."""
    if src != dst and (src.kind == "c" and dst.kind != "c" or src.kind == "f" and dst.kind in "iub"
                       or src.kind != "b" and dst.kind == "b"):
        raise RuntimeError(f"result type {scalar_type_name(src)} can't be cast to the desired "
                           f"output type {scalar_type_name(dst)}")


def check_writable(t: Tensor) -> None:
    """PyTorch's error for a write in place into ``t`` whose elements share memory (an
    expanded tensor: NumPy's broadcast views are read-only)."""
    if not t._data.flags.writeable:
        raise RuntimeError(_OVERLAP)


def inplace(self: Tensor, compute: Any, *args: Any, as_view: bool = False) -> Tensor:
    """Write ``compute(old_value, *args)`` into ``self``.

    ``as_view`` treats ``self`` as a view of its own memory (``x[i] = v`` on a leaf is an
    in-place update of the view ``x[i]`` in PyTorch, with that error wording).
    """
    _check_no_grad_view(self, args)
    check_writable(self)
    tape_state.refuse(tape_state.IN_PLACE)
    current((self,))  # a view whose base changed since: its history first
    chain = _view_chain(self)
    root = chain[-1][1] if chain else self
    tensor_args = [a for a in args if isinstance(a, Tensor)]
    recording = grad_mode.state.enabled and (
        self._rg or root._rg or any(a.requires_grad for a in tensor_args))
    dual = fw.state.active and (
        self._fw is not None or root._fw is not None or
        any(a._fw is not None for a in tensor_args))
    if not (recording or dual):
        out = compute(self, *args)
        _check_result(out, self)
        np.copyto(self._data, out._data, casting="unsafe")
        bump_version(self)
        return self
    if recording:
        _check_leaf(self, root, bool(chain) or as_view)
    new = compute(_snapshot(self), *args)
    _check_result(new, self)
    if new._data.dtype != self._data.dtype:
        new = new.to(self._data.dtype)
    for _, parent, op, params in chain:  # scatter the new value back up to the root
        if op.unview is None:
            raise RuntimeError(_OVERLAP)
        new = op.unview(_snapshot(parent), new, *params)
    np.copyto(root._data, new._data, casting="unsafe")
    bump_version(root)
    adopt(root, new)
    for view, parent, op, params in reversed(chain):  # re-derive the views from the root
        adopt(view, apply(op, (parent,), params))
        view._view = (view._view[0], op, params, root._vc[0], *view._view[4:])
    return self


def _inplace_method(name: str, fn: Any, cast_first: bool = False) -> None:
    """``name``, writing ``fn``'s result in place; ``cast_first``: PyTorch refuses a promoted
    dtype that the tensor cannot hold before the kernel runs (whose own error, for a dtype
    it lacks, would come first otherwise)."""
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        promoted = _promoted(self, args) if cast_first else None
        if promoted is not None:
            _check_cast(promoted, self._data.dtype)
        return inplace(self, lambda old, *a: fn(old, *a, **kwargs), *args)

    method.__name__ = name
    method.__doc__ = f"In-place ``{name[:-1]}``."
    install(name, method)


def _promoted(self: Tensor, args: tuple) -> np.dtype | None:
    """PyTorch's result dtype of ``self`` with ``args`` (tensors and numbers; None for
    anything else, which the op refuses itself)."""
    operands: list[Any] = [self._data]
    for a in args:
        if isinstance(a, Tensor):
            operands.append(a._data)
        elif isinstance(a, np.generic):
            operands.append(a.item())
        elif type(a) in (int, float, bool, complex):
            operands.append(a)
        else:
            return None
    return _dtypes.result_type(*operands)


def _setitem(self: Tensor, index: Any, value: Any) -> None:
    _refuse_byte_mask_fill(index, value)
    as_view = _through_a_view(index, self._data.shape)
    if as_view:  # (written through the view self[index])
        _check_no_grad_view(self, (value,), lambda: GETITEM.node_name(
            (self,), (normalize_index(index, self._data.shape), self._data.ndim)))
    inplace(self, lambda old, v: index_put(old, index, v), value, as_view=as_view)


def _refuse_byte_mask_fill(index: Any, value: Any) -> None:
    """PyTorch's error for ``x[mask] = v`` with a uint8 ``mask`` its only tensor index and
    ``v`` one number: it fills with masked_fill_, which takes bool masks only."""
    items = index if isinstance(index, tuple) else (index,)
    tensors = [i for i in items if isinstance(i, (Tensor, list))]
    one_number = not isinstance(value, Tensor) or value._data.size == 1
    if (one_number and len(tensors) == 1 and isinstance(tensors[0], Tensor)
            and tensors[0]._data.dtype == np.uint8):
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           "unsigned char")


def _through_a_view(index: Any, shape: tuple[int, ...]) -> bool:
    """Whether PyTorch writes ``x[index] = v`` into a view of ``x`` (its error for a leaf
    then says so): where the index holds an int, None or a bool, or a slice that is not
    all of its dim (from 0, step 1; PyTorch does not wrap a negative start here)."""
    items = index if isinstance(index, tuple) else (index,)

    def dims_taken(item: Any) -> int:
        if item is None or item is Ellipsis or isinstance(item, bool):
            return 0
        array = item._data if isinstance(item, Tensor) else item
        is_mask = isinstance(array, np.ndarray) and (
            array.dtype == np.bool_ or isinstance(item, Tensor) and array.dtype == np.uint8)
        return array.ndim if is_mask else 1

    dim = 0
    for item in items:
        if item is Ellipsis:
            dim += len(shape) - sum(map(dims_taken, items))
            continue
        if item is None or isinstance(item, (bool, int, np.integer)) or (
                isinstance(item, Tensor) and item._data.ndim == 0):
            return True
        if isinstance(item, slice) and not (
                item.start in (None, 0) and item.step in (None, 1)
                and (item.stop is None or item.stop >= shape[dim])):
            return True
        dim += dims_taken(item)
    return False


# a filled tensor depends on none of what it held
_DEPENDS_ON_NOTHING = PatternRule(
    lambda bits, value: np.zeros_like(bits),
    lambda bits, x, value: np.zeros(bits.shape[:1] + x.shape, bits.dtype),
)


def _zeros_like(g: Tensor, *_: Any) -> Tensor:
    return _make(np.zeros_like(g._data), False, None)


FILL = Op("fill", lambda a, value: np.full_like(a, value), vjp=(_zeros_like,),
          jvp=(_zeros_like,), pattern=_DEPENDS_ON_NOTHING, node_name=lambda inputs, params: (
              "ZeroBackward0" if params[0] == 0 else "FillBackward0"))


def _fill(old: Tensor, value: Any) -> Tensor:
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value._data.ndim} dimensions.")
        return index_put(old, Ellipsis, value)
    return apply(FILL, (old,), (_dtypes.fill_value(value, old._data.dtype),))


def _undo(name: str, redo: Any, t: Tensor, shape: tuple) -> Tensor:
    """The view of ``t``, just reshaped in place by ``name``, that undoes it: a
    transposition (``redo``) is its own inverse, a squeeze or unsqueeze is undone by a
    reshape to the old ``shape``."""
    with grad_mode.no_grad():
        return t.reshape(shape) if name in ("squeeze_", "unsqueeze_") else redo(t)


def _reshaping_method(name: str, fn: Any) -> None:
    """In-place ops that change the shape: the tensor takes the result's view and history,
    and a new version (as in PyTorch), so that nodes which saved its old value see it;
    the nodes that read it so far keep its old state (``graph.note_reshape``)."""
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        _check_no_grad_view(self, ())
        tape_state.refuse(tape_state.IN_PLACE)
        current((self,))
        recording = grad_mode.state.enabled and self._rg
        if recording:
            chain = _view_chain(self)
            _check_leaf(self, chain[-1][1] if chain else self, bool(chain))
        before = _make(self._data, self._rg, self.grad_fn)
        before._output_nr, before._fw, before._vc = self._output_nr, self._fw, self._vc
        before._base, before._view = self._base, self._view
        out = fn(before, *args, **kwargs)
        note_reshape(self, before)  # nodes that read self so far keep seeing it as it was
        self._data = out._data
        bump_version(self)
        if self._view is not None:  # still a view of its base, through the new shape
            self._view = (*out._view[:3], self._vc[0], reshapes[0], out._view[5])
        else:  # the old state becomes a view of the new one: views taken of it follow it
            undo = _undo(name, lambda t: fn(t, *args, **kwargs), _make(self._data, False, None),
                         before._data.shape)
            before._view = (weakref.ref(self), *undo._view[1:3], self._vc[0], reshapes[0],
                            False)
        if out.grad_fn is not None or out._fw is not None:
            adopt(self, out)
        return self

    method.__name__ = name
    install(name, method)


install("__setitem__", _setitem)
for _name in ("add", "sub", "mul", "div", "pow", "clamp", "clip", "exp", "log", "sqrt", "neg",
              "abs", "relu", "sigmoid", "tanh", "sin", "cos", "floor", "ceil", "round", "sign",
              "reciprocal", "remainder", "masked_fill", "lerp", "square", "clamp_min",
              "clamp_max", "index_add", "scatter", "scatter_add", "floor_divide", "exp2",
              "expm1", "log2", "log10", "log1p", "rsqrt", "tan", "asin", "acos", "atan", "sinh",
              "cosh", "asinh", "acosh", "atanh", "erf", "erfc", "trunc"):
    _inplace_method(_name + "_", getattr(Tensor, _name))
for _name in ("bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
              "bitwise_right_shift"):  # (integral kernels)
    _inplace_method(_name + "_", getattr(Tensor, _name), cast_first=True)
for _name in ("t", "transpose", "unsqueeze", "squeeze", "swapaxes", "swapdims"):
    _reshaping_method(_name + "_", getattr(Tensor, _name))
for _dunder, _method in (
    ("iadd", "add_"), ("isub", "sub_"), ("imul", "mul_"), ("itruediv", "div_"),
    ("ifloordiv", "floor_divide_"), ("imod", "remainder_"), ("ipow", "pow_"),
    ("iand", "bitwise_and_"), ("ior", "bitwise_or_"), ("ixor", "bitwise_xor_"),
    ("ilshift", "bitwise_left_shift_"), ("irshift", "bitwise_right_shift_"),
):
    install(f"__{_dunder}__", getattr(Tensor, _method))
install("zero_", lambda self: inplace(self, _fill, 0))
install("fill_", lambda self, value: inplace(self, _fill, value))
install("copy_", lambda self, src, non_blocking=False: inplace(
    self, lambda old, s: index_put(old, Ellipsis, s), src))
