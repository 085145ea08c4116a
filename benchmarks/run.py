"""Benchmark autojac's Jacobians against PyTorch, JAX, HIPS autograd and NumPy analytic ones.

    .venv/bin/python benchmarks/run.py [--quick] [--json out.json] [--dtype float64|float32|both]

Pins every library to one thread before any of them is imported, runs each workload at each
size with every available peer (checked against the analytic NumPy Jacobian, then timed),
and prints a markdown report ending with the TARGETS section. Progress goes to stderr.
"""

from __future__ import annotations

import sys

from machine import THREAD_VARS, header_lines, pin_threads

_PRELOADED = pin_threads()  # before numpy / torch / jax are imported below

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from export import write_json  # noqa: E402
from peers import PEERS, jax_async_dispatch, torch, versions  # noqa: E402
from report import render  # noqa: E402
from suite import RunResults, run_suite  # noqa: E402
from timing import FULL, QUICK  # noqa: E402
from workloads import WORKLOADS  # noqa: E402


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smallest two sizes per workload, >= 3 calls and >= 0.05 s per cell, 0.5 s budget",
    )
    parser.add_argument("--json", type=Path, help="also write every raw median to this file")
    parser.add_argument("--dtype", choices=("float64", "float32", "both"), default="float64")
    parser.add_argument(
        "--only", nargs="*", default=None, help="run only these workloads (by name)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if _PRELOADED:
        print(f"warning: {_PRELOADED} imported before thread pinning", file=sys.stderr)
    torch_threads = None
    if torch is not None:
        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
        torch_threads = torch.get_num_threads()
    runtime = f"torch.get_num_threads()={torch_threads}; jax async dispatch={jax_async_dispatch()}"
    policy = QUICK if args.quick else FULL
    dtypes = ["float64", "float32"] if args.dtype == "both" else [args.dtype]
    workloads = [w for w in WORKLOADS if args.only is None or w.name in args.only]

    def log(line: str) -> None:
        if not args.quiet:
            print(line, file=sys.stderr, flush=True)

    start = time.perf_counter()
    runs: list[RunResults] = []
    for dtype in dtypes:
        log(f"== {dtype} ==")
        results = run_suite(workloads, PEERS, dtype, policy, args.quick, log)
        runs.append(results)
        print(render(results, header_lines(versions(), runtime, dtype)))
        print(flush=True)
    total = time.perf_counter() - start
    print(f"Total benchmark time: {total:.1f} s")
    if args.json:
        meta = {
            "header": header_lines(versions(), runtime, ",".join(dtypes)),
            "versions": versions(),
            "python": platform.python_version(),
            "threads": {k: v for k, v in THREAD_VARS.items()},
            "torch_threads": torch_threads,
            "quick": args.quick,
            "argv": sys.argv[1:] if argv is None else argv,
            "total_seconds": total,
        }
        write_json(args.json, meta, runs)
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
