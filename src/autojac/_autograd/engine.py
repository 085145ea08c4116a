"""The backward walk: cotangents flow from the roots through the recorded nodes.

Nodes run in reverse topological order, so each sees the sum of all cotangents that
reach it before it runs. Leaf gradients are collected first and committed only after
the whole walk succeeded, so a failed backward leaves every ``.grad`` as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .._tensor import Tensor, _make
from . import grad_mode
from .graph import Node


def topological_order(roots: list[Node]) -> list[Node]:
    """Nodes reachable from ``roots``, every consumer before the nodes it feeds."""
    seen: set[Node] = set()
    post: list[Node] = []
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, 0)]
        while stack:
            node, i = stack.pop()
            edges = node.edges
            n = len(edges)
            while i < n:
                edge = edges[i]
                i += 1
                if edge is not None:
                    nxt = edge[0]
                    if isinstance(nxt, Node) and nxt not in seen:
                        seen.add(nxt)
                        stack.append((node, i))
                        stack.append((nxt, 0))
                        break
            else:
                post.append(node)
    post.reverse()
    return post


def grad_key(t: Tensor) -> Any:
    """Where a tensor's gradient is found: its node output, or the leaf itself (by id)."""
    return (t.grad_fn, t._output_nr) if t.grad_fn is not None else id(t)


def _wanted_edges(order: list[Node], targets: Sequence[Tensor] | None) -> dict[Node, list[bool]]:
    """For each node that must run, which of its edges lead to a requested gradient."""
    if targets is None:
        return {node: [e is not None for e in node.edges] for node in order}
    leaves = {id(t) for t in targets if t.grad_fn is None}
    outputs = {t.grad_fn for t in targets if t.grad_fn is not None}
    wanted: dict[Node, list[bool]] = {}
    for node in reversed(order):  # producers first
        flags = []
        found = False
        for e in node.edges:
            hit = e is not None and (e[0] in wanted or id(e[0]) in leaves)
            flags.append(hit)
            found = found or hit
        if found or node in outputs:
            wanted[node] = flags
    return wanted


def _add(a: Any, b: Any) -> Any:
    return b if a is None else a + b


def run_backward(
    roots: Sequence[Tensor],
    grads: Sequence[Tensor],
    *,
    retain_graph: bool,
    create_graph: bool,
    targets: Sequence[Tensor] | None = None,
    accumulate: bool = True,
) -> list[Any] | None:
    """Push ``grads`` back from ``roots``.

    With ``accumulate``, add the gradients into the ``.grad`` of the leaves (all leaves,
    or only ``targets`` when given); otherwise return the gradients of ``targets`` (None
    where none flowed).
    """
    order = topological_order([r.grad_fn for r in roots if r.grad_fn is not None])
    wanted = _wanted_edges(order, targets)
    captures: dict[Any, Any] = {} if targets is None else {grad_key(t): None for t in targets}
    capture_nodes = {t.grad_fn for t in targets or () if t.grad_fn is not None}
    buffers: dict[Node, list[Any]] = {}
    leaf_grads: dict[int, list[Any]] = {}  # id(leaf) -> [leaf, grad]
    retained: list[tuple[Tensor, Any]] = []
    executed: list[Node] = []

    def to_leaf(leaf: Tensor, g: Any) -> None:
        key = id(leaf)
        if key in captures:
            captures[key] = _add(captures[key], g)
        if accumulate and (targets is None or key in captures):
            slot = leaf_grads.setdefault(key, [leaf, None])
            slot[1] = _add(slot[1], g)

    prev_mode = grad_mode.state.enabled
    grad_mode.state.enabled = create_graph
    try:
        for r, g in zip(roots, grads):
            node = r.grad_fn
            if node is None:
                to_leaf(r, g)
                continue
            buf = buffers.get(node)
            if buf is None:
                buf = buffers[node] = [None] * node.n_out
            buf[r._output_nr] = _add(buf[r._output_nr], g)
        for node in order:
            gs = buffers.pop(node, None)
            flags = wanted.get(node)
            if gs is None or flags is None:
                continue
            if node in capture_nodes:
                for nr, g in enumerate(gs):
                    if (node, nr) in captures:
                        captures[node, nr] = _add(captures[node, nr], g)
            if node.retained:
                for ref in node.retained:
                    t = ref()
                    if t is not None and gs[t._output_nr] is not None:
                        retained.append((t, gs[t._output_nr]))
            if not any(flags):
                continue
            in_grads = node.backward(gs, flags)
            executed.append(node)
            for edge, want, g in zip(node.edges, flags, in_grads):
                if not want or g is None:
                    continue
                target = edge[0]
                if isinstance(target, Tensor):
                    to_leaf(target, g)
                    continue
                buf = buffers.get(target)
                if buf is None:
                    buf = buffers[target] = [None] * target.n_out
                buf[edge[1]] = _add(buf[edge[1]], g)
    finally:
        grad_mode.state.enabled = prev_mode
    if not retain_graph:
        for node in executed:
            node.release()
    if accumulate:
        with grad_mode.set_grad_enabled(create_graph):
            for leaf, g in leaf_grads.values():
                _accumulate(leaf, g, create_graph)
            for t, g in retained:
                _accumulate(t, g, create_graph)
            for t in targets or ():
                if t.grad_fn is not None and captures[grad_key(t)] is not None:
                    _accumulate(t, captures[grad_key(t)], create_graph)
        return None
    return [captures[grad_key(t)] for t in targets]


