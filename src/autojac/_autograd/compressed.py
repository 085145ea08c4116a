"""Sparse Jacobians by colouring (Curtis, Powell and Reid).

Columns that share no row of the sparsity pattern are seeded together, so one JVP gives
all of them; rows that share no column likewise make one VJP. A tridiagonal Jacobian of
any size takes three passes, a diagonal one a single pass. The direction with fewer
colours is used; every entry is then read off the compressed product at its own place.
"""

from __future__ import annotations

import functools
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from . import replay, tape_state
from .jacobian_blocks import ColumnsDiffer, all_finite, columns_as_rows, numel, zeros
from .sparsity import dependency_bitsets, influence_bitsets, nonzeros, pattern_key
from .structure import Structure

# The greedy colouring is a Python loop over the conflicts: above this many, not tried.
GREEDY_WORK_LIMIT = 1 << 22
# Plans kept for graphs of the same structure (a Newton loop calls jacobian on one function),
# those of patterns up to this many nonzeros.
PLANS_KEPT = 16
PLAN_NONZEROS_KEPT = 1 << 20
# Colouring is tried for Jacobians of at least this many entries. Measured on a 2-core EPYC
# (2026-11-29), default call, dense rows against colouring, n x n: a diagonal J breaks even
# at about n = 64 (90: 37 against 33 us; 128: 49 against 35), a tridiagonal one at about
# n = 80 (64: 68 against 70; 128: 86 against 71); a dense J pays 1-2 us for having tried
# (``may_pay``).
TRY_FROM = 1 << 13
# Structures whose colouring was found not to pay, remembered (the oldest forgotten first).
UNCOLOURED_KEPT = 64


@dataclass(frozen=True)
class Pattern:
    """The sparsity pattern of the joint Jacobian (all outputs by all inputs, flattened):
    its nonzeros, and where each output's rows and input's columns start."""

    rows: np.ndarray
    cols: np.ndarray
    row_starts: np.ndarray
    col_starts: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.row_starts[-1]), int(self.col_starts[-1])

    @functools.cached_property
    def blocks(self) -> list[tuple[int, int, np.ndarray, np.ndarray | slice]]:
        """``(i, j, positions, which)`` for each block J[i][j]: the flat positions in it of
        the nonzeros ``which`` (kept with the pattern: a Newton loop reuses them)."""
        if self.row_starts.size == self.col_starts.size == 2:
            return [(0, 0, self.rows * self.shape[1] + self.cols, slice(None))]
        out_of = self.row_starts.searchsorted(self.rows, side="right") - 1
        in_of = self.col_starts.searchsorted(self.cols, side="right") - 1
        n_in = self.col_starts.size - 1
        block_of = out_of * n_in + in_of  # numbered row by row
        order = np.argsort(block_of, kind="stable")
        bounds = block_of[order].searchsorted(np.arange((self.row_starts.size - 1) * n_in + 1))
        blocks = []
        for k in range(bounds.size - 1):
            which = order[bounds[k] : bounds[k + 1]]
            if which.size:
                i, j = divmod(k, n_in)
                width = self.col_starts[j + 1] - self.col_starts[j]
                positions = ((self.rows[which] - self.row_starts[i]) * width
                             + self.cols[which] - self.col_starts[j])
                blocks.append((i, j, positions, which))
        return blocks


def _starts(tensors: tuple) -> np.ndarray:
    return np.cumsum([0] + [t._data.size for t in tensors])


def pattern(
    outputs: tuple, inputs: tuple, forward: bool | None = None, most: int | None = None
) -> Pattern | None:
    """The Jacobian's sparsity pattern from the recorded graph, traced ``forward`` (a bit
    per input) or backward (a bit per output); by default the direction with fewer bits.
    None when the graph is not traceable, or when no colouring with at most ``most``
    colours can exist."""
    row_starts, col_starts = _starts(outputs), _starts(inputs)
    if forward is None:
        forward = col_starts[-1] <= row_starts[-1]
    if forward:
        bitsets, starts = dependency_bitsets(outputs, inputs), row_starts
    else:
        bitsets, starts = influence_bitsets(outputs, inputs), col_starts
    if bitsets is None:
        return None
    if most is not None:
        across = col_starts[-1] if forward else row_starts[-1]
        if _too_crowded([b for b in bitsets if b is not None], across, most):
            return None
    places, bits = [], []
    for start, b in zip(starts, bitsets):
        if b is not None:
            place, bit = nonzeros(b)
            places.append(place + start)
            bits.append(bit)
    empty = np.zeros(0, dtype=np.intp)
    places = np.concatenate(places) if places else empty
    bits = np.concatenate(bits) if bits else empty
    rows, cols = (places, bits) if forward else (bits, places)
    return Pattern(rows, cols, row_starts, col_starts)


