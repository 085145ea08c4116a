"""Shared by the tests that compare op samples with golden records from PyTorch (one record
per sample and variant, made by a recorder in ``golden/``)."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from op_table import Sample

_GOLDEN = Path(__file__).parent / "golden"


@functools.cache
def _records(file_name: str) -> dict[str, Any]:
    return json.loads((_GOLDEN / file_name).read_text())


def by_case(cases: Sequence[tuple[Sample, str]]) -> pytest.MarkDecorator:
    """Parametrize a test over (sample, variant) pairs, with readable ids."""
    return pytest.mark.parametrize(("sample", "variant"), cases,
                                   ids=[f"{s.id}-{variant}" for s, variant in cases])


def expected(file_name: str, sample: Sample, variant: str) -> dict[str, Any]:
    """The record of ``sample`` in ``variant``; recorded by ``golden/record_<file>.py``."""
    record = _records(file_name).get(f"{sample.id} {variant}")
    assert record is not None, f"no golden record: run tests/golden/record_{file_name[:-5]}.py"
    return record


def errors_match(found: dict[str, Any], record: dict[str, Any]) -> bool:
    """Whether either raised (then both must have raised the same exception type)."""
    if "error" in found or "error" in record:
        assert found.get("error") == record.get("error")
        return True
    return False
