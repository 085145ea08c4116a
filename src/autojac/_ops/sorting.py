"""Sorting along a dim: sort, argsort, msort, topk.

The order is a stable one, as PyTorch's: NaN above every number, ties in their original
order (descending too). Values are the input's elements gathered at the order, so their
derivative scatters back to the places they came from.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import return_types
from .._tensor import Tensor, _make, normalize_dim
from ._registry import apply, install, no_complex
from .reduction import VALUES_AT


def _order(a: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """The stable sorting permutation of ``a`` along the negative ``dim``."""
    if not descending:
        return np.argsort(a, axis=dim, kind="stable")
    # (sorting the reversed array and reversing back keeps ties in their order)
    reversed_order = np.argsort(np.flip(a, dim), axis=dim, kind="stable")
    return a.shape[dim] - 1 - np.flip(reversed_order, dim)


def _order_of(name: str, input: Tensor, dim: int, descending: bool, k: int | None = None
              ) -> tuple[np.ndarray, int]:
    """The first ``k`` (all: None) places of the sorting permutation along ``dim``, and the
    dim as a negative one (a 0-d input is its one element, at 0)."""
    a = input._data
    no_complex(a, f" {'Sort' if name == 'sort' else name} does not support complex dtypes on "
               "CPU", RuntimeError)
    d = normalize_dim(dim, a.ndim) - max(a.ndim, 1)
    if a.ndim == 0:
        return np.zeros((), np.int64), d
    order = _order(a, d, descending)
    if k is not None:
        order = order[(Ellipsis, slice(0, k)) + (slice(None),) * (-1 - d)]
    return order.astype(np.int64, copy=False), d


def _sorted(name: str, input: Tensor, dim: int, descending: bool, k: int | None = None
            ) -> tuple[Tensor, Tensor]:
    """The first ``k`` (all: None) elements along ``dim`` in order, and their indices."""
    order, d = _order_of(name, input, dim, descending, k)
    if input._data.ndim == 0:
        values = input.clone()
    else:
        node_name = f"{name.title()}Backward0"
        values = apply(VALUES_AT, (input,), (order, d, input._data.ndim, True, node_name))
    return values, _make(order, False, None)


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """``(values, indices)`` of ``input`` sorted along ``dim`` (always stably).

    >>> import autojac as torch
    >>> torch.sort(torch.tensor([3.0, 1.0, 2.0])).indices
    tensor([1, 2, 0])
    """
    return return_types.sort(*_sorted("sort", input, dim, descending))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False
            ) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (always stably)."""
    return _make(_order_of("sort", input, dim, descending)[0], False, None)


def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dim."""
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
         ) -> Any:
    """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``, in
    order (also where ``sorted=False``, which leaves the order open)."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    size = input._data.shape[normalize_dim(dim, input._data.ndim)] if input._data.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    return return_types.topk(*_sorted("topk", input, dim, largest, k))


for _name, _fn in (("sort", sort), ("argsort", argsort), ("msort", msort), ("topk", topk)):
    install(_name, _fn)
