"""The op sample table at integer, bool and float16 inputs: the result's dtype and values,
or the type of the exception, as PyTorch's (recorded in ``golden/op_dtypes.json`` by
``golden/record_op_dtypes.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from op_table import Sample, sample_cases

DTYPES = ("int64", "int32", "uint8", "bool", "float16")
_VALUES = np.array([0, 1, -1, 2, 3, -2, 5, 1, 0, 4, -3, 2])  # (uint8 wraps -1 to 255)

# sample name -> (the dtypes left out, why)
LEFT_OUT: dict[str, tuple[tuple[str, ...], str]] = {
    **{name: (("int64", "int32", "uint8", "bool"),
              "PyTorch's einsum sums a dim of one operand first (integers become int64) and "
              "multiplies the rest in bmm (which refuses bool); autojac's einsum is one "
              "contraction in the operands' dtype")
       for name in ("einsum_mm", "einsum_outer_sum", "einsum_broadcast_dim", "einsum_three",
                    "einsum_batch_ellipsis", "tensordot")},
    **{name: (("int32", "uint8"), "PyTorch has no dilated convolution for integers")
       for name in ("conv1d_stride_dil", "conv2d_same_even_kernel")},
    **{name: (("float16",), "PyTorch's float16 matrix exponential overflows to inf and NaN "
              "where autojac's stays finite") for name in ("matrix_exp", "matrix_exp_batched")},
    "eigh_projector": (("uint8",), "255s make eigenvalues that are equal in exact arithmetic, "
                       "so the projector depends on rounding"),
}


def cases() -> list[tuple[Sample, str]]:
    """Every (sample, dtype) pair compared."""
    return sample_cases(DTYPES, LEFT_OUT)


def result(lib: Any, sample: Sample, dtype: str) -> dict[str, Any]:
    """The sample's result dtype and values (flattened float64), or the name of the
    exception raised."""
    try:
        inputs = [lib.tensor(np.resize(np.roll(_VALUES, -3 * k), shape).astype(dtype))
                  for k, shape in enumerate(sample.shapes)]
        out = sample.fn(lib, *inputs)
    except Exception as e:  # (compared by type with PyTorch's)
        return {"error": type(e).__name__.lstrip("_")}
    return {"dtype": str(out.dtype).rpartition(".")[2],
            "values": np.asarray(out.tolist(), dtype=float).ravel()}