def _too_crowded(bitsets: list[np.ndarray], across: int, most: int) -> bool:
    """Whether both colourings need more than ``most`` colours, judged from the bit counts
    of the traced side: its fullest line bounds one direction, the mean count of the lines
    ``across`` it the other."""
    counts = [np.bitwise_count(b).sum(axis=0, dtype=np.int64) for b in bitsets]
    if not counts:
        return False
    fullest = max(int(c.max(initial=0)) for c in counts)
    total = sum(int(c.sum()) for c in counts)
    return fullest > most and total > most * across


def _cyclic(groups: np.ndarray, members: np.ndarray, n: int, count: int) -> np.ndarray | None:
    """Colour ``member % count`` if no group holds two members of one colour."""
    keys = groups.astype(np.int64) * count + members % count
    if keys.size and int(keys.max()) < 4 * keys.size + 1024:
        clash = np.bincount(keys).max() > 1
    else:
        keys.sort()
        clash = (keys[1:] == keys[:-1]).any()
    return None if clash else np.arange(n) % count


def _greedy(groups: np.ndarray, members: np.ndarray, n: int) -> np.ndarray:
    """Each member in turn takes the smallest colour no member of its groups has yet."""
    by_group: dict[int, list[int]] = {}
    of_member: list[list[int]] = [[] for _ in range(n)]
    for g, m in zip(groups.tolist(), members.tolist()):
        by_group.setdefault(g, []).append(m)
        of_member[m].append(g)
    colours = [-1] * n
    for m in range(n):
        taken = {colours[k] for g in of_member[m] for k in by_group[g]}
        c = 0
        while c in taken:
            c += 1
        colours[m] = c
    return np.asarray(colours, dtype=np.intp)


def _cyclic_fit(groups: np.ndarray, members: np.ndarray, n: int, fewest: int) -> np.ndarray | None:
    """The first cyclic colouring that fits from ``fewest`` colours on (banded and block
    patterns in their natural order), if one does within a few."""
    if fewest == 1:  # no group holds two members: one colour, nothing to check
        return np.zeros(n, dtype=np.intp)
    for count in range(fewest, fewest + 3):
        colours = _cyclic(groups, members, n, count)
        if colours is not None:
            return colours
    return None


def colour(
    groups: np.ndarray, members: np.ndarray, n: int, most: int | None = None
) -> np.ndarray | None:
    """Colours for ``n`` members such that no group holds two of one colour (members of
    no group get -1); None when no cheap colouring is found, or none with at most
    ``most`` colours can be (a group is larger)."""
    if members.size == 0:
        return np.full(n, -1, dtype=np.intp)
    sizes = np.bincount(groups)
    fewest = int(sizes.max())
    if most is not None and fewest > most:
        return None
    colours = _cyclic_fit(groups, members, n, fewest)
    if colours is None:
        if int(np.square(sizes, dtype=np.int64).sum()) > GREEDY_WORK_LIMIT:
            return None
        colours = _greedy(groups, members, n)
    used = np.zeros(n, dtype=bool)
    used[members] = True
    return np.where(used, colours, -1)


def _count(colours: np.ndarray) -> int:
    return int(colours.max()) + 1 if colours.size else 0


def _seed_arrays(tensors: tuple, starts: np.ndarray, colours: np.ndarray, count: int) -> list:
    """One basis of ``count`` compressed seeds per tensor (element k is 1 in its colour),
    read-only: they may be kept for the next call."""
    seeds = []
    for t, start in zip(tensors, starts):
        n = t._data.size
        mine = colours[start : start + n]
        seed = np.zeros((count, n), dtype=t._data.dtype)
        has = mine >= 0
        seed[mine[has], np.nonzero(has)[0]] = 1
        seed.flags.writeable = False
        seeds.append(seed.reshape((count,) + t._data.shape))
    return seeds


