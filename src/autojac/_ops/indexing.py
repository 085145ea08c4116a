"""Indexing: ``x[idx]``, its adjoint (scatter-add into zeros), and ``x[idx] = v``.

Indices are normalised once (Ellipsis expanded, masks turned into integer arrays, tensors
into arrays) and passed as params. To apply an index to an array with extra leading batch
dims, the batch dims are moved to the end, the index applied, and moved back: NumPy's
placement of advanced-index dims then never mixes with the batch.
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

from .. import _dtypes
from .._tensor import Tensor, normalize_dim, scalar_type_name
from ._registry import Op, apply, broadcast_error, install, sum_to


def _to_index_array(i: Any) -> Any:
    if type(i) is slice:
        return _int_bounds(i)
    if type(i) is bool:  # (a 0-d mask, advanced indexing in PyTorch: IndexBackward0)
        return np.array(i)
    if isinstance(i, np.integer):
        return int(i)
    if isinstance(i, float):
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                         "Variables are valid indices (got float)")
    if isinstance(i, Tensor):
        i = _byte_mask_as_bool(i._data)
    elif isinstance(i, list):
        i = np.asarray(i)
        if i.dtype.kind == "f" and not i.size:  # (no indices: NumPy's float array of them)
            i = i.astype(np.int64)
        if i.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if isinstance(i, np.ndarray):
        if i.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if i.ndim == 0 and i.dtype.kind in "iu":
            return int(i)
    return i


def _byte_mask_as_bool(i: np.ndarray) -> np.ndarray:
    """A uint8 index tensor is a mask (deprecated, with PyTorch's warning)."""
    if i.dtype != np.uint8:
        return i
    warnings.warn("indexing with dtype autojac.uint8 is now deprecated, please use a dtype "
                  "autojac.bool instead.", UserWarning, stacklevel=5)
    return i != 0


_PLAIN_BOUNDS = frozenset({int, float, type(None)})  # (a float: NumPy's own error)
_INT_BOUNDS = frozenset({int, type(None)})


def _int_bounds(s: slice) -> slice:
    """``s`` with its tensor or NumPy integer bounds read as ints now, as PyTorch does: a
    tensor changed in place later does not move the slice a node keeps."""
    bounds = (s.start, s.stop, s.step)
    if all(type(b) in _PLAIN_BOUNDS for b in bounds):
        return s
    return slice(*[b if type(b) in _PLAIN_BOUNDS else operator.index(b) for b in bounds])


def is_index_dtype(dtype: np.dtype) -> bool:
    """Whether PyTorch takes an index tensor of ``dtype`` in gather, scatter and the like."""
    return dtype == np.int64 or dtype == np.int32


def _list_as_tuple(index: Any) -> bool:
    """PyTorch's rule (deprecated, with its warning): a list of fewer than 32 items, one of
    them a tensor, a sequence, a slice, Ellipsis or None, is a tuple of indices
    (``x[[[0, 1], [1, 0]]]`` is ``x[[0, 1], [1, 0]]``)."""
    if not isinstance(index, list) or len(index) >= 32 or not any(
            isinstance(i, (Tensor, list, tuple, np.ndarray, slice)) or i is None or i is Ellipsis
            for i in index):
        return False
    warnings.warn(
        "Using a non-tuple sequence for multidimensional indexing is deprecated and will be "
        "changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will "
        "be interpreted as tensor index, x[torch.tensor(seq)], which will result either in an "
        "error or a different result", UserWarning, stacklevel=4)
    return True


def normalize_index(index: Any, shape: tuple[int, ...]) -> tuple[Any, ...]:
    """A tuple of ints, slices, None and integer arrays (or 0-d masks), with no Ellipsis and
    no other masks."""
    if type(index) is tuple:
        if _unit_steps(index, len(shape)):
            return index  # (``x[:, None]``: nothing to check or convert)
    elif type(index) is slice and shape and _unit_steps((index,), 1):
        return (index,)  # (``x[1:]``)
    items = tuple(index) if isinstance(index, tuple) or _list_as_tuple(index) else (index,)
    items = [_to_index_array(i) for i in items]
    consumed = sum(
        0
        if i is None or i is Ellipsis
        else (i.ndim if isinstance(i, np.ndarray) and i.dtype == np.bool_ else 1)
        for i in items
    )
    if consumed > len(shape):
        first = next(i for i in items if i is not None and i is not Ellipsis)
        if not shape and isinstance(first, int):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        if not shape and isinstance(first, slice):
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    out: list[Any] = []
    dim = 0
    for i in items:
        if i is Ellipsis:
            fill = len(shape) - consumed
            out.extend([slice(None)] * fill)
            dim += fill
            consumed = len(shape)
        elif isinstance(i, np.ndarray) and i.dtype == np.bool_ and i.ndim == 0:
            out.append(i)  # a new dim of size 1 (True) or 0 (False), as NumPy's
        elif isinstance(i, np.ndarray) and i.dtype == np.bool_:
            expect = shape[dim : dim + i.ndim]
            if i.shape != expect:
                k = next(k for k in range(i.ndim) if i.shape[k] != expect[k])
                raise IndexError(
                    f"The shape of the mask {list(i.shape)} at index {k} does not match the "
                    f"shape of the indexed tensor {list(shape[dim:])} at index {k}"
                )
            out.extend(np.nonzero(i))
            dim += i.ndim
        else:
            if isinstance(i, np.ndarray) and i.size:
                size = shape[dim]
                bad = i[(i >= size) | (i < -size)]
                if bad.size:
                    raise IndexError(
                        f"index {int(bad.flat[0])} is out of bounds for dimension {dim} with "
                        f"size {size}")
            elif isinstance(i, slice) and i.step is not None and i.step <= 0:
                raise ValueError("step must be greater than zero")
            elif isinstance(i, int) and not isinstance(i, bool):
                size = shape[dim]
                if not -size <= i < size:
                    raise IndexError(
                        f"index {i} is out of bounds for dimension {dim} with size {size}"
                    )
            out.append(i)
            dim += 0 if i is None else 1
    return tuple(out)


def _unit_steps(index: tuple, ndim: int) -> bool:
    """Whether ``index`` holds only Nones and slices of ints without a step, at most
    ``ndim``."""
    dims = 0
    for i in index:
        if (type(i) is slice and i.step is None and type(i.start) in _INT_BOUNDS
                and type(i.stop) in _INT_BOUNDS):
            dims += 1
        elif i is not None:
            return False
    return dims <= ndim


def _has_advanced(idx: tuple) -> bool:
    for i in idx:
        if isinstance(i, np.ndarray):
            return True
    return False


def _batch_last(a: np.ndarray, nb: int) -> np.ndarray:
    """``a``'s leading ``nb`` (batch) dims moved to the end, as a view."""
    return a.transpose(*range(nb, a.ndim), *range(nb)) if nb else a


def _batch_first(a: np.ndarray, nb: int) -> np.ndarray:
    """``a``'s trailing ``nb`` (batch) dims moved to the front, as a view."""
    return a.transpose(*range(a.ndim - nb, a.ndim), *range(a.ndim - nb)) if nb else a


def _getitem_forward(a: np.ndarray, idx: tuple, ndim: int) -> np.ndarray:
    nb = a.ndim - ndim
    if not nb:
        # with only ints NumPy returns a scalar copy; the Ellipsis keeps a 0-d view
        return a[idx] if _has_advanced(idx) else a[idx + (Ellipsis,)]
    if not _has_advanced(idx):  # basic indexing leaves leading batch dims where they are
        return a[(slice(None),) * nb + idx]
    return _batch_first(_batch_last(a, nb)[idx], nb)


def _index_add_forward(g: np.ndarray, idx: tuple, shape: tuple, region_ndim: int) -> np.ndarray:
    nb = g.ndim - region_ndim
    batch = g.shape[:nb]
    advanced = _has_advanced(idx)
    if not advanced and all(i is not None for i in idx):
        z = np.zeros(batch + tuple(shape), dtype=g.dtype)  # (batch dims first: contiguous)
        z[(slice(None),) * nb + idx] = g
        return z
    z = np.zeros(tuple(shape) + batch, dtype=g.dtype)
    if advanced:
        np.add.at(z, idx, _batch_last(g, nb))
    else:
        z[idx] = _batch_last(g, nb)
    return _batch_first(z, nb)


def _index_put_forward(x: np.ndarray, v: Any, idx: tuple, ndim: int, v_ndim: int) -> np.ndarray:
    nb = x.ndim - ndim
    out = x.copy()
    target = _batch_last(out, nb)
    if isinstance(v, np.ndarray):
        vnb = v.ndim - v_ndim
        v = _batch_last(v, vnb)
        if vnb < nb:
            v = v.reshape(v.shape + (1,) * (nb - vnb))
    target[idx] = v
    return out


def _index_name(inputs: tuple, params: tuple) -> str:
    """PyTorch's node for an index: advanced indexing last, else the last basic step."""
    idx = params[0]
    if _has_advanced(idx):
        return "IndexBackward0"
    for i in reversed(idx):
        if i is None:
            return "UnsqueezeBackward0"
        if isinstance(i, int):
            return "SelectBackward0"
        if i != slice(None):
            return "SliceBackward0"
    return "AliasBackward0"


def _region_shape(x_shape: tuple, idx: tuple) -> tuple[int, ...]:
    return np.empty(x_shape, dtype=np.bool_)[idx].shape


def _region_ndim(x_shape: tuple, idx: tuple) -> int:
    return len(_region_shape(x_shape, idx))


GETITEM = Op(
    "getitem",
    _getitem_forward,
    vjp=(
        lambda g, ans, x, idx, ndim: apply(  # (the region's dims: the output's, unbatched)
            INDEX_ADD, (g,), (idx, x._data.shape[x._data.ndim - ndim :],
                              ans._data.ndim - (x._data.ndim - ndim))
        ),
    ),
    jvp="linear",
    saves=False,
    view=lambda idx, ndim: not _has_advanced(idx),  # integer arrays select a copy
    node_name=_index_name,
    unview=lambda parent, new, idx, ndim: apply(INDEX_PUT, (parent, new),
                                                (idx, ndim, new._data.ndim)),
    index_params=True,
)
INDEX_ADD = Op(
    "index_add_zeros",
    _index_add_forward,
    vjp=(lambda g, ans, x, idx, shape, rnd: apply(GETITEM, (g,), (idx, len(shape))),),
    jvp="linear",
    saves=False,
    node_name="IndexBackwardBackward0",
    index_params=True,
)


def _put_x_rule(
    g: Tensor, ans: Tensor, x: Tensor, v: Any, idx: tuple, ndim: int, v_ndim: int
) -> Tensor:
    return apply(INDEX_PUT, (g, 0.0), (idx, ndim, 0))


def _put_v_rule(
    g: Tensor, ans: Tensor, x: Tensor, v: Tensor, idx: tuple, ndim: int, v_ndim: int
) -> Tensor:
    region = apply(GETITEM, (g,), (idx, ndim))
    rnd = _region_ndim(x._data.shape[x._data.ndim - ndim :], idx)
    if region._data.shape[region._data.ndim - v_ndim :] != v._data.shape or rnd != v_ndim:
        region = sum_to(region, v._data.shape, rnd - v_ndim)
    return region


INDEX_PUT = Op(
    "index_put",
    _index_put_forward,
    vjp=(_put_x_rule, _put_v_rule),
    jvp="linear",
    saves=False,
    pattern="moves",
    node_name=lambda inputs, params: (
        "IndexPutBackward0" if _has_advanced(params[0]) else "torch::autograd::CopySlices"
    ),
    index_params=True,
)


def getitem(input: Tensor, index: Any) -> Tensor:
    """``input[index]``: ints, slices, None, Ellipsis, bool masks, integer tensors/lists."""
    idx = normalize_index(index, input._data.shape)
    return apply(GETITEM, (input,), (idx, input._data.ndim))


def _check_expandable(shape: tuple[int, ...], target: tuple[int, ...]) -> None:
    """PyTorch's error when ``shape`` cannot be broadcast to ``target``."""
    lead = len(target) - len(shape)
    for i, s in enumerate(shape):
        if s != 1 and s != target[lead + i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({target[lead + i]}) must match the existing "
                f"size ({s}) at non-singleton dimension {lead + i}.  Target sizes: "
                f"{list(target)}.  Tensor sizes: {list(shape)}")


def index_put(input: Tensor, index: Any, value: Any) -> Tensor:
    """Out-of-place ``input[index] = value`` (differentiable in both)."""
    idx = normalize_index(index, input._data.shape)
    v_ndim = value._data.ndim if isinstance(value, Tensor) else 0
    if not isinstance(value, Tensor):
        value = _dtypes.fill_value(value, input._data.dtype)
    else:
        if value._data.dtype != input._data.dtype:
            value = value.to(input.dtype)
        region = _region_shape(input._data.shape, idx)
        if v_ndim > len(region):  # leading size-1 dims of the value broadcast away
            extra = value._data.shape[: v_ndim - len(region)]
            if any(n != 1 for n in extra):
                raise RuntimeError(
                    f"shape mismatch: value tensor of shape {list(value._data.shape)} cannot be "
                    f"broadcast to indexing result of shape {list(region)}")
            value = value.reshape(value._data.shape[v_ndim - len(region):])
            v_ndim = len(region)
        _check_expandable(value._data.shape, region)
    return apply(INDEX_PUT, (input, value), (idx, input._data.ndim, v_ndim))


install("__getitem__", getitem)


def _dim_index(ndim: int, dim: int, index: Any) -> tuple:
    return (slice(None),) * normalize_dim(dim, ndim) + (index,)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries ``index`` (a 1-D integer tensor) along ``dim``."""
    idx = index._data
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if not is_index_dtype(idx.dtype):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    shape = input._data.shape
    d = normalize_dim(dim, len(shape))
    if not shape:
        if idx.size != 1:
            raise RuntimeError("index_select(): Index to scalar can have only 1 value, got "
                               f"{idx.size} value(s)")
        return index_select(input.reshape(1), 0, index.reshape(1)).reshape(())
    size = shape[d]
    if size == 0 and idx.size:
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    outside = (idx < 0) | (idx >= size)  # (no counting from the end)
    if outside.any():  # (PyTorch's kernel for dim 1 words it otherwise)
        if d == 1:
            raise RuntimeError("INDICES element is out of DATA bounds, "
                               f"id={idx[outside].flat[0]} axis_dim={size}")
        raise IndexError("index out of range in self")
    return getitem(input, _dim_index(input._data.ndim, dim, idx.reshape(-1)))


def take(input: Tensor, index: Tensor) -> Tensor:
    """Elements of the flattened ``input`` at ``index`` (result shaped like ``index``)."""
    return getitem(input.reshape(-1), (index._data,))


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements where ``mask`` (broadcast with ``input``) is True, as a 1-D tensor."""
    error = broadcast_error([mask._data.shape, input._data.shape])  # (in PyTorch's order)
    if error is not None:
        raise error
    shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    x = input if input._data.shape == shape else input.expand(shape)
    return getitem(x, (np.broadcast_to(mask._data, shape),))


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *,
              alpha: float = 1) -> Tensor:
    """``input`` with ``alpha * source`` added at ``index`` along ``dim`` (repeats add up)."""
    _check_index_add(input, dim, index, source)
    if input._data.size == 0 or source._data.size == 0:  # nothing to add (nor bounds to check)
        return input.clone()
    idx = normalize_index(_dim_index(input._data.ndim, dim, index), input._data.shape)
    if input._data.dtype.kind in "biu":  # alpha in the tensors' dtype, truncated (PyTorch's)
        alpha = input._data.dtype.type(alpha).item()
    if alpha != 1:
        source = source * alpha
    return input + apply(INDEX_ADD, (source,), (idx, input._data.shape, source._data.ndim))


