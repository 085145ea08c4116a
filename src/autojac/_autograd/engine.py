"""The backward walk: cotangents flow from the roots through the recorded nodes.

Nodes run in reverse topological order, so each sees the sum of all cotangents that
reach it before it runs. Leaf gradients are collected first (and passed through the
leaves' hooks) and committed only after the whole walk succeeded and every stored
``.grad`` they are added into was found writable, so a failed backward leaves every
``.grad`` as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from .._ops._registry import OpNode, compute_tangent, current
from .._ops.inplace import check_writable
from .._tensor import Tensor, _make
from . import grad_mode, hooks
from .graph import Node, bump_version, reshapes


def post_order(roots: list[Node]) -> dict[Node, int]:
    """Nodes reachable from ``roots``, each after every node it reads from, seeing their
    inputs as recorded; each maps to its position."""
    out = {node: k for k, node in enumerate(in_post_order(roots))}
    if reshapes[0]:  # some tensor has changed shape in place since the process started
        for node in out:
            node.see_inputs_as_recorded()
    return out


def in_post_order(roots: Iterable[Node]) -> Iterator[Node]:
    """The nodes reachable from ``roots`` (Nones skipped), depth first, each once and after
    every node it reads from."""
    seen: set[Node] = set()
    for root in roots:
        if root is None or root in seen:
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
                yield node


def topological_order(roots: list[Node]) -> list[Node]:
    """Nodes reachable from ``roots``, every consumer before the nodes it feeds."""
    post = list(post_order(roots))
    post.reverse()
    return post


def grad_key(t: Tensor) -> Any:
    """Where a tensor's gradient is found: its node output, or the leaf itself (by id)."""
    return (t.grad_fn, t._output_nr) if t.grad_fn is not None else id(t)


def _plan(
    roots: list[Node], targets: Sequence[Tensor] | None
) -> tuple[list[Node], list[list[bool]]]:
    """The nodes that must run, consumers first, each with the flags of which of its edges
    lead to a requested gradient (every edge without ``targets``)."""
    leaves: set[int] = set()
    outputs: set[Node] = set()
    for t in targets or ():
        if t.grad_fn is None:
            leaves.add(id(t))
        else:
            outputs.add(t.grad_fn)
    every = targets is None
    wanted: dict[Node, list[bool]] = {}
    kept: list[Node] = []  # producers first
    for node in post_order(roots):
        flags = []
        hit = every
        for e in node.edges:
            if e is not None and (every or e[0] in wanted or id(e[0]) in leaves):
                flags.append(True)
                hit = True
            else:
                flags.append(False)
        if hit or node in outputs:
            wanted[node] = flags
            kept.append(node)
    kept.reverse()
    return kept, [wanted[node] for node in kept]


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
    current(roots)  # views whose base changed in place since: their history derived again
    current(targets or ())
    order, flags_of = _plan([r.grad_fn for r in roots if r.grad_fn is not None], targets)
    captures: dict[tuple[Node, int], Any] = {}  # cotangents of non-leaf targets
    for t in targets or ():
        if t.grad_fn is not None:
            captures[t.grad_fn, t._output_nr] = None
    buffers: dict[Node, list[Any]] = {}  # cotangent per output, summed as they arrive
    leaf_sums: dict[int, list[Any]] = {}  # id(leaf) -> [leaf, gradient summed]
    retained: list[tuple[Tensor, Any]] = []
    executed: list[Node] = []
    prev_mode = grad_mode.state.enabled
    grad_mode.state.enabled = create_graph  # also while roots' cotangents are summed
    try:
        for r, g in zip(roots, grads):
            if r.grad_fn is None:
                _to_leaf(leaf_sums, r, g)
            else:
                _to_node(buffers, r.grad_fn, r._output_nr, g)
        for node, flags in zip(order, flags_of):
            gs = buffers.pop(node, None)
            if gs is None:
                continue
            if hooks.registered[0]:
                gs = hooks.on_node(node, gs)
            if captures:
                for nr, g in enumerate(gs):
                    if g is not None and (node, nr) in captures:
                        old = captures[node, nr]
                        captures[node, nr] = g if old is None else old + g
            if node.retained:
                for ref in node.retained:
                    t = ref()
                    if t is not None and gs[t._output_nr] is not None:
                        retained.append((t, gs[t._output_nr]))
            if True not in flags:
                continue
            executed.append(node)
            for edge, want, g in zip(node.edges, flags, node.backward(gs, flags)):
                if want and g is not None:
                    to = edge[0]
                    if isinstance(to, Tensor):
                        _to_leaf(leaf_sums, to, g)
                    else:
                        _to_node(buffers, to, edge[1], g)
    finally:
        grad_mode.state.enabled = prev_mode
    if not retain_graph:
        for node in executed:
            node.release()
    if not accumulate:
        out = []
        for t in targets:
            if t.grad_fn is not None:
                out.append(captures[t.grad_fn, t._output_nr])
            else:
                slot = leaf_sums.get(id(t))
                out.append(None if slot is None else _leaf_gradient(*slot, create_graph))
        return out
    chosen = None if targets is None else {id(t) for t in targets}
    with grad_mode.set_grad_enabled(create_graph):
        # every gradient first (the leaves' hooks run here), then checked, then committed
        leaves = [(leaf, _leaf_gradient(leaf, g, create_graph))
                  for key, (leaf, g) in leaf_sums.items() if chosen is None or key in chosen]
        if not create_graph:
            for leaf, _ in leaves:
                if leaf._grad is not None:
                    check_writable(leaf._grad)  # (it is added into in place)
        for leaf, g in leaves:
            _accumulate(leaf, g, create_graph, in_place=True)
        for t, g in retained:
            _accumulate(t, g, create_graph, in_place=False)
        for t in targets or ():  # (one that retains its grad has it from `retained`)
            if (t.grad_fn is not None and not t._retains_grad
                    and captures[t.grad_fn, t._output_nr] is not None):
                _accumulate(t, captures[t.grad_fn, t._output_nr], create_graph, in_place=False)
    return None


