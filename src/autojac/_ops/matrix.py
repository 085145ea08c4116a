"""Matrix and tensor algebra built on the op table: einsum (declared), diagonals,
triangles, trace, kron, tensordot, cross, prod/cumprod, and norms."""

from __future__ import annotations

import builtins
import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _backend, _dtypes
from .._autograd import forward_ad as fw
from .._autograd import grad_mode, tape_state
from .._autograd.graph import zeros_for
from .._tensor import Tensor, _make, normalize_dim, scalar_type_name
from ._registry import (
    Op,
    PatternRule,
    apply,
    batch_of,
    expand_to,
    install,
    no_kernel,
    sum_to,
)
from .elementwise import where
from .indexing import index_put
from .reduction import (
    AMAX,
    AMIN,
    CUMSUM,
    REDUCED,
    SUM,
    accumulating,
    along_one_element,
    amax,
    amin,
    contract,
    reduction_dims,
    reversed_cumsum,
    unreduce,
)
from .shape import cat, movedim, reshape, stack

# -- einsum: subscripts normalised to explicit letters, with room for batch letters


def _parse_einsum(equation: str, ndims: list[int]) -> tuple[list[str], str]:
    """Explicit subscripts (``...`` expanded to letters) for each operand and the output."""
    eq = equation.replace(" ", "")
    lhs, _, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation" if len(ndims) > len(terms) else
                           "einsum(): fewer operands were provided than specified in the "
                           "equation")
    used = set(c for c in eq if c.isalpha())
    spare = [c for c in string.ascii_letters if c not in used]
    n_ell = builtins.max([nd - len(t.replace("...", "")) for t, nd in zip(terms, ndims)
                          if "..." in t] + [0])
    ell = "".join(spare[:n_ell])
    subs = []
    for i, (t, nd) in enumerate(zip(terms, ndims)):
        if "..." in t:
            k = nd - len(t.replace("...", ""))
            if k < 0:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({len(t) - 3}) is more than the number of dimensions "
                                   f"({nd}) for operand {i}")
            t = t.replace("...", ell[n_ell - k:] if k else "")
        if len(t) != nd:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(t)}) "
                               f"does not match the number of dimensions ({nd}) for operand "
                               f"{i} and no ellipsis was given")
        subs.append(t)
    if "->" in eq:
        out = rhs.replace("...", ell)
        inputs, letters = "".join(subs), rhs.replace("...", "")
        for k, c in enumerate(letters):
            if c in letters[:k]:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   "the output")
            if c not in inputs:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
    else:
        counts = {c: "".join(subs).count(c) for c in set("".join(subs))}
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return subs, out


def _batch_letters(subs: list[str], out: str, n: int) -> str:
    used = set("".join(subs) + out)
    return "".join([c for c in string.ascii_letters if c not in used][:n])


def _einsum_forward(*args: Any) -> np.ndarray:
    *arrays, subs, out, ndims = args
    nb = arrays[0].ndim - ndims[0] if arrays else 0
    batched = [a.ndim - nd for a, nd in zip(arrays, ndims)]
    b = _batch_letters(subs, out, builtins.max(batched + [nb]))
    terms = [b[len(b) - k:] + s if k else s for s, k in zip(subs, batched)]
    k_out = builtins.max(batched)
    return np.einsum(",".join(terms) + "->" + b[len(b) - k_out:] + out, *arrays)


def _einsum_vjp(g: Tensor, ans: Tensor, *args: Any) -> list[Any]:
    *inputs, subs, out, ndims = args
    sizes = _letter_sizes(subs, inputs)
    grads = []
    for i, x in enumerate(inputs):
        si, eye_subs, eyes = _diagonal_factors(subs[i], x._data.dtype, sizes,
                                               "".join(subs) + out)
        others = [k for k in range(len(inputs)) if k != i]
        avail = set(out).union(*(subs[k] for k in others), *eye_subs)
        kept = "".join(c for c in si if c in avail)
        operands = (g,) + tuple(inputs[k] for k in others) + eyes
        eq_subs = [out] + [subs[k] for k in others] + eye_subs
        gi = apply(EINSUM, operands, (eq_subs, kept, [len(out)] + [ndims[k] for k in others]
                                      + [2] * len(eyes)))
        if kept != si:  # (axes of size 1 for the letters x alone has: broadcast below)
            have = dict(zip(kept, gi._data.shape[gi._data.ndim - len(kept):]))
            gi = apply(_EXPAND_AXES, (gi,), (len(kept), tuple(have.get(c, 1) for c in si)))
        grads.append(_conformed(gi, x._data.shape[x._data.ndim - len(si):]))
    return grads


