"""Shape ops: reshape and friends, transpose/permute, expand, cat/stack, split, flip, clone.

Every dim param is stored negative (counted from the end), so the same op applies
unchanged to cotangents and tangents with extra leading batch dims; their jvps are the
ops themselves ("linear").
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._size import Size
from .._tensor import Tensor, no_dims_error, normalize_dim
from ._registry import BROADCAST_TO, Op, apply, expand_to, install, sum_to
from .indexing import getitem
from .reduction import unique_dims


def _neg_dim(dim: int, ndim: int) -> int:
    return normalize_dim(dim, ndim) - max(ndim, 1) if ndim else -1


def _sizes(args: tuple) -> tuple[int, ...]:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, Size)):
        args = tuple(args[0])
    return tuple(int(a) for a in args)


# -- the reshape family: same forward and rules, PyTorch's node names
def _reshape_forward(a: np.ndarray, shape: tuple[int, ...], ndim_in: int) -> np.ndarray:
    return a.reshape(a.shape[: a.ndim - ndim_in] + shape)


def _reshape_op(node_name: str) -> Op:
    return Op(
        "reshape",
        _reshape_forward,
        vjp=(
            lambda g, ans, x, shape, n: apply(
                VIEW, (g,), (x._data.shape[x._data.ndim - n :], len(shape))
            ),
        ),
        jvp="linear",
        saves=False,
        view=True,
        node_name=node_name,
        unview=lambda parent, new, shape, n: apply(VIEW, (new,), (parent._data.shape, len(shape))),
    )


VIEW = _reshape_op("ViewBackward0")
UNSQUEEZE = _reshape_op("UnsqueezeBackward0")
SQUEEZE = _reshape_op("SqueezeBackward0")
SQUEEZE_DIM = _reshape_op("SqueezeBackward1")


def _infer_shape(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for i, s in enumerate(shape):
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape "
                                   f"{list(shape)}")
            known *= s
    if -1 in shape:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} "
                               "because the unspecified dimension size -1 can be any value "
                               "and is ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def reshape_op(op: Op, input: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Apply one of the reshape-family ops to a full (unbatched) target shape."""
    return apply(op, (input,), (tuple(shape), input._data.ndim))


def reshape(input: Tensor, *sizes: Any, shape: Any = None) -> Tensor:
    """The same data with a new shape (one dim may be -1)."""
    new = _infer_shape(_sizes(sizes if shape is None else (shape,)), input._data.size)
    return reshape_op(VIEW, input, new)


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, other._data.shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one."""
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s = normalize_dim(start_dim, len(shape))
    e = normalize_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    return reshape(input, shape[:s] + (math.prod(shape[s : e + 1]),) + shape[e + 1 :])


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim ``dim`` into ``sizes``."""
    shape = input._data.shape
    d = normalize_dim(dim, len(shape))
    known = int(np.prod([s for s in sizes if s != -1]))
    fits = known != 0 and shape[d] % known == 0 if -1 in sizes else shape[d] == known
    if not fits:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({shape[d]}) in the input tensor")
    inner = _infer_shape(tuple(sizes), shape[d])
    return reshape(input, shape[:d] + inner + shape[d + 1 :])


