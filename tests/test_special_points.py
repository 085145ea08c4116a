"""Values, vjps, jvps and second derivatives of every op sample at kinks, bounds, ties,
zeros, NaN and infinities, against PyTorch's (recorded in golden/special_points.json; see
special_points.py)."""

from __future__ import annotations

import functools
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import autojac
from op_table import Sample
from special_points import cases, derivatives

GOLDEN = Path(__file__).parent / "golden" / "special_points.json"


@functools.cache
def _golden() -> dict:
    return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize(("sample", "grid"), cases(),
                         ids=[f"{s.id}-{grid}" for s, grid in cases()])
def test_derivatives_at_special_points_are_pytorchs(sample: Sample, grid: str) -> None:
    expected = _golden().get(f"{sample.id} {grid}")
    assert expected is not None, "no golden record: run tests/golden/record_special_points.py"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (NumPy's, at the NaNs and infinities)
        found = derivatives(autojac, sample, grid)
    if "error" in expected or "error" in found:
        assert found.get("error") == expected.get("error")
        return
    assert found.keys() == expected.keys()
    for key, want in expected.items():
        got = found[key]
        for g, w in zip(*((got, want) if key.startswith("vjp") else ([got], [want]))):
            np.testing.assert_allclose(g, np.array(w, dtype=float), rtol=1e-6, atol=1e-12,
                                       err_msg=key)
