"""Custom ``autograd.Function`` against PyTorch: saved outputs, unused and non-tensor outputs,
what backward may return, ``mark_dirty`` and ``setup_context``.

Expected values are analytic; error types and texts were recorded from torch 2.13 (with
``torch.`` spelled ``autojac.``) and are checked against torch itself when it is installed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autojac
from _torch_compat import as_autojac_text, import_torch, raised, requires_torch


def _x(T, *values):
    return T.tensor(list(values) or [1.0, 2.0], requires_grad=True)


def _function(T, name, forward, backward=lambda ctx, g: g):
    """A custom Function ``name`` of ``T`` with these forward and backward."""
    return type(name, (T.autograd.Function,), {
        "forward": staticmethod(forward), "backward": staticmethod(backward)})


def _exp(T, seen=None):
    """exp, whose backward reads the saved output (and puts it in ``seen``)."""
    def forward(ctx, a):
        r = a.exp()
        ctx.save_for_backward(r)
        return r

    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        if seen is not None:
            seen.append(r)
        return g * r

    return _function(T, "Exp", forward, backward)


def _doubling_saving_its_output(T):
    def forward(ctx, a):
        r = a * 2
        ctx.save_for_backward(r)
        return r

    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        return g * r

    return _function(T, "Dbl", forward, backward)


def _doubling_in_place(T, name="F"):
    """Doubles its input in place and marks it dirty; its backward is 3 g (so that the
    gradient shows which backward ran)."""
    def forward(ctx, a):
        a.mul_(2)
        ctx.mark_dirty(a)
        return a

    return _function(T, name, forward, lambda ctx, g: g * 3)


# ============================================================================================
# Errors (texts recorded from torch 2.13)
# ============================================================================================

_MODIFIED = (
    "one of the variables needed for gradient computation has been modified by an inplace "
    "operation: [autojac.{kind}Tensor [2]], which is output {nr} of Dbl, is at version 1; "
    "expected version 0 instead. Hint: enable anomaly detection to find the operation that "
    "failed to compute its gradient, with autojac.autograd.set_detect_anomaly(True, "
    "check_nan=False).")


def _saved_output_modified_in_place(T):
    y = _doubling_saving_its_output(T).apply(_x(T))
    y.add_(1)
    y.sum().backward()


def _saved_output_modified_without_grad(T):
    y = _doubling_saving_its_output(T).apply(_x(T))
    with T.no_grad():
        y.mul_(3)
    y.sum().backward()


def _second_saved_output_modified(T):
    def forward(ctx, a):
        r = a * 2
        ctx.save_for_backward(r)
        return a * 1, r

    def backward(ctx, g, g2):
        (r,) = ctx.saved_tensors
        return g * r

    y, r = _function(T, "Dbl", forward, backward).apply(_x(T).double())
    r.mul_(2)
    y.sum().backward()


def _extra_gradient_that_is_not_none(T):
    _function(T, "F", lambda ctx, a: a * 2, lambda ctx, g: (g, None, g)).apply(
        _x(T)).sum().backward()


def _gradient_for_a_number(T):
    _function(T, "F", lambda ctx, a, k: a * k, lambda ctx, g: (g, g)).apply(
        _x(T), 2.0).sum().backward()


def _backward_returns_a_float(T):
    _function(T, "F", lambda ctx, a: a * 2, lambda ctx, g: 1.5).apply(_x(T)).sum().backward()


def _backward_returns_a_list(T):
    _function(T, "F", lambda ctx, a: a * 2, lambda ctx, g: [g]).apply(_x(T)).sum().backward()


def _backward_returns_an_array(T):
    _function(T, "F", lambda ctx, a: a * 2, lambda ctx, g: np.ones(2)).apply(
        _x(T)).sum().backward()


def _saving_a_number(T):
    def forward(ctx, a):
        ctx.save_for_backward(a, 3)
        return a * 2

    _function(T, "F", forward).apply(_x(T))


def _dirty_leaf(T):
    _doubling_in_place(T).apply(_x(T))


def _dirty_view_of_a_leaf(T):
    _doubling_in_place(T).apply(_x(T)[:1])


def _dirty_not_returned(T):
    def forward(ctx, a):
        a.mul_(2)
        ctx.mark_dirty(a)
        return a * 1

    _function(T, "F", forward).apply(T.ones(2))


def _setup_context_not_defined(T):
    _function(T, "F", lambda ctx, a: a).setup_context(None, (), None)


_LEAF_IN_PLACE = "a leaf Variable that requires grad has been used in an in-place operation."
ERRORS = {
    "saved_output_modified_in_place": (
        _saved_output_modified_in_place, "RuntimeError", _MODIFIED.format(kind="Float", nr=0)),
    "saved_output_modified_without_grad": (
        _saved_output_modified_without_grad, "RuntimeError",
        _MODIFIED.format(kind="Float", nr=0)),
    "second_saved_output_modified": (
        _second_saved_output_modified, "RuntimeError", _MODIFIED.format(kind="Double", nr=1)),
    "extra_gradient_that_is_not_none": (
        _extra_gradient_that_is_not_none, "RuntimeError",
        "function FBackward returned an incorrect number of gradients (expected 1, got 3)"),
    "gradient_for_a_number": (
        _gradient_for_a_number, "RuntimeError",
        "function FBackward returned a gradient different than None at position 2, but the "
        "corresponding forward input was not a Variable"),
    "backward_returns_a_float": (
        _backward_returns_a_float, "RuntimeError", "expected Variable or None (got float)"),
    "backward_returns_a_list": (
        _backward_returns_a_list, "RuntimeError", "expected Variable or None (got list)"),
    "backward_returns_an_array": (
        _backward_returns_an_array, "RuntimeError",
        "expected Variable or None (got numpy.ndarray)"),
    "saving_a_number": (
        _saving_a_number, "TypeError",
        "save_for_backward can only save variables, but argument 1 is of type int"),
    "dirty_leaf": (_dirty_leaf, "RuntimeError", _LEAF_IN_PLACE),
    "dirty_view_of_a_leaf": (
        _dirty_view_of_a_leaf, "RuntimeError",
        "a view of a leaf Variable that requires grad is being used in an in-place operation."),
    "dirty_not_returned": (
        _dirty_not_returned, "RuntimeError",
        "Some elements marked as dirty during the forward method were not returned as output. "
        "The inputs that are modified inplace must all be outputs of the Function."),
    "setup_context_not_defined": (
        _setup_context_not_defined, "NotImplementedError", "setup_context is not implemented."),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_error_matches_pytorch(name):
    fn, typ, message = ERRORS[name]
    assert raised(fn, autojac) == (typ, message)


@requires_torch
@pytest.mark.parametrize("name", list(ERRORS))
def test_recorded_error_is_pytorchs(name):
    torch = import_torch()
    fn, typ, message = ERRORS[name]
    got_type, got_message = raised(fn, torch)
    assert (got_type, as_autojac_text(got_message or "")) == (typ, message)


# ============================================================================================
# Saved outputs
# ============================================================================================


def test_saved_output_unpacks_as_an_output_of_the_node():
    seen = []
    x = _x(autojac, 0.0, 1.0)
    y = _exp(autojac, seen).apply(x)
    y.sum().backward()
    (r,) = seen
    assert r.requires_grad and r.grad_fn is y.grad_fn and r is not y
    assert r.tolist() == y.tolist() and x.grad.tolist() == y.tolist()


def test_saved_output_carries_second_derivatives():
    """y = e^x + x^2: y' = e^x + 2x through the saved output, y'' = e^x + 2."""
    x = _x(autojac, 0.0, 1.0)
    y = _exp(autojac).apply(x) + x**2
    (g,) = autojac.autograd.grad(y.sum(), x, create_graph=True)
    (h,) = autojac.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g.detach().numpy(), [1.0, math.e + 2.0], rtol=1e-6)
    np.testing.assert_allclose(h.numpy(), [3.0, math.e + 2.0], rtol=1e-6)