def _accumulate(leaf: Tensor, g: Tensor, create_graph: bool) -> None:
    """Add ``g`` into ``leaf.grad``; a stored gradient is always a writable array."""
    if not create_graph:
        data = g._data
        if data.dtype != leaf._data.dtype or not data.flags.writeable or not data.flags.owndata:
            data = data.astype(leaf._data.dtype)
        g = _make(data, False, None)
    elif g._data.dtype != leaf._data.dtype:
        g = g.to(leaf.dtype)
    leaf._grad = g if leaf._grad is None else leaf._grad + g


def push_through(
    outputs: Sequence[Tensor], inputs: Sequence[Tensor], values: Sequence[Any],
    step: Callable[[Any, list[Any]], Sequence[Any]],
) -> list[Any]:
    """Push per-tensor ``values`` of ``inputs`` forward through the recorded nodes between
    them and ``outputs``: ``step(node, input_values)`` (None for an input that carries no
    value) gives the node's output values. Returns the outputs' values (None where none
    reaches); raises NotImplementedError at a node that is not an op (a custom Function).
    """
    from .._ops._registry import OpNode

    known: dict[Any, Any] = {}

    def key(t: Any) -> Any:
        return grad_key(t) if isinstance(t, Tensor) else None

    for x, v in zip(inputs, values):
        known[key(x)] = v
    order = topological_order([o.grad_fn for o in outputs if o.grad_fn is not None])
    for node in reversed(order):
        if not isinstance(node, OpNode):
            raise NotImplementedError(f"cannot push values forward through {node.name()}")
        vs = [known.get(key(x)) for x in node.inputs]
        if all(v is None for v in vs) or (node, 0) in known:
            continue
        for nr, v in enumerate(step(node, vs)):
            known[(node, nr)] = v
    return [known.get(key(o)) for o in outputs]


def run_forward(
    outputs: Sequence[Tensor], inputs: Sequence[Tensor], tangents: Sequence[Any],
    create_graph: bool = False,
) -> list[Any]:
    """Linearized forward mode over an already recorded graph.

    Pushes ``tangents`` of ``inputs`` (tensors of the graph, possibly with leading batch
    dims) through the nodes between them and ``outputs`` with each op's jvp rule, and
    returns the outputs' tangents (None where no tangent reaches); with ``create_graph``
    the tangent computation is recorded, so the tangents are differentiable.
    """
    from .._ops._registry import compute_tangent

    def step(node: Any, ts: list[Any]) -> Sequence[Any]:
        result = node._saved_ans()
        out_t = compute_tangent(node.op, node.inputs, node.params, result, ts)
        return (out_t,) if node.n_out == 1 else out_t

    prev_mode = grad_mode.state.enabled
    grad_mode.state.enabled = create_graph
    try:
        return push_through(outputs, inputs, tangents, step)
    finally:
        grad_mode.state.enabled = prev_mode
