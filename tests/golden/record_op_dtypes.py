"""Record tests/golden/op_dtypes.json from PyTorch: each op sample's result (dtype and
values, or the exception raised) at the integer, bool and float16 inputs of
``op_dtypes.py``.

Run with torch installed: ``python tests/golden/record_op_dtypes.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))
from golden.recording import record_cases  # noqa: E402
from op_dtypes import cases, result  # noqa: E402

if __name__ == "__main__":
    record_cases("op_dtypes.json", cases(), result)