def test_saved_output_is_checked_at_the_version_forward_left_it():
    """Saved tensors are taken when forward returns: a change inside forward is no error."""
    def forward(ctx, a):
        r = a * 2
        ctx.save_for_backward(r)
        r.add_(1)
        return r

    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        return g * r

    x = _x(autojac)
    _function(autojac, "F", forward, backward).apply(x * 1).sum().backward()
    assert x.grad.tolist() == [3.0, 5.0]


def test_saved_tensors_through_the_node():
    def forward(ctx, a):
        r = a * 2
        ctx.save_for_backward(r, a, None)
        return r

    x = _x(autojac)
    y = _function(autojac, "F", forward).apply(x)
    r, a, none = y.grad_fn.saved_tensors
    assert r.grad_fn is y.grad_fn and a is x and none is None


def test_saving_a_number_is_no_error_when_nothing_is_recorded():
    def forward(ctx, a):
        ctx.save_for_backward(a, 3)
        return a * 2

    assert _function(autojac, "F", forward).apply(autojac.ones(2)).tolist() == [2.0, 2.0]


@requires_torch
def test_saved_output_second_derivative_vs_torch():
    torch = import_torch()

    def run(T):
        x = T.tensor([-0.5, 0.3, 1.2], dtype=T.float64, requires_grad=True)
        y = (_exp(T).apply(x.sin()) * x).sum()
        (g,) = T.autograd.grad(y, x, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), x)
        return g.detach().numpy(), h.numpy()

    for a, b in zip(run(autojac), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


# ============================================================================================
# Outputs that get no cotangent
# ============================================================================================


def test_non_tensor_output_gets_none():
    seen = []

    def backward(ctx, g, g_number):
        seen.append(g_number)
        return g * 3

    x = _x(autojac)
    y, five = _function(autojac, "F", lambda ctx, a: (a * 2, 5), backward).apply(x)
    y.sum().backward()
    assert five == 5 and seen == [None] and x.grad.tolist() == [3.0, 3.0]


def _with_a_sum(mark_non_differentiable: bool):
    """(a * 2, a.sum()); backward records the cotangent of the sum it gets."""
    seen = []

    def forward(ctx, a):
        s = a.sum()
        if mark_non_differentiable:
            ctx.mark_non_differentiable(s)
        return a * 2, s

    def backward(ctx, g, g_sum):
        seen.append(g_sum)
        return g * 2

    return _function(autojac, "F", forward, backward), seen


@pytest.mark.parametrize("non_differentiable", [False, True])
def test_unused_output_gets_zeros_of_its_shape(non_differentiable):
    f, seen = _with_a_sum(non_differentiable)
    x = _x(autojac, 1.0, 2.0, 3.0)
    v, s = f.apply(x)
    assert s.requires_grad is not non_differentiable
    v.sum().backward()
    (g_sum,) = seen
    assert g_sum.shape == () and g_sum.item() == 0.0
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_unused_output_zeros_carry_the_batch_dims():
    f, seen = _with_a_sum(False)
    x = _x(autojac, 1.0, 2.0, 3.0)
    v, _ = f.apply(x)
    (jac,) = autojac.autograd.grad(v, x, autojac.eye(3), is_grads_batched=True)
    assert seen[0].shape == (3,) and seen[0].tolist() == [0.0, 0.0, 0.0]
    assert jac.tolist() == (2 * np.eye(3)).tolist()


# ============================================================================================
# What backward may return
# ============================================================================================


def test_extra_trailing_nones_are_dropped():
    x = _x(autojac)
    f = _function(autojac, "F", lambda ctx, a: a * 2, lambda ctx, g: (g * 2, None, None))
    f.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_gradient_for_a_tensor_that_does_not_require_grad_is_dropped():
    x = _x(autojac)
    f = _function(autojac, "F", lambda ctx, a, b: a * b, lambda ctx, g: (g * 4, g))
    f.apply(x, autojac.ones(2)).sum().backward()
    assert x.grad.tolist() == [4.0, 4.0]


# ============================================================================================
# mark_dirty
# ============================================================================================


def test_dirty_input_is_returned_with_the_function_as_its_history():
    x = _x(autojac)
    h = x * 1
    y = _doubling_in_place(autojac).apply(h)
    assert y is h and h.grad_fn.name() == "FBackward" and h._version == 2
    assert h.tolist() == [2.0, 4.0]
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_dirty_input_retaining_its_grad_retains_it_at_the_function():
    x = _x(autojac)
    h = x * 1
    h.retain_grad()
    y = _doubling_in_place(autojac).apply(h)
    (y * 5).sum().backward()
    assert x.grad.tolist() == [15.0, 15.0] and h.grad.tolist() == [5.0, 5.0]


def test_dirty_view_passes_its_history_to_its_base():
    x = _x(autojac, 1.0, 2.0, 3.0)
    h = x * 1
    v = h[:2]
    assert _doubling_in_place(autojac).apply(v) is v
    assert h.grad_fn.class_name() == "CopySlices" and h.tolist() == [2.0, 4.0, 3.0]
    h.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0, 1.0]


