"""Helpers shared by the tests that compare autojac with real PyTorch.

Tests that need PyTorch call ``import_torch()`` (or carry ``requires_torch``) and are skipped
when it is not installed; the golden values recorded from PyTorch (``golden/``) keep the
important checks running without it.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HAS_TORCH = importlib.util.find_spec("torch") is not None
requires_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
ERRORS_FILE = GOLDEN_DIR / "autograd_errors.json"


def import_torch() -> Any:
    """The real torch module, or skip the calling test."""
    return pytest.importorskip("torch")


def as_autojac_text(text: str) -> str:
    """PyTorch's text with ``torch.`` spelled ``autojac.`` (type names, function paths)."""
    return text.replace("torch.", "autojac.")


@functools.lru_cache(maxsize=1)
def load_golden_errors() -> dict[str, dict[str, str]]:
    """Error types and messages recorded from PyTorch, keyed by case name."""
    with ERRORS_FILE.open(encoding="utf-8") as f:
        data = json.load(f)
    return data["cases"]


def raised(fn: Callable[[Any], Any], module: Any) -> tuple[str | None, str | None]:
    """(exception type name, message) raised by ``fn(module)``, or (None, None)."""
    try:
        fn(module)
    except Exception as e:  # noqa: BLE001 - the point is to record whatever was raised
        return type(e).__name__, str(e)
    return None, None


def xfail_bug(reason: str) -> pytest.MarkDecorator:
    """A strict xfail for a known difference from PyTorch (the lead removes it on fixing)."""
    return pytest.mark.xfail(strict=True, reason=f"BUG: {reason}")


class ErrorCase:
    """A call that must raise PyTorch's exception.

    ``bug`` names a known difference in the message (or type); ``type_bug`` a known difference
    in the exception type itself. Both become strict xfails.
    """

    def __init__(
        self, fn: Callable[[Any], Any], bug: str | None = None, type_bug: str | None = None
    ) -> None:
        self.fn, self.bug, self.type_bug = fn, bug, type_bug


def error_registry(prefix: str) -> tuple[dict[str, ErrorCase], Callable[..., Any]]:
    """A registry of error cases and the decorator that fills it (names get ``prefix``)."""
    registry: dict[str, ErrorCase] = {}

    def error_case(name: str, bug: str | None = None, type_bug: str | None = None):
        def deco(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
            registry[prefix + name] = ErrorCase(fn, bug, type_bug)
            return fn

        return deco

    return registry, error_case


def error_params(registry: dict[str, ErrorCase], *, type_only: bool = False) -> list[Any]:
    """pytest params for the cases of ``registry``, xfail-marked where autojac has a bug."""
    out = []
    for name, case in registry.items():
        bug = case.type_bug if type_only else (case.bug or case.type_bug)
        marks = [xfail_bug(bug)] if bug else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out


def golden_error_tests(registry: dict[str, ErrorCase], module: Any) -> tuple[Any, Any, Any]:
    """Three parametrized tests over ``registry``: autojac's message and type against the
    golden values, and (with torch installed) the golden values against PyTorch itself."""

    @pytest.mark.parametrize("name", error_params(registry))
    def test_error_message_matches_pytorch(name: str) -> None:
        expected = load_golden_errors()[name]
        assert raised(registry[name].fn, module) == (expected["type"], expected["message"])

    @pytest.mark.parametrize("name", error_params(registry, type_only=True))
    def test_error_type_matches_pytorch(name: str) -> None:
        assert raised(registry[name].fn, module)[0] == load_golden_errors()[name]["type"]

    @requires_torch
    @pytest.mark.parametrize("name", list(registry))
    def test_golden_error_is_pytorchs(name: str) -> None:
        torch = import_torch()
        typ, msg = raised(registry[name].fn, torch)
        assert typ is not None, "PyTorch did not raise"
        expected = load_golden_errors()[name]
        assert (typ, as_autojac_text(msg)) == (expected["type"], expected["message"])

    return (
        test_error_message_matches_pytorch,
        test_error_type_matches_pytorch,
        test_golden_error_is_pytorchs,
    )
