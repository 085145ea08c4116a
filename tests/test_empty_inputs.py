"""Every op sample with one dim of one input of size 0: PyTorch's result, gradient shapes or
exception type (golden/empty_inputs.json; see empty_inputs.py)."""

from __future__ import annotations

import warnings

import numpy as np

import autojac
from empty_inputs import cases, result
from golden_cases import by_case, errors_match, expected
from op_table import Sample


@by_case(cases())
def test_results_at_inputs_without_elements_are_pytorchs(sample: Sample, variant: str) -> None:
    record = expected("empty_inputs.json", sample, variant)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (NumPy's, at means over no elements and the like)
        found = result(autojac, sample, variant)
    if errors_match(found, record):
        return
    assert (found["shape"], found["dtype"], found["grads"]) == (
        record["shape"], record["dtype"], record["grads"])
    np.testing.assert_allclose(found["values"], np.array(record["values"], dtype=float),
                               rtol=1e-6, atol=1e-9, equal_nan=True)
