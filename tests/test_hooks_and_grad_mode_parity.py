"""Tensor hooks and grad modes against PyTorch: what a hook may return (and the errors when
it returns something else), hook handles as context managers, the grad-mode decorators on
generator functions, and inference_mode.

Expected values are analytic or recorded from torch 2.13 (``torch.`` spelled ``autojac.``);
the tests marked ``requires_torch`` check the recorded values against torch itself.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autojac
from _torch_compat import as_autojac_text, import_torch, raised, requires_torch
from autojac._autograd import grad_mode

# ============================================================================================
# What a hook may return
# ============================================================================================


def _leaf_backward(T: Any, hook: Callable[..., Any], dtype: Any = None) -> Any:
    """``x.grad`` of ``sum(x * x)`` with ``hook`` on the leaf ``x = [1, 2, 3]``."""
    x = T.tensor([1.0, 2.0, 3.0], dtype=dtype, requires_grad=True)
    x.register_hook(hook)
    (x * x).sum().backward()
    return x.grad


def _non_leaf_backward(T: Any, hook: Callable[..., Any]) -> Any:
    """``x.grad`` of ``sum(y * y)`` with ``hook`` on ``y = 2x``."""
    x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y.register_hook(hook)
    (y * y).sum().backward()
    return x.grad


def _leaf_grad(T: Any, hook: Callable[..., Any]) -> Any:
    """``autograd.grad`` of ``sum(x * x)`` with ``hook`` on the leaf ``x``."""
    x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.register_hook(hook)
    return T.autograd.grad((x * x).sum(), x)


def _complex_leaf_backward(T: Any, hook: Callable[..., Any]) -> Any:
    x = T.tensor([1 + 1j, 2.0], requires_grad=True)
    x.register_hook(hook)
    (x * x.conj()).real.sum().backward()
    return x.grad


def _first_two(g: Any) -> Any:
    return g[:2]


class _Cut:
    """A callable object without ``__name__``: PyTorch names it '<unknown>'."""

    def __call__(self, g: Any) -> Any:
        return g[:2]


class _NamedCut(_Cut):
    __name__ = "named_cut"


class _Holder:
    """A hook that is a class: it 'returns' an instance, which is not a tensor."""

    def __init__(self, g: Any) -> None:
        self.g = g


def _second_hook_cuts(T: Any) -> Any:
    x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.register_hook(lambda g: g * 2)
    x.register_hook(_first_two)
    (x * x).sum().backward()


class _Owner:
    def cut(self, g: Any) -> Any:
        return g[:2]


def _size(hook_name: str) -> tuple[str, str]:
    return "RuntimeError", f"hook '{hook_name}' has changed the size of value"


def _type(was: str, got: str) -> tuple[str, str]:
    return "RuntimeError", f"hook '<lambda>' has changed the type of value (was {was} got {got})"


def _not_a_tensor(type_name: str) -> tuple[str, str]:
    return "TypeError", f"expected Variable, but hook returned '{type_name}'"


FLOAT, DOUBLE = "autojac.FloatTensor", "autojac.DoubleTensor"

# name -> (call, (exception type, message) recorded from torch 2.13)
HOOK_ERRORS: dict[str, tuple[Callable[[Any], Any], tuple[str, str]]] = {
    "leaf_size": (lambda T: _leaf_backward(T, lambda g: g[:2]), _size("<lambda>")),
    "non_leaf_size": (lambda T: _non_leaf_backward(T, lambda g: g[:2]), _size("<lambda>")),
    "autograd_grad_size": (lambda T: _leaf_grad(T, lambda g: g[:2]), _size("<lambda>")),
    "broadcastable_size": (lambda T: _leaf_backward(T, lambda g: g[:1]), _size("<lambda>")),
    "scalar_for_vector": (lambda T: _leaf_backward(T, lambda g: g.sum()), _size("<lambda>")),
    "same_numel_other_shape": (lambda T: _leaf_backward(T, lambda g: g.reshape(3, 1)),
                               _size("<lambda>")),
    "def_hook_name": (lambda T: _leaf_backward(T, _first_two), _size("_first_two")),
    "bound_method_name": (lambda T: _leaf_backward(T, _Owner().cut), _size("cut")),
    "callable_object_name": (lambda T: _leaf_backward(T, _Cut()), _size("<unknown>")),
    "partial_name": (lambda T: _leaf_backward(T, functools.partial(_first_two)),
                     _size("<unknown>")),
    "object_with_name": (lambda T: _leaf_backward(T, _NamedCut()), _size("named_cut")),
    "second_hook_checked": (_second_hook_cuts, _size("_first_two")),
    "float_to_double": (lambda T: _leaf_backward(T, lambda g: g.double()), _type(FLOAT, DOUBLE)),
    "double_to_float": (lambda T: _leaf_backward(T, lambda g: g.float(), T.float64),
                        _type(DOUBLE, FLOAT)),
    "float_to_long": (lambda T: _leaf_backward(T, lambda g: g.long()),
                      _type(FLOAT, "autojac.LongTensor")),
    "float_to_half": (lambda T: _leaf_backward(T, lambda g: g.half()),
                      _type(FLOAT, "autojac.HalfTensor")),
    "float_to_bool": (lambda T: _leaf_backward(T, lambda g: g.bool()),
                      _type(FLOAT, "CPUBoolType")),
    "float_to_complex": (lambda T: _leaf_backward(T, lambda g: g.to(T.complex128)),
                         _type(FLOAT, "CPUComplexDoubleType")),
    "complex_to_complex_double": (
        lambda T: _complex_leaf_backward(T, lambda g: g.to(T.complex128)),
        _type("CPUComplexFloatType", "CPUComplexDoubleType")),
    "non_leaf_type": (lambda T: _non_leaf_backward(T, lambda g: g.double()),
                      _type(FLOAT, DOUBLE)),
    "type_checked_before_size": (lambda T: _leaf_backward(T, lambda g: g[:2].double()),
                                 _type(FLOAT, DOUBLE)),
    "returns_float": (lambda T: _leaf_backward(T, lambda g: 1.0), _not_a_tensor("float")),
    "returns_bool": (lambda T: _leaf_backward(T, lambda g: True), _not_a_tensor("bool")),
    "returns_list": (lambda T: _leaf_backward(T, lambda g: g.tolist()), _not_a_tensor("list")),
    "returns_ndarray": (lambda T: _leaf_backward(T, lambda g: g.numpy()),
                        _not_a_tensor("numpy.ndarray")),
    "returns_python_object": (lambda T: _leaf_backward(T, _Holder), _not_a_tensor("_Holder")),
    "non_leaf_returns_float": (lambda T: _non_leaf_backward(T, lambda g: 1.0),
                               _not_a_tensor("float")),
    "autograd_grad_returns_float": (lambda T: _leaf_grad(T, lambda g: 2.0),
                                    _not_a_tensor("float")),
}


@pytest.mark.parametrize("name", list(HOOK_ERRORS))
def test_hook_result_error_matches_pytorch(name: str) -> None:
    call, expected = HOOK_ERRORS[name]
    assert raised(call, autojac) == expected


@requires_torch
@pytest.mark.parametrize("name", list(HOOK_ERRORS))
def test_recorded_hook_result_error_is_pytorchs(name: str) -> None:
    torch = import_torch()
    call, expected = HOOK_ERRORS[name]
    got_type, got_message = raised(call, torch)
    assert (got_type, as_autojac_text(got_message or "")) == expected


def test_a_hook_sees_the_gradient_in_its_tensors_dtype() -> None:
    """A float32 leaf multiplied by a float64 tensor: its hook gets (and may return) float32."""
    seen = []
    x = autojac.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: seen.append(g.dtype) or g.float() * 10)
    (x * autojac.tensor([3.0, 4.0], dtype=autojac.float64)).sum().backward()
    assert seen == [autojac.float32]
    assert x.grad.dtype == autojac.float32 and x.grad.tolist() == [30.0, 40.0]


def test_a_hook_may_return_a_transposed_gradient_of_the_same_shape() -> None:
    """Only the shape and dtype are checked: a square gradient's transpose is accepted."""
    w = [[1.0, 2.0], [3.0, 4.0]]
    x = autojac.tensor(w, requires_grad=True)
    x.register_hook(lambda g: g.t())
    (x * autojac.tensor(w)).sum().backward()
    assert x.grad.tolist() == np.transpose(w).tolist()


