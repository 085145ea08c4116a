"""The structure of a recorded graph: everything about it but the values of its arrays.

Two caches key on it: the sparsity patterns (``compressed``), and the taped passes
(``replay``), which also key on the scalar operands' values (a rule may branch on them)
and on the seeds.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._ops._registry import OpNode
from .._tensor import Tensor
from . import hooks
from .graph import reshapes


class Structure:
    """``parts``: each node's op, params and output shape, and for each of its inputs its
    shape and the node output it came from, or the identity (which target, or which
    earlier constant it is) of a leaf or constant; the shapes of the ends and targets and
    where they sit (one flat tuple). ``dtypes`` and ``scalars``: the dtypes of the inputs,
    ends and targets, and the scalar operands (floats by their bits: -0.0 is not 0.0); a
    dependency pattern does not depend on them. ``nodes``: the nodes, numbered as in
    ``parts``. ``plain``: whether every node is an op with one output, not yet freed.
    ``for_ends`` gives the structure of the same nodes and targets with some of the ends."""

    __slots__ = ("parts", "dtypes", "scalars", "nodes", "plain", "_walk")

    def __init__(self, parts: tuple, dtypes: tuple, scalars: tuple, nodes: list[Any],
                 plain: bool, walk: tuple) -> None:
        self.parts, self.dtypes, self.scalars = parts, dtypes, scalars
        self.nodes, self.plain = nodes, plain
        self._walk = walk  # the numbers, targets and leaves, where the nodes' part ends

    def for_ends(self, ends: Sequence[Tensor]) -> Structure:
        """The structure with ``ends`` (some of this one's) in place of the ends: the same
        nodes (some of which may not lead to them), no walk."""
        number, targets, leaf, n_parts, n_dtypes = self._walk
        parts, dtypes = list(self.parts[:n_parts]), list(self.dtypes[:n_dtypes])
        _place(parts, dtypes, ends, targets, number, leaf)
        return Structure(tuple(parts), tuple(dtypes), self.scalars, self.nodes, self.plain,
                         self._walk)


def _place(parts: list[Any], dtypes: list[Any], ends: Sequence[Tensor],
           targets: Sequence[Tensor], number: dict[Any, int], leaf: dict[int, int]) -> None:
    """Append where the ends and targets sit, and their shapes and dtypes."""
    parts.append(len(ends))
    for t in (*ends, *targets):
        data = t._data
        parts += (data.shape, leaf.get(id(t)) if t.grad_fn is None
                  else (number.get(t.grad_fn), t._output_nr))
        dtypes.append(data.dtype)


def structure(ends: Sequence[Tensor], targets: Sequence[Tensor]) -> Structure | None:
    """The structure of the graph that leads to ``ends``, with ``targets`` (the tensors
    whose gradients, or whose tangents, a pass takes) in it; None when a node is not an op
    or has params that cannot be keyed. The nodes are numbered in the order they were
    recorded."""
    nodes = _recorded(ends)
    if nodes is None:
        return None
    leaf = {}  # id(target) -> which target, for the targets that are leaves
    for j, t in enumerate(targets):
        if t.grad_fn is None:
            leaf[id(t)] = j
    first: dict[int, int] = {}  # id(constant) -> the position where it is first an input
    # one flat stream, read back by the type of each item: a node is its op, params key,
    # output shape and number of inputs; an input from a node is (int) that node's number,
    # its output number and shape; a leaf or constant is (tuple) its shape and identity; a
    # scalar operand is its (Python) type
    parts: list[Any] = []
    dtypes, scalars = [], []
    number: dict[Any, int] = {}  # node -> its position
    plain = True
    stale = reshapes[0]  # (see post_order)
    try:
        for k, node in enumerate(nodes):
            if stale:
                node.see_inputs_as_recorded()
            number[node] = k
            op = node.op
            ans = node.ans
            if op.n_out != 1 or node.freed:
                plain = False
            params = node.params
            inputs = node.inputs
            parts += (op, frozen(params) if params else (),
                      None if ans is None or op.n_out != 1 else ans.shape, len(inputs))
            for x, edge in zip(inputs, node.edges):
                if edge is not None and not isinstance(edge[0], Tensor):
                    data = x._data
                    parts += (number[edge[0]], edge[1], data.shape)  # a node's output
                    dtypes.append(data.dtype)
                elif isinstance(x, Tensor):  # a target, a constant or another leaf
                    data = x._data
                    parts += (data.shape, leaf[id(x)] if edge is not None and id(x) in leaf
                              else -1 - first.setdefault(id(x), len(first)))
                    dtypes.append(data.dtype)
                else:
                    parts.append(type(x))
                    scalars.append(x if type(x) is int else x.hex() if type(x) is float
                                   else frozen(x))
    except TypeError:  # unhashable params
        return None
    if hooks.registered[0] and (any(map(hooks.watched, nodes))
                                or any(map(hooks.has_hooks, targets))):
        return None  # (a hook is Python that no replay sees)
    walk = (number, targets, leaf, len(parts), len(dtypes))
    _place(parts, dtypes, ends, targets, number, leaf)
    return Structure(tuple(parts), tuple(dtypes), tuple(scalars), nodes, plain, walk)


def _recorded(ends: Sequence[Tensor]) -> list[OpNode] | None:
    """The nodes that lead to ``ends`` in the order they were recorded (each after the
    nodes it reads from); None if one is not an op's."""
    order = []
    seen = set()
    for t in ends:
        node = t.grad_fn
        if node is not None and node not in seen:
            seen.add(node)
            order.append(node)
    for node in order:  # (breadth first: the list grows as it is read)
        if type(node) is not OpNode:
            return None
        for edge in node.edges:
            if edge is not None:
                nxt = edge[0]
                if type(nxt) is OpNode:
                    if nxt not in seen:
                        seen.add(nxt)
                        order.append(nxt)
                elif not isinstance(nxt, Tensor):  # (a leaf's edge holds the leaf)
                    return None
    order.sort(key=_recorded_at)
    return order


_recorded_at = operator.attrgetter("seq")


class _Kind:
    """A tag that starts the key of a param that is not an int, str or None; no param equals
    it, so no param's key equals another's."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


_TUPLE, _LIST, _SLICE, _ARRAY, _DTYPE, _FLOAT, _COMPLEX, _OTHER, _FALSE, _TRUE = map(_Kind, (
    "tuple", "list", "slice", "array", "dtype", "float", "complex", "other", "False", "True"))
_EXACT = frozenset({int, str, type(None)})  # equal only to themselves (1 == 1.0 == True)


def frozen(value: Any) -> Any:
    """``value`` (an op's params) as a hashable key that equals another only for the same
    params: floats by their bits (-0.0 is not 0.0), 1, 1.0 and True apart, arrays by a
    digest of their bytes."""
    kind = type(value)
    if kind in _EXACT:
        return value
    if kind is tuple:  # kept as it is when each item is its own key (ints, strs, Nones)
        keys = None  # the items' keys, from the first that is not its item
        for i, v in enumerate(value):
            t = type(v)
            key = v if t in _EXACT else (_TRUE if v else _FALSE) if t is bool else frozen(v)
            if keys is not None:
                keys.append(key)
            elif key is not v:
                keys = [*value[:i], key]
        return value if keys is None else (_TUPLE, *keys)
    if kind is bool:
        return _TRUE if value else _FALSE
    if kind is list:
        return (_LIST, *[frozen(v) for v in value])
    if kind is float:
        return (_FLOAT, value.hex())
    if kind is complex:
        return (_COMPLEX, value.real.hex(), value.imag.hex())
    if kind is slice:
        start, stop, step = value.start, value.stop, value.step
        if type(start) in _EXACT and type(stop) in _EXACT and type(step) in _EXACT:
            return (_SLICE, start, stop, step)  # (ints and Nones: most slices)
        return (_SLICE, frozen(start), frozen(stop), frozen(step))
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value).reshape(-1).view(np.uint8)
        return (_ARRAY, value.shape, value.dtype.str,
                hashlib.blake2b(data, digest_size=16).digest())
    if isinstance(value, np.dtype):
        return (_DTYPE, value.str)
    if isinstance(value, np.generic):  # by its type and its Python value's key (-0.0)
        return (_OTHER, kind, frozen(value.item()))
    if isinstance(value, tuple):  # a Size or a namedtuple: by its type and its items' keys
        return (_OTHER, kind, frozen(tuple(value)))
    hash(value)  # anything else must be hashable as it is (TypeError otherwise)
    return (_OTHER, kind, value)
