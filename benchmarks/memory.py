"""Peak memory of one call, as ``tracemalloc`` sees it (Python objects and NumPy buffers)."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

MB = 1 << 20


def peak_bytes(thunk: Callable[[], Any]) -> int:
    """Peak traced allocation during one call of ``thunk``, its result included.

    Measured above what was already allocated when the call began, so only the call's own
    temporaries and its result count.
    """
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = thunk()
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        tracemalloc.stop()
    return peak - base