def test_dirty_tensor_that_needs_no_grad_joins_the_graph():
    w = _x(autojac)
    a = autojac.tensor([1.0, 2.0])

    def forward(ctx, a, b):
        a.mul_(b)
        ctx.mark_dirty(a)
        return a

    f = _function(autojac, "F", forward, lambda ctx, g: (g * 2, g * 7))
    y = f.apply(a, w)
    assert y is a and not a.is_leaf and a.grad_fn.name() == "FBackward"
    y.sum().backward()
    assert w.grad.tolist() == [7.0, 7.0]


def test_dirty_input_without_grad_only_bumps_its_version():
    a = autojac.tensor([1.0, 2.0])
    y = _doubling_in_place(autojac).apply(a)
    assert y is a and a._version == 2 and a.grad_fn is None


@requires_torch
def test_dirty_input_vs_torch():
    torch = import_torch()

    def run(T):
        x = T.tensor([0.5, -1.0, 2.0], dtype=T.float64, requires_grad=True)
        h = x * x
        v = h[1:]
        _doubling_in_place(T).apply(v)
        (g,) = T.autograd.grad((h * x).sum(), x)
        return h.detach().numpy(), g.numpy(), h._version

    (h, g, version), (h_t, g_t, version_t) = run(autojac), run(torch)
    np.testing.assert_allclose(h, h_t, rtol=1e-12)
    np.testing.assert_allclose(g, g_t, rtol=1e-12)
    assert version == version_t


