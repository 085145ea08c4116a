"""Running the suite for one dtype: every peer on every case, autojac's memory, chunk check."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from check import mismatch
from memory import MB, peak_bytes
from peers import AUTOJAC, Peer, aj_functional, autojac, to_numpy
from timing import (
    Cell,
    Policy,
    check_first_call,
    failed_on_repeat,
    finish,
    short_error,
    time_round,
)
from workloads import Case, Workload

T0 = time.perf_counter()
CellKey = tuple[str, str, str]  # (workload, size, peer key)

# autojac cells slower than this (median) get no tracemalloc pass, which is slow itself.
MEMORY_MAX_S = 1.0
# T4: chunked working memory within this many chunk-sized blocks of J counts as bounded.
CHUNK_BLOCKS = 4


@dataclass
class ChunkCheck:
    """Peak memory of one vectorized autojac Jacobian with and without ``chunk_size``."""

    case: str
    mode: str
    chunk_size: int
    jac_mb: float
    passes: int  # rows (reverse mode) or columns (forward mode) of the Jacobian
    peak_none_mb: float | None = None
    peak_chunk_mb: float | None = None
    time_none_s: float | None = None
    time_chunk_s: float | None = None
    note: str = ""

    @property
    def chunk_block_mb(self) -> float:
        """The size of the rows (columns) of J that one chunk computes."""
        return self.jac_mb * min(self.chunk_size, self.passes) / max(1, self.passes)

    @property
    def bounded(self) -> bool:
        """Chunking cuts the working memory above the dense result by at least a quarter,
        or keeps it within a few chunks' blocks of J (where the unchunked pass needs no
        more than J itself, there is nothing to cut)."""
        if self.peak_none_mb is None or self.peak_chunk_mb is None:
            return False
        working = self.peak_chunk_mb - self.jac_mb
        return (working <= 0.75 * (self.peak_none_mb - self.jac_mb)
                or working <= CHUNK_BLOCKS * self.chunk_block_mb)


@dataclass
class RunResults:
    dtype: str
    policy: Policy
    workloads: dict[str, Workload] = field(default_factory=dict)
    cases: dict[str, list[Case]] = field(default_factory=dict)
    rows: dict[str, list[Peer]] = field(default_factory=dict)
    cells: dict[CellKey, Cell] = field(default_factory=dict)
    peak_mb: dict[CellKey, float] = field(default_factory=dict)
    chunks: list[ChunkCheck] = field(default_factory=list)
    seconds: float = 0.0


def reference64(wl: Workload, case: Case) -> Any:
    """The analytic Jacobian from float64 copies of the case's arrays (the check's truth)."""
    return wl.analytic(*(a.astype(np.float64) for a in case.inputs + case.consts))


def _estimate(previous: tuple[int, float] | None, case: Case) -> float | None:
    """Time at this size from the previous size's, scaled by the dense Jacobian's size."""
    if previous is None:
        return None
    elements, seconds = previous
    return seconds * (case.n_in * case.n_out) / max(1, elements)


def run_case(
    wl: Workload,
    case: Case,
    peers: Sequence[Peer],
    policy: Policy,
    results: RunResults,
    previous: dict[str, tuple[int, float]],
    log: Callable[[str], None],
) -> None:
    """Every peer on one case: each is checked (untimed) first, then the peers take turns,
    one round of timed calls each, ``policy.rounds`` times."""
    ref = reference64(wl, case)
    dtype = np.dtype(results.dtype)
    ready: list[tuple[Peer, Callable[[], Any], Cell]] = []
    for peer in peers:
        key = (wl.name, case.size, peer.key)
        try:
            thunk = peer.build(wl, case)
        except Exception as exc:  # noqa: BLE001
            thunk = None
            results.cells[key] = Cell("error", note=f"setup: {short_error(exc)}")
            log(f"  {case.label:24s} {peer.key:22s} error in setup: {short_error(exc)}")
        if thunk is None:
            continue
        est = _estimate(previous.get(peer.key), case)
        if est is not None and est > policy.first_call_limit_s:
            cell = Cell("skipped", est_s=est, note="estimated from the previous size")
        else:

            def check(result: Any, peer: Peer = peer) -> str | None:
                return mismatch(to_numpy(result), ref, dtype) if peer.checked else None

            cell = check_first_call(thunk, check, policy)
        if cell.status == "ok":
            ready.append((peer, thunk, cell))
        else:
            _record(wl, case, peer, cell, results, previous, log)
    times: dict[str, list[float]] = {peer.key: [] for peer, _, _ in ready}
    failed: dict[str, Cell] = {}
    for _ in range(policy.rounds):
        for peer, thunk, cell in ready:
            if peer.key not in failed:
                try:
                    time_round(thunk, policy, times[peer.key])
                except Exception as exc:  # noqa: BLE001 - e.g. fails only on a repeated call
                    failed[peer.key] = failed_on_repeat(cell, exc)
    for peer, thunk, cell in ready:
        cell = failed.get(peer.key) or finish(cell, times[peer.key])
        _record(wl, case, peer, cell, results, previous, log)
        key = (wl.name, case.size, peer.key)
        if peer.group == AUTOJAC and cell.ok and cell.median_s <= MEMORY_MAX_S:
            try:
                results.peak_mb[key] = peak_bytes(thunk) / MB
            except Exception:  # noqa: BLE001 - failed under tracemalloc: leave it out
                pass


def _record(
    wl: Workload,
    case: Case,
    peer: Peer,
    cell: Cell,
    results: RunResults,
    previous: dict[str, tuple[int, float]],
    log: Callable[[str], None],
) -> None:
    """Keep one peer's cell, and its time as the next size's estimate."""
    results.cells[(wl.name, case.size, peer.key)] = cell
    if cell.ok:
        previous[peer.key] = (case.n_in * case.n_out, cell.median_s)
    elif cell.status == "skipped" and cell.est_s is not None:
        previous[peer.key] = (case.n_in * case.n_out, cell.est_s)
    log(f"  {time.perf_counter() - T0:7.1f}s {case.label:22s} {peer.key:20s} {_brief(cell)}")


def _brief(cell: Cell) -> str:
    if cell.ok:
        return f"{cell.median_s * 1e3:10.3f} ms x{cell.calls}"
    return f"{cell.status}: {cell.note}"


def warm_up(workloads: Sequence[Workload], peers: Sequence[Peer], dtype: str) -> float:
    """Call every peer once on tiny cases of the first and the Hessian workloads, untimed:
    one-time costs (lazy imports, JAX backend start, torch's vmap set-up) stay out of the
    first case's cells, and no deadline can interrupt a half-done import."""
    start = time.perf_counter()
    kinds = {}
    for wl in workloads:
        kinds.setdefault(wl.kind, wl)
    for i, wl in enumerate(kinds.values()):
        size = wl.sizes[0]
        tiny = 2 if isinstance(size, int) else size
        case = wl.case(tiny, np.dtype(dtype))
        for peer in peers:
            if i and peer.key.startswith("jax"):
                continue  # JAX has nothing left to load; its eager warm-up costs seconds
            try:
                thunk = peer.build(wl, case)
                if thunk is not None:
                    thunk()
            except Exception:  # noqa: BLE001 - failures show up in the real cells
                pass
    return time.perf_counter() - start


def run_suite(
    workloads: Sequence[Workload],
    peers: Sequence[Peer],
    dtype: str,
    policy: Policy,
    quick: bool,
    log: Callable[[str], None],
) -> RunResults:
    start = time.perf_counter()
    results = RunResults(dtype, policy)
    log(f"  warm-up: {warm_up(workloads, peers, dtype):.1f} s")
    # Everything alive now (modules, caches) is never garbage: keep it out of the collections
    # run before each cell, which would otherwise cost ~0.3 s each with torch and JAX loaded.
    gc.collect()
    gc.freeze()
    for wl in workloads:
        sizes = wl.sizes[:2] if quick else wl.sizes
        cases = [wl.case(size, np.dtype(dtype)) for size in sizes]
        results.workloads[wl.name] = wl
        results.cases[wl.name] = cases
        previous: dict[str, tuple[int, float]] = {}
        for case in cases:
            run_case(wl, case, peers, policy, results, previous, log)
        results.rows[wl.name] = [
            p for p in peers if any((wl.name, c.size, p.key) in results.cells for c in cases)
        ]
    if aj_functional is not None:
        results.chunks = chunk_checks(workloads, results, log)
    results.seconds = time.perf_counter() - start
    return results


def chunk_checks(
    workloads: Sequence[Workload], results: RunResults, log: Callable[[str], None]
) -> list[ChunkCheck]:
    """T4: does ``chunk_size`` bound the peak of a vectorized Jacobian? Reverse mode on the
    largest ``exp_reducer`` size, forward mode on the largest ``elementwise`` size (also
    with ``--quick``: on its smaller sizes NumPy's own fixed buffers outweigh a chunk)."""
    by_name = {wl.name: wl for wl in workloads}
    checks = []
    for name, strategy in (("exp_reducer", "reverse-mode"), ("elementwise", "forward-mode")):
        if name in by_name and results.cases.get(name):
            wl = by_name[name]
            case = wl.case(wl.sizes[-1], np.dtype(results.dtype))
            cc = _chunk_check(wl, case, strategy, results.dtype)
            log(f"  chunk check {cc.case} {cc.mode}: {cc.peak_none_mb} vs {cc.peak_chunk_mb} MB")
            checks.append(cc)
    return checks


def _chunk_check(wl: Workload, case: Case, strategy: str, dtype: str) -> ChunkCheck:
    rows = case.n_out if strategy == "reverse-mode" else case.n_in
    chunk = 16 if rows >= 64 else max(1, rows // 4)
    x = autojac.from_numpy(case.inputs[0])
    consts = tuple(autojac.from_numpy(c) for c in case.consts)

    def f(t: Any) -> Any:
        return wl.torch_style(autojac, t, *consts)

    jac_mb = case.n_in * case.n_out * np.dtype(dtype).itemsize / MB
    cc = ChunkCheck(case.label, f"vectorize=True {strategy}", chunk, jac_mb, rows)
    ref = reference64(wl, case)
    try:
        for size in (None, chunk):

            def thunk(size: int | None = size) -> Any:
                return aj_functional.jacobian(
                    f, x, vectorize=True, strategy=strategy, chunk_size=size
                )

            start = time.perf_counter()
            why = mismatch(to_numpy(thunk()), ref, np.dtype(dtype))
            elapsed = time.perf_counter() - start
            if why:
                cc.note += f"chunk_size={size}: WRONG ({why}) "
            peak = peak_bytes(thunk) / MB
            if size is None:
                cc.peak_none_mb, cc.time_none_s = peak, elapsed
            else:
                cc.peak_chunk_mb, cc.time_chunk_s = peak, elapsed
    except Exception as exc:  # noqa: BLE001
        cc.note += f"ERROR: {short_error(exc)}"
    return cc
