"""Measuring one cell: a peer's thunk on one case.

The first call doubles as the warm-up; its result is checked before anything is timed. Then
the thunk is called until both the minimum number of calls and the minimum total time are
reached, and the median is kept. The timed calls come in rounds, and a case's peers take
turns round by round (``suite.run_case``): a burst of load from the machine's neighbours
then slows every peer a little instead of one peer a lot.
"""

from __future__ import annotations

import gc
import signal
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["ok", "wrong", "error", "skipped"]


@dataclass
class Cell:
    """What one peer did on one case."""

    status: Status
    median_s: float | None = None
    first_s: float | None = None
    calls: int = 0
    est_s: float | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.median_s is not None


@dataclass(frozen=True)
class Policy:
    """How long to time a cell, and when to give up on it."""

    min_calls: int
    min_time_s: float
    budget_s: float  # a peer whose single (warm) call takes longer is skipped
    max_calls: int = 100_000
    rounds: int = 1  # the timed calls are split into this many turns
    # The untimed first call (which may compile) is interrupted after this many budgets;
    # a cell whose estimate from the previous size is as large is not called at all.
    first_call_budgets: float = 4.0

    @property
    def first_call_limit_s(self) -> float:
        return self.first_call_budgets * self.budget_s


FULL = Policy(min_calls=6, min_time_s=0.3, budget_s=3.0, rounds=6)
QUICK = Policy(min_calls=3, min_time_s=0.05, budget_s=0.5)


class DeadlineExceeded(Exception):
    """Raised inside a call that ran past its deadline."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Interrupt the body (at its next Python bytecode) after ``seconds``."""

    def _raise(signum: int, frame: Any) -> None:
        raise DeadlineExceeded

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def short_error(exc: BaseException, limit: int = 70) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_first_call(
    thunk: Callable[[], Any],
    check: Callable[[Any], str | None],
    policy: Policy,
) -> Cell:
    """Check one thunk, untimed. ``check(result)`` returns why a result is wrong, or None.
    Returns a cell that is ``ok`` (with ``first_s``, not yet timed) or says why not.

    The first call is interrupted after ``policy.first_call_limit_s``. When it takes longer
    than the budget, a second call runs under a deadline of the budget: a compile-heavy
    first call (eager JAX compiles every op on new shapes) still gets timed, a slow peer is
    skipped with the first call's time as its estimate.
    """
    gc.collect()
    try:
        with deadline(policy.first_call_limit_s):
            start = time.perf_counter()
            result = thunk()
            first = time.perf_counter() - start
    except DeadlineExceeded:
        limit = policy.first_call_limit_s
        return Cell("skipped", est_s=limit, note=f"first call over {limit:g} s")
    except Exception as exc:  # noqa: BLE001 - any failure of a peer is reported, not raised
        return Cell("error", note=short_error(exc))
    try:
        why = check(result)
    except Exception as exc:  # noqa: BLE001
        why = f"check failed: {short_error(exc)}"
    del result
    if why:
        return Cell("wrong", first_s=first, note=why)
    if first > policy.budget_s:
        try:
            with deadline(policy.budget_s):
                thunk()
        except DeadlineExceeded:
            return Cell("skipped", first_s=first, est_s=first, note="one call over budget")
        except Exception as exc:  # noqa: BLE001
            return Cell("error", first_s=first, note=f"on repeat: {short_error(exc)}")
    return Cell("ok", first_s=first)


def time_round(thunk: Callable[[], Any], policy: Policy, times: list[float]) -> None:
    """One round of timed calls, appended to ``times``: a ``1 / policy.rounds`` share of
    the calls and of the time (exceptions propagate)."""
    min_calls = -(-policy.min_calls // policy.rounds)
    min_time = policy.min_time_s / policy.rounds
    most = policy.max_calls // policy.rounds
    calls, total = 0, 0.0
    while calls < most and (calls < min_calls or total < min_time):
        start = time.perf_counter()
        thunk()
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        total += elapsed
        calls += 1


def finish(cell: Cell, times: list[float]) -> Cell:
    """The checked cell with the median of its timed calls."""
    return Cell("ok", statistics.median(times), cell.first_s, len(times))


def failed_on_repeat(cell: Cell, exc: BaseException) -> Cell:
    return Cell("error", first_s=cell.first_s, note=f"on repeat: {short_error(exc)}")
