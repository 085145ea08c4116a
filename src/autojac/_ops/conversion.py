"""dtype conversion (``to``, ``float()``, ``double()``, ...) and in-place updates.

An in-place op runs its out-of-place twin on a snapshot of the old value and writes the
result back, so the graph sees the old value as an input; the tensor's version counter
is bumped so that nodes that saved it detect the change.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtypes
from .._autograd import forward_ad as fw
from .._autograd import grad_mode
from .._tensor import Tensor, _make
from ._registry import Op, OpNode, apply, install
from .indexing import index_put

TO_COPY = Op(
    "to_copy",
    lambda a, dtype: a.astype(dtype),
    vjp=(lambda g, ans, x, dtype: g.to(x._data.dtype) if g._data.dtype != x._data.dtype else g,),
    jvp="linear",
    saves=False,
    node_name="ToCopyBackward0",
)


def _dtype_arg(args: tuple, kwargs: dict) -> Any:
    dtype = kwargs.get("dtype")
    for a in args:
        if isinstance(a, (_dtypes.dtype, np.dtype, type)):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a._data.dtype
    return dtype


def to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Convert to a dtype (``device`` arguments other than 'cpu' are rejected)."""
    device = kwargs.get("device", next((a for a in args if isinstance(a, str)), None))
    if device is not None and str(device) != "cpu":
        raise RuntimeError(f"autojac tensors live on the CPU; cannot move to '{device}'")
    dtype = _dtypes.to_numpy_dtype(_dtype_arg(args, kwargs))
    if dtype is None or dtype == self._data.dtype:
        return self.clone() if kwargs.get("copy") else self
    return apply(TO_COPY, (self,), (dtype,))


def _caster(dtype: _dtypes.dtype):
    def cast(self: Tensor, memory_format: Any = None) -> Tensor:
        return to(self, dtype)

    cast.__doc__ = f"``self.to({dtype!r})``."
    return cast


for _name, _dt in (
    ("float", _dtypes.float32),
    ("double", _dtypes.float64),
    ("half", _dtypes.float16),
    ("int", _dtypes.int32),
    ("long", _dtypes.int64),
    ("bool", _dtypes.bool_),
    ("short", _dtypes.int16),
    ("cfloat", _dtypes.complex64),
    ("cdouble", _dtypes.complex128),
):
    install(_name, _caster(_dt))
install("to", to)
install(
    "type",
    lambda self, dtype=None: (
        f"autojac.{_TYPE_NAMES[self._data.dtype.name]}" if dtype is None else to(self, dtype)
    ),
)
install("type_as", lambda self, other: to(self, other._data.dtype))
install("cpu", lambda self: self)
_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
    "complex64": "ComplexFloatTensor",
    "complex128": "ComplexDoubleTensor",
}


# -- in-place updates
def _check_inplace(self: Tensor, recording: bool) -> None:
    if not recording:
        return
    if self.grad_fn is None and self._rg:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
    base = self._base
    if base is not None and (base._rg or self._rg):
        if base.grad_fn is None and base._rg:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in "
                "an in-place operation."
            )
        raise NotImplementedError(
            "autojac does not support in-place operations on a view of a tensor that is part of "
            "a graph; apply the operation out of place, or to the base tensor"
        )


def inplace(self: Tensor, compute: Any, *args: Any) -> Tensor:
    """Run ``compute(old, *args)`` out of place and write its result into ``self``."""
    recording = grad_mode.state.enabled and (
        self._rg or any(isinstance(a, Tensor) and a._rg for a in args)
    )
    dual = fw.state.active and (
        self._fw is not None or any(isinstance(a, Tensor) and a._fw is not None for a in args)
    )
    _check_inplace(self, recording)
    if recording or dual:
        old = _make(self._data.copy(), self._rg, self.grad_fn)
        old._output_nr = self._output_nr
        old._fw = self._fw
    else:
        old = self
    out = compute(old, *args)
    if not self._data.flags.writeable:
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation."
        )
    if out._data.dtype != self._data.dtype and not np.can_cast(
        out._data.dtype, self._data.dtype, casting="same_kind"
    ):
        raise RuntimeError(
            f"result type {_dtypes.from_numpy_dtype(out._data.dtype).name.capitalize()} can't be "
            f"cast to the desired output type {self.dtype.name.capitalize()}"
        )
    np.copyto(self._data, out._data, casting="unsafe")
    self._version[0] += 1
    if recording and out.grad_fn is not None:
        self.grad_fn = out.grad_fn
        self._rg = True
        self._output_nr = out._output_nr
        node = out.grad_fn
        if isinstance(node, OpNode):
            node.ans_version = (self._version, self._version[0])
    if out._fw is not None:
        fw.attach_tangent(self, out._fw)
    return self


def _inplace_method(name: str, fn: Any) -> None:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return inplace(self, lambda old, *a: fn(old, *a, **kwargs), *args)

    method.__name__ = name
    method.__doc__ = f"In-place ``{name[:-1]}``."
    install(name, method)


def _setitem(self: Tensor, index: Any, value: Any) -> None:
    inplace(self, lambda old, v: index_put(old, index, v), value)


install("__setitem__", _setitem)
for _name in (
    "add",
    "sub",
    "mul",
    "div",
    "pow",
    "clamp",
    "exp",
    "log",
    "sqrt",
    "neg",
    "abs",
    "relu",
    "sigmoid",
    "tanh",
    "sin",
    "cos",
    "floor",
    "ceil",
    "round",
    "sign",
    "reciprocal",
    "remainder",
    "masked_fill",
    "lerp",
    "square",
    "clip",
    "t",
    "transpose",
    "unsqueeze",
    "squeeze",
    "fill_diagonal",
):
    if hasattr(Tensor, _name):
        _inplace_method(_name + "_", getattr(Tensor, _name))
install("__iadd__", Tensor.add_)
install("__isub__", Tensor.sub_)
install("__imul__", Tensor.mul_)
install("__itruediv__", Tensor.div_)
_inplace_method("zero_", lambda old: old * 0)
_inplace_method("fill_", lambda old, value: old * 0 + value)
_inplace_method("copy_", lambda old, src: index_put(old, Ellipsis, src))
