"""Every op sample at integer, bool and float16 inputs: PyTorch's result dtype and values, or
its exception type (golden/op_dtypes.json; see op_dtypes.py)."""

from __future__ import annotations

import warnings

import numpy as np

import autojac
from golden_cases import by_case, errors_match, expected
from op_dtypes import cases, result
from op_table import Sample

# float16 results: PyTorch computes a fused op in float32 and rounds once, autojac's
# composed ops round after each step; float32 ones (from integers): LAPACK's paths differ
_TOLERANCES = {"float16": {"rtol": 2e-2, "atol": 1e-3}}


@by_case(cases())
def test_results_at_integer_bool_and_half_inputs_are_pytorchs(sample: Sample,
                                                               variant: str) -> None:
    record = expected("op_dtypes.json", sample, variant)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (NumPy's, at integer overflow and the like)
        found = result(autojac, sample, variant)
    if errors_match(found, record):
        return
    assert found["dtype"] == record["dtype"]
    tolerances = _TOLERANCES.get(variant, {"rtol": 1e-5, "atol": 1e-6})
    np.testing.assert_allclose(found["values"], np.array(record["values"], dtype=float),
                               equal_nan=True, **tolerances)
