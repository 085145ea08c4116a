"""Tensor creation: ``tensor``, ``zeros``, ``rand``, ``arange``, ... (PyTorch's dtype rules)."""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _backend, _dtypes
from ._tensor import Tensor, _make, scalar_type_name

_Size = Sequence[int] | int


def _np_dtype(dtype: Any) -> np.dtype | None:
    return _dtypes.to_numpy_dtype(dtype)


def _finish(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = _make(data, False, None)
    if requires_grad:
        if data.dtype.kind not in "fc":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients")
        t._rg = True
    return t


def _number_dtypes(values: Any, found: set[np.dtype]) -> None:
    """Add the dtypes of the numbers in nested data to ``found``."""
    if isinstance(values, (list, tuple)):
        for v in values:
            _number_dtypes(v, found)
    elif isinstance(values, (np.ndarray, np.generic)):
        found.add(values.dtype)
    else:
        found.add(_dtypes.scalar_dtype(values))


def _check_nesting(values: Any, kind: str | None = None, dim: int = 0, data: Any = None
                   ) -> None:
    """PyTorch's errors for ragged nested sequences: the first element at each depth sets
    what the others must be (a sequence where it is a number: the error of a number of
    ``kind``, the dtype's, by default that of all the ``data``)."""
    if not isinstance(values, (list, tuple)) or not values:
        return
    data = values if data is None else data
    lengths = [len(v) if isinstance(v, (list, tuple)) else None for v in values]
    first = lengths[0]
    for v, n in zip(values[1:], lengths[1:]):
        if first is None and n is not None:
            raise _not_a_number(v, kind or _scalar_kind(data))
        if first is not None and n is None:
            raise TypeError("not a sequence")
        if n != first:
            raise ValueError(f"expected sequence of length {first} at dim {dim + 1} (got {n})")
    for v in values:
        _check_nesting(v, kind, dim + 1, data)


def _scalar_kind(values: Any) -> str:
    """"c", "f" or "i": whether nested data holds a complex number, else a float."""
    flat = []
    stack = [values]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        else:
            flat.append(v)
    return "c" if any(isinstance(v, complex) for v in flat) else \
        "f" if any(isinstance(v, float) for v in flat) else "i"


def _not_a_number(bad: Any, kind: str) -> TypeError:
    """PyTorch's error for ``bad`` where a number of the dtype kind ``kind`` must be."""
    if kind in "fc":
        return TypeError(f"must be real number, not {type(bad).__name__}")
    return TypeError(f"'{type(bad).__name__}' object cannot be interpreted as an integer")


def _infer_dtype(values: Any) -> np.dtype:
    """PyTorch's dtype for nested data: each number's own (a Python bool, int, float or
    complex as ``_dtypes.scalar_dtype``, a NumPy scalar or array its dtype), promoted
    together (bool < integers < floats < complex); the default float for no numbers."""
    _check_nesting(values)
    try:
        arr = np.asarray(values)
    except ValueError as err:
        raise ValueError(str(err)) from None
    if arr.dtype.kind in "biufc":
        found: set[np.dtype] = set()
        _number_dtypes(values, found)
        return functools.reduce(_dtypes.promote_types, found) if found \
            else _dtypes.default_float()
    bad = _first_non_number(values)
    first = values
    while isinstance(first, (list, tuple)) and first:
        first = first[0]
    if isinstance(bad, (str, bytes)):
        if isinstance(bad, str) and bad is first and bad is not values:  # (read as a sequence)
            raise ValueError(f"too many dimensions '{type(bad).__name__}'")
        raise TypeError(f"new(): invalid data type '{type(bad).__name__}'")
    raise RuntimeError(f"Could not infer dtype of {type(bad).__name__}")


_ALL_NUMBERS = object()


def _first_non_number(values: Any) -> Any:
    """The first leaf of nested data that is not a number (``_ALL_NUMBERS`` if none)."""
    if isinstance(values, (list, tuple)):
        for value in values:
            found = _first_non_number(value)
            if found is not _ALL_NUMBERS:
                return found
        return _ALL_NUMBERS
    number = isinstance(values, (bool, int, float, complex, np.number, np.ndarray))
    return _ALL_NUMBERS if number else values


def _check_numbers(values: Any, dtype: np.dtype) -> None:
    """PyTorch's errors for nested data that ``dtype`` cannot hold (where NumPy would make
    NaN of a None, or parse a str)."""
    _check_nesting(values, dtype.kind)
    bad = _first_non_number(values)
    if bad is not _ALL_NUMBERS:
        raise _not_a_number(bad, dtype.kind)


def _plain(data: Any, nested: bool = False) -> Any:
    """Nested data with tensors replaced by their values (a tensor inside a list must hold
    one element, as PyTorch takes it for a number)."""
    if isinstance(data, Tensor):
        if not nested:
            return data._data
        if data._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return data._data.reshape(())
    if isinstance(data, (list, tuple)):
        return [_plain(d, True) for d in data]
    return data


def tensor(
    data: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, scalars, arrays, tensors).

    Example:
        >>> autojac.tensor([[1., 2.], [3., 4.]]).shape
        autojac.Size([2, 2])
    """
    np_dtype = _np_dtype(dtype)
    if isinstance(data, Tensor):
        _copy_construct_warning("autojac.tensor")
        arr = np.array(data._data, dtype=np_dtype)
    elif isinstance(data, (np.ndarray, np.generic)):
        _dtypes.from_numpy_dtype(data.dtype)
        arr = np.array(data, dtype=np_dtype)
    else:
        plain = _plain(data)
        if np_dtype is None:
            arr = np.array(plain, dtype=_infer_dtype(plain))
        else:
            _check_numbers(plain, np_dtype)
            if np_dtype.kind in "iu":
                arr = _as_integers(plain, np_dtype)
            else:
                with np.errstate(over="ignore"):  # (a float beyond float32's: inf, silently)
                    arr = np.array(plain, dtype=np_dtype)
    return _finish(arr, requires_grad)


def _as_integers(values: Any, dtype: np.dtype) -> np.ndarray:
    """Nested numbers as an array of the integer ``dtype``, with PyTorch's errors for those
    it cannot hold (NaN too; a negative int down to minus the maximum of an unsigned dtype
    wraps around)."""
    numbers = np.asarray(values)
    if numbers.dtype.kind in "uO":  # (ints beyond int64's range)
        raise ValueError("Overflow when unpacking long long")
    low, high = _dtypes.INT_RANGES[dtype]
    if dtype.kind == "u" and numbers.dtype.kind in "ib":
        low = -high
    if numbers.size and numbers.dtype.kind in "if" and not (
            (numbers >= low) & (numbers <= high)).all():
        raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")
    return numbers.astype(dtype)


def _copy_construct_warning(how: str) -> None:
    warnings.warn("To copy construct from a tensor, it is recommended to use "
                  "sourceTensor.detach().clone() or "
                  f"sourceTensor.detach().clone().requires_grad_(True), rather than "
                  f"{how}(sourceTensor).", UserWarning, stacklevel=3)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with an ndarray or tensor of the same dtype."""
    np_dtype = _np_dtype(dtype)  # (compared with `is None`: NumPy's float64 == None)
    if isinstance(data, Tensor):
        return data if np_dtype is None or np_dtype == data._data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray):
        _dtypes.from_numpy_dtype(data.dtype)
        same = np_dtype is None or np_dtype == data.dtype
        return _make(data if same else data.astype(np_dtype), False, None)
    return tensor(data, dtype=dtype)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray``."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtypes.from_numpy_dtype(ndarray.dtype)
    return _make(ndarray, False, None)