def _entries(products: list, tensors: tuple, count: int, read: np.ndarray) -> Tensor:
    """The entries at the flat positions ``read`` of the compressed ``products`` (one per
    tensor of ``tensors``, None: zeros) side by side, ``(count, joint numel)``."""
    present = tuple(p for p in products if p is not None)
    layout = tuple((t._data.size, p is not None) for p, t in zip(products, tensors))
    entries = _make(_gathered(*[p._data for p in present], layout, count, read), False, None)
    tape_state.derived(entries, _gathered, present, layout, count, read)
    return entries


def _gathered(*args: Any) -> np.ndarray:
    """``_entries`` on arrays: ``(*present products, layout, count, read)``."""
    *arrays, layout, count, read = args
    given = iter(arrays)
    parts = [next(given).reshape(count, -1) if present else np.zeros((count, size))
             for size, present in layout]
    products = np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
    return products.reshape(-1)[read]  # a flat gather: faster than pairs of indices


@dataclass
class Reuse:
    """What a remembered plan keeps between calls: its colour count, its seeds (per dtypes
    of the seeded tensors) and, for each nonzero, its flat position in the compressed
    products."""

    count: int | None = None
    seeds: dict = field(default_factory=dict)
    read: np.ndarray | None = None


def values(outputs: tuple, inputs: tuple, pat: Pattern, by_rows: bool,
           colours: np.ndarray, reuse: Reuse | None = None, graph: Structure | None = None,
           like_rows: bool = False) -> Tensor | None:
    """The Jacobian's entries at ``pat``'s nonzeros, from compressed VJPs (``by_rows``)
    or JVPs over the recorded graph; ``reuse`` keeps their set-up for the next call;
    ``graph``: the structure of the graph from ``inputs`` to ``outputs``, if known.
    ``like_rows``: None where PyTorch's rows could differ from them (a derivative that is
    not finite: the rows may hold NaN where the pattern has zeros; see
    ``columns_as_rows``)."""
    reuse = Reuse() if reuse is None else reuse
    if reuse.count is None:
        reuse.count = _count(colours)
    count = reuse.count
    if count == 0:
        return zeros((0,), np.dtype(np.float64))
    seeded, starts = (outputs, pat.row_starts) if by_rows else (inputs, pat.col_starts)
    dtypes = tuple(t._data.dtype for t in seeded)
    if dtypes not in reuse.seeds:
        reuse.seeds[dtypes] = _seed_arrays(seeded, starts, colours, count)
    seeds = [_constant(a) for a in reuse.seeds[dtypes]]
    if reuse.read is None:
        colour_of, place = (colours[pat.rows], pat.cols) if by_rows else (colours[pat.cols],
                                                                          pat.rows)
        reuse.read = colour_of * numel(inputs if by_rows else outputs) + place
    if by_rows:
        live = [(o, s) for o, s in zip(outputs, seeds) if o._rg]
        products = replay.gradients([o for o, _ in live], [s for _, s in live], list(inputs),
                                    None if graph is None else graph.for_ends([o for o, _ in live]))
    else:
        try:
            products = replay.tangents(outputs, inputs, seeds, graph,
                                       columns_as_rows if like_rows else None)
        except ColumnsDiffer:
            return None
    # (a row's NaN in a structural zero makes its colour's whole product non-finite)
    if like_rows and not all_finite(products):
        return None
    return _entries(products, inputs if by_rows else outputs, count, reuse.read)


def _constant(seed: np.ndarray) -> Tensor:
    """A kept (read-only) seed as a tensor that a taped computation keeps as it is."""
    t = _make(seed, False, None)
    tape_state.made(t, np.copy, seed)
    return t


def plan(pat: Pattern, most: int | None = None) -> tuple[bool, np.ndarray] | None:
    """``(by_rows, colours)``: the direction with fewer colours and its colouring (None:
    none found, or none with at most ``most`` colours). On a tie, rows: their compressed
    VJPs give the row-by-row values, compressed JVPs only up to rounding."""
    m, n = pat.shape
    options = []
    for by_rows, groups, members, size in ((True, pat.cols, pat.rows, m),
                                           (False, pat.rows, pat.cols, n)):
        colours = colour(groups, members, size, most)
        if colours is not None and (most is None or _count(colours) <= most):
            options.append((_count(colours), by_rows, colours))
    if not options:
        return None
    _, by_rows, colours = min(options, key=lambda o: o[0])
    return by_rows, colours


