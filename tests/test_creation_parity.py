"""Creation functions against PyTorch: dtypes asked for or inferred, and the values of
arange and linspace bit for bit (PyTorch's CPU kernels' arithmetic)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import autojac
from _torch_compat import import_torch, requires_torch


def test_as_tensor_converts_to_a_dtype_asked_for() -> None:
    x = autojac.tensor([1.0, 2.0], requires_grad=True)
    y = autojac.as_tensor(x, dtype=autojac.float64)  # (NumPy's float64 == None: not "same")
    assert y.dtype == autojac.float64 and y.grad_fn is not None
    assert autojac.as_tensor(x, dtype=autojac.float32) is x
    assert autojac.as_tensor(np.array([1, 2]), dtype=autojac.float64).dtype == autojac.float64


@pytest.mark.parametrize("args, values", [
    ((1, 10, 1.5), list(range(1, 10))),  # (the step truncated to 1 first, for int64)
    ((-2.5, 2.5), [-2, -1, 0, 1]),
    ((10.5, 1.2, -2.5), [10, 8, 6, 4, 2]),
])
def test_integer_arange_truncates_its_bounds_and_step(args: tuple, values: list) -> None:
    assert autojac.arange(*args, dtype=autojac.int64).tolist() == values


def test_integer_arange_whose_step_truncates_to_zero_raises() -> None:
    with pytest.raises(ValueError, match="step must be nonzero"):
        autojac.arange(0, 1, 0.3, dtype=autojac.int64)


def test_integer_linspace_truncates_toward_zero() -> None:
    assert autojac.linspace(-5, 5, 4, dtype=autojac.int32).tolist() == [-5, -1, 1, 5]
    assert autojac.linspace(5, -5, 7, dtype=autojac.int64).tolist() == [5, 3, 1, 0, -1, -3, -5]


def test_float_arange_is_computed_in_double() -> None:
    assert autojac.arange(0, 1, 0.1)[9].item() == float(np.float32(0.9))
    assert autojac.arange(0, 1, 0.1, dtype=autojac.float64)[7].item() == 7 * 0.1
    assert autojac.linspace(-1, 1, 7)[3].item() == float(np.float32(-2.9802322387695312e-08))


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "int16"])
def test_arange_and_linspace_are_pytorchs_bit_for_bit(dtype: str) -> None:
    torch = import_torch()
    rng = np.random.default_rng(0)
    for _ in range(60):
        a, b = rng.uniform(-50, 50, 2)
        step = rng.uniform(1.0, 3.0) * (1 if b > a else -1)
        n = int(rng.integers(0, 200))
        for fn, args in (("arange", (a, b, step)), ("linspace", (a, b, n))):
            got = getattr(autojac, fn)(*args, dtype=getattr(autojac, dtype)).numpy()
            want = getattr(torch, fn)(*args, dtype=getattr(torch, dtype)).numpy()
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("maker, kernel", [(autojac.rand, "check_uniform_bounds"),
                                           (autojac.randn, "normal_kernel_cpu")])
def test_continuous_samples_of_an_integral_dtype_raise(maker, kernel: str) -> None:
    with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'Long\''):
        maker(2, dtype=autojac.int64)


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("values, dtype", [
    ([np.int32(1), np.int32(2)], "int32"), ([np.int32(1), 2], "int64"),
    ([np.int8(1), np.int16(2)], "int16"), ([np.uint8(3), np.int8(2)], "int16"),
    ([np.float16(1), np.int32(2)], "float16"), ([np.float32(1), 2.0], None),
    ([np.int32(1), 2.0], None), ([[np.int32(1)], [np.int32(2)]], "int32"),
])
def test_numbers_in_a_list_promote_their_own_dtypes(values: list, dtype: str | None,
                                                    default: str) -> None:
    """A NumPy scalar counts with its dtype, a Python float with the default one (PyTorch's
    promotion across them)."""
    before = autojac.get_default_dtype()
    autojac.set_default_dtype(getattr(autojac, default))
    try:
        expected = dtype or ("float64" if default == "float64" else "float32")
        assert autojac.tensor(values).dtype == getattr(autojac, expected)
    finally:
        autojac.set_default_dtype(before)


def test_numpy_integers_serve_as_dims() -> None:
    x = autojac.ones(2, 3)
    assert x.sum(np.int64(0)).tolist() == [2.0, 2.0, 2.0]
    assert x.mean(dim=np.int32(1)).shape == (2,)
    assert autojac.ones(1, 3).squeeze(np.int64(0)).shape == (3,)
    assert x.movedim(np.int64(0), 1).shape == (3, 2)


def test_a_deepcopied_gradient_is_a_copy() -> None:
    x = autojac.tensor([1.0, 2.0], requires_grad=True)
    x.grad = autojac.ones(2)
    assert copy.deepcopy(x).grad is not x.grad


def test_devices_are_pytorchs_device_objects() -> None:
    d = autojac.ones(2).device
    assert (repr(d), str(d), d.type, d.index) == ("device(type='cpu')", "cpu", "cpu", None)
    assert d == autojac.device("cpu") and d != autojac.device("cpu", 0) and d != "cpu"
    assert str(autojac.device("cuda:1")) == "cuda:1" and autojac.device("cuda", 1).index == 1
    assert autojac.ones(2).to(autojac.device("cpu", 0)).device == d
    with pytest.raises(RuntimeError, match="cannot move to 'cuda:1'"):
        autojac.ones(2).to(autojac.device("cuda:1"))
    with pytest.raises(RuntimeError, match="device type at start of device string: foo"):
        autojac.device("foo")


@requires_torch
def test_device_reprs_are_pytorchs() -> None:
    torch = import_torch()
    for args in (("cpu",), ("cuda:1",), ("cuda", 2), ("cpu", 0)):
        mine, theirs = autojac.device(*args), torch.device(*args)
        assert (repr(mine), str(mine)) == (repr(theirs), str(theirs))