def _letter_sizes(subs: list[str], inputs: Sequence[Tensor]) -> dict[str, int]:
    """Each subscript's size, broadcast over the operands (a size of 1 gives way)."""
    sizes: dict[str, int] = {}
    for sub, x in zip(subs, inputs):
        for c, n in zip(sub, x._data.shape[x._data.ndim - len(sub):]):
            if n != 1 or c not in sizes:
                sizes[c] = n
    return sizes


def _conformed(g: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``g`` (batch dims, then one per subscript of an operand of ``shape``) summed over the
    axes where the operand has size 1 and was broadcast, and broadcast where ``g`` has size
    1: the operand's gradient."""
    have = g._data.shape[g._data.ndim - len(shape):]
    if have == shape:
        return g
    summed = tuple(1 if n == 1 else h for h, n in zip(have, shape))
    if summed != have:
        g = sum_to(g, summed, 0)
    return g if summed == shape else expand_to(g, shape, 0)


def _diagonal_factors(si: str, dtype: np.dtype, sizes: dict[str, int], used: str
                      ) -> tuple[str, list[str], tuple]:
    """An operand's subscripts ``si`` with each repeat of a letter (a diagonal) renamed to a
    fresh letter, and the identity matrices (of the letters' ``sizes``) that tie each fresh
    letter to its first: its gradient, from them, is zero off the diagonals."""
    fresh = iter(c for c in string.ascii_letters if c not in used)
    letters, eye_subs, eyes = "", [], []
    for c in si:
        if c in letters:
            d = next(fresh)
            letters += d
            eye_subs.append(c + d)
            eyes.append(_identity(sizes[c], dtype))
        else:
            letters += c
    return letters, eye_subs, tuple(eyes)


def _identity(n: int, dtype: np.dtype) -> Tensor:
    """The kept read-only identity matrix (a constant of the pass that makes it)."""
    t = _make(_backend.cached_identity(n, dtype), False, None)
    tape_state.made(t, _backend.cached_identity, n, dtype)
    return t


def _einsum_jvp(tangents: list[Any], ans: Tensor, *args: Any) -> Tensor:
    *inputs, subs, out, ndims = args
    total = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        operands = tuple(t if k == i else x for k, x in enumerate(inputs))
        part = apply(EINSUM, operands, (subs, out, ndims))
        total = part if total is None else total + part
    return total


EINSUM = Op("einsum", _einsum_forward, vjp=_einsum_vjp, jvp=_einsum_jvp, promote=True)
_EXPAND_AXES = Op(
    "reshape", lambda a, n, shape: a.reshape(a.shape[: a.ndim - n] + tuple(shape)),
    vjp=(lambda g, ans, x, n, shape: reshape(g, g.shape[: g.ndim - len(shape)] +
                                             x.shape[x.ndim - n:]),),
    jvp="linear", saves=False, node_name="ViewBackward0",
)


_SUBLIST_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # (PyTorch's, for 0..51)


def _sublist_equation(args: tuple) -> tuple[str, tuple]:
    """The equation and operands of einsum's sublist form, ``einsum(a, [0, 1], b, [1], [0])``
    (ints for subscripts, Ellipsis for ``...``; the output sublist optional)."""
    def letters(sublist: Any) -> str:
        return "".join("..." if s is Ellipsis else _SUBLIST_LETTERS[s] for s in sublist)

    pairs = args[: len(args) - len(args) % 2]
    equation = ",".join(letters(sub) for sub in pairs[1::2])
    if len(args) % 2:
        equation += "->" + letters(args[-1])
    return equation, tuple(pairs[0::2])


def einsum(equation: Any, *operands: Any) -> Tensor:
    """Einstein summation, e.g. ``einsum("ij,jk->ik", a, b)`` or, in the sublist form,
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])``; ``...`` broadcasts."""
    if isinstance(equation, Tensor):
        equation, operands = _sublist_equation((equation, *operands))
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ndims = [o._data.ndim for o in operands]
    subs, out = _parse_einsum(equation, ndims)
    _check_einsum_sizes(equation, subs, operands)
    return apply(EINSUM, operands, (subs, out, ndims))


def _check_einsum_sizes(equation: str, subs: list[str], operands: tuple) -> None:
    """PyTorch's errors for a subscript whose sizes disagree (size 1 broadcasts)."""
    seen: dict[str, int] = {}
    for i, (letters, operand) in enumerate(zip(subs, operands)):
        own: dict[str, int] = {}
        for c, size in zip(letters, operand._data.shape):
            if c not in equation:  # (a dim of the ellipsis)
                continue
            if own.get(c, size) != size:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but the "
                                   f"sizes don't match, {size} != {own[c]}")
            own[c] = size
        for c, size in own.items():
            before = seen.get(c, 1)
            if size != before and 1 not in (size, before):
                raise RuntimeError(f"einsum(): subscript {c} has size {size} for operand {i} "
                                   f"which does not broadcast with previously seen size {before}")
            seen[c] = builtins.max(size, before)


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Sum over the last ``dims`` dims of ``a`` and the first of ``b`` (or given pairs)."""
    if isinstance(dims, (int, np.integer)):
        da, db = list(range(-dims, 0)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    for i, j in zip(da, db):
        m, n = a.shape[i], b.shape[j]
        if m != n:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {m} in "
                               f"dim {i} and second has size {n} in dim {j}")
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(da, db):
        sb[normalize_dim(j, b.ndim)] = sa[normalize_dim(i, a.ndim)]
    contracted = {sa[normalize_dim(i, a.ndim)] for i in da}
    out = "".join(c for c in sa if c not in contracted) + "".join(
        c for c in sb if c not in contracted)
    return einsum(f"{''.join(sa)},{''.join(sb)}->{out}", a, b)


def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product."""
    nd = builtins.max(input.ndim, other.ndim)
    a = reshape(input, (1,) * (nd - input.ndim) + tuple(input.shape))
    b = reshape(other, (1,) * (nd - other.ndim) + tuple(other.shape))
    sa = [s for d in a.shape for s in (d, 1)]
    sb = [s for d in b.shape for s in (1, d)]
    prod_shape = tuple(x * y for x, y in zip(a.shape, b.shape))
    return reshape(reshape(a, sa) * reshape(b, sb), prod_shape)


