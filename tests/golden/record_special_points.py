"""Record tests/golden/special_points.json from PyTorch: each op sample's value, vjp, jvp
and second derivative at the special points of ``special_points.py`` (or the exception it
raises there).

Run with torch installed: ``python tests/golden/record_special_points.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))
from golden.recording import record_cases  # noqa: E402
from special_points import cases, derivatives  # noqa: E402

if __name__ == "__main__":
    record_cases("special_points.json", cases(), derivatives)
