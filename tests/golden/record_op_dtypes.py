"""Record tests/golden/op_dtypes.json from PyTorch: each op sample's result (dtype and
values, or the exception raised) at the integer, bool and float16 inputs of
``op_dtypes.py``.

Run with torch installed: ``python tests/golden/record_op_dtypes.py``.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent.parent))
from op_dtypes import cases, result  # noqa: E402


def main() -> None:
    records = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for sample, dtype in cases():
            found = result(torch, sample, dtype)
            if "values" in found:
                found["values"] = [float(f"{x:.7g}") for x in found["values"]]
            records[f"{sample.id} {dtype}"] = found
    path = Path(__file__).parent / "op_dtypes.json"
    path.write_text(json.dumps(records, separators=(",", ":")))
    print(f"recorded {len(records)} cases to {path}")


if __name__ == "__main__":
    main()