# -- diagonals, triangles, trace
def _diag_index(n_rows: int, n_cols: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    length = builtins.max(0, builtins.min(n_rows - builtins.max(-offset, 0),
                                          n_cols - builtins.max(offset, 0)))
    rows = np.arange(length) + builtins.max(-offset, 0)
    return rows, rows + offset


def _diagonal_forward(a: np.ndarray, offset: int) -> np.ndarray:
    d = a.diagonal(offset, -2, -1)  # NumPy's view is read-only; it may be written through
    if a.flags.writeable:
        d.flags.writeable = True
    return d


def _on_diagonal(base: Tensor, d: Tensor, offset: int) -> Tensor:
    """``base`` with ``d`` written on the ``offset`` diagonal of its last two dims."""
    rows, cols = _diag_index(base._data.shape[-2], base._data.shape[-1], offset)
    return index_put(base, (Ellipsis, rows, cols), d)


def _diagonal_backward_forward(g: np.ndarray, shape: tuple, offset: int) -> np.ndarray:
    """Zeros of shape ``shape`` in the last two dims, with ``g`` on the ``offset`` diagonal."""
    out = np.zeros(g.shape[:-1] + shape, dtype=g.dtype)
    _diagonal_forward(out, offset)[...] = g
    return out


def _diagonal_vjp(g: Tensor, ans: Tensor, x: Tensor, offset: int) -> Tensor:
    return apply(DIAGONAL_BACKWARD, (g,), (x._data.shape[-2:], offset))


DIAGONAL = Op(
    "diagonal", _diagonal_forward, vjp=(_diagonal_vjp,), jvp="linear", saves=False, view=True,
    unview=lambda parent, new, offset: _on_diagonal(parent, new, offset),
)
DIAGONAL_COPY = Op(  # torch.diag of a matrix: a copy
    "diagonal_copy", lambda a, offset: a.diagonal(offset, -2, -1).copy(), vjp=(_diagonal_vjp,),
    jvp="linear", saves=False, pattern="moves", node_name="DiagonalBackward0_copy",
)
DIAGONAL_BACKWARD = Op(
    "diagonal_backward", _diagonal_backward_forward,
    vjp=(lambda g, ans, x, shape, offset: apply(DIAGONAL, (g,), (offset,)),),
    jvp="linear", saves=False, pattern="moves", node_name="DiagonalBackwardBackward0",
)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the (dim1, dim2) planes, as a new last dim (a view)."""
    if normalize_dim(dim1, input._data.ndim) == normalize_dim(dim2, input._data.ndim):
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return apply(DIAGONAL, (movedim(input, (dim1, dim2), (-2, -1)),), (offset,))


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices with the last dim of ``input`` on their ``offset`` diagonal."""
    n = input.shape[-1] + builtins.abs(offset)
    zeros = _make(np.zeros(tuple(input.shape[:-1]) + (n, n), dtype=input._data.dtype), False,
                  None)
    out = _on_diagonal(zeros, input, offset)
    nd = out.ndim
    d1, d2 = normalize_dim(dim1, nd), normalize_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return out if (d1, d2) == (nd - 2, nd - 1) else movedim(out, (-2, -1), (d1, d2))


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D tensor's diagonal matrix, or a matrix's diagonal."""
    if input.ndim == 1:
        return diag_embed(input, diagonal)
    if input.ndim == 2:
        return apply(DIAGONAL_COPY, (input,), (diagonal,))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix."""
    if input.ndim != 2:
        raise RuntimeError("trace: expected a matrix, but got tensor with dim "
                           f"{input.ndim}")
    no_kernel(input._data.dtype, "trace", "b")
    return diagonal(input).sum()


def _triangle(input: Tensor, diagonal: int, lower: bool) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError(f"{'tril' if lower else 'triu'}: input tensor must have at least 2 "
                           "dimensions")
    n, m = input.shape[-2:]
    mask = (np.tri(n, m, diagonal, dtype=bool) if lower
            else ~np.tri(n, m, diagonal - 1, dtype=bool))
    return where(_make(mask, False, None), input, input._data.dtype.type(0).item())  # (its dtype)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """Lower triangle (zero above the ``diagonal``-th diagonal)."""
    return _triangle(input, diagonal, True)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """Upper triangle (zero below the ``diagonal``-th diagonal)."""
    return _triangle(input, diagonal, False)


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (the first dim of size 3 by default)."""
    if dim is None:  # (torch.cross's deprecated default)
        dim = next((i for i, s in enumerate(input.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    sizes = [t._data.shape[normalize_dim(dim, t._data.ndim)] for t in (input, other)]
    if sizes != [3, 3]:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{sizes[0]} and {sizes[1]}")
    no_kernel(_dtypes.result_type(input._data, other._data), "cross", "b")
    a = [input.select(dim, i) for i in range(3)]
    b = [other.select(dim, i) for i in range(3)]
    parts = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    return stack(parts, normalize_dim(dim, builtins.max(input.ndim, other.ndim)))


# -- products, with PyTorch's derivative formulas (exact at zeros)
def _ones_like_slice(x: Tensor, n: int, dim: int = -1) -> Tensor:
    """Ones of ``x``'s shape with ``n`` elements along ``dim``."""
    shape = list(x._data.shape)
    shape[dim] = n
    t = _make(np.ones(shape, dtype=x._data.dtype), False, None)
    tape_state.made(t, np.ones, tuple(shape), x._data.dtype)
    return t


def _exclusive_products(x: Tensor, dim: int) -> Tensor:
    """At each place along ``dim``, the product of the other elements: the products of the
    elements before it and of those after it (PyTorch's prod_safe_zeros_backward)."""
    n = x._data.shape[dim]
    ones = _ones_like_slice(x, 1, dim)
    before = cumprod(cat([ones, x.narrow(dim, 0, n - 1)], dim), dim)
    after = cumprod(cat([ones, x.narrow(dim, 1, n - 1).flip(dim)], dim), dim).flip(dim)
    return before * after


def _any_zero(a: np.ndarray) -> bool:
    return bool((a == 0).any())


def _zeros_twice(a: np.ndarray) -> bool:
    return int(np.count_nonzero(a == 0)) > 1


def _prod_partials(x: Tensor, ans: Tensor, dims: tuple, keepdim: bool,
                   explicit: bool) -> Tensor | None:
    """d prod / dx as PyTorch's prod_backward computes it: ``result / x`` without zeros, else
    the products of the other elements; None where PyTorch's is zeros (a whole product with
    several zeros, and no graph of the derivative to record)."""
    if not tape_state.checked(x, _any_zero):
        return unreduce(ans, x, dims, keepdim) / x
    if explicit:
        return _exclusive_products(x, dims[0])
    if not grad_mode.state.enabled and tape_state.checked(x, _zeros_twice):
        return None
    return _exclusive_products(x.reshape(-1), 0).reshape(x._data.shape)


def _prod_rule(v: Tensor, ans: Tensor, x: Tensor, dims: tuple, keepdim: bool, explicit: bool,
               tangent: bool) -> Tensor:
    """prod's vjp of the cotangent ``v``, or (``tangent``) its jvp of the tangent ``v``, as
    PyTorch's formulas make them from prod_backward."""
    if not x._data.ndim:
        return v
    partials = _prod_partials(x, ans, dims, keepdim, explicit)
    if tangent:
        partials = zeros_for((), x._data) if partials is None else partials
        return apply(SUM, (partials * v,), (dims, keepdim, explicit))
    if partials is None:  # (zeros, not the cotangent times zero)
        return zeros_for(batch_of(v, ans), x._data)
    return unreduce(v, x, dims, keepdim) * partials


PROD = Op(
    "prod",
    lambda a, dims, keepdim, explicit: np.multiply.reduce(a, dims, a.dtype, None, keepdim),
    vjp=(lambda g, ans, x, *params: _prod_rule(g, ans, x, *params, tangent=False),),
    jvp=(lambda t, ans, x, *params: _prod_rule(t, ans, x, *params, tangent=True),),
    node_name=lambda inputs, params: "ProdBackward1" if params[2] else "ProdBackward0",
    pattern=REDUCED,
)


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """Product over ``dim`` (all elements by default); bool/int inputs give int64."""
    input = accumulating(input, dtype)
    if dim is not None and not isinstance(dim, (int, np.integer)):  # (one dim or all, as PyTorch's)
        raise TypeError(
            f"prod() received an invalid combination of arguments - got (dim="
            f"{type(dim).__name__}, ), but expected one of:\n * (*, autojac.dtype dtype = None)"
            "\n * (int dim, bool keepdim = False, *, autojac.dtype dtype = None)\n")
    dims = reduction_dims(dim, input._data.ndim)
    return apply(PROD, (input,), (dims, keepdim, dim is not None))


def _cumprod_grad_at_zeros(g: np.ndarray, x: np.ndarray, out: np.ndarray,
                           dim: int) -> np.ndarray:
    """PyTorch's O(n) cumprod_backward where ``x`` holds zeros, for a pass whose result is
    not differentiated again: before a slice's first zero, the reversed cumulative sums of
    ``out * g`` over ``x``; at it, the sum up to the second zero of ``g`` times the products
    of the elements after the first zero, times the product of those before it; 0 after."""
    zeros_so_far = np.cumsum(x == 0, axis=dim)
    before = zeros_so_far == 0
    summed = np.flip(np.cumsum(np.flip(np.where(before, out * g, 0), dim), axis=dim), dim)
    grad = np.where(before, summed / x, 0)
    between = zeros_so_far == 1
    first = between & (np.cumsum(between, axis=dim) == 1)
    products = np.cumprod(np.where(between & ~first, x, 1), axis=dim)
    at_first = np.sum(products * np.where(between, g, 0), axis=dim, keepdims=True)
    first_at = np.argmax(between, axis=dim, keepdims=True)
    ahead = np.take_along_axis(out, np.maximum(first_at - 1, 0), axis=dim)
    return np.where(first, at_first * np.where(first_at == 0, 1, ahead), grad)


_CUMPROD_GRAD_AT_ZEROS = Op("cumprod_backward", _cumprod_grad_at_zeros)  # (never recorded)


def _cumprod_grad_by_omitted_products(g: Tensor, x: Tensor, dim: int) -> Tensor:
    """PyTorch's O(n^2) cumprod_backward, which can be differentiated again: at each k, the
    sum over j >= k of ``g[j]`` times the product of ``x[:j + 1]`` without ``x[k]``."""
    n = x._data.shape[dim]
    slices = []
    for k in range(n):
        if k == 0:
            omitted = cat([_ones_like_slice(x, 1, dim), cumprod(x.narrow(dim, 1, n - 1), dim)],
                          dim)
        else:
            until = prod(x.narrow(dim, 0, k), dim, keepdim=True)
            omitted = until if k == n - 1 else cat(
                [until, until * cumprod(x.narrow(dim, k + 1, n - k - 1), dim)], dim)
        slices.append((g.narrow(dim, k, n - k) * omitted).sum(dim))
    return stack(slices, dim)


def _cumprod_vjp(g: Tensor, ans: Tensor, x: Tensor, dim: int) -> Tensor:
    if x._data.shape[dim] == 1:
        return g
    if not tape_state.checked(x, _any_zero):
        return reversed_cumsum(ans * g, dim) / x
    if not grad_mode.state.enabled and fw.state.level is None:
        return apply(_CUMPROD_GRAD_AT_ZEROS, (g, x, ans), (dim,))
    return _cumprod_grad_by_omitted_products(g, x, dim)


def _cumprod_jvp(t: Tensor, ans: Tensor, x: Tensor, dim: int) -> Tensor:
    """PyTorch's cumprod_jvp: ``cumsum(t / x) * result``, and from a slice's first zero on
    the cumulative products of ``x`` with the zero's tangent in its place."""
    if not tape_state.checked(x, _any_zero):
        return (t / x).cumsum(dim) * ans
    zeros = x == 0
    first = zeros & (zeros.cumsum(dim) == 1)
    before = (t / where(zeros, 1.0, x)).cumsum(dim) * ans  # (the same where no zero came yet)
    return where(first.cumsum(dim) != 0, cumprod(where(first, t, x), dim), before)


CUMPROD = Op(
    "cumprod",
    lambda a, dim: np.multiply.accumulate(a, axis=dim, dtype=a.dtype),
    vjp=(_cumprod_vjp,),
    jvp=(_cumprod_jvp,),
    pattern=CUMSUM.pattern,
)


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Cumulative product along ``dim``; bool/int inputs give int64."""
    input = accumulating(input, dtype)
    no_kernel(input._data.dtype, "cumprod_out_cpu", "b")
    if not input._data.ndim:
        return along_one_element(cumprod, input, dim)
    return apply(CUMPROD, (input,), (normalize_dim(dim, input._data.ndim) - input._data.ndim,))


# -- norms
def _pnorm_forward(a: np.ndarray, p: float, dims: tuple, keepdim: bool) -> np.ndarray:
    absa = np.abs(a)
    if p == 2:
        return np.sqrt(np.sum(absa * absa, axis=dims, keepdims=keepdim))
    return np.sum(absa ** p, axis=dims, keepdims=keepdim) ** (1.0 / p)


def _pnorm_scale(ans: Tensor, x: Tensor, p: float, dims: tuple, keepdim: bool) -> Tensor:
    """d||x||_p/dx = sign(x) |x|^(p-1) / ||x||^(p-1), zero where the norm is zero, and
    for p < 1 where x is zero (PyTorch)."""
    from .reduction import unreduce

    norm = unreduce(ans, x, dims, keepdim)
    safe = where(norm == 0, 1.0, norm)
    if p == 2:
        return where(norm == 0, 0.0, x / safe)
    ratio = x.abs() / safe
    if p >= 2:
        return where(norm == 0, 0.0, x.sgn() * ratio ** (p - 1))
    # below 2 the power (below 1) or its derivative is infinite at zero entries, which
    # would make the second derivative NaN over the row: it is taken of 1 there, and masked
    zero = x == 0
    return where((norm == 0) | zero, 0.0, x.sgn() * where(zero, 1.0, ratio) ** (p - 1))


def _pnorm_vjp(g: Tensor, ans: Tensor, x: Tensor, p: float, dims: tuple,
               keepdim: bool) -> Tensor:
    from .reduction import unreduce

    return unreduce(g, x, dims, keepdim) * _pnorm_scale(ans, x, p, dims, keepdim)


PNORM = Op(
    "norm", _pnorm_forward, vjp=(_pnorm_vjp,),
    jvp=(lambda t, ans, x, p, dims, keepdim: contract(
        t, _pnorm_scale(ans, x, p, dims, keepdim).conj(), dims, keepdim).real,),
    node_name="LinalgVectorNormBackward0",
    complex_rule="own",
    pattern=PatternRule(  # params (ord, dims, keepdim): a reduction over dims
        lambda bits, p, dims, keepdim: REDUCED.forward(bits, dims, keepdim),
        lambda bits, x, p, dims, keepdim: REDUCED.reverse(bits, x, dims, keepdim),
    ),
)


def _nonzero_count(node_name: str, nonzero: Any, gradient: bool) -> Op:
    """The 0-"norm" over ``dims``, the sum of ``nonzero(a)`` (1 where an element is not 0);
    its tangent is zero, and so is its gradient if ``gradient`` (PyTorch's cdist), else
    none flows back, as from an unused input (PyTorch's vector_norm has no gradient formula
    for it)."""
    return Op(
        "nonzero_count",
        lambda a, dims, keepdim: nonzero(a).sum(dims, dtype=a.real.dtype, keepdims=keepdim),
        vjp=(lambda g, ans, x, dims, keepdim: zeros_for(batch_of(g, ans), x._data)
             if gradient else None,),
        jvp=(lambda t, ans, x, dims, keepdim: zeros_for(batch_of(t, x), ans._data),),
        node_name=node_name,
        pattern=PatternRule(
            lambda bits, dims, keepdim: REDUCED.forward(bits, dims, keepdim),
            lambda bits, x, dims, keepdim: REDUCED.reverse(bits, x, dims, keepdim),
        ),
    )


NONZERO_COUNT = _nonzero_count(  # (NaN counts as a nonzero)
    "LinalgVectorNormBackward0", lambda a: a != 0, gradient=False)
NONZERO_DISTANCE = _nonzero_count(  # (min(ceil(|a|), 1), as PyTorch's kernel: NaN stays)
    "CdistBackward0", lambda a: np.minimum(np.ceil(np.abs(a)), 1), gradient=True)


def _check_extreme_norm(x: Tensor, ord: float, dim: Any) -> None:
    """PyTorch's errors for an inf or -inf norm over no elements (it has no identity)."""
    shape = x._data.shape
    if 0 not in shape:
        return
    start = f"linalg.vector_norm cannot compute the {ord:g} norm on "
    given = () if dim is None else (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if not given:
        raise RuntimeError(f"{start}an empty tensor because the operation does not have an "
                           "identity")
    for d in given:
        if shape[normalize_dim(d, len(shape))] == 0:  # (PyTorch's message lacks the space)
            raise RuntimeError(f"{start}the dimension {d}because this dimension is empty and "
                               "the operation does not have an identity")


def vector_norm(x: Tensor, ord: float = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """The ``ord``-norm of ``x`` over ``dim`` (all elements by default)."""
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' must be Number, not str")
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind not in "fc":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {scalar_type_name(x._data.dtype)}")
    dims = reduction_dims(dim, x.ndim)
    if ord in (float("inf"), float("-inf")):
        _check_extreme_norm(x, ord, dim)
        return apply(AMAX if ord > 0 else AMIN, (x.abs(),),
                     (dims, keepdim, "LinalgVectorNormBackward0"))
    if ord == 0:
        return apply(NONZERO_COUNT, (x,), (dims, keepdim))
    if ord == 1:
        return x.abs().sum(dims, keepdim=keepdim)
    return apply(PNORM, (x,), (float(ord), dims, keepdim))


def _zero_norm(A: Tensor, dims: tuple[int, int], keepdim: bool) -> Tensor:
    """The constant zero norms of matrices without elements."""
    shape = [1 if d in dims else n for d, n in enumerate(A.shape) if keepdim or d not in dims]
    return _make(np.zeros(shape, dtype=A._data.real.dtype), False, None)


def matrix_norm(A: Tensor, ord: Any = "fro", dim: tuple[int, int] = (-2, -1),
                keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Frobenius, nuclear, 1, -1, inf, -inf, 2 or -2 norm of matrices."""
    if dtype is not None:
        A = A.to(dtype)
    if A._data.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if A._data.dtype.kind not in "fc":
        raise RuntimeError("linalg.matrix_norm: Expected a floating point or complex tensor as "
                           f"input. Got {scalar_type_name(A._data.dtype)}")
    if ord in ("nuc", 2, -2) and A._data.dtype == np.float16:
        raise RuntimeError("linalg.matrix_norm: Low precision dtypes not supported. Got Half")
    d0, d1 = (normalize_dim(d, A.ndim) for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    # over no elements, PyTorch's maximum is a constant 0 (norms are not negative), its
    # minimum an error that names the dim as its own computation sees it
    if ord in (1, -1, float("inf"), float("-inf")):
        sum_dim, red_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
        if A.shape[red_dim] == 0:
            if ord < 0:
                shift = red_dim > sum_dim and not keepdim  # (where the summed dim went)
                raise IndexError(f"amin(): Expected reduction dim {red_dim - shift} to have "
                                 "non-zero size.")
            return _zero_norm(A, (d0, d1), keepdim)
        sums = A.abs().sum(sum_dim, keepdim=True)
        out = (amax if ord > 0 else amin)(sums, red_dim, keepdim=True)
        return out if keepdim else out.squeeze((d0, d1))
    if ord in ("nuc", 2, -2):
        from .decomposition import svdvals

        if ord != "nuc" and 0 in (A.shape[d0], A.shape[d1]):
            if ord < 0:
                raise IndexError("amin(): Expected reduction dim -1 to have non-zero size.")
            return _zero_norm(A, (d0, d1), keepdim)
        s = svdvals(movedim(A, (d0, d1), (-2, -1)))
        out = s.sum(-1) if ord == "nuc" else (amax(s, -1) if ord == 2 else amin(s, -1))
        if keepdim:
            out = out.unsqueeze(builtins.min(d0, d1)).unsqueeze(builtins.max(d0, d1))
        return out
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         dtype: Any = None) -> Tensor:
    """``torch.norm``: vector p-norms, or ``'fro'``/``'nuc'`` matrix norms (``p=None``:
    ``'fro'``)."""
    if p is None:
        p = "fro"
    if p == "fro" and (dim is None or isinstance(dim, (int, np.integer)) or len(dim) != 2):
        return vector_norm(input, 2, dim, keepdim, dtype=dtype)
    if isinstance(p, str):
        return matrix_norm(input, p, dim if dim is not None else (-2, -1), keepdim, dtype=dtype)
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


def linalg_norm(input: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """``linalg.norm``: 2-norm of the flattened input by default; matrix norms for 2 dims."""
    if dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) == 2 or (
            dim is None and ord is not None and input.ndim == 2):
        return matrix_norm(input, "fro" if ord is None else ord, dim or (-2, -1), keepdim,
                           dtype=dtype)
    return vector_norm(input, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


for _name, _fn in (("diagonal", diagonal), ("diag_embed", diag_embed), ("diag", diag),
                   ("trace", trace), ("tril", tril), ("triu", triu), ("cross", cross),
                   ("prod", prod), ("cumprod", cumprod), ("norm", norm), ("kron", kron)):
    install(_name, _fn)