def _is_size(s: Any) -> bool:
    return isinstance(s, (int, np.integer)) and not isinstance(s, bool)


def _shape(name: str, sizes: tuple, size: Any = None, *, one_sequence: bool = False
           ) -> tuple[int, ...]:
    """The shape given as ints or one sequence (``sizes``, positional), or as ``size=``,
    with PyTorch's errors; ``one_sequence``: a single sequence only (``full``)."""
    if size is not None:
        if sizes:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        items, where = size, ""
        if not isinstance(size, (tuple, list)) or (size and not _is_size(size[0])):
            raise TypeError(f"{name}(): argument 'size' must be tuple of ints, not "
                            f"{type(size).__name__}")
    elif not sizes:
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    else:
        items, where = sizes, " (position 1)"
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            items = sizes[0]
        elif len(sizes) == 1 and (one_sequence or not _is_size(sizes[0])):
            raise TypeError(f"{name}(): argument 'size'{where} must be tuple of ints, not "
                            f"{type(sizes[0]).__name__}")
        elif not _is_size(sizes[0]):
            raise TypeError(f"{name}() takes 1 positional argument but {len(sizes)} were given")
    for k, s in enumerate(items):
        if _is_size(s):
            continue
        if k == 0:
            raise TypeError(f"{name}(): argument 'size'{where} must be tuple of ints, but found "
                            f"element of type {type(s).__name__} at pos 0")
        raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos {k + 1} "
                        f'with error "type must be tuple of ints,but got {type(s).__name__}"')
    shape = tuple(int(s) for s in items)
    negative = next((s for s in shape if s < 0), None)
    if negative is not None:
        raise RuntimeError(
            f"Trying to create tensor with negative dimension {negative}: {list(shape)}")
    return shape


