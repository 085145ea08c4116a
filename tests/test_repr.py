"""Tests for autojac._repr: PyTorch's tensor repr layout computed from NumPy arrays."""

from __future__ import annotations

import importlib.util
import math
import re
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

try:
    from autojac._repr import format_tensor, set_printoptions
except Exception:  # the package __init__ may be mid-edit; load the module from its file
    _path = Path(__file__).resolve().parents[1] / "src" / "autojac" / "_repr.py"
    _spec = importlib.util.spec_from_file_location("_autojac_repr_under_test", _path)
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_spec.name] = _module
    _spec.loader.exec_module(_module)
    format_tensor, set_printoptions = _module.format_tensor, _module.set_printoptions


@pytest.fixture(autouse=True)
def _default_printoptions():
    """Restore default print options (ours and torch's, if loaded) after every test."""
    yield
    set_printoptions(profile="default")
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_printoptions(profile="default")


# --------------------------------------------------------------------------------------------
# Golden fixtures recorded from torch 2.13 (repr with "torch." replaced by "autojac."); they run
# without torch. Each case: (array constructor source, suffixes, expected repr).
# --------------------------------------------------------------------------------------------

GOLDEN = [
    ("np.array(3.5, dtype=np.float32)", (), "tensor(3.5000)"),
    ("np.array(7)", (), "tensor(7)"),
    (
        "np.array(-0.25 + 2j, dtype=np.complex128)",
        ("dtype=autojac.complex128",),
        "tensor(-0.2500+2.j, dtype=autojac.complex128)",
    ),
    (
        "np.array([1.0, 2.0])",
        ("dtype=autojac.float64", "requires_grad=True"),
        "tensor([1., 2.], dtype=autojac.float64, requires_grad=True)",
    ),
    (
        "np.array([[[2.7033, 2.0317], [0, 0]], [[0, 0], [1.1729, 1.0367]]], dtype=np.float32)",
        (),
        "tensor([[[2.7033, 2.0317],\n         [0.0000, 0.0000]],\n\n"
        "        [[0.0000, 0.0000],\n         [1.1729, 1.0367]]])",
    ),
    (
        "np.eye(4, dtype=np.float32).reshape(2, 2, 2, 2)",
        ("grad_fn=<ViewBackward0>",),
        "tensor([[[[1., 0.],\n          [0., 0.]],\n\n"
        "         [[0., 1.],\n          [0., 0.]]],\n\n\n"
        "        [[[0., 0.],\n          [1., 0.]],\n\n"
        "         [[0., 0.],\n          [0., 1.]]]], grad_fn=<ViewBackward0>)",
    ),
    ("np.zeros((0, 3), dtype=np.float32)", (), "tensor([], size=(0, 3))"),
    (
        "np.zeros((0,), dtype=np.int64)",
        ("dtype=autojac.int64",),
        "tensor([], dtype=autojac.int64)",
    ),
    (
        "np.array([[True, False], [False, True]])",
        (),
        "tensor([[ True, False],\n        [False,  True]])",
    ),
    ("np.array([[1, -20], [300, 4]])", (), "tensor([[  1, -20],\n        [300,   4]])"),
    (
        "np.array([255, 0, 7], dtype=np.uint8)",
        ("dtype=autojac.uint8",),
        "tensor([255,   0,   7], dtype=autojac.uint8)",
    ),
    (
        "np.array([1e-5, 1.0, 1e3], dtype=np.float32)",
        (),
        "tensor([1.0000e-05, 1.0000e+00, 1.0000e+03])",
    ),
    (
        "np.array([np.nan, np.inf, -np.inf, -0.0, 1.5], dtype=np.float32)",
        (),
        "tensor([   nan,    inf,   -inf, -0.0000, 1.5000])",
    ),
    ("np.array([-0.0, 2.0, 100.0], dtype=np.float32)", (), "tensor([ -0.,   2., 100.])"),
    (
        "np.array([0.5, 1000.0, 65504.0], dtype=np.float16)",
        ("dtype=autojac.float16",),
        "tensor([5.0000e-01, 1.0000e+03, 6.5504e+04], dtype=autojac.float16)",
    ),
    (
        "np.array([[1 + 2j, -0.5 - 1j], [0j, 3.25 + 0j]], dtype=np.complex64)",
        (),
        "tensor([[ 1.0000+2.j, -0.5000-1.j],\n        [ 0.0000+0.j,  3.2500+0.j]])",
    ),
    (
        "np.arange(1001, dtype=np.float32)",
        (),
        "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])",
    ),
    (
        "np.arange(1600).reshape(40, 40)",
        (),
        "tensor([[   0,    1,    2,  ...,   37,   38,   39],\n"
        "        [  40,   41,   42,  ...,   77,   78,   79],\n"
        "        [  80,   81,   82,  ...,  117,  118,  119],\n"
        "        ...,\n"
        "        [1480, 1481, 1482,  ..., 1517, 1518, 1519],\n"
        "        [1520, 1521, 1522,  ..., 1557, 1558, 1559],\n"
        "        [1560, 1561, 1562,  ..., 1597, 1598, 1599]])",
    ),
    (
        "np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 8",
        (),
        "tensor([[[0.0000, 0.1250, 0.2500, 0.3750],\n"
        "         [0.5000, 0.6250, 0.7500, 0.8750],\n"
        "         [1.0000, 1.1250, 1.2500, 1.3750]],\n\n"
        "        [[1.5000, 1.6250, 1.7500, 1.8750],\n"
        "         [2.0000, 2.1250, 2.2500, 2.3750],\n"
        "         [2.5000, 2.6250, 2.7500, 2.8750]]])",
    ),
    (
        "np.linspace(0, 1, 30, dtype=np.float32)",
        (),
        "tensor([0.0000, 0.0345, 0.0690, 0.1034, 0.1379, 0.1724, 0.2069, 0.2414, 0.2759,\n"
        "        0.3103, 0.3448, 0.3793, 0.4138, 0.4483, 0.4828, 0.5172, 0.5517, 0.5862,\n"
        "        0.6207, 0.6552, 0.6897, 0.7241, 0.7586, 0.7931, 0.8276, 0.8621, 0.8966,\n"
        "        0.9310, 0.9655, 1.0000])",
    ),
    (
        "np.linspace(0, 1, 8, dtype=np.float32)",
        ("grad_fn=<MulBackward0>",),
        "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000],\n"
        "       grad_fn=<MulBackward0>)",
    ),
]


