"""The markdown report: per-workload tables, autojac's summary, JAX compile costs, targets."""

from __future__ import annotations

from peers import AUTOJAC, JIT
from suite import RunResults
from targets import TARGETS, CaseSummary, Timed, evaluate, summarize
from timing import Cell


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def fmt_ratio(ratio: float) -> str:
    return f"{ratio:.3g}×"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def cell_text(cell: Cell | None, reference: float | None) -> str:
    if cell is None:
        return ""
    if cell.ok:
        ratio = f" ({fmt_ratio(cell.median_s / reference)})" if reference else ""
        return f"{fmt_time(cell.median_s)}{ratio}"
    if cell.status == "skipped":
        bound = "> " if cell.note.startswith("first call over") else ""
        return f"skipped (est. {bound}{fmt_time(cell.est_s or 0.0)})"
    if cell.status == "wrong":
        return _md(f"WRONG ({cell.note})")
    return _md(f"ERROR: {cell.note}")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def workload_section(results: RunResults, name: str, sums: list[CaseSummary]) -> list[str]:
    wl = results.workloads[name]
    cases = results.cases[name]
    refs = {c.size: results.cells.get((name, c.size, "numpy-analytic")) for c in cases}
    ref_s = {k: (v.median_s if v is not None and v.ok else None) for k, v in refs.items()}
    rows = []
    for peer in results.rows[name]:
        cells = [
            cell_text(results.cells.get((name, c.size, peer.key)), ref_s[c.size]) for c in cases
        ]
        rows.append([peer.label(wl.kind), *cells])
    lines = [f"#### {name} — {wl.title}", ""]
    lines += _table(["peer"] + [c.header for c in cases], rows)
    lines += ["", *summary_table(name, sums), ""]
    return lines


def _vs(best: Timed | None, other: Timed | None, kind: str | None = None) -> str:
    """``best / other`` as a ratio, naming ``other``'s row when given the workload's kind."""
    if best is None or other is None:
        return "–"
    text = fmt_ratio(best.seconds / other.seconds)
    return f"{text} ({other.peer.label(kind)})" if kind else text


def summary_table(name: str, sums: list[CaseSummary]) -> list[str]:
    """autojac's best mode per size, as time ratios (autojac / other: < 1 means faster)."""
    mine = [s for s in sums if s.workload == name]
    best = []
    for s in mine:
        b = s.autojac_best
        best.append(f"{fmt_time(b.seconds)} ({b.peer.key.removeprefix('autojac-')})" if b else "–")
    rows = [
        ["autojac best mode", *best],
        ["best / numpy analytic", *(_vs(s.autojac_best, s.numpy) for s in mine)],
        ["best / best eager peer", *(_vs(s.autojac_best, s.best_eager, s.kind) for s in mine)],
        ["best / torch default", *(_vs(s.autojac_best, s.torch_default) for s in mine)],
        ["default / torch default", *(_vs(s.autojac_default, s.torch_default) for s in mine)],
    ]
    return _table(
        ["autojac (time ratio, < 1 = autojac faster)"] + [s.case.size for s in mine], rows
    )


def jit_section(results: RunResults) -> list[str]:
    rows = []
    for name, cases in results.cases.items():
        for case in cases:
            for peer in results.rows[name]:
                cell = results.cells.get((name, case.size, peer.key))
                if peer.group != JIT or cell is None or cell.first_s is None:
                    continue
                steady = fmt_time(cell.median_s) if cell.ok else cell_text(cell, None)
                ratio = fmt_ratio(cell.first_s / cell.median_s) if cell.ok else ""
                rows.append([case.label, peer.name, fmt_time(cell.first_s), steady, ratio])
    if not rows:
        return []
    header = ["case", "peer", "first call (trace+compile+run)", "steady state", "first/steady"]
    return ["#### JAX jit: first call vs steady state", "", *_table(header, rows), ""]


def targets_section(results: RunResults, sums: list[CaseSummary]) -> list[str]:
    lines = [f"## TARGETS ({results.dtype})", ""]
    for key, rows in evaluate(sums).items():
        passed = sum(r.verdict == "PASS" for r in rows)
        judged = sum(r.verdict != "N/A" for r in rows)
        lines.append(f"{key}: {TARGETS[key]}  — {passed}/{judged} PASS")
        for r in rows:
            lines.append(f"  {r.verdict:4s} {r.case:26s} {r.detail}")
        lines.append("")
    lines += memory_section(results, sums)
    return lines