def _float_or(dtype: Any) -> np.dtype:
    return _np_dtype(dtype) or _dtypes.default_float()


def zeros(*sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    try:
        shape = _shape("zeros", sizes, size)
    except RuntimeError:  # zeros words it its own way
        raise RuntimeError("zeros: Dimension size must be non-negative.") from None
    return _finish(_backend.zeros(shape, _float_or(dtype)), requires_grad)


def ones(*sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _finish(_backend.ones(_shape("ones", sizes, size), _float_or(dtype)), requires_grad)


def empty(*sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (zeros here)."""
    return _finish(_backend.zeros(_shape("empty", sizes, size), _float_or(dtype)), requires_grad)


def full(
    size: Sequence[int],
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor filled with ``fill_value`` (dtype inferred from it, as PyTorch)."""
    shape = _shape("full", (size,), one_sequence=True)
    fill_value = _number(fill_value)
    np_dtype = _np_dtype(dtype) or _infer_dtype(fill_value)
    value = _dtypes.fill_value(fill_value, np_dtype)
    return _finish(_backend.full(shape, value, np_dtype), requires_grad)


def _number(value: Any) -> Any:
    """A fill value given as a 0-d tensor as its Python number, as PyTorch reads it."""
    return value.item() if isinstance(value, Tensor) and not value._data.ndim else value


def _like(maker: Any, input: Tensor, dtype: Any, requires_grad: bool, *fill: Any) -> Tensor:
    np_dtype = _np_dtype(dtype) or input._data.dtype
    fill = tuple(_dtypes.fill_value(_number(v), np_dtype) for v in fill)
    return _finish(maker(input._data.shape, *fill, np_dtype), requires_grad)


def zeros_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
) -> Tensor:
    return _like(_backend.zeros, input, dtype, requires_grad)


def ones_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
) -> Tensor:
    return _like(_backend.ones, input, dtype, requires_grad)


def empty_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
) -> Tensor:
    return _like(_backend.zeros, input, dtype, requires_grad)


def full_like(
    input: Tensor,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
) -> Tensor:
    return _like(_backend.full, input, dtype, requires_grad, fill_value)


