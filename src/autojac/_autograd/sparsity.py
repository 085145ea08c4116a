"""Jacobian sparsity: which input elements each output element depends on.

Elements carry bitsets (arrays of ``uint64`` words with the words as a leading axis),
pushed through the recorded graph with each op's ``pattern`` declaration (see
``_ops._registry``): forward, a bit per input element (what each element depends on), or
backward, a bit per output element (what each element influences); the cheaper direction
has fewer bits. An op without a rule is taken as dense, so a pattern found may hold more
than the true nonzeros but never fewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._ops._registry import OpNode, ZerosPatternRule, reduce_to
from .._tensor import Tensor
from .engine import grad_key, push_through, topological_order
from .structure import Structure

WORD_BITS = 64


def words_for(numel: int) -> int:
    """How many ``uint64`` words hold one bit per element."""
    return -(-numel // WORD_BITS)


def _seeds(tensors: Sequence[Tensor], words: int) -> list[np.ndarray]:
    """Each element its own bit, over the tensors' joint flat index."""
    out, offset = [], 0
    for t in tensors:
        k = t._data.size
        index = offset + np.arange(k)
        bits = np.zeros((words, k), dtype=np.uint64)
        bits[index // WORD_BITS, np.arange(k)] = np.left_shift(
            np.uint64(1), (index % WORD_BITS).astype(np.uint64)
        )
        out.append(bits.reshape((words,) + t._data.shape))
        offset += k
    return out


def _lift(bits: np.ndarray, ndim: int) -> np.ndarray:
    """Size-1 dims after the words, up to ``ndim`` element dims (right-aligned broadcast)."""
    lift = ndim - (bits.ndim - 1)
    return bits.reshape(bits.shape[:1] + (1,) * lift + bits.shape[1:]) if lift else bits


