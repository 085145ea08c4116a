"""The ``--json`` output: every raw median (and first call, status, peak memory) of a run."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from suite import RunResults
from targets import evaluate, summarize


def run_to_dict(results: RunResults) -> dict[str, Any]:
    cells = []
    for name, cases in results.cases.items():
        kind = results.workloads[name].kind
        for case in cases:
            for peer in results.rows[name]:
                key = (name, case.size, peer.key)
                cell = results.cells.get(key)
                if cell is None:
                    continue
                cells.append(
                    {
                        "workload": name,
                        "size": case.size,
                        "n_in": case.n_in,
                        "n_out": case.n_out,
                        "peer": peer.key,
                        "peer_name": peer.label(kind),
                        "group": peer.group,
                        **dataclasses.asdict(cell),
                        "peak_mb": results.peak_mb.get(key),
                    }
                )
    targets = {
        key: [dataclasses.asdict(r) for r in rows]
        for key, rows in evaluate(summarize(results)).items()
    }
    return {
        "dtype": results.dtype,
        "policy": dataclasses.asdict(results.policy),
        "seconds": results.seconds,
        "cells": cells,
        "targets": targets,
        "chunk_checks": [dataclasses.asdict(c) for c in results.chunks],
    }


def write_json(path: Path, meta: dict[str, Any], runs: list[RunResults]) -> None:
    doc = {"meta": meta, "runs": {r.dtype: run_to_dict(r) for r in runs}}
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