def rand(
    *size: Any,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform samples on [0, 1)."""
    data = _backend.random.gen.random(_shape("rand", size)).astype(
        _sampled_dtype(dtype, "check_uniform_bounds"))
    return _finish(data, requires_grad)


def randn(
    *size: Any,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal samples."""
    data = _backend.random.gen.standard_normal(_shape("randn", size)).astype(
        _sampled_dtype(dtype, "normal_kernel_cpu"))
    return _finish(data, requires_grad)


def _sampled_dtype(dtype: Any, kernel: str) -> np.dtype:
    """The dtype of samples of a continuous distribution; PyTorch's error for an integral
    one."""
    np_dtype = _float_or(dtype)
    if np_dtype.kind not in "fc":
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{scalar_type_name(np_dtype)}'")
    return np_dtype


def rand_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return rand(input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return randn(input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randint(
    low: int,
    high: int | None = None,
    size: Sequence[int] | None = None,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Integers uniform on [low, high) (``randint(high, size)`` also accepted)."""
    if size is None:
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    data = _backend.random.gen.integers(low, high, size=tuple(size))
    return _finish(data.astype(_np_dtype(dtype) or np.int64), requires_grad)


def manual_seed(seed: int) -> None:
    """Seed the generator behind rand/randn/randint."""
    _backend.manual_seed(seed)


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The identity matrix."""
    for name, k in (("n", n), ("m", m)):
        if k is not None and k < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {k}")
    return _finish(_backend.eye(n, n if m is None else m, _float_or(dtype)), requires_grad)


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive); int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    np_dtype = _np_dtype(dtype) or _infer_dtype([start, end, step])
    size = math.ceil((end - start) / step)
    if np_dtype.kind in "biu":  # (PyTorch's: the values from the bounds and step truncated)
        start, end, step = int(start), int(end), int(step)
        if np_dtype == np.int64:  # (and int64's size from them too)
            if step == 0:
                raise ValueError("step must be nonzero")
            span = end - start + step - (1 if step > 0 else -1)
            size = abs(span) // abs(step) * (1 if (span >= 0) == (step > 0) else -1)
    return _finish(_backend.arange(start, end, step, size, np_dtype), requires_grad)


def linspace(
    start: float,
    end: float,
    steps: int,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    np_dtype = _float_or(dtype)
    if np_dtype.kind in "biu":  # (PyTorch's: from the bounds truncated)
        start, end = int(start), int(end)
    return _finish(_backend.linspace(start, end, steps, np_dtype), requires_grad)


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input._data.size


# -- Tensor.new_*: a new tensor of the method's tensor's dtype (unless given)
def _new(maker: Any, self: Tensor, shape: tuple, dtype: Any, requires_grad: bool, *fill: Any
         ) -> Tensor:
    np_dtype = _np_dtype(dtype) or self._data.dtype
    fill = tuple(_dtypes.fill_value(_number(v), np_dtype) for v in fill)
    return _finish(maker(shape, *fill, np_dtype), requires_grad)


def new_zeros(self: Tensor, *sizes: Any, size: Any = None, dtype: Any = None,
              device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``size``, in this tensor's dtype.

    >>> autojac.ones(2, dtype=autojac.float64).new_zeros(3)
    tensor([0., 0., 0.], dtype=autojac.float64)
    """
    return _new(_backend.zeros, self, _shape("new_zeros", sizes, size), dtype, requires_grad)


def new_ones(self: Tensor, *sizes: Any, size: Any = None, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of ``size``, in this tensor's dtype."""
    return _new(_backend.ones, self, _shape("new_ones", sizes, size), dtype, requires_grad)


def new_empty(self: Tensor, *sizes: Any, size: Any = None, dtype: Any = None,
              device: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of ``size`` (zeros here), in this tensor's dtype."""
    return _new(_backend.zeros, self, _shape("new_empty", sizes, size), dtype, requires_grad)


def new_full(self: Tensor, size: Sequence[int], fill_value: Any, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere in ``size``, in this tensor's dtype."""
    shape = _shape("new_full", (size,), one_sequence=True)
    return _new(_backend.full, self, shape, dtype, requires_grad, fill_value)


def new_tensor(self: Tensor, data: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """A copy of ``data`` in this tensor's dtype (unless ``dtype`` is given)."""
    if isinstance(data, Tensor):
        _copy_construct_warning("tensor.new_tensor")
        data = data._data
    return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


for _method in (new_zeros, new_ones, new_empty, new_full, new_tensor):
    setattr(Tensor, _method.__name__, _method)
