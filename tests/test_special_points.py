"""Values, vjps, jvps and second derivatives of every op sample at kinks, bounds, ties,
zeros, NaN and infinities, against PyTorch's (recorded in golden/special_points.json; see
special_points.py)."""

from __future__ import annotations

import warnings

import numpy as np

import autojac
from golden_cases import by_case, errors_match, expected
from op_table import Sample
from special_points import cases, derivatives


@by_case(cases())
def test_derivatives_at_special_points_are_pytorchs(sample: Sample, variant: str) -> None:
    record = expected("special_points.json", sample, variant)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (NumPy's, at the NaNs and infinities)
        found = derivatives(autojac, sample, variant)
    if errors_match(found, record):
        return
    assert found.keys() == record.keys()
    for key, want in record.items():
        got = found[key]
        for g, w in zip(*((got, want) if key.startswith("vjp") else ([got], [want]))):
            np.testing.assert_allclose(g, np.array(w, dtype=float), rtol=1e-6, atol=1e-12,
                                       err_msg=key)
