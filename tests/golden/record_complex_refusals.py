"""Record tests/golden/complex_refused.json from PyTorch: the op samples that PyTorch
refuses at complex inputs (forward or backward), with the exception's type.

Run with torch installed: ``python tests/golden/record_complex_refusals.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent.parent))
from op_table import SAMPLES  # noqa: E402


def main() -> None:
    refused = {}
    for sample in SAMPLES:
        xs = [torch.tensor(a, requires_grad=True) for a in sample.complex_arrays()]
        try:
            out = sample.fn(torch, *xs)
            torch.autograd.grad(out, xs, torch.ones_like(out), allow_unused=True)
        except (RuntimeError, NotImplementedError) as e:
            refused[sample.id] = type(e).__name__
    path = Path(__file__).parent / "complex_refused.json"
    path.write_text(json.dumps(refused, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(refused)} refusals to {path}")


if __name__ == "__main__":
    main()
