"""Record tests/golden/powers.json from PyTorch: ``x ** k`` for the exponents PyTorch
computes by multiplication, at inputs where that differs from ``pow`` in the last bit
(and at signed zeros, infinities and NaN).

Run with torch installed: ``python tests/golden/record_powers.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

EXPONENTS = (1, 2, 3, -1, -2, -0.5, 3.0)
SPECIAL = [-0.0, 0.0, np.inf, -np.inf, np.nan, 1.0, -1.0]


def main() -> None:
    rng = np.random.default_rng(11)
    records = {}
    for dtype in (np.float64, np.float32):
        pool = (rng.standard_normal(4000) * 3).astype(dtype)
        for k in EXPONENTS:
            base = np.abs(pool) if k == -0.5 else pool
            with np.errstate(all="ignore"):
                differs = np.power(base, k) != torch.pow(torch.from_numpy(base), k).numpy()
            x = np.concatenate([np.array(SPECIAL, dtype=dtype), base[differs][:24], base[:8]])
            out = torch.pow(torch.from_numpy(x), k).numpy()
            records[f"{np.dtype(dtype).name}/{k!r}"] = {
                "exponent": k,
                "x": [float(v).hex() for v in x],
                "out": [float(v).hex() for v in out],
            }
    path = Path(__file__).parent / "powers.json"
    path.write_text(json.dumps(records, separators=(",", ":")))
    print(f"recorded {len(records)} cases to {path}")


if __name__ == "__main__":
    main()
