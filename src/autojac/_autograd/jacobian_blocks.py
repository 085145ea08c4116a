"""Jacobians assembled from batched VJPs (rows) or JVPs (columns), a block at a time.

Shared by ``autograd.functional`` and ``func``: identity-basis seeds for a block of rows
or columns, the collectors that write each block into the result, and the strict-mode
errors that a block can reveal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from .._backend import cached_identity
from .._ops._registry import current
from .._tensor import Tensor, _make
from . import replay, tape_state
from .api import grad as _grad
from .engine import run_backward
from .structure import Structure

# Rows (or columns) per pass when ``vectorize=False``: as many as keep one block of
# cotangents for all inputs under this many elements.
ROW_BLOCK_ELEMENTS = 1 << 21


def constant_error(i: int, double: bool) -> RuntimeError:
    what = "hessian" if double else "jacobian"
    return RuntimeError(
        f"The {what} of the user-provided function is independent of input {i}. This is not "
        "allowed in strict mode when create_graph=True."
    )


def as_tuple(value: Any, arg_name: str, fn_name: str | None) -> tuple[bool, tuple]:
    """``(was_tuple, tuple_of_tensors)``; only a real tuple counts as a tuple. Views whose
    base changed in place get their history derived again."""
    is_tuple = isinstance(value, tuple)
    items = value if is_tuple else (value,)
    for i, el in enumerate(items):
        if isinstance(el, Tensor):
            if el._view is not None:
                current((el,))
        else:
            where = (
                f"the value at index {i} has type {type(el)}."
                if is_tuple
                else f"the given {arg_name} has type {type(el)}."
            )
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                f"Tensors but {where}"
            )
    return is_tuple, items


def numel(tensors: tuple) -> int:
    """The elements of all ``tensors`` together."""
    if len(tensors) == 1:
        return tensors[0]._data.size
    return sum(t._data.size for t in tensors)


def zeros(shape: tuple[int, ...], dtype: np.dtype) -> Tensor:
    t = _make(np.zeros(shape, dtype=dtype), False, None)
    tape_state.made(t, np.zeros, shape, dtype)
    return t


def autograd_grad(
    outputs: tuple,
    inputs: tuple,
    grad_outputs: tuple | None = None,
    create_graph: bool = False,
    retain_graph: bool | None = None,
    is_grads_batched: bool = False,
) -> tuple:
    """``autograd.grad`` that skips outputs not requiring grad (None where nothing flows)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o._rg]
    if not pairs:
        return (None,) * len(inputs)
    return _grad(
        [o for o, _ in pairs],
        inputs,
        [g for _, g in pairs],
        retain_graph=retain_graph,
        create_graph=create_graph,
        allow_unused=True,
        is_grads_batched=is_grads_batched,
    )


def basis(
    numel: int, start: int, stop: int, dtype: np.dtype, shape: tuple, writable: bool
) -> Tensor:
    """Rows ``start:stop`` of the identity of size ``numel``, shaped ``(rows,) + shape``;
    for a single element, the unbatched seed of shape ``shape`` (no batch dim of 1 for the
    backward pass to carry and sum away). Without ``writable`` it may be read-only (a
    Jacobian block that is the seed itself is then copied when it is put in place)."""
    t = _make(_basis(numel, start, stop, dtype, shape, writable), False, None)
    if tape_state.state.tape is not None:  # (made's own test, ahead of packing its args)
        tape_state.made(t, _basis, numel, start, stop, dtype, shape, writable)
    return t


def _basis(
    numel: int, start: int, stop: int, dtype: np.dtype, shape: tuple, writable: bool
) -> np.ndarray:
    rows = stop - start
    if numel == 1:
        return np.ones(shape, dtype=dtype)
    if rows == numel <= CACHED_IDENTITY:
        eye = cached_identity(numel, dtype)
        if writable:
            eye = eye.copy()
    elif rows == numel:
        eye = np.eye(numel, dtype=dtype)
    else:
        eye = np.zeros((rows, numel), dtype=dtype)
        eye[np.arange(rows), np.arange(start, stop)] = 1
    return eye.reshape((rows,) + tuple(shape))


