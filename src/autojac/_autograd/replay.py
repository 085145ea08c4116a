"""Passes over a recorded graph, replayed as bare NumPy calls.

A Jacobian runs the same pass (the vjp rules from a block of cotangents, or the jvp rules
from a block of tangents) for every block, and the user's function records a graph of the
same structure on every call. Op by op, each rule pays Python's cost of wrapping NumPy
calls that take a microsecond or two in Tensors. So the second pass over a graph of a
given structure runs as usual but on a tape (``Tape``): every op the rules apply, with
where each operand comes from (a seed, an array the graph saved, an earlier op's result,
a constant, zeros of a known shape). Later passes over a graph of the same structure run
the tape's op forwards on the new graph's arrays (``Program``): the same NumPy calls on
the same operands, so the same values, bit for bit.

The key holds everything the rules' Python may branch on: the graph's ``structure``
(each node's op, params and output shape, how the nodes connect, the shapes and dtypes of
the leaves and constants, which of them are one tensor, where the ends and targets sit),
the scalar operands, the seeds' shapes and dtypes, and the default dtype. A structure is never
replayed when its taped pass read a tensor's values in Python (``bool(t)``, ``t.item()``:
its control flow may depend on them) other than through ``tape_state.checked`` (a test
that the replay repeats, running eagerly where it answers otherwise), wrote into a
tensor in place, used an array that is not in the graph (computed from values outside an
op) or an op with several outputs, or when the graph holds a node that is not an op. The
saved tensors are checked for changes in place before every replay, as the eager pass
checks them.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any

import numpy as np

from .. import _dtypes
from .._ops._registry import Op
from .._tensor import Tensor
from . import forward_ad as fw
from .engine import run_backward, run_forward
from .program import Program
from .structure import Structure, structure
from .tape_state import state as _tape_state

MAX_PROGRAMS = 256  # structures remembered (the oldest is forgotten first)
RETAPE_AFTER = 2  # a program that gave way this many times is taped again, on its branch
_SEEN_ONCE, _REFUSED = "seen once", "refused"
# a structure's program; _SEEN_ONCE: taped when met again (a structure met once, such as
# one keyed by a Python scalar that changes every call, does not pay for a tape);
# _REFUSED: a structure that cannot be replayed
_programs: dict[tuple, Any] = {}


def gradients(roots: Sequence[Tensor], seeds: Sequence[Tensor], targets: Sequence[Tensor],
              graph: Structure | None = None) -> list[Any]:
    """``run_backward(roots, seeds, retain_graph=True, create_graph=False,
    targets=targets, accumulate=False)``: the gradients of ``targets``, replayed when a
    graph of the same structure was taped before (``graph``: its structure, if known)."""
    return _replayed("vjp", roots, seeds, targets, graph, lambda: run_backward(
        roots, seeds, retain_graph=True, create_graph=False, targets=targets,
        accumulate=False))


def tangents(outputs: Sequence[Tensor], inputs: Sequence[Tensor], seeds: Sequence[Any],
             graph: Structure | None = None,
             inspect: Callable[[Any, Any], None] | None = None) -> list[Any]:
    """``run_forward(outputs, inputs, seeds, inspect=inspect)``: the tangents of ``outputs``,
    replayed when a graph of the same structure was taped before (``graph``: its
    structure, if known; ``inspect``: a module's function, whose tests its replay makes)."""
    return _replayed("jvp" if inspect is None else ("jvp", inspect), outputs, seeds, inputs,
                     graph, lambda: run_forward(outputs, inputs, seeds, inspect=inspect))


def computation(what: Hashable, ends: Sequence[Tensor], targets: Sequence[Tensor],
                eager: Callable[[], list[Any]], seeds: Sequence[Tensor] = (),
                nested: bool = True, graph: Structure | None = None) -> list[Any]:
    """``eager()``: a computation over the graph that ends in ``ends``, with ``targets`` in
    it, that may make graphs of its own and pass over them too (a Hessian's second pass
    goes over the graph of its first), from ``seeds`` (tensors outside the graph that it
    reads); replayed when a graph of the same structure was taped before. ``what`` names
    the computation and whatever else its Python branches on beyond the graph's structure
    and the seeds' shapes and dtypes. ``nested``: whether the passes it makes may be
    replayed on their own when it is not; without, they run eagerly too (passes over its
    own graph, which could not be replayed for the reason it could not). ``graph``: the
    graph's structure, if known."""
    return _replayed(what, ends, seeds, targets, graph, eager, nested)


def _replayed(what: Hashable, ends: Sequence[Tensor], seeds: Sequence[Any],
              targets: Sequence[Tensor], graph: Structure | None,
              eager: Callable[[], list[Any]], nested: bool = True) -> list[Any]:
    """``eager()``: ``what`` ("vjp" or "jvp": a pass of those rules from ``seeds``, or a
    ``computation``) over the graph that ends in ``ends``, with ``targets`` in it (whose
    gradients it gives, or whose tangents the seeds are)."""
    if fw.state.level is not None or _tape_state.tape is not None or _tape_state.eager:
        return eager()  # (a pass within a taped computation is taped as part of it)
    graph = graph or structure(ends, targets)
    if graph is not None and graph.plain:
        key = (what, _dtypes.default_float(), graph.parts, graph.dtypes, graph.scalars)
        if seeds:
            key += tuple([None if t is None else (t._data.shape, t._data.dtype) for t in seeds])
        program = _programs.get(key)
        if type(program) is Program:
            try:
                return program.run(graph.nodes, seeds)
            except Diverged:  # a test its taped run branched on came out otherwise
                program.diverged += 1
                if program.diverged >= RETAPE_AFTER:  # the other branch is the usual one now
                    return _taped(key, graph, seeds, eager)
        elif program is _SEEN_ONCE:
            return _taped(key, graph, seeds, eager)
        elif program is None:
            _remember(key, _SEEN_ONCE)
    if nested:
        return eager()
    _tape_state.eager = True  # its passes run eagerly too
    try:
        return eager()
    finally:
        _tape_state.eager = False


def _taped(key: tuple, graph: Structure, seeds: Sequence[Any],
           eager: Callable[[], list[Any]]) -> list[Any]:
    """``eager()``, taped: its program is remembered under ``key``."""
    tape = Tape(graph.nodes, seeds)
    _tape_state.tape = tape
    try:
        results = eager()
    finally:
        _tape_state.tape = None
    program = tape.program(results)
    _remember(key, _REFUSED if program is None else program)
    return results


def _remember(key: tuple, program: Any) -> None:
    while len(_programs) >= MAX_PROGRAMS:  # the oldest first (threads may race here)
        _programs.pop(next(iter(_programs), None), None)
    _programs[key] = program


class Diverged(Exception):
    """A replayed computation met a test (``tape_state.checked``) whose answer differs from
    its taped run's: it runs eagerly instead, or is taped again (``RETAPE_AFTER``)."""


_NOTHING = np.empty(0)  # what a replayed test gives (no value reads it)


def _test(test: Callable[[np.ndarray], Any], answer: bool) -> Callable[[np.ndarray], np.ndarray]:
    """A replay's step for ``tape_state.checked``: ``Diverged`` unless ``test`` answers
    ``answer``."""

    def check(a: np.ndarray) -> np.ndarray:
        if bool(test(a)) is not answer:
            raise Diverged
        return _NOTHING

    return check


class Tape:
    """Records the op calls of one pass from ``seeds`` over the nodes ``order`` (see the
    module docstring); ``program`` turns them into a ``Program``, or None if the pass was
    refused."""

    def __init__(self, order: list[Any], seeds: Sequence[Tensor]) -> None:
        self.number = {node: k for k, node in enumerate(order)}
        self.inputs: dict[int, tuple] = {}  # id(node input) -> ("input", node, position)
        self.param_arrays: set[int] = set()  # ids of the arrays in the nodes' params
        for k, node in enumerate(order):
            for i, x in enumerate(node.inputs):
                if isinstance(x, Tensor):
                    self.inputs.setdefault(id(x), ("input", k, i))
            self.param_arrays.update(map(id, _arrays_in(node.params)))
        self.sources: list[tuple] = [("seed", r) for r in range(len(seeds))]
        self.found: dict[tuple, int] = {}  # graph source -> its value number
        self.calls: list[tuple[Callable[..., Any], list[int], tuple]] = []
        # id(tensor) -> (value number, the tensor): the seeds, the results and what was made
        # outside ops, met so far
        self.values: dict[int, tuple[int, weakref.ref]] = {
            id(s): (r, weakref.ref(s)) for r, s in enumerate(seeds) if s is not None}
        # id(array) -> (value number, the array): the results, for the rules of the nodes this
        # computation made, which see a saved output through a tensor of their own
        self.answers: dict[int, tuple[int, weakref.ref]] = {}
        self.ran_nodes: list[int] = []
        self.refusal: str | None = None
        if len(self.values) < sum(s is not None for s in seeds):
            self.refuse("one tensor is two seeds")

    def refuse(self, reason: str) -> None:
        if self.refusal is None:
            self.refusal = reason

    def ran(self, node: Any) -> None:
        """``node``'s rules run in this pass: what it saved is checked before each replay
        (a node the taped computation made saved only what the replay computes again)."""
        k = self.number.get(node)
        if k is not None and (node.op.saves or node.op.saves_ans):
            self.ran_nodes.append(k)

    def record(self, op: Op, inputs: Sequence[Any], datas: Sequence[Any], params: tuple,
               result: Any) -> None:
        """One op call made by a rule (or by the engine, summing cotangents): ``datas``
        are the operands its forward got (arrays cast to its computation dtype)."""
        if self.refusal is not None:
            return
        if op.n_out != 1:
            return self.refuse(f"a rule applied {op.name}, which has several outputs")
        arrays = [id(a) for a in _arrays_in(params)] if params else None
        if arrays:
            if not self.param_arrays.issuperset(arrays):
                return self.refuse(f"a rule applied {op.name} with an array not in the graph")
            params = _owned(params)  # the graph's arrays may change after this pass
            if params is None:
                return self.refuse(f"a rule applied {op.name} with large array params")
        args = []
        for x in inputs:
            if isinstance(x, Tensor):
                v = self.value(x)
                if v is None:
                    return self.refuse(f"a rule applied {op.name} to a tensor not in the graph")
            elif x is None or type(x) in (bool, int, float, complex):
                v = self._new_value(("constant", _constant(op.forward, x, datas)))
            else:
                return self.refuse(f"a rule applied {op.name} to a {type(x).__name__}")
            args.append(v)
        args = [self._call(_caster(d.dtype), [v], ()) if isinstance(x, Tensor)
                and d is not x._data else v for v, x, d in zip(args, inputs, datas)]
        v = self._call(op.forward, args, params)
        self.values[id(result)] = (v, weakref.ref(result))
        self.answers[id(result._data)] = (v, weakref.ref(result._data))

    def made(self, t: Tensor, fn: Callable[[], np.ndarray]) -> None:
        """``t`` was made outside an op by ``fn()``, from shapes and dtypes alone: made
        again on each replay, or kept as it is when it is read-only (a kept identity)."""
        v = self._call(fn, [], ()) if t._data.flags.writeable \
            else self._new_value(("constant", t._data))
        self.values[id(t)] = (v, weakref.ref(t))

    def derived(self, t: Tensor, fn: Callable[..., Any], sources: Sequence[Tensor],
                params: tuple) -> None:
        """``t`` was made outside an op as ``fn(*arrays of sources, *params)``."""
        if self.refusal is not None:
            return
        args = [self.value(s) for s in sources]
        if None in args:
            return self.refuse(f"{fn.__name__} made a tensor from one not in the graph")
        self.values[id(t)] = (self._call(fn, args, params), weakref.ref(t))

    def guard(self, t: Tensor, test: Callable[[np.ndarray], Any], answer: bool) -> None:
        """The computation branched on ``test(t's array)``, which gave ``answer``."""
        if self.refusal is not None:
            return
        v = self.value(t)
        if v is None:
            return self.refuse(f"a computation branched on {test.__name__} of a tensor not in "
                               "the graph")
        self._call(_test(test, answer), [v], ())

    def _new_value(self, source: tuple) -> int:
        self.sources.append(source)
        return len(self.sources) - 1

    def _call(self, fn: Callable[..., Any], args: list[int], params: tuple) -> int:
        """Value numbers: the sources first, then one per call (see ``Program``)."""
        self.calls.append((fn, args, params))
        return -len(self.calls)  # renumbered once the sources are all known

    def value(self, t: Tensor) -> int | None:
        """The value number of ``t``: a source or an earlier call's result (None: unknown)."""
        hit = self.values.get(id(t))
        if hit is not None and hit[1]() is t:
            return hit[0]
        where = self.inputs.get(id(t))
        if where is None and t.grad_fn is not None and t._data is getattr(t.grad_fn, "ans", None):
            if t.grad_fn not in self.number:  # the saved output of a node this computation made
                hit = self.answers.get(id(t._data))
                return hit[0] if hit is not None and hit[1]() is t._data else None
            where = ("output", self.number[t.grad_fn])  # a rule's view of a saved output
        if where is None:
            return None
        v = self.found.get(where)
        if v is None:
            v = self.found[where] = self._new_value(where)
        return v

    def program(self, results: list[Any]) -> Program | None:
        """The replay of this pass, which gave ``results``; None if it was refused."""
        outputs = [None if t is None else self.value(t) for t in results]
        if any(o is None and t is not None for o, t in zip(outputs, results)):
            self.refuse("a result is a tensor not in the graph")
        if self.refusal is not None:
            return None
        return Program(self.sources, self.calls, outputs, list(dict.fromkeys(self.ran_nodes)))


def _constant(fn: Callable[..., Any], value: Any, datas: Sequence[Any]) -> Any:
    """A Python scalar operand of ``fn`` as a program keeps it: for a ufunc whose array
    operands share one floating dtype, an int or float becomes a 0-d array of that dtype.
    NumPy casts such a scalar to that dtype anyway (NEP 50), so the values are the same,
    and it takes an array faster."""
    if type(value) not in (int, float) or type(fn) is not np.ufunc:
        return value
    dtypes = {d.dtype for d in datas if type(d) is np.ndarray}
    if len(dtypes) != 1:
        return value
    dtype = dtypes.pop()
    if dtype.kind != "f":
        return value
    with np.errstate(over="ignore"):
        kept = np.array(value, dtype=dtype)
    if np.isinf(kept) and not np.isinf(value):  # (NumPy warns of the overflow each call)
        return value
    kept.flags.writeable = False
    return kept


def _caster(target: np.dtype) -> Callable[[np.ndarray], np.ndarray]:
    return lambda a: a.astype(target)


MAX_PARAM_BYTES = 1 << 20  # a program keeps copies of array params up to this size


def _owned(params: tuple) -> tuple | None:
    """``params`` with read-only copies of their arrays (None: the arrays are too large)."""
    budget = [MAX_PARAM_BYTES]

    def copy(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            budget[0] -= value.nbytes
            kept = value.copy()
            kept.flags.writeable = False
            return kept
        if isinstance(value, (tuple, list)):
            return type(value)(copy(v) for v in value)
        return value

    owned = copy(params)
    return owned if budget[0] >= 0 else None


def _arrays_in(value: Any) -> Iterator[np.ndarray]:
    """The arrays in (nested tuples and lists of) params."""
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _arrays_in(v)
