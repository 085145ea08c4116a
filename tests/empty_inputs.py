"""The op sample table at inputs without elements: one dim of one input made 0. The result's
shape, dtype and values and the gradients' shapes, or the exception's type, are PyTorch's
(recorded in ``golden/empty_inputs.json`` by ``golden/record_empty_inputs.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from op_table import SAMPLES, Sample

# sample name -> why it is left out
LEFT_OUT: dict[str, str] = {
    "index_add": "PyTorch's backward of an index_add into a self without elements fails "
                 "(index_select on its empty gradient); autojac adds nothing and gives the "
                 "source no gradient",
    **dict.fromkeys(("einsum_mm", "einsum_batch_ellipsis", "einsum_three"),
                    "sizes that do not go together: PyTorch and autojac report different "
                    "operands first (and PyTorch a ValueError for three operands)"),
}


def cases() -> list[tuple[Sample, str]]:
    """(sample, "input.dim") for each dim of each input, each sample id once."""
    seen: set[str] = set()
    out = []
    for sample in SAMPLES:
        if sample.id in seen or sample.name in LEFT_OUT:
            continue
        seen.add(sample.id)
        out += [(sample, f"{k}.{d}") for k, shape in enumerate(sample.shapes)
                for d in range(len(shape))]
    return out


def result(lib: Any, sample: Sample, emptied: str) -> dict[str, Any]:
    """The sample's result (shape, dtype, values) and the shapes of the gradients along ones
    (None where no gradient flows), or the name of the exception raised."""
    k, d = map(int, emptied.split("."))
    shapes = [tuple(0 if (i, j) == (k, d) else n for j, n in enumerate(shape))
              for i, shape in enumerate(sample.shapes)]
    try:
        inputs = [lib.tensor(np.ones(shape), requires_grad=True) for shape in shapes]
        out = sample.fn(lib, *inputs)
        grads = (lib.autograd.grad(out, inputs, lib.ones_like(out), allow_unused=True)
                 if out.requires_grad else [None] * len(inputs))
    except Exception as e:  # (compared by type with PyTorch's)
        return {"error": type(e).__name__.lstrip("_")}
    return {"shape": list(out.shape), "dtype": str(out.dtype).rpartition(".")[2],
            "values": np.asarray(out.tolist(), dtype=float).ravel(),
            "grads": [None if g is None else list(g.shape) for g in grads]}