CACHED_IDENTITY = 256  # identities up to this size are kept (faster than np.eye)


def vjp_block(out: Tensor, inputs: tuple, seeds: Tensor, create_graph: bool) -> list[Any]:
    """``autograd.grad(out, inputs, seeds, is_grads_batched=True, allow_unused=True,
    retain_graph=True)`` for arguments known to be valid (None where nothing flows)."""
    if not out._rg:
        return [None] * len(inputs)
    if not create_graph:
        return replay.gradients([out], [seeds], inputs)
    return run_backward([out], [seeds], retain_graph=True, create_graph=True, targets=inputs,
                        accumulate=False)


def spans(n: int, size: int) -> list[tuple[int, int]]:
    """``(start, stop)`` pairs covering ``range(n)`` in steps of ``size``."""
    if 0 < n <= size:
        return [(0, n)]
    size = max(1, size)
    return [(a, min(a + size, n)) for a in range(0, n, size)]


class Block:
    """One Jacobian block J[i][j], filled a block of rows (reverse mode) or of columns
    (forward mode) at a time: taken whole from the one pass that gives all of them, or
    written into one preallocated array, or, when the result must be differentiable,
    joined from tensors at the end."""

    __slots__ = ("out", "x", "dtype", "by_rows", "pieces", "array", "whole")

    def __init__(
        self, out: Tensor, x: Tensor, dtype: np.dtype, by_rows: bool, differentiable: bool
    ) -> None:
        self.out, self.x = out._data, x._data  # (for their shapes and sizes)
        self.dtype, self.by_rows = dtype, by_rows
        self.pieces: list[Tensor] | None = [] if differentiable else None
        self.array: np.ndarray | None = None  # allocated on the first partial block
        self.whole: Tensor | None = None  # all the rows (or columns), from one pass

    @property
    def shape(self) -> tuple[int, ...]:
        return self.out.shape + self.x.shape

    def put(self, lo: int, hi: int, t: Tensor | None, taken: set[int] | None = None) -> None:
        """Rows (or columns) ``lo:hi``; ``t`` has them as its leading dim (None: zeros).
        ``taken``: the ids of the arrays other blocks took whole, which this one copies."""
        if self.pieces is not None:
            if t is None:
                size = self.x.size if self.by_rows else self.out.size
                t = zeros((hi - lo, size), self.dtype)
            self.pieces.append(t)
            return
        if t is None:
            return
        out_numel = self.out.size
        if not self.by_rows and lo == 0 and hi == self.x.size:  # (a transposed copy)
            self.whole = _make(_whole_columns(t._data, self.dtype, self.shape), False, None)
            tape_state.derived(self.whole, _whole_columns, (t,), self.dtype, self.shape)
            return
        if self.by_rows and lo == 0 and hi == out_numel:  # made now: a view's base dies
            alone = taken is None or id(t._data) not in taken
            self.whole = _make(_whole(t._data, self.dtype, self.shape, alone), False, None)
            tape_state.derived(self.whole, _whole, (t,), self.dtype, self.shape, alone)
            if taken is not None:
                taken.add(id(t._data))
            return
        if self.array is None:
            self.array = np.zeros((out_numel, self.x.size), dtype=self.dtype)
        block = t._data.reshape(hi - lo, -1)
        if self.by_rows:
            self.array[lo:hi] = block
        else:
            self.array[:, lo:hi] = block.T

    def result(self) -> Tensor:
        if self.pieces is None:
            if self.whole is not None:
                return self.whole
            if self.array is None:
                return zeros(self.shape, self.dtype)
            return _make(self.array.reshape(self.shape), False, None)
        if not self.pieces:
            return zeros(self.shape, self.dtype)
        from .._ops.shape import cat

        if len(self.pieces) == 1:
            whole = self.pieces[0]
        else:
            whole = cat([p.reshape(p._data.shape[0], -1) for p in self.pieces], 0)
        if whole.dtype.np != self.dtype:
            whole = whole.to(self.dtype)
        if not self.by_rows:
            whole = whole.reshape(whole._data.shape[0], -1).t()
        return whole.reshape(self.shape)  # always: PyTorch's result is a view (ViewBackward0)