def memory_section(results: RunResults, sums: list[CaseSummary]) -> list[str]:
    itemsize = 8 if results.dtype == "float64" else 4
    rows = []
    for s in sums:
        peaks = {
            p.key: results.peak_mb[(s.workload, s.case.size, p.key)]
            for p in results.rows[s.workload]
            if p.group == AUTOJAC and (s.workload, s.case.size, p.key) in results.peak_mb
        }
        if not peaks:
            continue
        dense = s.case.n_in * s.case.n_out * itemsize / (1 << 20)
        default = peaks.get("autojac-default")
        best = s.autojac_best
        worst = max(peaks, key=peaks.__getitem__)
        rows.append(
            [
                s.case.label,
                f"{dense:.3g}",
                f"{default:.3g}" if default is not None else "–",
                f"{peaks[best.peer.key]:.3g} ({best.peer.key})"
                if best and best.peer.key in peaks
                else "–",
                f"{peaks[worst]:.3g} ({worst})",
            ]
        )
    header = ["case", "dense J (MB)", "default peak (MB)", "best mode peak", "largest peak"]
    lines = ["T4: autojac peak memory per case (tracemalloc, one call, MB)", ""]
    lines += _table(header, rows) + [""]
    lines.append(
        "T4: chunk_size bounds the peak of a vectorized Jacobian (PASS: the chunked peak's "
        "working memory, above the dense J itself, is <= 0.75x the unchunked one's, or <= 4 "
        "chunk-sized blocks of J)"
    )
    for c in results.chunks:
        verdict = "PASS" if c.bounded else "FAIL"
        parts = []
        for size, peak in ((None, c.peak_none_mb), (c.chunk_size, c.peak_chunk_mb)):
            text = f"{peak:.3g} MB (+{peak - c.jac_mb:.3g})" if peak is not None else "?"
            parts.append(f"chunk_size={size}: peak {text}")
        times = ""
        if c.time_none_s is not None and c.time_chunk_s is not None:
            times = f"; one call {fmt_time(c.time_none_s)} vs {fmt_time(c.time_chunk_s)}"
        lines.append(
            f"  {verdict:4s} {c.case:26s} {c.mode}, dense J {c.jac_mb:.3g} MB: "
            + " vs ".join(parts)
            + times
            + (f"  {c.note}" if c.note else "")
        )
    return lines + [""]


def slowdowns_section(sums: list[CaseSummary], top: int = 5) -> list[str]:
    """Where autojac's best mode loses most to the best eager peer and to any peer."""
    lines = ["## Largest autojac slowdowns (autojac best mode / peer; < 1 = autojac faster)", ""]
    for title, pick in (
        ("vs best eager peer", lambda s: s.best_eager),
        ("vs best peer incl. jax.jit steady state", lambda s: _faster(s.best_eager, s.best_jit)),
    ):
        ranked = sorted(
            (
                (s.autojac_best.seconds / pick(s).seconds, s)
                for s in sums
                if s.autojac_best and pick(s)
            ),
            key=lambda t: -t[0],
        )[:top]
        lines.append(f"{title}:")
        for ratio, s in ranked:
            lines.append(
                f"  {fmt_ratio(ratio):>8s} {s.case.label:24s} {s.autojac_best.peer.key} "
                f"{fmt_time(s.autojac_best.seconds)} vs {pick(s).peer.label(s.kind)} "
                f"{fmt_time(pick(s).seconds)}"
            )
        lines.append("")
    return lines


def _faster(a: Timed | None, b: Timed | None) -> Timed | None:
    if a is None or b is None:
        return a or b
    return a if a.seconds <= b.seconds else b


def errors_section(results: RunResults) -> list[str]:
    """Each distinct failure of an autojac mode, with the cases it happened on."""
    seen: dict[str, list[str]] = {}
    for (wl, size, key), cell in results.cells.items():
        if key.startswith("autojac") and cell.status in ("error", "wrong"):
            seen.setdefault(f"{key}: {cell.status.upper()} {cell.note}", []).append(f"{wl}/{size}")
    if not seen:
        return ["## autojac errors: none", ""]
    lines = ["## autojac errors and wrong results", ""]
    lines += [f"- {what}  (on {', '.join(where)})" for what, where in seen.items()]
    return lines + [""]


def render(results: RunResults, header: list[str]) -> str:
    p = results.policy
    sums = summarize(results)
    lines = ["# autojac Jacobian benchmark", "", *(f"{h}  " for h in header), ""]
    lines.append(
        f"Timing: median of >= {p.min_calls} calls and >= {p.min_time_s:g} s per cell after "
        f"one checked warm-up call, in {p.rounds} round(s) that the peers of a case take in "
        f"turn; per-cell budget {p.budget_s:g} s for one call. Cells: "
        "median (ratio to `numpy analytic`)."
    )
    lines.append("")
    for name in results.cases:
        lines += workload_section(results, name, sums)
    lines += jit_section(results)
    lines += targets_section(results, sums)
    lines += slowdowns_section(sums)
    lines += errors_section(results)
    lines.append(f"Suite time for {results.dtype}: {results.seconds:.1f} s")
    return "\n".join(lines)
