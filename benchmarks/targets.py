"""Per-case summaries (autojac's best mode against the reference and the peers) and the
performance targets T1-T4 evaluated on them."""

from __future__ import annotations

from dataclasses import dataclass

from peers import AUTOJAC, EAGER, JIT, Peer
from suite import RunResults
from workloads import Case

SMALL_PROBLEM = 64  # T2: ">= 3x" where max(inputs, outputs) is at most this
REFERENCE_FLOOR_S = 100e-6  # T3: "within 3x of NumPy" only where NumPy takes longer


@dataclass(frozen=True)
class Timed:
    peer: Peer
    seconds: float


@dataclass
class CaseSummary:
    workload: str
    kind: str
    case: Case
    numpy: Timed | None
    autojac_default: Timed | None
    autojac_best: Timed | None
    torch_default: Timed | None
    best_eager: Timed | None
    best_jit: Timed | None
    jit_first: Timed | None


def _best(results: RunResults, wl: str, case: Case, group: str) -> Timed | None:
    best = None
    for peer in results.rows.get(wl, []):
        cell = results.cells.get((wl, case.size, peer.key))
        if peer.group == group and cell is not None and cell.ok:
            if best is None or cell.median_s < best.seconds:
                best = Timed(peer, cell.median_s)
    return best


def _by_key(results: RunResults, wl: str, case: Case, key: str) -> Timed | None:
    cell = results.cells.get((wl, case.size, key))
    peer = next((p for p in results.rows.get(wl, []) if p.key == key), None)
    if peer is None or cell is None or not cell.ok:
        return None
    return Timed(peer, cell.median_s)


def _jit_first(results: RunResults, wl: str, case: Case) -> Timed | None:
    best = None
    for peer in results.rows.get(wl, []):
        cell = results.cells.get((wl, case.size, peer.key))
        if peer.group == JIT and cell is not None and cell.first_s is not None:
            if best is None or cell.first_s < best.seconds:
                best = Timed(peer, cell.first_s)
    return best


def summarize(results: RunResults) -> list[CaseSummary]:
    out = []
    for wl, cases in results.cases.items():
        for case in cases:
            out.append(
                CaseSummary(
                    wl,
                    results.workloads[wl].kind,
                    case,
                    _by_key(results, wl, case, "numpy-analytic"),
                    _by_key(results, wl, case, "autojac-default"),
                    _best(results, wl, case, AUTOJAC),
                    _by_key(results, wl, case, "torch-default"),
                    _best(results, wl, case, EAGER),
                    _best(results, wl, case, JIT),
                    _jit_first(results, wl, case),
                )
            )
    return out


@dataclass(frozen=True)
class TargetRow:
    case: str
    verdict: str  # PASS, FAIL or N/A
    ratio: float | None
    detail: str


TARGETS = {
    "T1": "autojac default jacobian(f, x) (hessian(f, x) on the Hessian workload) is >= 10x "
    "faster than torch's default, on every workload and size",
    "T2": "autojac's best mode beats the best eager peer (torch variants, eager JAX, HIPS) "
    f"everywhere, by >= 3x where max(inputs, outputs) <= {SMALL_PROBLEM}",
    "T3a": "autojac's best mode is within 3x of the NumPy analytic reference wherever that "
    "reference takes > 100 µs",
    "T3b": "autojac's best mode is faster than jax.jit's first call (trace + compile + run; "
    "the faster of jit(jacrev) and jit(jacfwd)) everywhere",
}


def _speedup_row(
    case: str, slow: Timed | None, fast: Timed | None, need: float, what: str
) -> TargetRow:
    if slow is None or fast is None:
        missing = what if slow is None else "autojac"
        return TargetRow(case, "N/A", None, f"no time for {missing}")
    ratio = slow.seconds / fast.seconds
    verdict = "PASS" if ratio >= need and ratio > 1 else "FAIL"
    return TargetRow(case, verdict, ratio, f"{ratio:.3g}x faster (need >= {need:g}x)")


def evaluate(summaries: list[CaseSummary]) -> dict[str, list[TargetRow]]:
    """PASS/FAIL per case for T1-T3 (T4 is the memory report, see ``report``)."""
    rows: dict[str, list[TargetRow]] = {k: [] for k in TARGETS}
    for s in summaries:
        label = s.case.label
        rows["T1"].append(
            _speedup_row(label, s.torch_default, s.autojac_default, 10.0, "torch default")
        )
        need = 3.0 if max(s.case.n_in, s.case.n_out) <= SMALL_PROBLEM else 1.0
        rows["T2"].append(_speedup_row(label, s.best_eager, s.autojac_best, need, "eager peers"))
        if s.numpy is None or s.autojac_best is None:
            rows["T3a"].append(TargetRow(label, "N/A", None, "no time"))
        elif s.numpy.seconds <= REFERENCE_FLOOR_S:
            rows["T3a"].append(TargetRow(label, "N/A", None, "reference <= 100 µs"))
        else:
            ratio = s.autojac_best.seconds / s.numpy.seconds
            verdict = "PASS" if ratio <= 3.0 else "FAIL"
            rows["T3a"].append(TargetRow(label, verdict, ratio, f"{ratio:.3g}x NumPy (need <= 3x)"))
        rows["T3b"].append(_speedup_row(label, s.jit_first, s.autojac_best, 1.0, "jax.jit"))
    return rows