def _whole(rows: np.ndarray, dtype: np.dtype, shape: tuple[int, ...], alone: bool
           ) -> np.ndarray:
    """A Jacobian block of ``shape`` and ``dtype`` from all its ``rows``: the rows
    themselves when they are a fresh array of that dtype (a pass's own result) that no
    other block took (``alone``), a copy otherwise (a seed, a view of what the user holds,
    one gradient of two inputs)."""
    flags = rows.flags
    if (alone and rows.dtype == dtype and rows.base is None and flags.c_contiguous
            and flags.writeable):
        return rows if rows.shape == shape else rows.reshape(shape)
    return np.array(rows.reshape(shape), dtype=dtype, order="C")


def _whole_columns(columns: np.ndarray, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    """A Jacobian block of ``shape`` and ``dtype`` from all its ``columns`` (the leading
    dim): a fresh C-contiguous array."""
    return np.array(columns.reshape(columns.shape[0], -1).T, dtype=dtype, order="C").reshape(shape)


def independent(i: int, j: int) -> RuntimeError:
    return RuntimeError(
        f"Output {i} of the user-provided function is independent of input {j}. "
        "This is not allowed in strict mode."
    )


def row_block(block: int | None, numel: int) -> int:
    return block or max(1, ROW_BLOCK_ELEMENTS // max(1, numel))


def reverse_rows(
    outputs: tuple, inputs: tuple, create_graph: bool, strict: bool, block: int | None,
    graph: Structure | None = None,
) -> tuple:
    """J[i][j] from batched VJPs: for each output, blocks of basis cotangents. Without
    ``create_graph`` or ``strict``, when each output takes a single pass, the passes and
    the blocks they give are replayed as one computation (``graph``: the structure of
    the graph from ``inputs`` to ``outputs``, if known)."""

    def passes() -> tuple:
        # each block's gradients die once written, before the next block is computed
        spans = row_spans(outputs, inputs, block)
        return put_rows(outputs, inputs, row_passes(outputs, inputs, create_graph, spans),
                        create_graph, strict)

    if create_graph or strict or not _single_passes(outputs, row_block(block, numel(inputs))):
        return passes()
    flat = replay.computation("jacobian rows", outputs, inputs,
                              lambda: [b for row in passes() for b in row], nested=False,
                              graph=graph)
    return rows_of(flat, len(outputs), len(inputs))


def rows_of(flat: list[Any], n_outputs: int, n_inputs: int) -> tuple:
    """J[i][j] from its blocks listed row by row."""
    if n_outputs == 1:
        return (tuple(flat),)
    return tuple([tuple(flat[i * n_inputs:(i + 1) * n_inputs]) for i in range(n_outputs)])


def _single_passes(outputs: tuple, rows_per_pass: int) -> bool:
    """Whether each output's rows take one pass (and there are some)."""
    for out in outputs:
        if not 0 < out._data.size <= rows_per_pass:
            return False
    return True


def row_spans(outputs: tuple, inputs: tuple, block: int | None) -> list[tuple[int, int, int]]:
    """The passes behind J's rows: ``(i, start, stop)`` for rows ``start:stop`` of output
    ``i`` (only the shapes of ``outputs`` and ``inputs`` count)."""
    rows_per_pass = row_block(block, numel(inputs))
    passes = []
    for i, out in enumerate(outputs):
        for start, stop in spans(out._data.size, rows_per_pass):
            passes.append((i, start, stop))
    return passes


def row_passes(
    outputs: tuple, inputs: tuple, create_graph: bool, spans: list[tuple[int, int, int]]
) -> Iterator[tuple[int, int, int, list[Any]]]:
    """Each pass of ``spans`` (``row_spans``) with its gradients (``vjp_block``), computed
    when asked."""
    for i, start, stop in spans:
        out = outputs[i]._data
        seeds = basis(out.size, start, stop, out.dtype, out.shape, create_graph)
        yield i, start, stop, vjp_block(outputs[i], inputs, seeds, create_graph)


def put_rows(outputs: tuple, inputs: tuple, passes: Iterable[tuple[int, int, int, list[Any]]],
             create_graph: bool, strict: bool) -> tuple:
    """J[i][j] from the ``passes`` of ``row_passes`` (only the shapes of ``outputs`` count):
    fresh result tensors, differentiable only with ``create_graph``."""
    blocks = []
    for out in outputs:
        row = []
        for x in inputs:
            row.append(Block(out, x, x._data.dtype, True, create_graph))
        blocks.append(row)
    for i, start, stop, grads in passes:
        _put_rows(blocks[i], start, stop, grads, i, strict, create_graph)
        del grads  # written: freed before the next pass runs
    jac = []
    for row in blocks:
        results = []
        for b in row:
            results.append(b.result())
        jac.append(tuple(results))
    return tuple(jac)


def _put_rows(blocks: list[Block], start: int, stop: int, grads: list[Any], i: int,
              strict: bool, create_graph: bool) -> None:
    """Rows ``start:stop`` of output ``i``'s blocks, with the strict-mode checks."""
    taken: set[int] = set()  # (one array may be the gradient of two inputs: x + y)
    for j, g in enumerate(grads):
        if g is None and strict:
            raise independent(i, j)
        if g is not None and strict and create_graph and not g._rg:
            raise constant_error(i, False)
        blocks[j].put(start, stop, g, taken)


def column_blocks(inputs: tuple, block: int | None, per_input: bool) -> list[list[tuple]]:
    """Blocks of the joint input basis; each block lists ``(j, lo, hi, col0)``: columns
    ``lo:hi`` of input ``j``, placed from block row ``col0``."""
    numels = [x.numel() for x in inputs]
    total = sum(numels)
    size = row_block(block, total)
    offsets = np.cumsum([0] + numels)
    if per_input:
        return [[(j, a, b, 0)] for j, n in enumerate(numels) for a, b in spans(n, size)]
    out = []
    for a, b in spans(total, size):
        parts = []
        for j, n in enumerate(numels):
            lo, hi = max(a, offsets[j]), min(b, offsets[j] + n)
            if lo < hi:
                parts.append((j, int(lo - offsets[j]), int(hi - offsets[j]), int(lo - a)))
        out.append(parts)
    return out


def block_seed(x: Tensor, lo: int, hi: int, col0: int, rows: int) -> Tensor:
    """Basis tangents ``lo:hi`` of ``x``, from row ``col0`` of a block of ``rows``."""
    args = (x._data.shape, x._data.dtype, lo, hi, col0, rows)
    t = _make(_block_seed(*args), False, None)
    tape_state.made(t, _block_seed, *args)
    return t


def _block_seed(shape: tuple[int, ...], dtype: np.dtype, lo: int, hi: int, col0: int, rows: int
                ) -> np.ndarray:
    seed = np.zeros((rows, math.prod(shape)), dtype=dtype)
    seed[np.arange(col0, col0 + hi - lo), np.arange(lo, hi)] = 1
    return seed.reshape((rows,) + shape)


def seeds_for(inputs: tuple, parts: list[tuple]) -> list[Tensor | None]:
    """The basis tangents of one block of columns, per input (None: none of its columns)."""
    rows = max((col0 + hi - lo for _, lo, hi, col0 in parts), default=0)
    seeds: list[Tensor | None] = [None] * len(inputs)
    for j, lo, hi, col0 in parts:
        seeds[j] = block_seed(inputs[j], lo, hi, col0, rows)
    return seeds


class ColumnsDiffer(Exception):
    """A pass of columns that stands in for rows met a tangent that may differ from them."""


def columns_as_rows(node: Any, t: Tensor) -> None:
    """``run_forward``'s inspection of a pass of columns that stands in for rows: raises
    ``ColumnsDiffer`` where ``node``'s op follows a convention of its own in its tangents
    (``Op.tangents_differ``: at ties and NaN) or the first column of its batched tangent
    ``t`` is not finite.

    Rows and columns agree where every derivative is finite. An infinite or NaN derivative
    makes rows and columns meet ``0 * inf`` at different places: PyTorch's rows give NaN
    where that derivative sits on an element an output does not read (``x.sqrt()[0]``, or
    a relu after it), where columns drop it. Any such derivative makes every column's
    tangent non-finite at its element, the first column's included. Only ops whose
    derivatives read values have such derivatives; the others can still overflow, or take
    a mean of nothing, which ``all_finite`` of the pass's products finds."""
    op = node.op
    differ = op.tangents_differ
    if differ is True or differ and differ(node.inputs):
        raise ColumnsDiffer
    if (op.saves or op.saves_ans) and not tape_state.checked(t, _first_column_finite):
        raise ColumnsDiffer


def _first_column_finite(tangent: np.ndarray) -> bool:
    return bool(np.isfinite(tangent[:1]).all())


def all_finite(products: Iterable[Any]) -> bool:
    """Whether the (co)tangents ``products`` of a pass (None: none) are all finite, a test
    that a replay of the pass being taped repeats."""
    return all(tape_state.checked(p, _finite) for p in products if p is not None)


def _finite(a: np.ndarray) -> bool:
    return bool(np.isfinite(a).all())


class Columns:
    """J[i][j] collected from the outputs' tangents, one block of basis columns at a time
    (so only one block of tangents is alive at once); ``differentiable``: whether the
    result keeps the tangents' history (``create_graph`` by default)."""

    def __init__(self, inputs: tuple, create_graph: bool, strict: bool,
                 differentiable: bool | None = None) -> None:
        self.inputs, self.create_graph, self.strict = inputs, create_graph, strict
        self.differentiable = create_graph if differentiable is None else differentiable
        self.blocks: list[list[Block]] | None = None
        self.reached: list[list[bool]] = []
        self.constant: list[list[bool]] = []

    def _start(self, outputs: tuple) -> None:
        self.blocks = [
            [Block(o, x, o._data.dtype, False, self.differentiable) for x in self.inputs]
            for o in outputs
        ]
        self.reached = [[False] * len(self.inputs) for _ in outputs]
        self.constant = [[True] * len(self.inputs) for _ in outputs]

    def add(self, parts: list[tuple], outputs: tuple, tangents: list[Any]) -> None:
        """The outputs' tangents for one block of columns ``parts`` (see column_blocks)."""
        if self.blocks is None:
            self._start(outputs)
        for i, t in enumerate(tangents):
            for j, lo, hi, col0 in parts:
                piece = t
                if t is not None:
                    self.reached[i][j] = True
                    self.constant[i][j] = self.constant[i][j] and not t._rg
                    if col0 or hi - lo != t._data.shape[0]:
                        piece = t[col0 : col0 + hi - lo]
                self.blocks[i][j].put(lo, hi, piece)

    def result(self, outputs: tuple) -> tuple:
        if self.blocks is None:
            self._start(outputs)
        for i, out in enumerate(outputs):
            for j, x in enumerate(self.inputs):
                if self.strict and x.numel() and out.numel():
                    if not self.reached[i][j]:
                        raise independent(i, j)
                    if self.create_graph and self.constant[i][j]:
                        raise constant_error(i, False)
        return tuple(tuple(b.result() for b in row) for row in self.blocks)