def _leaf_gradient(leaf: Tensor, g: Any, create_graph: bool) -> Any:
    """A leaf's whole gradient, through its hooks."""
    if not hooks.registered[0] or not hooks.has_hooks(leaf):
        return g
    with grad_mode.set_grad_enabled(create_graph):
        return hooks.run(leaf, g)


def _to_leaf(leaf_sums: dict[int, list[Any]], leaf: Tensor, g: Any) -> None:
    slot = leaf_sums.get(id(leaf))
    if slot is None:
        leaf_sums[id(leaf)] = [leaf, g]
    else:
        slot[1] = slot[1] + g


def _to_node(buffers: dict[Node, list[Any]], node: Node, nr: int, g: Any) -> None:
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * node.n_out
        buf[nr] = g
    else:
        old = buf[nr]
        buf[nr] = g if old is None else old + g


def _accumulate(t: Tensor, g: Tensor, create_graph: bool, in_place: bool) -> None:
    """Add ``g`` into ``t.grad`` as PyTorch: a first gradient is stored as a copy (never an
    array that another ``.grad`` or the caller holds); later ones are added into the stored
    tensor ``in_place`` (a leaf's AccumulateGrad, without ``create_graph``), else out of
    place (a retained gradient; differentiably with ``create_graph``)."""
    if g._data.dtype != t._data.dtype:
        g = g.to(t.dtype)  # (a new array, the caller's own)
    elif t._grad is None and not create_graph:
        g = _make(g._data.copy(order="K"), False, None)
    if t._grad is None:
        t._grad = g.clone() if create_graph else g
    elif in_place and not create_graph:
        _add_into(t._grad, g)
    else:
        t._grad = t._grad + g


def _add_into(stored: Tensor, g: Tensor) -> None:
    """``stored += g``: straight into the array of a plain tensor (no history, not a view,
    no tangent), through ``add_`` otherwise."""
    if stored.grad_fn is None and not stored._rg and stored._view is None and stored._fw is None:
        np.add(stored._data, g._data, out=stored._data)
        bump_version(stored)
    else:
        stored.add_(g)


def push_through(
    outputs: Sequence[Tensor], inputs: Sequence[Tensor], values: Sequence[Any],
    step: Callable[[Any, list[Any]], Sequence[Any]],
) -> list[Any]:
    """Push per-tensor ``values`` of ``inputs`` forward through the recorded nodes between
    them and ``outputs``: ``step(node, input_values)`` (None for an input that carries no
    value) gives the node's output values. Returns the outputs' values (None where none
    reaches); raises NotImplementedError at a node that is not an op (a custom Function).
    """
    known: dict[Any, Any] = {}  # grad_key -> value
    for x, v in zip(inputs, values):
        known[grad_key(x)] = v
    for node in post_order([o.grad_fn for o in outputs if o.grad_fn is not None]):
        if not isinstance(node, OpNode):
            raise NotImplementedError(f"cannot push values forward through {node.name()}")
        if (node, 0) in known:  # an input itself
            continue
        vs = []
        reached = False
        for edge in node.edges:  # where each input came from when the op ran
            v = None if edge is None else known.get(
                id(edge[0]) if isinstance(edge[0], Tensor) else edge)
            reached = reached or v is not None
            vs.append(v)
        if reached:
            for nr, v in enumerate(step(node, vs)):
                known[(node, nr)] = v
    return [known.get(grad_key(o)) for o in outputs]


def run_forward(
    outputs: Sequence[Tensor], inputs: Sequence[Tensor], tangents: Sequence[Any],
    create_graph: bool = False, inspect: Callable[[Any, Any], None] | None = None,
) -> list[Any]:
    """Linearized forward mode over an already recorded graph.

    Pushes ``tangents`` of ``inputs`` (tensors of the graph, possibly with leading batch
    dims) through the nodes between them and ``outputs`` with each op's jvp rule, and
    returns the outputs' tangents (None where no tangent reaches); with ``create_graph``
    the tangent computation is recorded, so the tangents are differentiable.
    ``inspect(node, tangent)`` sees each node's tangents as they are made (it may raise).
    """
    def step(node: Any, ts: list[Any]) -> Sequence[Any]:
        node.check_saved()
        result = node._ans_tensors()
        out_t = compute_tangent(node.op, node.inputs, node.params, result, ts)
        out_ts = (out_t,) if node.n_out == 1 else out_t
        if inspect is not None:
            for t in out_ts:
                if t is not None:
                    inspect(node, t)
        return out_ts

    prev_mode = grad_mode.state.enabled
    grad_mode.state.enabled = create_graph
    try:
        return push_through(outputs, inputs, tangents, step)
    finally:
        grad_mode.state.enabled = prev_mode
