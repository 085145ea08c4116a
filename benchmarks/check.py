"""Correctness check of a peer's result against the analytic reference (before any timing)."""

from __future__ import annotations

from typing import Any

import numpy as np


def tolerances(dtype: np.dtype) -> tuple[float, float]:
    """(rtol, atol relative to the reference's largest entry) for results in ``dtype``."""
    return (1e-6, 1e-9) if np.dtype(dtype) == np.float64 else (2e-3, 1e-4)


def mismatch(result: Any, reference: Any, dtype: np.dtype) -> str | None:
    """``None`` when ``result`` matches ``reference`` (same nesting, shapes, values), else why.

    ``reference`` is an array or a tuple of tuples of arrays (``J[i][j]``), computed in
    float64; ``result`` has already been converted to NumPy.
    """
    if isinstance(reference, tuple):
        if not isinstance(result, tuple) or len(result) != len(reference):
            return f"structure {type(result).__name__} != tuple of {len(reference)}"
        for i, (r, ref) in enumerate(zip(result, reference, strict=True)):
            why = mismatch(r, ref, dtype)
            if why:
                return f"[{i}] {why}"
        return None
    if not isinstance(result, np.ndarray):
        return f"got {type(result).__name__}, not an array"
    if result.shape != reference.shape:
        return f"shape {result.shape} != {reference.shape}"
    rtol, atol = tolerances(dtype)
    scale = max(1.0, float(np.max(np.abs(reference)))) if reference.size else 1.0
    if not np.allclose(result, reference, rtol=rtol, atol=atol * scale):
        err = float(np.max(np.abs(result.astype(np.float64) - reference)))
        return f"max abs err {err:.2g}"
    return None
