"""Record tests/golden/ops.json from PyTorch: each op sample's float64 value and gradients.

Run with torch installed: ``python tests/golden/record_ops.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent.parent))
from op_table import SAMPLES  # noqa: E402


def main() -> None:
    records = {}
    for sample in SAMPLES:
        arrays = sample.arrays(np.float64)
        xs = [torch.tensor(a, requires_grad=True) for a in arrays]
        out = sample.fn(torch, *xs)
        v = np.random.default_rng(6).standard_normal(tuple(out.shape))
        grads = torch.autograd.grad(out, xs, torch.tensor(v), allow_unused=True)
        records[sample.id] = {
            "out": out.detach().numpy().ravel().tolist(),
            "grads": [
                np.zeros(a.size).tolist() if g is None else g.numpy().ravel().tolist()
                for g, a in zip(grads, arrays)
            ],
        }
    path = Path(__file__).parent / "ops.json"
    path.write_text(json.dumps(records, separators=(",", ":")))
    print(f"recorded {len(records)} samples to {path}")


if __name__ == "__main__":
    main()
