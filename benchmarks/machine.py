"""The run's environment: single-threading (set before NumPy/torch/JAX load) and the header."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

THREAD_VARS = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
}


def pin_threads() -> list[str]:
    """Set the one-thread variables; must run before NumPy, torch or JAX is imported.

    Returns the names of the already-imported libraries that will ignore them (none when
    called first thing, as ``run.py`` does).
    """
    os.environ.update(THREAD_VARS)
    return [m for m in ("numpy", "torch", "jax") if m in sys.modules]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def source_revision(repo: Path = REPO) -> str:
    """The checkout's commit, ``+modified`` when ``src/`` differs from it (autojac is installed
    editable, so this is the code being measured)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+modified" if dirty else "")


def header_lines(versions: dict[str, str], runtime: str, dtype: str) -> list[str]:
    """The report's header; ``runtime`` lists the thread settings made after import."""
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    libs = ", ".join(f"{k} {v}" for k, v in versions.items())
    threads = ", ".join(f"{k}={os.environ.get(k, '')!r}" for k in THREAD_VARS)
    return [
        f"Machine: nproc {nproc}, {platform.platform()}, CPU {cpu_model()}",
        f"Python {platform.python_version()}; {libs}; autojac source at {source_revision()}",
        f"Threads: {threads}; {runtime}",
        f"dtype: {dtype}",
    ]