def test_a_none_returning_hook_keeps_the_gradient() -> None:
    seen = []
    grad = _non_leaf_backward(autojac, lambda g: seen.append(g.tolist()))
    assert seen == [[4.0, 8.0, 12.0]]  # d(sum y^2)/dy = 2y, y = 2x
    assert grad.tolist() == [8.0, 16.0, 24.0]


def test_a_hook_handle_is_a_context_manager_that_removes_the_hook() -> None:
    x = autojac.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 10)
    with handle as entered:
        (x * x).sum().backward()
    assert entered is handle
    assert x.grad.tolist() == [20.0, 40.0]
    x.grad = None
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_a_hook_handle_removes_the_hook_when_the_block_raises() -> None:
    x = autojac.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError), x.register_hook(lambda g: g * 10):
        raise ValueError
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


# ============================================================================================
# Grad-mode decorators on generator functions
# ============================================================================================


def _generator_trace(T: Any) -> list[Any]:
    """What a ``@no_grad()`` generator and its caller see at each step: start, send, throw,
    an exception raised out of it, close."""
    trace: list[Any] = []
    x = T.ones(2, requires_grad=True)

    @T.no_grad()
    def gen(a: Any) -> Any:
        trace.append(("start", T.is_grad_enabled()))
        got = yield (a * 2).requires_grad
        trace.append(("sent", got, T.is_grad_enabled()))
        try:
            yield "before throw"
        except ValueError as e:
            trace.append(("caught", str(e), T.is_grad_enabled()))
            yield "after throw"
        try:
            yield "before close"
        finally:
            trace.append(("closing", T.is_grad_enabled()))

    g = gen(x)
    trace.append(("yielded requires_grad", next(g), T.is_grad_enabled()))
    trace.append(("send", g.send("hi"), T.is_grad_enabled()))
    trace.append(("throw", g.throw(ValueError("v")), T.is_grad_enabled()))
    trace.append(("next", next(g), T.is_grad_enabled()))
    g.close()
    trace.append(("closed", T.is_grad_enabled()))
    return trace