@pytest.mark.parametrize(("source", "suffixes", "expected"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden(source: str, suffixes: tuple[str, ...], expected: str) -> None:
    assert format_tensor(eval(source), suffixes) == expected


# (print options, array constructor source, expected repr), recorded from torch 2.13.
GOLDEN_OPTIONS = [
    ({"precision": 2}, "np.array([1.12345], dtype=np.float32)", "tensor([1.12])"),
    ({"threshold": 5}, "np.arange(10)", "tensor([0, 1, 2,  ..., 7, 8, 9])"),
    (
        {"sci_mode": True},
        "np.array([1.5, 2.0], dtype=np.float32)",
        "tensor([1.5000e+00, 2.0000e+00])",
    ),
    ({"sci_mode": False}, "np.array([1e-6, 1.0], dtype=np.float32)", "tensor([0.0000, 1.0000])"),
    (
        {"edgeitems": 0, "threshold": 5},
        "np.arange(12).reshape(3, 4)",
        "tensor([...], size=(3, 4))",
    ),
    (
        {"profile": "short"},
        "np.arange(1001, dtype=np.float32) / 3",
        "tensor([0.00e+00, 3.33e-01,  ..., 3.33e+02, 3.33e+02])",
    ),
    (
        {"linewidth": 30},
        "np.arange(10, dtype=np.float32) / 3",
        "tensor([0.0000, 0.3333,\n        0.6667, 1.0000,\n        1.3333, 1.6667,\n"
        "        2.0000, 2.3333,\n        2.6667, 3.0000])",
    ),
]


@pytest.mark.parametrize(("options", "source", "expected"), GOLDEN_OPTIONS)
def test_golden_printoptions(options: dict, source: str, expected: str) -> None:
    set_printoptions(**options)
    assert format_tensor(eval(source)) == expected


def test_printoptions_round_trip() -> None:
    a, b = np.array([1.12345], dtype=np.float32), np.arange(1001)
    before = format_tensor(a), format_tensor(b)
    assert before == ("tensor([1.1235])", "tensor([   0,    1,    2,  ...,  998,  999, 1000])")
    set_printoptions(precision=2, threshold=5, edgeitems=1, linewidth=40, sci_mode=True)
    assert format_tensor(a) == "tensor([1.12e+00])"
    assert format_tensor(b) == "tensor([   0,  ..., 1000])"
    set_printoptions(profile="full")  # sci_mode resets to automatic, like torch
    full = format_tensor(b)
    assert "..." not in full and full.count("\n") == 1001 // 12
    assert format_tensor(a) == "tensor([1.1235])"
    set_printoptions(profile="default")
    assert (format_tensor(a), format_tensor(b)) == before


# --------------------------------------------------------------------------------------------
# Side by side with PyTorch, when it is importable.
# --------------------------------------------------------------------------------------------

DTYPES = [
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
    "complex64", "complex128",
]  # fmt: skip
SHAPES = [(), (0,), (0, 3), (5,), (2, 3), (2, 3, 4), (1001,), (40, 40)]
KINDS = ["normal", "integer", "tiny", "huge", "mixed", "special", "zeros"]


def _values(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` float64 values of one flavour."""
    if kind == "normal":
        return rng.standard_normal(n) * 3
    if kind == "integer":
        return rng.integers(-50, 50, n).astype(np.float64)
    if kind == "tiny":
        return rng.standard_normal(n) * 1e-6
    if kind == "huge":
        return rng.standard_normal(n) * 1e9
    if kind == "mixed":
        return rng.standard_normal(n) * 10.0 ** rng.integers(-6, 7, n)
    if kind == "special":
        return rng.choice([np.nan, np.inf, -np.inf, -0.0, 0.0, 1.5, -2.0, 1e-3], n)
    return rng.choice([0.0, -0.0], n)


def _make(dtype: str, shape: tuple[int, ...], kind: str) -> np.ndarray:
    """Deterministic test array of the given dtype, shape and value flavour."""
    rng = np.random.default_rng(zlib.crc32(f"{dtype}{shape}{kind}".encode()))
    n, dt = math.prod(shape), np.dtype(dtype)
    v = _values(kind, n, rng)
    if dt.kind == "b":
        return (v > 0).reshape(shape)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        v = np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0)
        return np.clip(v, max(info.min, -(2**53)), min(info.max, 2**53)).astype(dt).reshape(shape)
    if dt.kind == "c":
        v = v.astype(np.complex128)
        v.imag = _values(kind, n, rng)  # not v + 1j * w, whose inf * 1j puts nan in .real
    with np.errstate(over="ignore"):
        return v.astype(dt).reshape(shape)


def _dtype_suffixes(a: np.ndarray, module: str) -> list[str]:
    """The dtype suffix torch shows: any non-default dtype, or any but float32 when empty."""
    shown = a.dtype != np.float32 if a.size == 0 else a.dtype.name not in _DEFAULT_DTYPES
    return [f"dtype={module}.{a.dtype.name}"] if shown else []


_DEFAULT_DTYPES = {"float32", "int64", "bool", "complex64"}


def _unwrap_suffixes(text: str) -> str:
    """Undo the line break before a trailing suffix (its position depends on the module name)."""
    return re.sub(r",\n +(?=[a-z_]+=[^\n]*$)", ", ", text)


def _check_against_torch(torch, a: np.ndarray, extra: tuple[str, ...] = ()) -> None:
    """Compare with repr of the same data in torch, both with torch's and autojac's dtype names."""
    t = torch.from_numpy(a.copy())
    if extra:
        t = t.requires_grad_(True).view(t.shape)
    expected = repr(t)
    assert format_tensor(a, [*_dtype_suffixes(a, "torch"), *extra]) == expected
    # "autojac." is 2 characters longer than "torch.", which may move the wrap of a suffix
    ours = format_tensor(a, [*_dtype_suffixes(a, "autojac"), *extra])
    assert _unwrap_suffixes(ours) == _unwrap_suffixes(expected.replace("torch.", "autojac."))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch(dtype: str, shape: tuple[int, ...], kind: str) -> None:
    torch = pytest.importorskip("torch")
    _check_against_torch(torch, _make(dtype, shape, kind))


@pytest.mark.parametrize("kind", ["normal", "integer", "mixed", "special"])
@pytest.mark.parametrize("shape", [(), (8,), (2, 3, 5), (1001,), (40, 40)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64"])
def test_grad_fn_suffix_matches_torch(dtype: str, shape: tuple[int, ...], kind: str) -> None:
    torch = pytest.importorskip("torch")
    _check_against_torch(torch, _make(dtype, shape, kind), ("grad_fn=<ViewBackward0>",))


OPTIONS = [
    {"precision": 2},
    {"precision": 8, "linewidth": 120},
    {"threshold": 5},
    {"threshold": 0},
    {"edgeitems": 1, "threshold": 10},
    {"edgeitems": 0, "threshold": 5},
    {"linewidth": 10},
    {"profile": "short"},
    {"profile": "full"},
    {"sci_mode": True},
    {"sci_mode": False, "precision": 1},
]


@pytest.mark.parametrize("kind", ["normal", "mixed", "special"])
@pytest.mark.parametrize("shape", [(), (7,), (2, 3, 5), (1001,), (40, 40)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool", "complex64"])
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_printoptions_match_torch(options: dict, dtype: str, shape: tuple, kind: str) -> None:
    torch = pytest.importorskip("torch")
    torch.set_printoptions(**options)
    set_printoptions(**options)
    _check_against_torch(torch, _make(dtype, shape, kind))


@pytest.mark.parametrize(
    "a",
    [
        np.arange(12.0).reshape(3, 4).T / 7,
        np.asfortranarray(np.arange(24).reshape(2, 3, 4)),
        np.arange(36.0).reshape(6, 6)[::2, ::-1] - 0.5,
        np.array([2**62, -(2**63)], dtype=np.int64),
        np.array([1e8, 1.0]),
        np.array([1.5e8, 2.0], dtype=np.float32),
        np.array([1e-4, 0.5], dtype=np.float32),
        np.array([1e-4, 0.5]),
        np.array([1, -0.0 - 0.0j, np.nan + 1j, 1 - np.inf * 1j], dtype=np.complex64),
        np.array(np.nan, dtype=np.float32),
        np.array(-0.0),
        np.array(True),
    ],
    ids=lambda a: f"{a.dtype}{a.shape}",
)
def test_edge_cases_match_torch(a: np.ndarray) -> None:
    torch = pytest.importorskip("torch")
    _check_against_torch(torch, a)
