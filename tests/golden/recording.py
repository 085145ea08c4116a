"""Shared by the recorders of golden values that run an op-sample helper with PyTorch."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch


def _short(value: Any) -> Any:
    """Arrays (also in lists) as lists of floats to seven significant digits, enough for the
    tests' tolerances of 1e-6 and more."""
    if isinstance(value, np.ndarray):
        return [float(f"{x:.7g}") for x in value]
    if isinstance(value, list):
        return [_short(v) for v in value]
    return value


def record_cases(file_name: str, cases: Sequence[tuple[Any, str]],
                 compute: Callable[[Any, Any, str], dict[str, Any]]) -> None:
    """``compute(torch, sample, variant)`` for each case, written to ``file_name`` here,
    keyed by ``"{sample.id} {variant}"``."""
    records = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for sample, variant in cases:
            found = compute(torch, sample, variant)
            records[f"{sample.id} {variant}"] = {key: _short(v) for key, v in found.items()}
    path = Path(__file__).parent / file_name
    path.write_text(json.dumps(records, separators=(",", ":")))
    print(f"recorded {len(records)} cases to {path}")