GENERATOR_TRACE = [
    ("start", False),
    ("yielded requires_grad", False, True),
    ("sent", "hi", False),
    ("send", "before throw", True),
    ("caught", "v", False),
    ("throw", "after throw", True),
    ("next", "before close", True),
    ("closing", False),
    ("closed", True),
]


def _generator_endings(T: Any) -> list[Any]:
    """How decorated generators end: a return value through ``yield from``, an exception
    raised in the body, a thrown exception the body swallows (StopIteration's value)."""
    trace: list[Any] = []

    @T.no_grad
    def returns() -> Any:
        yield T.is_grad_enabled()
        return "returned"

    def delegate() -> Any:
        trace.append(("yield from", (yield from returns()), T.is_grad_enabled()))

    trace.append(("delegated", list(delegate())))

    @T.no_grad()
    def raises() -> Any:
        yield 1
        raise KeyError("k")

    g = raises()
    next(g)
    with pytest.raises(KeyError):
        next(g)
    trace.append(("raised", T.is_grad_enabled()))

    @T.no_grad()
    def swallows() -> Any:
        try:
            yield 1
        except ValueError:
            return T.is_grad_enabled()

    g = swallows()
    next(g)
    with pytest.raises(StopIteration) as stop:
        g.throw(ValueError())
    trace.append(("stopped", stop.value.value, T.is_grad_enabled()))
    return trace


GENERATOR_ENDINGS = [
    ("yield from", "returned", True),
    ("delegated", [False]),
    ("raised", True),
    ("stopped", False, True),
]


def _decorated_generators(T: Any) -> list[Any]:
    """The mode inside (and the caller's after) generators under each decorator, and two
    generators of one decorated function stepped in turn."""

    @T.enable_grad()
    def enabling() -> Any:
        yield T.is_grad_enabled()

    @T.set_grad_enabled(False)
    def disabling() -> Any:
        yield T.is_grad_enabled()

    @T.no_grad()
    def counting() -> Any:
        for i in range(2):
            yield i, T.is_grad_enabled()

    with T.no_grad():
        enabled = next(enabling()), T.is_grad_enabled()
    disabled = next(disabling()), T.is_grad_enabled()
    a, b = counting(), counting()
    steps = [next(a), next(b), T.is_grad_enabled(), next(a), next(b)]
    return [enabled, disabled, steps, enabling.__name__, disabling.__name__]


DECORATED_GENERATORS = [
    (True, False),
    (False, True),
    [(0, False), (0, False), True, (1, False), (1, False)],
    "enabling",
    "disabling",
]