def _check_index_add(input: Tensor, dim: int, index: Tensor, source: Tensor) -> None:
    """PyTorch's checks of index_add's arguments, in its order."""
    idx = index._data
    if idx.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: "
                         f"{idx.ndim} with type: {scalar_type_name(idx.dtype)} and size: "
                         f"{list(idx.shape)}")
    if not is_index_dtype(idx.dtype):
        raise RuntimeError("index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{scalar_type_name(idx.dtype)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_add_(): self ({scalar_type_name(input._data.dtype)}) and "
                           f"source ({scalar_type_name(source._data.dtype)}) must have the same "
                           "scalar type")
    shape, src = input._data.shape, source._data.shape
    d = normalize_dim(dim, len(shape))
    if d != 0 and d >= len(src):
        raise RuntimeError(f"index_add_(): Indexing dim {d} is out of bounds of the source "
                           f"tensor with dim {len(src)}")
    if idx.size != (src[d] if src else 1):
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim): ({src[d] if src else 1}), for dim: {d}")
    if len(shape) != len(src) or shape[:d] + shape[d + 1:] != src[:d] + src[d + 1:]:
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(shape)} "
                           f"source.shape = {list(src)}")
    size = shape[d] if shape else 1
    outside = (idx < 0) | (idx >= size)  # (no counting from the end; not checked when empty)
    if outside.any() and input._data.size and source._data.size:
        raise RuntimeError(f"index {idx[outside].flat[0]} is out of bounds for dimension {d} "
                           f"with size {size}")


install("index_select", index_select)
install("take", take)
install("masked_select", masked_select)
install("index_add", index_add)