def squeeze(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """Remove size-1 dims (all, or those in ``dim``)."""
    shape = input._data.shape
    if dim is None:
        return reshape_op(SQUEEZE, input, tuple(s for s in shape if s != 1))
    dims = unique_dims((dim,) if isinstance(dim, (int, np.integer)) else dim, len(shape))
    new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return reshape_op(SQUEEZE_DIM, input, new)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at ``dim``."""
    shape = input._data.shape
    d = normalize_dim(dim, len(shape) + 1)
    return reshape_op(UNSQUEEZE, input, shape[:d] + (1,) + shape[d:])


for _name, _fn in (
    ("reshape", reshape),
    ("view_as", view_as),
    ("reshape_as", view_as),
    ("flatten", flatten),
    ("unflatten", unflatten),
    ("squeeze", squeeze),
    ("unsqueeze", unsqueeze),
):
    install(_name, _fn)


def _view(self: Tensor, *sizes: Any, size: Any = None) -> Tensor:
    """``reshape`` where no copy is needed; PyTorch's error where one would be."""
    new = _infer_shape(_sizes(sizes if size is None else (size,)), self._data.size)
    probe = self._data.view()
    try:
        probe.shape = new  # NumPy's test of the same: the strides allow the new shape
    except AttributeError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    return reshape_op(VIEW, self, new)


install("view", _view)


# -- transpose / permute
def _swap_name(name: str) -> Op:
    return Op(
        "transpose",
        lambda a, d0, d1: a.view() if d0 == d1 else np.swapaxes(a, d0, d1),  # t() of 0-d
        vjp=(lambda g, ans, x, d0, d1: apply(TRANSPOSE, (g,), (d0, d1)),),
        jvp="linear",
        saves=False,
        view=True,
        node_name=name,
        unview=lambda parent, new, d0, d1: apply(TRANSPOSE, (new,), (d0, d1)),
    )


TRANSPOSE = _swap_name("TransposeBackward0")
T_OP = _swap_name("TBackward0")


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims."""
    n = input._data.ndim
    return apply(TRANSPOSE, (input,), (_neg_dim(dim0, n), _neg_dim(dim1, n)))


swapdims = transpose


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """``transpose`` with NumPy's argument names."""
    return transpose(input, axis0, axis1)


def t(input: Tensor) -> Tensor:
    """Transpose a matrix (0-d and 1-d tensors are returned as is)."""
    n = input._data.ndim
    if n > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
    return apply(T_OP, (input,), (-2, -1)) if n == 2 else apply(T_OP, (input,), (-1, -1))


def _permute_forward(a: np.ndarray, perm: tuple[int, ...]) -> np.ndarray:
    nb = a.ndim - len(perm)
    return np.transpose(a, tuple(range(nb)) + tuple(nb + p for p in perm))


PERMUTE = Op(
    "permute",
    _permute_forward,
    vjp=(lambda g, ans, x, perm: apply(PERMUTE, (g,), (tuple(np.argsort(perm)),)),),
    jvp="linear",
    saves=False,
    view=True,
    unview=lambda parent, new, perm: apply(PERMUTE, (new,), (tuple(np.argsort(perm)),)),
)


def permute(input: Tensor, *order: Any, dims: Any = None) -> Tensor:
    """Reorder the dims."""
    n = input._data.ndim
    given = _sizes(order if dims is None else (dims,))
    if len(given) != n:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            "length of the desired ordering of dimensions i.e. input.dim() = "
            f"{n} is not equal to len(dims) = {len(given)}")  # (PyTorch's words)
    perm = tuple(normalize_dim(d, n) for d in given)
    if len(set(perm)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return apply(PERMUTE, (input,), (perm,))


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims from ``source`` to ``destination`` positions."""
    n = input._data.ndim
    given = [list((dims,) if isinstance(dims, (int, np.integer)) else dims)
             for dims in (source, destination)]
    if len(given[0]) != len(given[1]):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({given[0]} dims) should "
            f"contain the same number of dims as destination ({given[1]} dims)")
    src, dst = ([normalize_dim(d, n) for d in dims] for dims in given)
    for name, dims, normal in (("source", given[0], src), ("destination", given[1], dst)):
        if len(set(normal)) != len(normal):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({dims})")
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, order if n else ())


moveaxis = movedim
for _name, _fn in (
    ("transpose", transpose),
    ("swapaxes", swapaxes),
    ("swapdims", transpose),
    ("t", t),
    ("permute", permute),
    ("movedim", movedim),
    ("moveaxis", movedim),
):
    install(_name, _fn)
_T_WARNED = [False]


def _reversed_dims(self: Tensor) -> Tensor:
    """``x.T``: the dims reversed; deprecated beyond 2-D, with PyTorch's one warning."""
    if self._data.ndim != 2 and not _T_WARNED[0]:
        _T_WARNED[0] = True
        warnings.warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or "
            "`x.permute(*autojac.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a "
            "tensor.", UserWarning, stacklevel=2)
    return permute(self, tuple(range(self._data.ndim - 1, -1, -1)))


install("T", property(_reversed_dims))


_ZERO_DIM_ADVICE = {"mT": "This function is the identity in these cases.",
                    "mH": "Consider using x.conj()."}


def _matrix_transpose(self: Tensor, name: str = "mT", stacklevel: int = 2) -> Tensor:
    """The last two dims swapped; a 0-d tensor itself (deprecated, with PyTorch's warning)."""
    if self._data.ndim == 0:
        warnings.warn(f"Tensor.{name} is deprecated on 0-D tensors. {_ZERO_DIM_ADVICE[name]}",
                      UserWarning, stacklevel=stacklevel)
        return self
    if self._data.ndim < 2:
        raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of "
                           f"matrices. Got {self._data.ndim}-D tensor.")
    return transpose(self, -2, -1)


