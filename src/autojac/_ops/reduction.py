"""Reductions: sum, mean, amax/amin, max/min (with indices), logsumexp, var/std, cumsum,
argmax/argmin, all/any. ``dim`` params are stored as negative tuples (never None) so the
ops apply unchanged to batched (co)tangents."""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import return_types
from .._backend import strided_view
from .._tensor import (
    Tensor,
    _make,
    no_dims_error,
    normalize_dim,
    scalar_type_name,
)
from ._registry import (
    Op,
    PatternRule,
    apply,
    broadcast_error,
    install,
    kernel_message,
    no_complex,
    no_kernel,
)
from .indexing import is_index_dtype


def reduction_dims(dim: Any, ndim: int) -> tuple[int, ...]:
    """``dim`` (None, int or sequence) as sorted negative dims; None means all dims."""
    if type(dim) is int and -ndim <= dim < ndim:
        return (dim - ndim if dim >= 0 else dim,)
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(-ndim, 0))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    n = builtins.max(ndim, 1)
    negative = tuple(sorted(d - n for d in unique_dims(dims, ndim)))  # (checked at 0-d too)
    return negative if ndim else ()


def unique_dims(dims: Any, ndim: int) -> set[int]:
    """``dims`` as a set of non-negative dims, with PyTorch's error for one given twice."""
    seen: set[int] = set()
    for d in dims:
        d = normalize_dim(d, ndim)
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    return seen


def _unreduce_forward(g: np.ndarray, shape: tuple, dims: tuple, keepdim: bool) -> np.ndarray:
    """``g``, reduced over ``dims`` of ``shape``, broadcast back over them (its batch dims
    kept): a read-only view."""
    layout = _unreduced(g.shape, g.itemsize, shape, dims, keepdim) if g.flags.c_contiguous \
        else None
    if layout is not None:
        return strided_view(g, *layout)
    batch = g.shape[: g.ndim - len(shape) + (0 if keepdim else len(dims))]
    return np.broadcast_to(g.reshape(batch + _kept(shape, dims)), batch + shape)


@functools.lru_cache(maxsize=256)
def _unreduced(have: tuple, itemsize: int, shape: tuple, dims: tuple,
               keepdim: bool) -> tuple[tuple, tuple] | None:
    """The shape and strides of the unreduced view of a C-contiguous array of shape
    ``have``: zero strides along the reduced dims (None if ``have`` does not fit)."""
    kept = _kept(shape, dims)
    lead = len(have) - (len(shape) if keepdim else len(shape) - len(dims))
    if lead < 0 or have[lead:] != (kept if keepdim else tuple(
            s for i, s in enumerate(shape) if i - len(shape) not in dims)):
        return None
    have_strides = []  # C strides of ``have`` reshaped to its batch + ``kept``
    step = itemsize
    for size in reversed(have[:lead] + kept):
        have_strides.append(step)
        step *= size
    have_strides.reverse()
    strides = tuple(0 if i >= lead and size == 1 else stride
                    for i, (size, stride) in enumerate(zip(have[:lead] + kept, have_strides)))
    return have[:lead] + shape, strides


@functools.lru_cache(maxsize=256)
def _kept(shape: tuple, dims: tuple) -> tuple:
    """``shape`` with the reduced ``dims`` (negative) kept as size 1."""
    return tuple(1 if i - len(shape) in dims else s for i, s in enumerate(shape))


# dependency patterns: a reduction's output depends on the union of what it reduces, and
# each reduced element influences what the output does
REDUCED = PatternRule(
    lambda bits, dims, keepdim, *_: np.bitwise_or.reduce(bits, axis=dims, keepdims=keepdim),
    lambda bits, x, dims, keepdim, *_: _unreduce_forward(bits, x.shape, dims, keepdim),
)
MOMENTS = PatternRule(  # var/std: (dims, correction, keepdim)
    lambda bits, dims, c, keepdim: REDUCED.forward(bits, dims, keepdim),
    lambda bits, x, dims, c, keepdim: REDUCED.reverse(bits, x, dims, keepdim),
)


