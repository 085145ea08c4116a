"""PyTorch's tensor repr layout (``torch._tensor_str``), computed from NumPy arrays."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["format_tensor", "set_printoptions"]


@dataclass
class _PrintOptions:
    """Current print options, with PyTorch's defaults."""

    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTS = _PrintOptions()

# profile name -> (precision, threshold, edgeitems, linewidth)
_PROFILES: dict[str, tuple[int, float, int, int]] = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set print options with the semantics of ``torch.set_printoptions``."""
    if profile in _PROFILES:
        _OPTS.precision, _OPTS.threshold, _OPTS.edgeitems, _OPTS.linewidth = _PROFILES[profile]
    if precision is not None:
        _OPTS.precision = precision
    if threshold is not None:
        _OPTS.threshold = threshold
    if edgeitems is not None:
        _OPTS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTS.linewidth = linewidth
    _OPTS.sci_mode = sci_mode  # like torch: always assigned, so None restores "auto"


class _Formatter:
    """Shared notation and column width for a set of real scalars."""

    def __init__(self, values: np.ndarray) -> None:
        """Choose the notation and width from ``values`` (the elements that will be shown)."""
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not self.floating:
            self.width = max([1, *(len(str(v)) for v in values.ravel().tolist())])
            return
        flat = values.ravel().astype(np.float64)
        shown = flat[np.isfinite(flat) & (flat != 0)]
        if shown.size == 0:
            return
        lo, hi = float(np.abs(shown).min()), float(np.abs(shown).max())
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        auto_sci = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        self.sci_mode = auto_sci if _OPTS.sci_mode is None else _OPTS.sci_mode
        self.width = max(1, *(len(self._text(v)) for v in shown.tolist()))

    def _text(self, value: float | int | bool) -> str:
        """Unpadded text of one value."""
        if not self.floating:
            return str(value)
        if self.sci_mode:
            return f"{value:.{_OPTS.precision}e}"
        if self.int_mode:
            return f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        return f"{value:.{_OPTS.precision}f}"

    def format(self, value: float | int | bool) -> str:
        """Text of one value, right-aligned to the common width."""
        return self._text(value).rjust(self.width)


def _format_item(value: complex | float, real: _Formatter, imag: _Formatter | None) -> str:
    """Text of one element; complex numbers join a real and an imaginary part."""
    if imag is None:
        return real.format(value)
    im = (imag.format(value.imag) + "j").lstrip()
    return real.format(value.real) + ("" if im[0] in "+-" else "+") + im


def _summarized(a: np.ndarray) -> np.ndarray:
    """Flat array of the elements that remain visible once summarized."""
    edge = _OPTS.edgeitems
    if a.ndim == 0:
        return a.ravel()
    if a.ndim == 1:
        # a[-0:] is the whole row, as in torch when edgeitems == 0
        return np.concatenate((a[:edge], a[-edge:])) if len(a) > 2 * edge else a
    if not edge:
        return a.ravel()[:0]
    rows = [*a[:edge], *a[len(a) - edge :]] if len(a) > 2 * edge else list(a)
    return np.concatenate([_summarized(r) for r in rows])


def _vector(
    a: np.ndarray, indent: int, summarize: bool, real: _Formatter, imag: _Formatter | None
) -> str:
    """Bracketed 1-D row, wrapped to fit the line width."""
    edge = _OPTS.edgeitems
    item_len = real.width + 2 + (imag.width + 1 if imag is not None else 0)
    per_line = max(1, math.floor((_OPTS.linewidth - indent) / item_len))
    if summarize and not edge:
        items = ["..."]
    elif summarize and len(a) > 2 * edge:
        head = [_format_item(v, real, imag) for v in a[:edge].tolist()]
        tail = [_format_item(v, real, imag) for v in a[-edge:].tolist()]
        items = [*head, " ...", *tail]
    else:
        items = [_format_item(v, real, imag) for v in a.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(
    a: np.ndarray, indent: int, summarize: bool, real: _Formatter, imag: _Formatter | None
) -> str:
    """Bracketed text of an array of any rank, sub-arrays indented one more column each."""
    if a.ndim == 0:
        return _format_item(a.item(), real, imag)
    if a.ndim == 1:
        return _vector(a, indent, summarize, real, imag)
    edge, n = _OPTS.edgeitems, len(a)

    def sub(i: int) -> str:
        return _nested(a[i], indent + 1, summarize, real, imag)

    if summarize and n > 2 * edge:
        parts = [*map(sub, range(edge)), "...", *map(sub, range(n - edge, n))]
    else:
        parts = [sub(i) for i in range(n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _body(a: np.ndarray, indent: int) -> str:
    """Bracketed data of a non-empty array."""
    summarize = a.size > _OPTS.threshold
    if a.dtype.kind == "c":
        shown = _summarized(a) if summarize else a
        real, imag = _Formatter(shown.real), _Formatter(shown.imag)
        return _nested(a, indent, summarize, real, imag)
    return _nested(a, indent, summarize, _Formatter(_summarized(a) if summarize else a), None)


def _add_suffixes(text: str, suffixes: Sequence[str], indent: int) -> str:
    """Append ``, suffix`` items and the closing paren, wrapping an item that would overflow."""
    out = [text]
    line_len = len(text) - text.rfind("\n") + 1  # torch's count (2 more than the real length)
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > _OPTS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
        else:
            out.append(", " + suffix)
            line_len += len(suffix) + 2
    return "".join(out) + ")"


def format_tensor(data: np.ndarray, suffixes: Sequence[str] = ()) -> str:
    r"""Return PyTorch's repr text, e.g. 'tensor([[2.7033, 2.0317],\n        [0.0000, 0.0000]])'."""
    a = np.asarray(data)
    prefix = "tensor("
    # torch shows the shape for empty non-1-D arrays (and for any array when edgeitems == 0),
    # after a device= suffix and before all others
    show_size = (a.size == 0 and a.ndim != 1) or (a.size != 0 and not _OPTS.edgeitems)
    items = list(suffixes)
    if show_size:
        at = next((i for i, s in enumerate(items) if not s.startswith("device=")), len(items))
        items.insert(at, f"size={tuple(a.shape)}")
    body = "[]" if a.size == 0 else _body(a, len(prefix))
    return _add_suffixes(prefix + body, items, len(prefix))
