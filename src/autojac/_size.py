"""``autojac.Size``: a tuple of ints that prints like PyTorch's."""

from __future__ import annotations


class Size(tuple):
    """The shape of a tensor: ``autojac.Size([3, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"autojac.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        """Product of the dimensions."""
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):  # type: ignore[override]
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):  # type: ignore[override]
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))