def _or_along(bits: np.ndarray, dim: int) -> np.ndarray:
    return np.broadcast_to(np.bitwise_or.reduce(bits, axis=dim, keepdims=True), bits.shape)


# softmax-like: every output along ``dim`` depends on the whole of ``dim``, and back
ALONG = PatternRule(_or_along, lambda bits, x, dim: _or_along(bits, dim))


# the adjoint of a sum: broadcast a reduced (co)tangent back over the reduced dims
UNREDUCE = Op(
    "unreduce",
    _unreduce_forward,
    vjp=(lambda g, ans, x, shape, dims, keepdim: apply(SUM, (g,), (dims, keepdim, True)),),
    jvp="linear",
    saves=False,
    node_name="ExpandBackward0",
    pattern="moves",
)


def along_one_element(reduce: Callable[[Tensor, int], Any], input: Tensor, dim: int) -> Any:
    """``reduce(input, dim)`` of a 0-d ``input``, along the one element it has at dim 0 (or
    -1): run on it as a 1-d tensor, its result (or each of a tuple's) made 0-d again."""
    normalize_dim(dim, 0)
    out = reduce(input.reshape(1), 0)
    if isinstance(out, tuple):
        return type(out)(*(t if t._data.ndim == 0 else t.reshape(()) for t in out))
    return out if out._data.ndim == 0 else out.reshape(())


def contract(t: Tensor, weights: Tensor, dims: tuple[int, ...], keepdim: bool) -> Tensor:
    """``t * weights`` summed over a reduction's ``dims`` (the tangent of a reduction). A 0-d
    input has none to sum, where ``sum(())`` would also sum a batch of tangents away."""
    product = t * weights
    return product.sum(dims, keepdim=keepdim) if dims else product


def unreduce(g: Tensor, x: Tensor, dims: tuple[int, ...], keepdim: bool) -> Tensor:
    """Broadcast a reduced (co)tangent ``g`` back to ``x``'s shape (batch dims kept)."""
    return apply(UNREDUCE, (g,), (x._data.shape, dims, keepdim))


def _size(shape: tuple[int, ...], dims: tuple[int, ...]) -> int:
    """How many elements a reduction over ``dims`` (negative) of ``shape`` combines."""
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _count(x: Tensor, dims: tuple[int, ...]) -> int:
    return _size(x._data.shape, dims)


def _sum_name(inputs: tuple, params: tuple) -> str:
    return "SumBackward1" if params[2] else "SumBackward0"


SUM = Op(
    "sum",
    lambda a, dims, keepdim, explicit: np.add.reduce(a, dims, a.dtype, None, keepdim),
    vjp=(lambda g, ans, x, dims, keepdim, _: unreduce(g, x, dims, keepdim),),
    jvp="linear",
    saves=False,
    node_name=_sum_name,
    pattern=REDUCED,
)
MEAN = Op(
    "mean",
    lambda a, dims, keepdim, explicit: np.add.reduce(a, dims, None, None, keepdim)
    / _size(a.shape, dims),
    vjp=(lambda g, ans, x, dims, keepdim, _: unreduce(g, x, dims, keepdim) / _count(x, dims),),
    jvp="linear",
    saves=False,
    node_name=lambda inputs, params: "MeanBackward1" if params[2] else "MeanBackward0",
    pattern=REDUCED,
)


