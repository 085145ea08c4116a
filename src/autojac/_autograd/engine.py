"""The backward walk: cotangents flow from the roots through the recorded nodes.

Nodes run in reverse topological order, so each sees the sum of all cotangents that
reach it before it runs. Leaf gradients are collected first and committed only after
the whole walk succeeded, so a failed backward leaves every ``.grad`` as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._tensor import Tensor, _make
from . import grad_mode
from .graph import Node


def _topological_order(roots: list[Node]) -> list[Node]:
    """Nodes reachable from ``roots``, every consumer before the nodes it feeds."""
    seen: set[int] = set()
    post: list[Node] = []
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(root.edges))]
        while stack:
            node, it = stack[-1]
            for edge in it:
                if edge is not None:
                    nxt = edge[0]
                    if isinstance(nxt, Node) and id(nxt) not in seen:
                        seen.add(id(nxt))
                        stack.append((nxt, iter(nxt.edges)))
                        break
            else:
                stack.pop()
                post.append(node)
    post.reverse()
    return post


def _needed_nodes(order: list[Node], targets: Sequence[Tensor]) -> set[int]:
    """Ids of the nodes through which some target's gradient flows."""
    target_leaves = {id(t) for t in targets if t.grad_fn is None}
    needed = {id(t.grad_fn) for t in targets if t.grad_fn is not None}
    for node in reversed(order):
        if id(node) in needed:
            continue
        for edge in node.edges:
            if edge is not None and (id(edge[0]) in needed or id(edge[0]) in target_leaves):
                needed.add(id(node))
                break
    return needed


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
    order = _topological_order([r.grad_fn for r in roots if r.grad_fn is not None])
    needed = _needed_nodes(order, targets) if targets is not None else None
    captures: dict[tuple[int, int], Any] = {}
    if targets is not None:
        for t in targets:
            key = (id(t.grad_fn), t._output_nr) if t.grad_fn is not None else (id(t), 0)
            captures[key] = None
    buffers: dict[int, list[Any]] = {}
    leaf_grads: dict[int, list[Any]] = {}  # id(leaf) -> [leaf, grad]
    retained: list[tuple[Tensor, Any]] = []
    executed: list[Node] = []

    def send(target: Any, nr: int, g: Any) -> None:
        if isinstance(target, Tensor):
            key = (id(target), 0)
            if key in captures:
                captures[key] = _add(captures[key], g)
            if accumulate and (targets is None or key in captures):
                slot = leaf_grads.setdefault(id(target), [target, None])
                slot[1] = _add(slot[1], g)
            return
        buf = buffers.get(id(target))
        if buf is None:
            buf = buffers[id(target)] = [None] * target.n_out
        buf[nr] = _add(buf[nr], g)

    prev_mode = grad_mode.state.enabled
    grad_mode.state.enabled = create_graph
    try:
        for r, g in zip(roots, grads):
            if r.grad_fn is not None:
                send(r.grad_fn, r._output_nr, g)
            else:
                send(r, 0, g)
        for node in order:
            gs = buffers.pop(id(node), None)
            if gs is None or (needed is not None and id(node) not in needed):
                continue
            for nr, g in enumerate(gs):
                key = (id(node), nr)
                if key in captures:
                    captures[key] = _add(captures[key], g)
            if node.retained:
                for ref in node.retained:
                    t = ref()
                    if t is not None and gs[t._output_nr] is not None:
                        retained.append((t, gs[t._output_nr]))
            wanted = [
                e is not None
                and (needed is None or id(e[0]) in needed or (id(e[0]), 0) in captures)
                for e in node.edges
            ]
            if not any(wanted):
                continue
            in_grads = node.backward(gs, wanted)
            executed.append(node)
            for edge, want, g in zip(node.edges, wanted, in_grads):
                if want and g is not None:
                    send(edge[0], edge[1], g)
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
                t._grad = g if create_graph else g.detach()
        return None
    out = []
    for t in targets:
        key = (id(t.grad_fn), t._output_nr) if t.grad_fn is not None else (id(t), 0)
        out.append(captures[key])
    return out


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


def run_forward(
    outputs: Sequence[Tensor], inputs: Sequence[Tensor], tangents: Sequence[Any]
) -> list[Any]:
    """Linearized forward mode over an already recorded graph.

    Pushes ``tangents`` of ``inputs`` (tensors of the graph, possibly with leading batch
    dims) through the nodes between them and ``outputs`` with each op's jvp rule, and
    returns the outputs' tangents (None where no tangent reaches).
    """
    from .._ops._registry import OpNode, compute_tangent

    known: dict[tuple[int, int], Any] = {}

    def key(t: Any) -> tuple[int, int] | None:
        if not isinstance(t, Tensor):
            return None
        return (id(t.grad_fn), t._output_nr) if t.grad_fn is not None else (id(t), 0)

    for x, t in zip(inputs, tangents):
        known[key(x)] = t
    order = _topological_order([o.grad_fn for o in outputs if o.grad_fn is not None])
    prev_mode = grad_mode.state.enabled
    try:
        for node in reversed(order):
            if not isinstance(node, OpNode):
                raise NotImplementedError(
                    f"linearized forward mode cannot go through {node.name()}"
                )
            ts = [known.get(key(x)) for x in node.inputs]
            if all(t is None for t in ts) or (id(node), 0) in known:
                continue
            result = node._saved_ans()
            grad_mode.state.enabled = any(t is not None and t._rg for t in ts)
            out_t = compute_tangent(node.op, node.inputs, node.params, result, ts)
            if node.n_out == 1:
                known[(id(node), 0)] = out_t
            else:
                for nr, t in enumerate(out_t):
                    known[(id(node), nr)] = t
    finally:
        grad_mode.state.enabled = prev_mode
    return [known.get(key(o)) for o in outputs]
