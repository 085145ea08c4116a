"""Every op sample at integer, bool and float16 inputs: PyTorch's result dtype and values, or
its exception type (golden/op_dtypes.json; see op_dtypes.py)."""

from __future__ import annotations

import functools
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import autojac
from op_dtypes import cases, result
from op_table import Sample

GOLDEN = Path(__file__).parent / "golden" / "op_dtypes.json"
# float16 results: PyTorch computes a fused op in float32 and rounds once, autojac's
# composed ops round after each step; float32 ones (from integers): LAPACK's paths differ
_TOLERANCES = {"float16": {"rtol": 2e-2, "atol": 1e-3}}


@functools.cache
def _golden() -> dict:
    return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize(("sample", "dtype"), cases(),
                         ids=[f"{s.id}-{dtype}" for s, dtype in cases()])
def test_results_at_integer_bool_and_half_inputs_are_pytorchs(sample: Sample, dtype: str) -> None:
    expected = _golden().get(f"{sample.id} {dtype}")
    assert expected is not None, "no golden record: run tests/golden/record_op_dtypes.py"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (NumPy's, at integer overflow and the like)
        found = result(autojac, sample, dtype)
    if "error" in expected or "error" in found:
        assert found.get("error") == expected.get("error")
        return
    assert found["dtype"] == expected["dtype"]
    tolerances = _TOLERANCES.get(dtype, {"rtol": 1e-5, "atol": 1e-6})
    np.testing.assert_allclose(found["values"], np.array(expected["values"], dtype=float),
                               equal_nan=True, **tolerances)
