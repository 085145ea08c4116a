"""A taped pass (``replay.Tape``) as a program: op forwards on numbered values.

The values are numbered in order: first the sources found in the graph (the seeds, the
saved inputs and outputs of its nodes) and the constants, then each call's result. A
result dies after its last use, as the eager pass frees it.

A program runs interpreted at first. Once it has run ``COMPILE_AFTER`` times it is
compiled into a straight-line Python function that makes the same calls in the same
order with no dispatch between them: compiling (about 50 µs a call) costs about as much
as that many interpreted runs save (about 0.5 µs a call each), so only programs that keep
running pay for it. Programs of more than ``COMPILE_MAX_CALLS`` calls stay interpreted
(compiling them would hold a large syntax tree in memory for seconds).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._ops._registry import _writes
from .._tensor import Tensor, _make

COMPILE_AFTER = 100  # interpreted runs of a program before it is compiled
COMPILE_MAX_CALLS = 10_000  # programs with more calls are never compiled


class Program:
    """``sources``: where each source value comes from (``("seed", r)``, ``("input", node,
    position)``, ``("output", node)``, ``("constant", value)``); ``calls``: ``(fn, args,
    params)``, args being value numbers (sources from 0, calls from -1 down);
    ``results``: the value numbers the pass gives; ``checks``: the nodes whose saved
    tensors are checked before each run."""

    __slots__ = ("seeds", "inputs", "outputs_of", "constants", "steps", "calls", "results",
                 "checks", "runs", "diverged", "compiled")

    def __init__(self, sources: list[tuple], calls: list[tuple], results: list[int | None],
                 checks: list[int]) -> None:
        used = {v for _, args, _ in calls for v in args} | set(results)
        kinds = ("seed", "input", "output", "constant")
        layout = sorted((v for v in range(len(sources)) if v in used),
                        key=lambda v: kinds.index(sources[v][0]))
        at = {v: n for n, v in enumerate(layout)}
        n = len(layout)

        def number(v: int) -> int:  # a call's result: -1 for the first call, and so on
            return at[v] if v >= 0 else n - 1 - v

        arguments = [[number(v) for v in args] for _, args, _ in calls]
        self.results = [None if v is None else number(v) for v in results]
        last_use = {n + c: c for c in range(len(calls))}  # (unused: dies as it is made)
        for c, args in enumerate(arguments):
            for v in args:
                last_use[v] = c
        frees: list[list[int]] = [[] for _ in calls]
        for v, c in last_use.items():
            if v >= n and v not in self.results:
                frees[c].append(v)
        picked = [sources[v] for v in layout]
        self.seeds = [r for kind, r, *_ in picked if kind == "seed"]
        self.inputs = [(k, i) for kind, k, *i in picked if kind == "input" for i in i]
        self.outputs_of = [k for kind, k, *_ in picked if kind == "output"]
        self.constants = [c for kind, c, *_ in picked if kind == "constant"]
        # (fn, its value arguments, params after them, the values that die after it)
        self.steps = [(fn, args, params, f)
                      for (fn, _, params), args, f in zip(calls, arguments, frees)]
        self.calls = [  # as the interpreter makes them: (fn, getter or None, single arg, frees)
            (_after(fn, params) if params else fn,
             _getter(args) if len(args) != 1 else None,
             args[0] if len(args) == 1 else None,
             tuple(f) or None)
            for fn, args, params, f in self.steps
        ]
        self.checks = checks
        self.runs = 0
        self.diverged = 0  # replays that gave way to an eager run (see replay.Diverged)
        self.compiled: Callable[[list[Any], Sequence[Tensor]], list[Any]] | None = None

    def run(self, order: list[Any], seeds: Sequence[Tensor]) -> list[Any]:
        """What the taped pass gives on the graph ``order`` of the same structure."""
        if self.compiled is not None:
            return self.compiled(order, seeds)
        self.runs += 1
        if self.runs >= COMPILE_AFTER and len(self.steps) <= COMPILE_MAX_CALLS:
            self.compiled = self.compile()
        return self._interpret(order, seeds)

    def _sources(self, order: list[Any], seeds: Sequence[Tensor]) -> list[Any]:
        for k in self.checks:
            order[k].check_saved()
        vals = [seeds[r]._data for r in self.seeds]
        vals += [order[k].inputs[i]._data for k, i in self.inputs]
        vals += [order[k].ans for k in self.outputs_of]
        vals += self.constants
        return vals

    def _interpret(self, order: list[Any], seeds: Sequence[Tensor]) -> list[Any]:
        vals = self._sources(order, seeds)
        for fn, several, one, frees in self.calls:
            out = fn(*several(vals)) if several is not None else fn(vals[one])
            vals.append(out if type(out) is np.ndarray else np.asarray(out))
            if frees:
                for v in frees:
                    vals[v] = None
        return [None if v is None else _make(vals[v], False, None) for v in self.results]

    def compile(self) -> Callable[[list[Any], Sequence[Tensor]], list[Any]]:
        """``run`` as one Python function: the calls spelled out on local variables, after
        a test of each checked node that calls ``check_saved`` only when an in-place write
        or a free ran since the node was recorded (else nothing it saved can have changed)."""
        env: dict[str, Any] = {"_make": _make, "_ndarray": np.ndarray, "_asarray": np.asarray,
                               "_writes": _writes}
        lines = ["def run(order, seeds):", "    writes = _writes[0]"]
        for k in self.checks:
            lines.append(f"    if order[{k}].writes != writes:")
            lines.append(f"        order[{k}].check_saved()")
        loads = ([f"seeds[{r}]._data" for r in self.seeds]
                 + [f"order[{k}].inputs[{i}]._data" for k, i in self.inputs]
                 + [f"order[{k}].ans" for k in self.outputs_of])
        for c, value in enumerate(self.constants):
            env[f"c{c}"] = value
            loads.append(f"c{c}")
        lines += [f"    v{v} = {load}" for v, load in enumerate(loads)]
        for v, (fn, args, params, frees) in enumerate(self.steps, start=len(loads)):
            env[f"f{v}"] = fn
            operands = [f"v{a}" for a in args]
            if params:
                env[f"p{v}"] = params
                operands.append(f"*p{v}")
            lines.append(f"    v{v} = f{v}({', '.join(operands)})")
            lines.append(f"    if type(v{v}) is not _ndarray: v{v} = _asarray(v{v})")
            if frees:
                lines.append(f"    del {', '.join(f'v{f}' for f in frees)}")
        results = ", ".join("None" if v is None else f"_make(v{v}, False, None)"
                            for v in self.results)
        lines.append(f"    return [{results}]")
        exec(compile("\n".join(lines), "<replayed pass>", "exec"), env)
        return env["run"]


def _after(fn: Callable[..., Any], params: tuple) -> Callable[..., Any]:
    """``fn`` with ``params`` bound after the arrays (as ``apply`` passes them)."""
    return lambda *arrays: fn(*arrays, *params)


def _getter(numbers: list[int]) -> Callable[[list], tuple]:
    """The values numbered ``numbers`` (not one), as a tuple."""
    return operator.itemgetter(*numbers) if numbers else lambda vals: ()