install("mT", property(_matrix_transpose))
install("mH", property(lambda self: _matrix_transpose(self, "mH", 3).conj(),
                       doc="The conjugate transpose of the last two dims."))
install("adjoint", lambda self: _matrix_transpose(self).conj())
install("H", property(lambda self: t(self).conj() if self.is_complex() else t(self)))


# -- expand
def expand(input: Tensor, *sizes: Any, size: Any = None) -> Tensor:
    """Broadcast to ``sizes`` without copying (-1 keeps a dim)."""
    shape = input._data.shape
    target = _sizes(sizes if size is None else (size,))
    lead = len(target) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand({input.type()}{{{list(shape)}}}, size={list(target)}): the number of "
            f"sizes provided ({len(target)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({len(shape)})"
        )
    full = tuple(s if t_ == -1 else t_ for s, t_ in zip((None,) * lead + shape, target))
    for i, s in enumerate(shape):
        if s != 1 and full[lead + i] != s:
            raise RuntimeError(
                f"The expanded size of the tensor ({full[lead + i]}) must match the existing "
                f"size ({s}) at non-singleton dimension {lead + i}.  Target sizes: "
                f"{list(target)}.  Tensor sizes: {list(shape)}"
            )
    if full == shape:
        return apply(BROADCAST_TO, (input,), (full, 0))
    return expand_to(input, full, lead)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other._data.shape)