SCENARIOS = {
    "generator_steps": (_generator_trace, GENERATOR_TRACE),
    "generator_endings": (_generator_endings, GENERATOR_ENDINGS),
    "decorated_generators": (_decorated_generators, DECORATED_GENERATORS),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_grad_mode_decorators_on_generators_match_pytorch(name: str) -> None:
    scenario, expected = SCENARIOS[name]
    assert scenario(autojac) == expected
    assert autojac.is_grad_enabled()


@requires_torch
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_recorded_generator_behaviour_is_pytorchs(name: str) -> None:
    scenario, expected = SCENARIOS[name]
    assert scenario(import_torch()) == expected


def _set_grad_enabled_entered_later(T: Any) -> tuple[bool, bool]:
    """A set_grad_enabled(False) entered after the mode changed: it sets its mode again on
    entry and restores the mode from before its construction on exit."""
    ctx = T.set_grad_enabled(False)
    T.set_grad_enabled(True)
    with ctx:
        inside = T.is_grad_enabled()
    return inside, T.is_grad_enabled()


def test_set_grad_enabled_sets_its_mode_on_entry() -> None:
    assert _set_grad_enabled_entered_later(autojac) == (False, True)


@requires_torch
def test_recorded_set_grad_enabled_entry_is_pytorchs() -> None:
    torch = import_torch()
    try:
        assert _set_grad_enabled_entered_later(torch) == (False, True)
    finally:
        torch.set_grad_enabled(True)


# ============================================================================================
# inference_mode
# ============================================================================================


def _inference(T: Any) -> tuple[Any, Any]:
    """``T``'s inference_mode and is_inference_mode_enabled."""
    return T.inference_mode, T.is_inference_mode_enabled


def _inference_modes(T: Any) -> list[Any]:
    """(grad enabled, inference mode enabled, whether ``2x`` requires grad) in and around
    inference_mode blocks, nested and under no_grad."""
    inference_mode, is_inference = _inference(T)
    x = T.ones(2, requires_grad=True)

    def state() -> tuple[bool, bool, bool]:
        return T.is_grad_enabled(), is_inference(), (x * 2).requires_grad

    out = [state()]
    with inference_mode():
        out.append(state())
        with inference_mode(False):
            out.append(state())
        out.append(state())
    with T.no_grad(), inference_mode(mode=False):
        out.append(state())
    with pytest.raises(ValueError), inference_mode():
        raise ValueError
    out.append(state())
    return out


INFERENCE_MODES = [
    (True, False, True),
    (False, True, False),
    (True, False, True),
    (False, True, False),
    (True, False, True),
    (True, False, True),
]


def _inference_decorators(T: Any) -> list[Any]:
    """inference_mode as a decorator: bare, called, off (under no_grad), on a generator."""
    inference_mode, is_inference = _inference(T)
    x = T.ones(2, requires_grad=True)

    @inference_mode
    def bare(a: Any) -> tuple[bool, bool, bool]:
        return T.is_grad_enabled(), is_inference(), (a * 2).requires_grad

    @inference_mode()
    def called(a: Any) -> tuple[bool, bool]:
        return T.is_grad_enabled(), (a * 2).requires_grad

    @inference_mode(False)
    def off() -> tuple[bool, bool]:
        return T.is_grad_enabled(), is_inference()

    @inference_mode()
    def gen() -> Any:
        yield T.is_grad_enabled(), is_inference()

    with T.no_grad():
        switched_off = off()
    return [bare(x), called(x), switched_off, next(gen()), is_inference(), bare.__name__]


INFERENCE_DECORATORS = [
    (False, True, False),
    (False, False),
    (True, False),
    (False, True),
    False,
    "bare",
]

INFERENCE_SCENARIOS = {
    "context_manager": (_inference_modes, INFERENCE_MODES),
    "decorators": (_inference_decorators, INFERENCE_DECORATORS),
}


@pytest.mark.parametrize("name", list(INFERENCE_SCENARIOS))
def test_inference_mode_matches_pytorch(name: str) -> None:
    scenario, expected = INFERENCE_SCENARIOS[name]
    assert scenario(autojac) == expected


@requires_torch
@pytest.mark.parametrize("name", list(INFERENCE_SCENARIOS))
def test_recorded_inference_mode_behaviour_is_pytorchs(name: str) -> None:
    scenario, expected = INFERENCE_SCENARIOS[name]
    assert scenario(import_torch()) == expected


def test_tensors_made_in_inference_mode_are_ordinary_tensors() -> None:
    """autojac has no inference tensors (a documented difference from PyTorch): a result made
    inside takes part in recorded computations afterwards like any tensor."""
    x = autojac.tensor([1.0, 2.0], requires_grad=True)
    with grad_mode.inference_mode():
        y = x * 3
    assert not y.requires_grad and y.is_leaf
    (y * x).sum().backward()
    assert x.grad.tolist() == [3.0, 6.0]


def test_inference_mode_is_thread_local() -> None:
    seen = []
    with grad_mode.inference_mode():
        thread = threading.Thread(target=lambda: seen.append(
            (grad_mode.is_inference_mode_enabled(), autojac.is_grad_enabled())))
        thread.start()
        thread.join()
    assert seen == [(False, True)]
