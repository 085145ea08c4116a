"""Jacobian sparsity: which input elements each output element depends on.

Every element of every tensor carries a bitset over the inputs' joint flat index (an array
of ``uint64`` words with the words as a leading axis), pushed through the recorded graph
with each op's ``pattern`` declaration (see ``_ops._registry``). An op without one is taken
as dense, so the pattern found may hold more than the true nonzeros but never fewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor
from .engine import push_through

WORD_BITS = 64


def words_for(numel: int) -> int:
    """How many ``uint64`` words hold one bit per input element."""
    return -(-numel // WORD_BITS)


def _seed(x: Tensor, offset: int, words: int) -> np.ndarray:
    """Each element of ``x`` depends on itself: bit ``offset + k`` for its element ``k``."""
    k = x._data.size
    index = offset + np.arange(k)
    bits = np.zeros((words, k), dtype=np.uint64)
    bits[index // WORD_BITS, np.arange(k)] = np.left_shift(
        np.uint64(1), (index % WORD_BITS).astype(np.uint64)
    )
    return bits.reshape((words,) + x._data.shape)


def _union(bitsets: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """The bitwise OR of ``bitsets`` broadcast (from the right, past the words) to ``shape``."""
    out = None
    for b in bitsets:
        lift = len(shape) - (b.ndim - 1)
        if lift:
            b = b.reshape(b.shape[:1] + (1,) * lift + b.shape[1:])
        out = b if out is None else out | b
    return np.broadcast_to(out, out.shape[:1] + shape)


def _step(words: int) -> Any:
    def step(node: Any, bitsets: list[np.ndarray | None]) -> Sequence[np.ndarray]:
        op, inputs = node.op, node.inputs
        answers = (node.ans,) if node.n_out == 1 else node.ans
        rule = op.pattern
        present = [b for b in bitsets if b is not None]
        if rule == "pointwise":
            return (_union(present, answers[0].shape),)
        if rule is None:  # dense: every output element depends on every input element
            every = np.bitwise_or.reduce(
                np.concatenate([b.reshape(words, -1) for b in present], axis=1), axis=1
            )
            return tuple(_union([every], a.shape) for a in answers)
        filled = [
            b if b is not None
            else np.zeros((words,) + x._data.shape, np.uint64) if isinstance(x, Tensor)
            else None if x is None
            else 0
            for b, x in zip(bitsets, inputs)
        ]
        fn = op.forward if rule == "moves" else rule
        out = fn(*filled, *node.params)
        return (out,) if node.n_out == 1 else tuple(out)

    return step


def dependency_bitsets(
    outputs: Sequence[Tensor], inputs: Sequence[Tensor]
) -> list[np.ndarray | None] | None:
    """Each output's bitsets, shaped ``(words,) + output.shape`` (None: depends on no input);
    None when the graph holds a node that is not an op (a custom Function)."""
    words = words_for(sum(x._data.size for x in inputs))
    seeds, offset = [], 0
    for x in inputs:
        seeds.append(_seed(x, offset, words))
        offset += x._data.size
    try:
        return push_through(outputs, inputs, seeds, _step(words))
    except NotImplementedError:
        return None


def nonzeros(bitsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, cols)``: the set bits of ``bitsets`` (words, *shape), rows being the flat
    positions in ``shape`` and cols the input indices."""
    flat = bitsets.reshape(bitsets.shape[0], -1)
    at = np.flatnonzero(flat)
    word, row = np.divmod(at, flat.shape[1])
    words = flat.reshape(-1)[at].astype("<u8")
    bits = np.unpackbits(words.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    which, bit = np.divmod(np.flatnonzero(bits.view(bool)), WORD_BITS)
    return row[which], word[which] * WORD_BITS + bit
