"""The examples in the public modules' docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

import autojac

MODULES = [
    "autojac",
    "autojac.sparse",
    "autojac.autograd.functional",
    "autojac.autograd.forward_ad",
    "autojac.func",
    "autojac.testing",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    if name == "autojac.sparse":
        pytest.importorskip("scipy")
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, extraglobs={"autojac": autojac, "np": np}, report=False,
        optionflags=doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"