def accumulating(input: Tensor, dtype: Any) -> Tensor:
    """``input`` in the dtype that a sum or product of it accumulates in, and gives: ``dtype``
    if given, else int64 for bool and integer tensors (PyTorch's)."""
    if dtype is not None:
        return input.to(dtype)
    if input._data.dtype.kind in "biu" and input._data.dtype != np.int64:
        return input.to(np.int64)
    return input


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
        axis: Any = None) -> Tensor:
    """Sum over ``dim`` (all dims by default; ``axis``: NumPy's name for it); bool/int
    inputs give int64."""
    if axis is not None:
        dim = axis
    input = accumulating(input, dtype)
    dims = reduction_dims(dim, input._data.ndim)
    return apply(SUM, (input,), (dims, keepdim, dim is not None))


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
         axis: Any = None) -> Tensor:
    """Mean over ``dim`` (all dims by default; ``axis``: NumPy's name for it); floating
    inputs only."""
    if axis is not None:
        dim = axis
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_TYPE_WORD.get(input._data.dtype.name, 'Long')}"
        )
    dims = reduction_dims(dim, input._data.ndim)
    return apply(MEAN, (input,), (dims, keepdim, dim is not None))


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
           ) -> Tensor:
    """``sum`` with NaN counted as zero (and no gradient there)."""
    if input._data.dtype.kind == "c":
        raise RuntimeError("nansum on CPU does not support complex inputs")
    if input._data.dtype.kind == "f":
        input = where(input.isnan(), 0.0, input)
    return sum(input, dim, keepdim, dtype=dtype)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
            ) -> Tensor:
    """``mean`` of the elements that are not NaN (NaN where all are)."""
    if input._data.dtype.kind not in "fc":
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {scalar_type_name(input._data.dtype)}")
    count = (~input.isnan()).sum(dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / count


_TYPE_WORD = {
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
}


# the nodes whose gradient PyTorch splits among the NaN elements where the extreme is NaN
# (amax's and amin's gradient is NaN there); of their tangents, only the inf-norm's does
_NORM = "LinalgVectorNormBackward0"
_NAN_PICKING = frozenset({"MaxBackward1", "MinBackward1", _NORM})
# the nodes whose gradient selects the extreme elements' share (an inf or NaN cotangent
# stays where it is) where the others, and every tangent, multiply by a 0/1 mask
_SELECTING = frozenset({"MaxBackward1", "MinBackward1"})


def _extremes(ans: Tensor, x: Tensor, dims: tuple, keepdim: bool, nan_picks: bool) -> Tensor:
    """Where ``x`` holds its extreme (the tied ones all; the NaNs with ``nan_picks``)."""
    extreme = unreduce(ans, x, dims, keepdim)
    mask = x == extreme
    return mask | (x.isnan() & extreme.isnan()) if nan_picks else mask


def _extreme_vjp(g: Tensor, ans: Tensor, x: Tensor, dims: tuple, keepdim: bool, name: str
                 ) -> Tensor:
    """The cotangent split evenly among the tied extreme elements, as PyTorch."""
    mask = _extremes(ans, x, dims, keepdim, name in _NAN_PICKING)
    share = unreduce(g, x, dims, keepdim) / mask.sum(dims, keepdim=True)
    return where(mask, share, 0.0) if name in _SELECTING else share * mask


def _extreme_jvp(t: Tensor, ans: Tensor, x: Tensor, dims: tuple, keepdim: bool, name: str
                 ) -> Tensor:
    """The mean of the tied extreme elements' tangents, as PyTorch."""
    mask = _extremes(ans, x, dims, keepdim, name == _NORM)
    return contract(t, mask, dims, keepdim) / mask.sum(dims, keepdim=keepdim)


def _extreme_op(name: str, forward: Any) -> Op:
    """amax/amin; the last param is the node name (AmaxBackward0, or MaxBackward1 for max())."""
    return Op(
        name,
        lambda a, dims, keepdim, _: forward(a, axis=dims, keepdims=keepdim),
        vjp=(_extreme_vjp,),
        jvp=(_extreme_jvp,),
        node_name=lambda inputs, params: params[2],
        pattern=REDUCED,
    )


AMAX = _extreme_op("amax", np.maximum.reduce)
AMIN = _extreme_op("amin", np.minimum.reduce)


def _check_not_empty(name: str, input: Tensor, dim: Any, error: type = RuntimeError) -> None:
    """PyTorch's errors for a reduction without an identity over no elements: ``error``
    when the dims are all of them (``dim`` None or empty), an IndexError for one given."""
    shape = input._data.shape
    if 0 not in shape:
        return
    if dim is None or isinstance(dim, (tuple, list)) and not dim:
        hint = "" if error is IndexError else " Specify the reduction dim with the 'dim' argument."
        raise error(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0.{hint}")
    # (the first empty, in the order given)
    for d in (dim,) if isinstance(dim, (int, np.integer)) else dim:
        k = normalize_dim(d, len(shape))
        if shape and shape[k] == 0:  # amax and amin name it as given
            shown = d if name in ("amax", "amin") else k
            raise IndexError(f"{name}(): Expected reduction dim {shown} to have non-zero size.")


def amax(input: Tensor, dim: Any = (), keepdim: bool = False, *, axis: Any = None) -> Tensor:
    """Maximum over ``dim`` (``axis``: NumPy's name for it); ties share the gradient
    evenly."""
    if axis is not None:
        dim = axis
    no_complex(input._data, kernel_message("max_values_cpu"))
    _check_not_empty("amax", input, dim)
    return apply(AMAX, (input,), (reduction_dims(dim, input._data.ndim), keepdim, "AmaxBackward0"))


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Minimum over ``dim``; ties share the gradient evenly."""
    no_complex(input._data, kernel_message("min_values_cpu"))
    _check_not_empty("amin", input, dim)
    return apply(AMIN, (input,), (reduction_dims(dim, input._data.ndim), keepdim, "AminBackward0"))


def _arg(fn: Any, input: Tensor, dim: int | None, keepdim: bool) -> Tensor:
    no_complex(input._data, f"{fn.__name__}(): does not support complex input", RuntimeError)
    _check_not_empty(fn.__name__, input, dim, IndexError)
    if dim is None:
        out = fn(input._data.reshape(-1), axis=0)
        if keepdim:
            out = np.reshape(out, (1,) * input._data.ndim)
    else:
        out = fn(input._data, axis=normalize_dim(dim, input._data.ndim), keepdims=keepdim)
    return _make(np.asarray(out, dtype=np.int64), False, None)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
           axis: int | None = None) -> Tensor:
    """Index of the maximum (first occurrence), int64 (``axis``: NumPy's name for ``dim``)."""
    return _arg(np.argmax, input, dim if axis is None else axis, keepdim)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the minimum (first occurrence), int64."""
    return _arg(np.argmin, input, dim, keepdim)


def _minmax(extreme: Op, argfn: Any, input: Any, dim: Any, keepdim: bool) -> Any:
    name = "max" if extreme is AMAX else "min"
    if not isinstance(dim, Tensor):
        no_complex(input._data, kernel_message(f"{name}_all") if dim is None
                   else f"{name}(): does not support complex input",
                   NotImplementedError if dim is None else RuntimeError)
        _check_not_empty(name, input, dim)
    if dim is None:
        name = "MaxBackward1" if extreme is AMAX else "MinBackward1"
        return apply(extreme, (input,), (reduction_dims(None, input._data.ndim), False, name))
    if isinstance(dim, Tensor):
        return (maximum if extreme is AMAX else minimum)(input, dim)
    ndim = input._data.ndim
    d = normalize_dim(dim, ndim) - builtins.max(ndim, 1)
    if ndim == 0:
        return along_one_element(lambda x, d: _minmax(extreme, argfn, x, d, False), input, dim)
    idx = argfn(input, d, True)
    name = "MaxBackward0" if extreme is AMAX else "MinBackward0"
    values = apply(VALUES_AT, (input,), (idx._data, d, ndim, keepdim, name))
    if not keepdim:
        idx = _make(np.squeeze(idx._data, d), False, None)
    return (return_types.max if extreme is AMAX else return_types.min)(values, idx)


def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        other: Any = None) -> Any:
    """Max of all elements, or ``(values, indices)`` along ``dim`` (``axis``), or
    elementwise max with a tensor ``dim`` (``other``)."""
    given = dim if axis is None and other is None else axis if other is None else other
    return _minmax(AMAX, argmax, input, given, keepdim)


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """Min of all elements, or ``(values, indices)`` along ``dim``, or elementwise min."""
    return _minmax(AMIN, argmin, input, dim, keepdim)


def _truth(reduce: Callable[..., Any], input: Tensor, dim: Any, keepdim: bool) -> Tensor:
    """``reduce`` (``np.all``, ``np.any``) over ``dim``, none for an empty tuple of dims;
    bool, or uint8 for uint8 inputs, as PyTorch's."""
    a = input._data
    if isinstance(dim, (tuple, list)) and not dim:
        out = a != 0
    else:
        out = reduce(a, axis=reduction_dims(dim, a.ndim), keepdims=keepdim)
    return _make(np.asarray(out, dtype=np.uint8 if a.dtype == np.uint8 else np.bool_), False,
                 None)


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether every element over ``dim`` is nonzero."""
    return _truth(np.all, input, dim, keepdim)


def any(input: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
    """Whether some element over ``dim`` (``axis``) is nonzero."""
    return _truth(np.any, input, dim if axis is None else axis, keepdim)


def _logsumexp_forward(a: np.ndarray, dims: tuple, keepdim: bool) -> np.ndarray:
    if a.size == 0:  # -inf over no elements (PyTorch's), with no max to subtract
        return np.full(np.sum(a, axis=dims, keepdims=keepdim).shape, -np.inf, a.dtype)
    m = np.amax(a, axis=dims, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(a - m), axis=dims, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=dims)


def _softmax_weights(ans: Tensor, x: Tensor, dims: tuple, keepdim: bool) -> Tensor:
    """d logsumexp / dx = exp(x - logsumexp(x))."""
    return (x - unreduce(ans, x, dims, keepdim)).exp()


LOGSUMEXP = Op(
    "logsumexp", _logsumexp_forward,
    vjp=(lambda g, ans, x, dims, keepdim: unreduce(g, x, dims, keepdim)
         * _softmax_weights(ans, x, dims, keepdim),),
    jvp=(lambda t, ans, x, dims, keepdim: contract(t, _softmax_weights(ans, x, dims, keepdim),
                                                   dims, keepdim),),
    to_float=True,
    pattern=REDUCED,
)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, computed stably."""
    return apply(LOGSUMEXP, (input,), (reduction_dims(dim, input._data.ndim), keepdim))


def _centered_scale(x: Tensor, dims: tuple, correction: float) -> Tensor:
    """(x - mean) / (n - correction): the derivative of var is twice this."""
    return (x - x.mean(dims, keepdim=True)) / builtins.max(_count(x, dims) - correction, 0)


VAR = Op(
    "var", lambda a, dims, c, keepdim: np.var(a, axis=dims, ddof=c, keepdims=keepdim),
    vjp=(lambda g, ans, x, dims, c, keepdim: unreduce(g, x, dims, keepdim)
         * (_centered_scale(x, dims, c) * 2),),
    jvp=(lambda t, ans, x, dims, c, keepdim: contract(
        t, _centered_scale(x, dims, c).conj(), dims, keepdim).real * 2,),
    pattern=MOMENTS,
    complex_rule="own",
)
def _over_std(v: Tensor, std: Tensor) -> Tensor:
    """v / std, zero where std is zero (PyTorch's std rules)."""
    return where(std == 0, 0.0, v / where(std == 0, 1.0, std))


STD = Op(
    "std", lambda a, dims, c, keepdim: np.std(a, axis=dims, ddof=c, keepdims=keepdim),
    vjp=(lambda g, ans, x, dims, c, keepdim: unreduce(_over_std(g, ans), x, dims, keepdim)
         * _centered_scale(x, dims, c),),
    jvp=(lambda t, ans, x, dims, c, keepdim: _over_std(
        contract(t, _centered_scale(x, dims, c).conj(), dims, keepdim).real, ans),),
    pattern=MOMENTS,
    complex_rule="own",
)


def _moments(op: Op, input: Tensor, dim: Any, unbiased: bool | None, keepdim: bool,
             correction: float | None) -> Tensor:
    if input._data.dtype.kind not in "fc":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return apply(op, (input,), (reduction_dims(dim, input._data.ndim), correction, keepdim))


def var(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """Variance over ``dim`` with Bessel's ``correction`` (1 by default)."""
    return _moments(VAR, input, dim, unbiased, keepdim, correction)


def std(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None, axis: Any = None) -> Tensor:
    """Standard deviation over ``dim`` (``axis``) with Bessel's ``correction`` (1 by
    default)."""
    return _moments(STD, input, dim if axis is None else axis, unbiased, keepdim, correction)


# -- gather-style ops used by max/min(dim) ---------------------------------------------------------
def _along_index(index: np.ndarray, dim: int, batch: tuple[int, ...]) -> tuple:
    """Fancy index of shape ``batch + index.shape`` picking ``index`` along negative ``dim``."""
    shape = batch + index.shape
    nd = len(shape)
    grids = [
        np.arange(s).reshape((1,) * k + (s,) + (1,) * (nd - k - 1)) for k, s in enumerate(shape)
    ]
    grids[nd + dim] = index.reshape((1,) * len(batch) + index.shape)
    return tuple(grids)


def _gather_forward(a: np.ndarray, index: np.ndarray, dim: int, ndim: int) -> np.ndarray:
    # (the index may be smaller than ``a`` along the other dims: only its part is read)
    return a[_along_index(index, dim, a.shape[:a.ndim - ndim])]


def _scatter_add_forward(g: np.ndarray, index: np.ndarray, dim: int, shape: tuple) -> np.ndarray:
    nb = g.ndim - index.ndim
    z = np.zeros(g.shape[:nb] + tuple(shape), dtype=g.dtype)
    np.add.at(z, _along_index(index, dim, g.shape[:nb]), g)
    return z


GATHER = Op(
    "gather",
    _gather_forward,
    vjp=(
        lambda g, ans, x, index, dim, ndim: apply(
            SCATTER_ADD_ZEROS, (g,), (index, dim, x._data.shape)
        ),
    ),
    jvp="linear",
    saves=True,  # (x, whose shape the rule reads: PyTorch saves it)
    pattern="moves",
    index_params=True,
)
SCATTER_ADD_ZEROS = Op(
    "scatter_add_zeros",
    _scatter_add_forward,
    vjp=(lambda g, ans, x, index, dim, shape: apply(GATHER, (g,), (index, dim, len(shape))),),
    jvp="linear",
    saves=False,
    index_params=True,
)


def _scatter_forward(a: np.ndarray, src: Any, index: np.ndarray, dim: int) -> np.ndarray:
    """``a`` with ``src`` written at ``index`` along ``dim``; where an index repeats, the
    last write wins, as in PyTorch's CPU kernel."""
    batch = a.shape[:a.ndim - index.ndim]
    shape = batch + index.shape
    targets = np.ravel_multi_index(
        tuple(np.broadcast_to(g, shape) for g in _along_index(index, dim, batch)), a.shape
    ).ravel()
    last = targets.size - 1 - np.unique(targets[::-1], return_index=True)[1]
    out = a.copy()
    out.flat[targets[last]] = np.broadcast_to(src, shape).ravel()[last]
    return out


SCATTER = Op(
    "scatter",
    _scatter_forward,
    vjp=(
        lambda g, ans, x, src, index, dim: apply(SCATTER, (g, 0), (index, dim)),
        lambda g, ans, x, src, index, dim: apply(GATHER, (g,), (index, dim, index.ndim)),
    ),
    jvp="linear",
    saves=False,
    node_name=lambda inputs, params: (
        "ScatterBackward0" if isinstance(inputs[1], Tensor) else "ScatterBackward1"),
    index_params=True,
)


def _values_at_forward(a: np.ndarray, index: np.ndarray, dim: int, ndim: int, keepdim: bool,
                       name: str) -> np.ndarray:
    out = _gather_forward(a, index, dim, ndim)
    return out if keepdim else np.squeeze(out, axis=dim)


# the values of max/min along a dim: the elements at the arg-extreme indices
VALUES_AT = Op(
    "values_at", _values_at_forward,
    vjp=(lambda g, ans, x, index, dim, ndim, keepdim, name: apply(
        SCATTER_ADD_ZEROS, (g if keepdim else g.unsqueeze(dim),), (index, dim, x._data.shape)),),
    jvp="linear", saves=False, node_name=lambda inputs, params: params[-1], pattern="moves",
    index_params=True,
)


def _checked_index(name: str, input: Tensor, dim: int, index: Tensor,
                   src: Tensor | None = None) -> np.ndarray:
    """The index array of gather (or scatter, from ``src``) along ``dim`` of ``input``, after
    PyTorch's checks of its dtype, dims, sizes and values."""
    idx, shape = index._data, input._data.shape
    if not is_index_dtype(idx.dtype):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    if src is not None and src._data.dtype != input._data.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    if builtins.max(idx.ndim, 1) != builtins.max(len(shape), 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    d = normalize_dim(dim, len(shape))
    others = [k for k in range(idx.ndim) if k != d]
    if src is None:
        for k in others:
            if idx.shape[k] > shape[k]:
                raise RuntimeError(
                    f"Size does not match at dimension {k} expected index {list(idx.shape)} to "
                    f"be no larger than self {list(shape)} apart from dimension {d}")
    elif idx.ndim and (builtins.any(idx.shape[k] > shape[k] for k in others)
                       or builtins.any(i > s for i, s in zip(idx.shape, src._data.shape))):
        raise RuntimeError(
            f"Expected index {list(idx.shape)} to be no larger than self {list(shape)} apart "
            f"from dimension {d} and to be no larger size than src {list(src._data.shape)}")
    size = shape[d] if shape else 1
    outside = (idx < 0) | (idx >= size)
    if outside.any():
        raise RuntimeError(f"index {idx[outside].flat[0]} is out of bounds for dimension {d} "
                           f"with size {size}")
    return idx


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """Values of ``input`` at ``index`` along ``dim``."""
    idx = _checked_index("gather", input, dim, index)
    if input._data.ndim == 0:  # (as a tensor of one element)
        return gather(input.reshape(1), 0, index.reshape(-1)).reshape(idx.shape)
    d = normalize_dim(dim, input._data.ndim) - input._data.ndim
    return apply(GATHER, (input,), (idx, d, input._data.ndim))


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Like ``numpy.take_along_axis``; along a ``dim``, indices are taken modulo its size,
    as PyTorch takes them."""
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    d = normalize_dim(dim, input.ndim)
    if not input.ndim:
        raise no_dims_error(dim)
    if indices._data.dtype.kind in "iu":
        indices = _make(indices._data % input._data.shape[d], False, None)
    error = broadcast_error([tuple(1 if i == d else s for i, s in enumerate(t._data.shape))
                             for t in (input, indices)])
    if error is not None:
        raise error
    shape = np.broadcast_shapes(
        tuple(
            s if i != normalize_dim(dim, input.ndim) else 1 for i, s in enumerate(input._data.shape)
        ),
        tuple(
            s if i != normalize_dim(dim, input.ndim) else 1
            for i, s in enumerate(indices._data.shape)
        ),
    )
    d = normalize_dim(dim, input.ndim)
    idx_shape = shape[:d] + (indices._data.shape[d],) + shape[d + 1 :]
    in_shape = shape[:d] + (input._data.shape[d],) + shape[d + 1 :]
    idx = _make(np.broadcast_to(indices._data, idx_shape), False, None)
    return gather(input.expand(in_shape) if in_shape != input._data.shape else input, d, idx)


CUMSUM = Op(
    "cumsum",
    lambda a, dim: np.cumsum(a, axis=dim, dtype=a.dtype),
    vjp=(lambda g, ans, x, dim: reversed_cumsum(g, dim),),
    jvp="linear",
    saves=False,
    pattern=PatternRule(
        lambda bits, dim: np.bitwise_or.accumulate(bits, axis=dim),
        lambda bits, x, dim: np.flip(np.bitwise_or.accumulate(np.flip(bits, dim), axis=dim), dim),
    ),
)


def reversed_cumsum(t: Tensor, dim: int) -> Tensor:
    """Cumulative sums along ``dim`` (negative) from its end: cumsum's vjp."""
    return apply(CUMSUM, (t.flip(dim),), (dim,)).flip(dim)


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Cumulative sum along ``dim``; bool/int inputs give int64."""
    input = accumulating(input, dtype)
    no_kernel(input._data.dtype, "cumsum_out_cpu", "b")
    d = normalize_dim(dim, input._data.ndim) - builtins.max(input._data.ndim, 1)
    if input._data.ndim == 0:
        return along_one_element(cumsum, input, dim)
    return apply(CUMSUM, (input,), (d,))


from .elementwise import maximum, minimum, where  # noqa: E402


def _running_extreme(name: str, accumulate: Any, input: Tensor, dim: int) -> Any:
    """``(values, indices)`` of the running maximum (minimum) along ``dim``: on ties the
    latest index, and from a NaN on that NaN, as PyTorch's."""
    a = input._data
    no_kernel(a.dtype, f"{name}_cpu", "c")
    if a.ndim == 0:
        return along_one_element(
            lambda x, d: _running_extreme(name, accumulate, x, d), input, dim)
    d = normalize_dim(dim, a.ndim) - a.ndim
    running = accumulate(a, axis=d)
    positions = np.arange(a.shape[d]).reshape((-1,) + (1,) * (-1 - d))
    reached = (a == running) | (np.isnan(a) if a.dtype.kind == "f" else False)
    order = np.maximum.accumulate(np.where(reached, positions, 0), axis=d)
    values = apply(VALUES_AT, (input,), (order, d, a.ndim, True, name.title() + "Backward0"))
    return getattr(return_types, name)(values, _make(order.astype(np.int64), False, None))


def cummax(input: Tensor, dim: int) -> Any:
    """``(values, indices)`` of the running maximum along ``dim``."""
    return _running_extreme("cummax", np.maximum.accumulate, input, dim)


def cummin(input: Tensor, dim: int) -> Any:
    """``(values, indices)`` of the running minimum along ``dim``."""
    return _running_extreme("cummin", np.minimum.accumulate, input, dim)


for _name, _fn in (
    ("sum", sum),
    ("mean", mean),
    ("amax", amax),
    ("amin", amin),
    ("max", max),
    ("min", min),
    ("argmax", argmax),
    ("argmin", argmin),
    ("all", all),
    ("any", any),
    ("logsumexp", logsumexp),
    ("var", var),
    ("std", std),
    ("gather", gather),
    ("take_along_dim", take_along_dim),
    ("cumsum", cumsum),
    ("cummax", cummax),
    ("cummin", cummin),
    ("nansum", nansum),
    ("nanmean", nanmean),
):
    install(_name, _fn)


def _scatter_src(index: Tensor, src: Any, like: Tensor) -> Tensor:
    if not isinstance(src, Tensor):
        return _make(np.full(index._data.shape, src, dtype=like._data.dtype), False, None)
    if src._data.shape != index._data.shape:
        src = src[tuple(slice(0, n) for n in index._data.shape)]
    return src


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """``input`` plus ``src`` added at ``index`` along ``dim`` (repeats add up)."""
    idx = _checked_index("scatter", input, dim, index, src if isinstance(src, Tensor) else None)
    d = normalize_dim(dim, input._data.ndim) - input._data.ndim
    src = _scatter_src(index, src, input)
    return input + apply(SCATTER_ADD_ZEROS, (src,), (idx, d, input._data.shape))


def scatter(
    input: Tensor,
    dim: int,
    index: Tensor,
    src: Any = None,
    *,
    value: Any = None,
    reduce: str | None = None,
) -> Tensor:
    """``input`` with ``src`` (or ``value``) written at ``index`` along ``dim``."""
    if reduce is not None:
        if reduce != "add":
            raise NotImplementedError(f"scatter(reduce={reduce!r}) is not supported")
        return scatter_add(input, dim, index, src if src is not None else value)
    src = src if src is not None else value
    idx = _checked_index("scatter", input, dim, index, src if isinstance(src, Tensor) else None)
    if input._data.ndim == 0:  # (as a tensor of one element)
        one = src.reshape(1) if isinstance(src, Tensor) else src
        return scatter(input.reshape(1), 0, index.reshape(1), one).reshape(())
    d = normalize_dim(dim, input._data.ndim) - input._data.ndim
    if isinstance(src, Tensor):
        src = _scatter_src(index, src, input)
    return apply(SCATTER, (input, src), (idx, d))


install("scatter_add", scatter_add)
install("scatter", scatter)
