"""``autojac.Size``: a tuple of ints that prints like PyTorch's."""

from __future__ import annotations


class Size(tuple):
    """The shape of a tensor: ``autojac.Size([3, 3])``."""

    __slots__ = ()

    def __new__(cls, sizes: object = ()) -> Size:
        items = tuple(sizes)  # type: ignore[arg-type]
        for i, s in enumerate(items):
            if not isinstance(s, int) and not hasattr(s, "__index__"):
                raise TypeError(f"autojac.Size() takes an iterable of 'int' (item {i} is "
                                f"'{type(s).__name__}')")
        return super().__new__(cls, (int(s) for s in items))

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

    def __mul__(self, n):  # type: ignore[override]
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__