def _union(bitsets: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """The bitwise OR of ``bitsets`` broadcast (from the right, past the words) to ``shape``."""
    out = None
    for b in bitsets:
        b = _lift(b, len(shape))
        out = b if out is None else out | b
    return np.broadcast_to(out, out.shape[:1] + shape)


def _everything(bitsets: list[np.ndarray], words: int) -> np.ndarray:
    """The union of all elements' bits: ``(words,)``."""
    return np.bitwise_or.reduce(
        np.concatenate([b.reshape(words, -1) for b in bitsets], axis=1), axis=1
    )


def _arrays(node: Any) -> list[np.ndarray | None]:
    """The values of a node's inputs (None: not a tensor)."""
    return [x._data if isinstance(x, Tensor) else None for x in node.inputs]


def _filled(bitsets: list[Any], inputs: Sequence[Any], words: int) -> list[Any]:
    """Zero bitsets for tensor inputs without any; constants as the jvp rules see them."""
    return [
        b if b is not None
        else np.zeros((words,) + x._data.shape, np.uint64) if isinstance(x, Tensor)
        else None if x is None
        else 0
        for b, x in zip(bitsets, inputs)
    ]


def _forward_step(words: int) -> Any:
    def step(node: Any, bitsets: list[np.ndarray | None]) -> Sequence[np.ndarray]:
        op = node.op
        answers = (node.ans,) if node.n_out == 1 else node.ans
        rule = op.pattern
        if rule == "pointwise":
            return (_union([b for b in bitsets if b is not None], answers[0].shape),)
        if isinstance(rule, ZerosPatternRule):
            out = rule.forward(bitsets, _arrays(node))
            if out is not None:
                return (out,)
        if rule is None or isinstance(rule, ZerosPatternRule):
            every = _everything([b for b in bitsets if b is not None], words)
            return tuple(_union([every], a.shape) for a in answers)
        fn = op.forward if rule == "moves" else rule.forward
        out = fn(*_filled(bitsets, node.inputs, words), *node.params)
        return (out,) if node.n_out == 1 else tuple(out)

    return step


def dependency_bitsets(
    outputs: Sequence[Tensor], inputs: Sequence[Tensor]
) -> list[np.ndarray | None] | None:
    """Each output's bitsets over the inputs' joint flat index, ``(words,) + shape``
    (None: depends on no input); None when the graph holds a node that is not an op."""
    words = words_for(sum(x._data.size for x in inputs))
    try:
        return push_through(outputs, inputs, _seeds(inputs, words), _forward_step(words))
    except NotImplementedError:
        return None


def _moved_back(node: Any, bits: np.ndarray, words: int) -> list[np.ndarray | None]:
    """The inputs' bitsets of a ``moves`` op: its forward run on the (1-based) joint
    positions of the input elements tells where each output element came from."""
    positions, offset = [], 0
    for x in node.inputs:
        if isinstance(x, Tensor):
            positions.append(offset + 1 + np.arange(x._data.size).reshape(x._data.shape))
            offset += x._data.size
        else:
            positions.append(None if x is None else 0)
    source = np.asarray(node.op.forward(*positions, *node.params)).reshape(-1)
    moved = source > 0
    joint = np.zeros((offset, words), dtype=np.uint64)
    np.bitwise_or.at(joint, source[moved] - 1, bits.reshape(words, -1).T[moved])
    out, offset = [], 0
    for x in node.inputs:
        if isinstance(x, Tensor):
            k = x._data.size
            out.append(joint[offset : offset + k].T.reshape((words,) + x._data.shape))
            offset += k
        else:
            out.append(None)
    return out


def _backward_step(node: Any, outs: list[np.ndarray | None], words: int) -> list[Any]:
    """The bitsets each input of ``node`` gets from its outputs' (None: not a tensor)."""
    rule, inputs = node.op.pattern, node.inputs
    present = [b for b in outs if b is not None]
    if rule == "pointwise":
        out = present[0]
        return [
            reduce_to(np.bitwise_or.reduce, out, x._data.shape, out.ndim - 1 - x._data.ndim)
            if isinstance(x, Tensor) else None
            for x in inputs
        ]
    if rule == "moves":
        return _moved_back(node, present[0], words)
    if isinstance(rule, ZerosPatternRule):
        back = rule.reverse(present[0], _arrays(node))
        if back is not None:
            return back
    if rule is None or isinstance(rule, ZerosPatternRule):
        every = _everything(present, words)
        return [_union([every], x._data.shape) if isinstance(x, Tensor) else None
                for x in inputs]
    return [rule.reverse(present[0], inputs[0]._data, *node.params)]


def influence_bitsets(
    outputs: Sequence[Tensor], inputs: Sequence[Tensor]
) -> list[np.ndarray | None] | None:
    """Each input's bitsets over the outputs' joint flat index, ``(words,) + shape``
    (None: influences no output); None when the graph holds a node that is not an op."""
    words = words_for(sum(o._data.size for o in outputs))
    known: dict[Any, np.ndarray] = {}

    def add(key: Any, bits: np.ndarray) -> None:
        known[key] = bits if key not in known else known[key] | bits

    for o, bits in zip(outputs, _seeds(outputs, words)):
        add(grad_key(o), bits)
    for node in topological_order([o.grad_fn for o in outputs if o.grad_fn is not None]):
        outs = [known.pop((node, nr), None) for nr in range(node.n_out)]
        if all(b is None for b in outs):
            continue
        if not isinstance(node, OpNode):
            return None
        for edge, bits in zip(node.edges, _backward_step(node, outs, words)):
            if edge is not None and bits is not None:
                target = edge[0]
                add(id(target) if isinstance(target, Tensor) else (target, edge[1]), bits)
    return [known.get(grad_key(x)) for x in inputs]


def _zeros_key(node: Any) -> tuple:
    """Where the inputs of a node whose pattern reads them are zero."""
    return tuple(None if a is None else np.packbits(a != 0).tobytes() for a in _arrays(node))


def pattern_key(graph: Structure) -> tuple:
    """A key of everything the dependency pattern depends on: the graph's structure and
    ``zeros_key``."""
    return graph.parts, zeros_key(graph)


def zeros_key(graph: Structure) -> tuple:
    """Where the operands are zero of the ops whose pattern reads that."""
    return tuple(_zeros_key(n) for n in graph.nodes if isinstance(n.op.pattern, ZerosPatternRule))


# Above this many nonzero words, their lowest set bits are peeled off all at once (up to
# PEELS rounds); the words left are unpacked bit by bit.
UNPACK_WORDS = 1024
PEELS = 4


def _bit_index(powers: np.ndarray) -> np.ndarray:
    """k for each 2**k: the exponent of its (exact) float64 value."""
    return (powers.astype(np.float64).view(np.int64) >> 52) - 1023


def nonzeros(bitsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(positions, bits)``: the set bits of ``bitsets`` (words, *shape), positions being
    the flat element positions in ``shape`` and bits the indices of the set bits."""
    flat = bitsets.reshape(-1)
    at = np.flatnonzero(flat != 0)
    size = flat.size // bitsets.shape[0]
    word = at // size
    place = at - word * size
    base = word * WORD_BITS
    left = flat[at]
    places, bits = [place[:0]], [base[:0]]
    for _ in range(PEELS):
        if left.size <= UNPACK_WORDS:
            break
        low = left & (~left + np.uint64(1))
        places.append(place)
        bits.append(base + _bit_index(low))
        left ^= low
        more = left != 0
        left, place, base = left[more], place[more], base[more]
    if left.size:
        unpacked = np.unpackbits(left.astype("<u8").view(np.uint8).reshape(-1, 8), axis=1,
                                 bitorder="little")
        which, bit = np.divmod(np.flatnonzero(unpacked.view(bool)), WORD_BITS)
        places.append(place[which])
        bits.append(base[which] + bit)
    return np.concatenate(places), np.concatenate(bits)