# ============================================================================================
# Outputs: identity
# ============================================================================================


def test_output_returned_twice_is_one_tensor_the_last_output():
    x = _x(autojac)

    def forward(ctx, a):
        r = a * 2
        return r, r

    f = _function(autojac, "F", forward, lambda ctx, g1, g2: g1 + 10 * g2)
    a, b = f.apply(x)
    assert a is b and a.grad_fn.name() == "FBackward"
    b.sum().backward()
    assert x.grad.tolist() == [10.0, 10.0]


def test_returned_input_shares_its_version_counter():
    x = _x(autojac)
    h = x * 1
    y = _function(autojac, "F", lambda ctx, a: a).apply(h)
    assert y is not h and y.grad_fn.name() == "FBackward"
    with autojac.no_grad():
        y.add_(1)
    assert h._version == 1


# ============================================================================================
# setup_context
# ============================================================================================


class Scale(autojac.autograd.Function):
    """a * k with forward free of ctx: setup_context saves what backward reads."""

    @staticmethod
    def forward(a, k):
        assert not autojac.is_grad_enabled()
        return a * k

    @staticmethod
    def setup_context(ctx, inputs, output):
        a, k = inputs
        ctx.k = k
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * ctx.k + out * 0, None


def test_setup_context_gets_inputs_and_output():
    x = _x(autojac)
    y = Scale.apply(x, 3.0)
    assert y.tolist() == [3.0, 6.0] and y.grad_fn.name() == "ScaleBackward"
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert Scale.apply(autojac.ones(2), 2.0).grad_fn is None


def _square_once(T):
    """x * x whose backward is marked ``once_differentiable``."""
    function = __import__(f"{T.__name__}.autograd.function", fromlist=["once_differentiable"])

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @function.once_differentiable
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        assert not T.is_grad_enabled()
        return 2 * a * g

    return _function(T, "SquareOnce", forward, backward)


def test_once_differentiable_gradients_are_right_once():
    x = _x(autojac, 1.0, 2.0)
    (g,) = autojac.autograd.grad(_square_once(autojac).apply(x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.detach(), [2.0, 4.0])
    assert g.grad_fn is None  # (its cotangent, the implicit ones, needs no graph)


@pytest.mark.parametrize("lib", ["autojac", "torch"])
def test_once_differentiable_refuses_a_second_derivative(lib):
    T = autojac if lib == "autojac" else import_torch()
    x = _x(T, 1.0, 2.0)
    seed = T.ones(2, requires_grad=True)
    (g,) = T.autograd.grad(_square_once(T).apply(x), x, seed, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), [2.0, 4.0])
    assert g.requires_grad
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was "
                                           "marked with @once_differentiable"):
        g.sum().backward()


@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_rows_through_a_function_are_summed_to_its_inputs_shapes(vectorize):
    """backward's broadcast gradient is summed to the input's shape in every row (the rows
    of a vectorized Jacobian carry a batch dim) and cast to its dtype."""
    def forward(ctx, x):
        return x.expand(3) * 2

    def backward(ctx, g):
        return (g * 2).double()

    Broadcast = _function(autojac, "Broadcast", forward, backward)
    x = autojac.tensor([1.5], requires_grad=True)
    jac = autojac.autograd.functional.jacobian(Broadcast.apply, x, vectorize=vectorize)
    assert jac.dtype == autojac.float32
    np.testing.assert_array_equal(jac, [[2.0], [2.0], [2.0]])
