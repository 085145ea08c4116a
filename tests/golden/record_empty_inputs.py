"""Record tests/golden/empty_inputs.json from PyTorch: each op sample's result and gradient
shapes (or the exception raised) at the inputs without elements of ``empty_inputs.py``.

Run with torch installed: ``python tests/golden/record_empty_inputs.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))
from empty_inputs import cases, result  # noqa: E402
from golden.recording import record_cases  # noqa: E402

if __name__ == "__main__":
    record_cases("empty_inputs.json", cases(), result)
