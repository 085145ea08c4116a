"""The named tuples that ops with several results return, named and printed as PyTorch's
``torch.return_types``.

>>> import autojac as torch
>>> torch.tensor([1.0, 3.0, 2.0]).max(0)
autojac.return_types.max(
values=tensor(3.),
indices=tensor(1))
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any


def _return_type(name: str, fields: list[str]) -> type:
    """A named tuple type ``autojac.return_types.<name>`` with PyTorch's repr."""
    cls = namedtuple(name, fields, module=__name__)

    def __repr__(self: Any) -> str:
        items = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
        return f"autojac.return_types.{name}(\n{items})"

    cls.__repr__ = __repr__
    return cls


max = _return_type("max", ["values", "indices"])
min = _return_type("min", ["values", "indices"])
slogdet = _return_type("slogdet", ["sign", "logabsdet"])
linalg_slogdet = _return_type("linalg_slogdet", ["sign", "logabsdet"])
linalg_eigh = _return_type("linalg_eigh", ["eigenvalues", "eigenvectors"])
linalg_svd = _return_type("linalg_svd", ["U", "S", "Vh"])
linalg_qr = _return_type("linalg_qr", ["Q", "R"])
sort = _return_type("sort", ["values", "indices"])
topk = _return_type("topk", ["values", "indices"])
linalg_lstsq = _return_type("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
cummax = _return_type("cummax", ["values", "indices"])
cummin = _return_type("cummin", ["values", "indices"])
