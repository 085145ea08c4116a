"""Record tests/golden/special_points.json from PyTorch: each op sample's value, vjp, jvp
and second derivative at the special points of ``special_points.py`` (or the exception it
raises there).

Run with torch installed: ``python tests/golden/record_special_points.py``.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent.parent))
from special_points import cases, derivatives  # noqa: E402


def _short(a: np.ndarray) -> list[float]:
    """Seven significant digits: enough for the test's 1e-6 tolerance."""
    return [float(f"{x:.7g}") for x in a]


def main() -> None:
    records = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for sample, grid in cases():
            found = derivatives(torch, sample, grid)
            if "error" not in found:
                found = {key: _short(value) if key in ("out", "jvp") else list(map(_short, value))
                         for key, value in found.items()}
            records[f"{sample.id} {grid}"] = found
    path = Path(__file__).parent / "special_points.json"
    path.write_text(json.dumps(records, separators=(",", ":")))
    print(f"recorded {len(records)} cases to {path}")


if __name__ == "__main__":
    main()