def dense_blocks(outputs: tuple, inputs: tuple, pat: Pattern, entries: Tensor) -> tuple:
    """J[i][j] as dense tensors (each in input j's dtype) holding ``entries`` at ``pat``."""
    placed = {(i, j): (positions, which) for i, j, positions, which in pat.blocks}
    jac = []
    for i, o in enumerate(outputs):
        row = []
        for j, x in enumerate(inputs):
            shape, dtype = o._data.shape + x._data.shape, x._data.dtype
            if (i, j) not in placed:
                row.append(zeros(shape, dtype))
                continue
            block = _make(_placed(entries._data, shape, dtype, *placed[i, j]), False, None)
            tape_state.derived(block, _placed, (entries,), shape, dtype, *placed[i, j])
            row.append(block)
        jac.append(tuple(row))
    return tuple(jac)


def _placed(entries: np.ndarray, shape: tuple, dtype: np.dtype, positions: np.ndarray,
            which: np.ndarray | slice) -> np.ndarray:
    """A dense block of ``shape`` holding ``entries[which]`` at its flat ``positions``."""
    flat = np.zeros(math.prod(shape), dtype=dtype)
    flat[positions] = entries[which]
    return flat.reshape(shape)


def worth_trying(outputs: tuple, inputs: tuple, least: int = TRY_FROM) -> bool:
    """Whether finding the pattern (a pass of bitsets, 1/64 of an element per row or
    column, whichever are fewer) costs little next to the dense Jacobian: one of at least
    ``least`` entries, all real floating."""
    if numel(outputs) * numel(inputs) < least:
        return False
    return all(t._data.dtype.kind == "f" for t in outputs + inputs)


_plans: OrderedDict[tuple, list] = OrderedDict()
_uncoloured: OrderedDict[tuple, None] = OrderedDict()


def may_pay(graph: Structure) -> bool:
    """False for a graph of a structure whose colouring was tried and did not pay: it is not
    tried again, so that a dense Jacobian does not pay on every call for a key of where
    its operands are zero (if they later gain zeros, the dense rows stay, which are
    always right)."""
    return graph.parts not in _uncoloured


def _plan_for(outputs: tuple, inputs: tuple) -> tuple | None:
    """``(pattern, by_rows, colours)`` with at most a quarter of the dense passes."""
    most = min(numel(outputs), numel(inputs)) // 4
    pat = pattern(outputs, inputs, most=most)
    chosen = None if pat is None else plan(pat, most)
    return None if chosen is None else (pat, *chosen)


def _planned(outputs: tuple, inputs: tuple, graph: Structure | None) -> list:
    """Groups ``(output indices, pattern, by_rows, colours, reuse)``: all outputs coloured
    together, else each output that pays on its own (a few dense rows must not spoil the
    rest); remembered for graphs of the same structure, which have the same pattern."""
    key = None if graph is None else pattern_key(graph)
    if key is not None and key in _plans:
        _plans.move_to_end(key)
        return _plans[key]
    joint = _plan_for(outputs, inputs)
    if joint is not None or len(outputs) == 1:
        groups = [] if joint is None else [(tuple(range(len(outputs))), *joint, Reuse())]
    else:
        groups = [((i,), *found, Reuse()) for i, out in enumerate(outputs)
                  if (found := _plan_for((out,), inputs)) is not None]
    if key is not None and not groups:
        _uncoloured[graph.parts] = None
        if len(_uncoloured) > UNCOLOURED_KEPT:
            _uncoloured.popitem(last=False)
    elif key is not None and sum(g[1].rows.size for g in groups) <= PLAN_NONZEROS_KEPT:
        _plans[key] = groups
        if len(_plans) > PLANS_KEPT:
            _plans.popitem(last=False)
    return groups


def sparse_jacobian(outputs: tuple, inputs: tuple, graph: Structure | None) -> tuple | None:
    """Each output's row of dense Jacobian blocks computed by colouring, None for an
    output where that does not pay (a dense pattern) or could differ from the row-by-row
    definition (see ``values``); None when no output is coloured. ``graph``:
    ``structure(outputs, inputs)``."""
    rows: list[tuple | None] = [None] * len(outputs)
    for which, pat, by_rows, colours, reuse in _planned(outputs, inputs, graph):
        group = tuple(outputs[i] for i in which)
        entries = values(group, inputs, pat, by_rows, colours, reuse,
                         None if graph is None else graph.for_ends(group), like_rows=True)
        if entries is not None:
            for i, row in zip(which, dense_blocks(group, inputs, pat, entries)):
                rows[i] = row
    return None if all(r is None for r in rows) else tuple(rows)