def broadcast_to(input: Tensor, shape: Sequence[int] | None = None, *,
                 size: Sequence[int] | None = None) -> Tensor:
    return expand(input, tuple(shape if size is None else size))


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    shape = np.broadcast_shapes(*(t._data.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


def sum_to_size(input: Tensor, *size: Any) -> Tensor:
    """Sum broadcast dims away so the result has ``size``."""
    target = _sizes(size)
    return sum_to(input, target, input._data.ndim - len(target))


install("expand", expand)
install("expand_as", expand_as)
install("broadcast_to", broadcast_to)
install("sum_to_size", sum_to_size)


# -- clone / contiguous
# order: "K" keeps the layout (clone, as PyTorch's preserve_format), "C" puts it in order
CLONE = Op("clone", lambda a, order: np.array(a, order=order), vjp=(lambda g, *_: g,),
           jvp="linear", saves=False, pattern="pointwise")


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy that owns its memory (differentiable)."""
    return apply(CLONE, (input,), ("K",))


install("clone", clone)


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    """``input`` itself if its memory is in order, else a copy that is (differentiable)."""
    return input if input._data.flags.c_contiguous else apply(CLONE, (input,), ("C",))


install("contiguous", contiguous)


# -- cat / stack
def _cat_forward(*arrays_and_params: Any) -> np.ndarray:
    *arrays, dim, skipped = arrays_and_params
    if skipped:
        arrays = [a for i, a in enumerate(arrays) if i not in skipped]
    return np.concatenate(arrays, axis=dim)


def _cat_vjp(g: Tensor, ans: Tensor, *inputs_and_params: Any) -> list[Tensor]:
    *inputs, dim, skipped = inputs_and_params
    out, start = [], 0
    tail = (slice(None),) * (-dim - 1)
    for i, x in enumerate(inputs):
        n = 0 if i in skipped else x._data.shape[dim]
        part = getitem(g, (Ellipsis, slice(start, start + n)) + tail)
        # a skipped input's gradient is as empty as it is (batch dims kept)
        out.append(reshape(part, g.shape[:g.ndim - ans.ndim] + (0,)) if i in skipped else part)
        start += n
    return out


# params: the (negative) dim, and which inputs are skipped: PyTorch's cat leaves out 1-D
# inputs without elements whatever the others' shapes, but types and differentiates them
CAT = Op("cat", _cat_forward, vjp=_cat_vjp, jvp="linear", saves=False, pattern="moves")


def _stack_vjp(g: Tensor, ans: Tensor, *inputs_and_dim: Any) -> list[Tensor]:
    *inputs, dim = inputs_and_dim
    tail = (slice(None),) * (-dim - 1)
    return [getitem(g, (Ellipsis, i) + tail) for i in range(len(inputs))]


STACK = Op(
    "stack", lambda *a: np.stack(a[:-1], axis=a[-1]), vjp=_stack_vjp, jvp="linear", saves=False,
    pattern="moves",
)


def _common_dtype(tensors: Sequence[Tensor]) -> list[Tensor]:
    dts = {t._data.dtype for t in tensors}
    if len(dts) == 1:
        return list(tensors)
    from .._dtypes import result_type

    target = result_type(*(t._data for t in tensors))
    return [t if t._data.dtype == target else t.to(target) for t in tensors]


def cat(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Concatenate along an existing dim (``axis``: NumPy's name for it)."""
    if axis is not None:
        dim = axis
    if not isinstance(tensors, (list, tuple)):
        raise TypeError("cat(): argument 'tensors' must be tuple of Tensors")
    if not tensors:
        raise ValueError("autojac.cat(): expected a non-empty list of Tensors")
    skipped = tuple(i for i, t in enumerate(tensors)
                    if isinstance(t, Tensor) and t._data.shape == (0,))
    if len(skipped) == len(tensors):
        skipped = skipped[1:]
    first = next(t for i, t in enumerate(tensors) if i not in skipped)
    try:
        return apply(CAT, _common_dtype(tensors), (_neg_dim(dim, first._data.ndim), skipped))
    except (AttributeError, ValueError):  # not tensors, or shapes NumPy cannot join
        error = _cat_error(tensors, dim)
        if error is None:
            raise
        raise error from None


def _cat_error(tensors: Sequence[Any], dim: int) -> Exception | None:
    """PyTorch's error for tensors that ``cat`` cannot join (None: none found)."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            return TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
        if t._data.ndim == 0:
            return RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    kept = [(i, t._data.shape) for i, t in enumerate(tensors) if t._data.shape != (0,)]
    first = kept[0][1]
    d = normalize_dim(dim, len(first))
    for i, shape in kept:
        if len(shape) != len(first):
            return RuntimeError(
                f"Tensors must have same number of dimensions: got {len(first)} and {len(shape)}")
        for axis, (want, got) in enumerate(zip(first, shape)):
            if want != got and axis != d:
                return RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. "
                    f"Expected size {want} but got size {got} for tensor number {i} in the list.")
    return None


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join along a new dim."""
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shapes = {t._data.shape for t in tensors}
    if len(shapes) > 1:
        first = tensors[0]._data.shape
        k = next(i for i, t in enumerate(tensors) if t._data.shape != first)
        raise RuntimeError(
            f"stack expects each tensor to be equal size, but got {list(first)} at entry 0 and "
            f"{list(tensors[k]._data.shape)} at entry {k}"
        )
    ndim = tensors[0]._data.ndim + 1
    d = _neg_dim(dim, ndim)
    return apply(STACK, _common_dtype(tensors), (d,))


concat = concatenate = cat


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    return cat([t if t._data.ndim > 1 else reshape(t, 1, -1) for t in tensors], 0)


# -- split / chunk / unbind / narrow / select
def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """Slice ``length`` elements of dim ``dim`` from ``start``."""
    if not input._data.ndim:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = normalize_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if not -size <= start <= size:
        raise IndexError(
            f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(
            f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return getitem(input, (slice(None),) * d + (slice(start, start + length),))


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """Index ``index`` of dim ``dim``, removing that dim."""
    shape = input._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = normalize_dim(dim, len(shape))
    if not -shape[d] <= index < shape[d]:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(shape)} at dimension {d}")
    return getitem(input, (slice(None),) * d + (index,))


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_size`` (or the given sizes) along ``dim``."""
    _at_least_1d("split", tensor)
    d = normalize_dim(dim, tensor._data.ndim)
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step < 0:
            raise RuntimeError(
                f"split expects split_size be non-negative, but got split_size={step}")
        if step == 0 and n:
            raise RuntimeError(
                f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sizes = [min(step, n - s) for s in range(0, n, step)] if step and n else [0]
    else:
        sizes = list(split_size_or_sections)
        if any(s < 0 for s in sizes):
            raise RuntimeError("split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={sizes}")
        if sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                f"at dimension {d}), but got split_sizes={sizes}"
            )
    out, start = [], 0
    for s in sizes:
        out.append(narrow(tensor, d, start, s))
        start += s
    return tuple(out)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    _at_least_1d("chunk", input)
    n = input._data.shape[normalize_dim(dim, input._data.ndim)]
    if n == 0:  # (PyTorch's: as many empty chunks as asked for)
        return split(input, [0] * chunks, dim)
    return split(input, -(-n // chunks), dim)


def _at_least_1d(name: str, input: Tensor) -> None:
    if not input._data.ndim:
        raise RuntimeError(f"{name} expects at least a 1-dimensional tensor")


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    d = normalize_dim(dim, input._data.ndim)
    if not input._data.ndim:
        raise no_dims_error(dim)
    n = input._data.shape[d]
    return tuple(select(input, dim, i) for i in range(n))


for _name, _fn in (
    ("narrow", narrow),
    ("select", select),
    ("split", split),
    ("chunk", chunk),
    ("unbind", unbind),
):
    install(_name, _fn)


# -- flip / roll
FLIP = Op(
    "flip",
    lambda a, dims: np.flip(a, dims).copy(),  # a copy, as PyTorch's (not a view)
    vjp=(lambda g, ans, x, dims: apply(FLIP, (g,), (dims,)),),
    jvp="linear",
    saves=False,
    pattern="moves",
)


def flip(input: Tensor, *given: Any, dims: Any = None) -> Tensor:
    """Reverse the order along ``dims`` (``x.flip(0, 1)`` or ``flip(x, (0, 1))``)."""
    n = input._data.ndim
    dims = _sizes(given if dims is None else (dims,))
    unique_dims(dims, n)  # (PyTorch's error for a dim given twice)
    return apply(FLIP, (input,), (tuple(_neg_dim(d, n) for d in dims) if n else (),))


ROLL = Op(
    "roll",
    lambda a, shifts, dims: np.roll(a, shifts, dims),
    vjp=(lambda g, ans, x, shifts, dims: apply(ROLL, (g,), (tuple(-s for s in shifts), dims)),),
    jvp="linear",
    saves=False,
    pattern="moves",
)


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Rotate elements along ``dims`` (flattened when ``dims`` is None)."""
    if dims is None:
        return reshape(roll(flatten(input), shifts, 0), input._data.shape)
    n = input._data.ndim
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if n == 0 and dims:
        raise no_dims_error(dims[0])
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    return apply(ROLL, (input,), (shifts, tuple(_neg_dim(d, n) for d in dims)))


install("flip", flip)
install("roll", roll)


def _repeat_forward(a: np.ndarray, reps: tuple[int, ...], ndim_in: int) -> np.ndarray:
    """``a`` (with leading batch dims beyond its ``ndim_in``) tiled ``reps`` times."""
    batch = a.shape[: a.ndim - ndim_in]
    lifted = a.reshape(batch + (1,) * (len(reps) - ndim_in) + a.shape[a.ndim - ndim_in:])
    return np.tile(lifted, (1,) * len(batch) + reps)


def _repeat_vjp(g: Tensor, ans: Tensor, x: Tensor, reps: tuple[int, ...],
                ndim_in: int) -> Tensor:
    """The sum of ``g``'s tiles: each repeated dim split in (repeat, size), the repeats
    summed."""
    shape, m = x._data.shape, len(reps)
    batch = g._data.shape[: g._data.ndim - m]
    lifted = (1,) * (m - len(shape)) + shape
    tiles = g.reshape(batch + tuple(v for r, s in zip(reps, lifted) for v in (r, s)))
    return (tiles.sum(tuple(range(-2 * m, 0, 2))) if m else tiles).reshape(batch + shape)


REPEAT = Op("repeat", _repeat_forward, vjp=(_repeat_vjp,), jvp="linear", saves=False,
            pattern="moves")


def repeat(input: Tensor, *sizes: Any, repeats: Any = None) -> Tensor:
    """Tile ``input`` ``sizes`` times along each dim (a copy)."""
    reps = _sizes(sizes if repeats is None else (repeats,))
    if len(reps) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    shape = (1,) * (len(reps) - input._data.ndim) + input._data.shape
    sizes = [r * s for r, s in zip(reps, shape)]
    negative = next((n for n in sizes if n < 0), None)
    if negative is not None:
        raise RuntimeError(f"Trying to create tensor with negative dimension {negative}: {sizes}")
    return apply(REPEAT, (input,), (reps, input._data.ndim))


def tile(input: Tensor, dims: Sequence[int] | int, *more: int) -> Tensor:
    """Repeat ``input`` along each dim (missing leading reps count as 1)."""
    reps = (dims, *more) if isinstance(dims, (int, np.integer)) else tuple(dims)
    reps = (1,) * (input._data.ndim - len(reps)) + reps
    return repeat(input, reps)


install("repeat", repeat)
install("tile", tile)


def atleast_1d(input: Tensor) -> Tensor:
    return reshape(input, (1,)) if input._data.ndim == 0 else input


def ravel(input: Tensor) -> Tensor:
    return reshape(input, (-1,))


install("ravel", ravel)
