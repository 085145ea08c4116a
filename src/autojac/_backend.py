"""The one seam to the array library: every array autojac creates is made here."""

from __future__ import annotations

import math

import numpy as np

try:
    from scipy.special import erf, erfc
except ImportError:  # NumPy alone: exact but slower, through the math module
    _erf = np.frompyfunc(math.erf, 1, 1)
    _erfc = np.frompyfunc(math.erfc, 1, 1)

    def erf(a: np.ndarray) -> np.ndarray:
        return np.asarray(_erf(a), dtype=np.result_type(a, np.float32))

    def erfc(a: np.ndarray) -> np.ndarray:
        return np.asarray(_erfc(a), dtype=np.result_type(a, np.float32))


xp = np


def asarray(data: object, dtype: np.dtype | None = None) -> np.ndarray:
    return np.asarray(data, dtype=dtype)


def array(data: object, dtype: np.dtype | None = None) -> np.ndarray:
    """A fresh array that owns its memory."""
    return np.array(data, dtype=dtype)


def zeros(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return np.zeros(shape, dtype=dtype)


def ones(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return np.ones(shape, dtype=dtype)


def full(shape: tuple[int, ...], value: object, dtype: np.dtype) -> np.ndarray:
    return np.full(shape, value, dtype=dtype)


def empty(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return np.empty(shape, dtype=dtype)


def eye(n: int, m: int, dtype: np.dtype) -> np.ndarray:
    return np.eye(n, m, dtype=dtype)


def arange(start: float, end: float, step: float, dtype: np.dtype) -> np.ndarray:
    return np.arange(start, end, step, dtype=dtype)


def linspace(start: float, end: float, steps: int, dtype: np.dtype) -> np.ndarray:
    return np.linspace(start, end, steps, dtype=dtype)


class _Random:
    """The global generator behind rand/randn/randint, reseeded by ``manual_seed``."""

    __slots__ = ("gen",)

    def __init__(self) -> None:
        self.gen = np.random.default_rng()


random = _Random()


def manual_seed(seed: int) -> None:
    random.gen = np.random.default_rng(seed)
