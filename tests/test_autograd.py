"""Reverse-mode autograd against PyTorch: backward / autograd.grad semantics and error texts,
grad modes, in-place ops and the version counter, higher derivatives, batched grads, custom
Functions and gradcheck.

Expected values are analytic (or finite differences); error types and texts are golden values
recorded from torch 2.13 (``golden/autograd_errors.json``), checked against torch itself
when it is installed.
"""

from __future__ import annotations

import copy
import math
import pickle
import threading

import numpy as np
import pytest

import autojac
from _torch_compat import (
    error_registry,
    golden_error_tests,
    import_torch,
    requires_torch,
)
from autojac._autograd.graph import RESHAPES_KEPT

AUTOGRAD_ERRORS, error_case = error_registry("autograd/")


def _v(*values, dtype=None, rg=True):
    return autojac.tensor(list(values), dtype=dtype, requires_grad=rg)


def _d(*values, rg=True):
    return autojac.tensor(list(values), dtype=autojac.float64, requires_grad=rg)


def _close(t, expected, tol=1e-6):
    np.testing.assert_allclose(
        np.asarray(t.detach().numpy(), dtype=np.float64),
        np.asarray(expected, dtype=np.float64),
        rtol=tol,
        atol=tol,
    )


# ============================================================================================
# Error texts (golden, recorded from torch 2.13 with torch. -> autojac.)
# ============================================================================================


def _x(T):
    return T.tensor([1.0, 2.0, 3.0], requires_grad=True)


# torch.func's transforms and torch.testing: PyTorch's types and words
_TRANSFORM_ERRORS = {
    "func_grad_of_vector": lambda T: T.func.grad(lambda x: x * 2)(T.ones(2)),
    "func_grad_of_float": lambda T: T.func.grad(lambda x: 1.0)(T.ones(2)),
    "func_grad_argnum_out_of_range": lambda T: T.func.grad(
        lambda x, y: x.sum(), argnums=(0, 5))(T.ones(2), T.ones(2)),
    "func_grad_argnums_repeated": lambda T: T.func.grad(
        lambda x, y: x.sum(), argnums=(0, 0))(T.ones(2), T.ones(2)),
    "func_grad_argnums_float": lambda T: T.func.grad(
        lambda x, y: x.sum(), argnums=1.5)(T.ones(2), T.ones(2)),
    "func_grad_of_a_float_argument": lambda T: T.func.grad(lambda x: x.sum())(1.0),
    "func_grad_aux_not_a_pair": lambda T: T.func.grad(lambda x: x.sum(), has_aux=True)(T.ones(2)),
    "func_grad_aux_not_tensors": lambda T: T.func.grad(
        lambda x: (x.sum(), [x, 1.0]), has_aux=True)(T.ones(2)),
    "func_jacrev_returns_float": lambda T: T.func.jacrev(lambda x: 1.0)(T.ones(2)),
    "func_jacfwd_returns_float": lambda T: T.func.jacfwd(lambda x: 1.0)(T.ones(2)),
    "func_jacfwd_of_int": lambda T: T.func.jacfwd(lambda x: x)(T.tensor([1, 2])),
    "func_jacrev_aux_not_a_pair": lambda T: T.func.jacrev(lambda x: x, has_aux=True)(T.ones(2)),
    "func_jacrev_of_bool": lambda T: T.func.jacrev(lambda x: x > 1)(T.ones(2)),
    "func_vjp_of_int": lambda T: T.func.vjp(lambda x: x.long(), T.ones(2)),
    "func_jvp_primals_not_a_tuple": lambda T: T.func.jvp(lambda x: x, T.ones(2), T.ones(2)),
    "assert_close_shapes": lambda T: T.testing.assert_close(T.ones(2), T.ones(3)),
    "assert_close_tensor_and_list": lambda T: T.testing.assert_close(T.ones(2), [1.0, 1.0]),
    "assert_close_float_and_tensor": lambda T: T.testing.assert_close(1.0, T.ones(1)),
    "register_hook_without_requires_grad": lambda T: T.ones(2).register_hook(lambda g: g),
}
for _error_name, _raise in _TRANSFORM_ERRORS.items():
    error_case(_error_name)(_raise)


@error_case("deepcopy_of_a_tensor_with_history")
def _(T):
    copy.deepcopy(_x(T) * 2)


@error_case("backward_inputs_not_requiring_grad")
def _(T):
    (T.ones(2, requires_grad=True) * 2).sum().backward(inputs=[T.ones(2)])


@error_case("nonscalar_backward")
def _(T):
    (_x(T) * 2).backward()


@error_case("backward_gradient_shape_mismatch")
def _(T):
    (_x(T) * 2).backward(T.ones(2))


@error_case("backward_scalar_gradient_shape_mismatch")
def _(T):
    (_x(T) * 2).sum().backward(T.ones(2))


@error_case("backward_scalar_gradient_of_shape_1")
def _(T):
    (_x(T) * 2).sum().backward(T.tensor([1.0]))


@error_case("grad_outputs_shape_mismatch")
def _(T):
    x = _x(T)
    T.autograd.grad(x * 2, x, grad_outputs=T.ones(4))


@error_case("grad_outputs_real_for_a_complex_output")
def _(T):
    x = T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True)
    y = x * (2 + 1j)
    T.autograd.grad(y, x, T.ones(2, dtype=T.float64))


@error_case("backward_gradient_complex_for_a_real_output")
def _(T):
    x = T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True)
    (x * 2).backward(T.ones(2, dtype=T.complex128))


@error_case("grad_nonscalar_without_grad_outputs")
def _(T):
    x = _x(T)
    T.autograd.grad(T.stack([x.sum(), (x * x).sum()]), x)


@error_case("int_tensor_requires_grad_ctor")
def _(T):
    T.tensor([1, 2], requires_grad=True)


@error_case("int_tensor_requires_grad_")
def _(T):
    T.tensor([1, 2]).requires_grad_()


@error_case("int_tensor_requires_grad_setter")
def _(T):
    T.tensor([1, 2]).requires_grad = True


@error_case("unused_input")
def _(T):
    x, z = _x(T), T.tensor([1.0, 2.0], requires_grad=True)
    T.autograd.grad((x * 2).sum(), [x, z])


@error_case("empty_inputs_grad")
def _(T):
    T.autograd.grad((_x(T) * 2).sum(), [])


@error_case("empty_inputs_backward")
def _(T):
    (_x(T) * 2).sum().backward(inputs=[])


@error_case("non_tensor_input")
def _(T):
    x = _x(T)
    T.autograd.grad((x * 2).sum(), [x, 3])


@error_case("input_does_not_require_grad")
def _(T):
    x = _x(T)
    T.autograd.grad((x * 2).sum(), [x, T.tensor([1.0, 2.0])])


@error_case("output_does_not_require_grad_grad")
def _(T):
    T.autograd.grad(T.tensor([1.0, 2.0]).sum(), [_x(T)])


@error_case("output_does_not_require_grad_backward")
def _(T):
    T.tensor([1.0, 2.0]).sum().backward()


@error_case("second_output_does_not_require_grad")
def _(T):
    x = _x(T)
    T.autograd.backward([x.sum(), T.tensor(1.0)])


@error_case("backward_through_freed_graph")
def _(T):
    x = _x(T)
    loss = (x * x).sum()
    loss.backward()
    loss.backward()


@error_case("grad_through_freed_graph")
def _(T):
    x = _x(T)
    y = x.exp().sum()
    T.autograd.grad(y, x)
    T.autograd.grad(y, x)


@error_case("requires_grad_false_on_non_leaf")
def _(T):
    (_x(T) * 2).requires_grad_(False)


@error_case("requires_grad_setter_on_non_leaf")
def _(T):
    (_x(T) * 2).requires_grad = False


@error_case("retain_grad_without_requires_grad")
def _(T):
    T.tensor([1.0, 2.0]).retain_grad()


@error_case("grad_setter_wrong_size")
def _(T):
    _x(T).grad = T.zeros(2)


@error_case("grad_setter_wrong_rank")
def _(T):
    _x(T).grad = T.zeros(3, 1)


@error_case("grad_setter_not_a_tensor")
def _(T):
    _x(T).grad = 3


@error_case("grad_setter_wrong_dtype")
def _(T):
    _x(T).grad = T.zeros(3, dtype=T.float64)


@error_case("leaf_inplace")
def _(T):
    _x(T).add_(1)


@error_case("leaf_iadd")
def _(T):
    x = _x(T)
    x += 1


@error_case("leaf_setitem")
def _(T):
    x = _x(T)
    x[0] = 5.0


# PyTorch writes x[index] = v through a view of x only where the index selects, adds a dim
# or slices part of one; its error for a leaf says which
for _name, _index in [
    ("mask", lambda T, x: x > 0), ("list", lambda T, x: [0, 1]),
    ("ellipsis", lambda T, x: Ellipsis), ("full_slice", lambda T, x: slice(None)),
    ("clamped_slice", lambda T, x: slice(None, 10)), ("part_slice", lambda T, x: slice(0, 1)),
    ("negative_start", lambda T, x: slice(-5, 10)), ("none", lambda T, x: None),
    ("zero_dim_tensor", lambda T, x: T.tensor(1)), ("slice_then_list", lambda T, x: (
        slice(None), [0])), ("list_then_slice", lambda T, x: ([0], slice(0, 1))),
]:
    @error_case(f"leaf_setitem_{_name}")
    def _(T, index=_index):
        x = T.ones(3, 2, requires_grad=True)
        x[index(T, x)] = 5.0


@error_case("leaf_view_inplace")
def _(T):
    _x(T)[1:].mul_(2)


@error_case("leaf_reshape_inplace")
def _(T):
    _x(T).unsqueeze_(0)


@error_case("leaf_view_reshape_inplace")
def _(T):
    _x(T)[1:].t_()


@error_case("version_output_of_add")
def _(T):
    a = T.tensor([1.0, 2.0], requires_grad=True)
    b = a + 1
    c = b * b
    b.add_(1)
    c.sum().backward()


@error_case("version_output_of_exp")
def _(T):
    a = T.tensor([1.0, 2.0], requires_grad=True)
    b = a.exp()
    b.mul_(2)
    b.sum().backward()


@error_case("version_saved_plain_tensor")
def _(T):
    a = T.tensor([[1.0, 2.0]], dtype=T.float64, requires_grad=True)
    w = T.ones(2, 3, dtype=T.float64)
    c = a @ w
    w.zero_()
    c.sum().backward()


@error_case("version_output_of_sigmoid_setitem")
def _(T):
    a = T.tensor([1.0, 2.0], requires_grad=True)
    b = a.sigmoid()
    b[0] = 0.0
    b.sum().backward()


@error_case("version_iadd_after_sin")
def _(T):
    a = T.tensor([1.0, 2.0], requires_grad=True)
    b = a + 0
    c = b.sin()
    b += 1
    c.sum().backward()


@error_case("version_leaf_modified_under_no_grad")
def _(T):
    a = T.tensor([1.0, 2.0], requires_grad=True)
    y = a * a
    with T.no_grad():
        a.add_(1)
    y.sum().backward()


@error_case("no_grad_view_written_in_grad_mode")
def _(T):
    x = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    with T.no_grad():
        row = x[0]
    row.add_(1)


@error_case("view_of_a_no_grad_view_written_in_grad_mode")
def _(T):
    x = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    with T.no_grad():
        row = x[0]
    row[0:1].mul_(2)


@error_case("no_grad_view_assigned_to_in_grad_mode")
def _(T):
    x = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    with T.no_grad():
        row = x[0]
    row[0] = 5.0


@error_case("no_grad_view_used_after_its_base_changed")
def _(T):
    x = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = x * 1
    with T.no_grad():
        row = b[0]
    b.mul_(2)
    row * 2


def _plain_base_and_no_grad_tail(T):
    base = T.zeros(3)
    with T.no_grad():
        return base, base[1:]


@error_case("no_grad_view_of_a_plain_tensor_written_with_one_that_requires_grad")
def _(T):
    _, tail = _plain_base_and_no_grad_tail(T)
    tail.add_(T.ones(2, requires_grad=True))


@error_case("no_grad_view_used_after_its_base_started_to_require_grad_in_place")
def _(T):
    base, tail = _plain_base_and_no_grad_tail(T)
    base.add_(T.ones(3, requires_grad=True))
    tail * 1


@error_case("view_of_a_no_grad_view_used_after_its_base_changed")
def _(T):
    x = T.ones(2, 3, requires_grad=True) * 1
    with T.no_grad():
        row = x[1]
    head = row[0:2]
    x.mul_(2)
    head * 2


@error_case("no_grad_view_squeezed_and_written")
def _(T):
    x = T.ones(1, 3, requires_grad=True)
    with T.no_grad():
        view = x[...]
    view.squeeze(0).mul_(2)


@error_case("no_grad_expanded_view_written")
def _(T):
    x = T.ones(2, 3, requires_grad=True)
    with T.no_grad():
        wide = x.expand(2, 2, 3)
    wide.mul_(2)


@error_case("empty_view_detached_in_place")
def _(T):
    x = T.ones(2, 3, requires_grad=True)
    x.narrow(0, 0, 0).detach_()


@error_case("version_leaf_modified_through_detach")
def _(T):
    a = T.tensor([1.0, 2.0], requires_grad=True)
    y = a * a
    a.detach().mul_(3)
    y.sum().backward()


@error_case("materialize_grads_with_allow_unused_false")
def _(T):
    x = _x(T)
    T.autograd.grad((x * 2).sum(), x, allow_unused=False, materialize_grads=True)


@error_case("grad_outputs_wrong_type")
def _(T):
    x = _x(T)
    T.autograd.grad(x * 2, x, grad_outputs=[3])


@error_case("grad_outputs_too_few")
def _(T):
    x = _x(T)
    y = x.sum()
    T.autograd.grad([y, y * 2], x, grad_outputs=[T.tensor(1.0)])


@error_case("complex_implicit_grad")
def _(T):
    a = T.tensor(2.0, dtype=T.float64, requires_grad=True)
    (a.to(T.complex128) * 1j).backward()


@error_case("jacobian_rows_of_a_complex_output")
def _(T):
    T.autograd.functional.jacobian(lambda z: z * z, T.tensor([1 + 1j, 2j]))


@error_case("hessian_at_complex_inputs")
def _(T):
    T.autograd.functional.hessian(lambda z: (z * z.conj()).real.sum(), T.tensor([1 + 1j, 2j]))


@error_case("batched_grad_shape_mismatch")  # (torch prints grad_output.shape[2:])
def _(T):
    x = _x(T)
    T.autograd.grad(x * 2, x, grad_outputs=T.ones(4, 2), is_grads_batched=True)


@error_case("item_of_many_requires_grad")
def _(T):
    _x(T).item()


def _doubling(T, name, backward):
    """A custom Function ``name`` whose forward doubles ``x`` and whose backward is
    ``backward(g)``."""
    return type(name, (T.autograd.Function,), {
        "forward": staticmethod(lambda ctx, x: x * 2),
        "backward": staticmethod(lambda ctx, g: backward(g)),
    })


@error_case("gradcheck_without_an_input_requiring_grad")
def _(T):
    T.autograd.gradcheck(lambda x: x * 2, (T.ones(2, dtype=T.float64),))


@error_case("gradgradcheck_without_an_input_requiring_grad")
def _(T):
    T.autograd.gradgradcheck(lambda x: x * 2, (T.ones(2, dtype=T.float64),))


@error_case("custom_function_gradient_of_a_wrong_shape")
def _(T):
    _doubling(T, "WrongShape", lambda g: T.ones(4)).apply(_x(T)).sum().backward()


def test_custom_function_gradient_is_summed_to_its_input_and_cast():
    """PyTorch takes a gradient that the input's shape expands to, summed, in its dtype."""
    expanded = _doubling(autojac, "Expanded", lambda g: autojac.ones(4, 3, dtype=autojac.float64))
    x = autojac.ones(3, requires_grad=True)
    expanded.apply(x).sum().backward()
    assert x.grad.dtype == autojac.float32 and x.grad.tolist() == [4.0, 4.0, 4.0]


@error_case("custom_function_wrong_number_of_grads")
def _(T):
    _doubling(T, "WrongN", lambda g: (g, g)).apply(_x(T)).sum().backward()


@error_case("custom_function_without_jvp_in_forward_ad")
def _(T):
    no_jvp = _doubling(T, "NoJvp", lambda g: g * 2)
    with T.autograd.forward_ad.dual_level():
        d = T.autograd.forward_ad.make_dual(T.tensor([1.0, 2.0]), T.tensor([1.0, 1.0]))
        no_jvp.apply(d)


@error_case("custom_function_saved_tensors_after_backward")
def _(T):
    class Exp(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.exp()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.exp()

    y = Exp.apply(_x(T)).sum()
    y.backward()
    y.backward()


@error_case("saved_output_of_copy_slices_modified")  # (the node by its full name)
def _(T):
    y = T.zeros(3, requires_grad=True).clone()
    y[1:] = 0.0
    w = y * y
    y[0] = 5.0
    w.sum().backward()


@error_case("custom_function_saved_input_modified")
def _(T):
    class Exp(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.exp()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.exp()

    s = _x(T) * 1
    y = Exp.apply(s)
    with T.no_grad():
        s.add_(1)
    y.sum().backward()


# ============================================================================================
# backward()
# ============================================================================================


def test_backward_scalar_and_accumulation_across_calls():
    x = _v(1.0, 2.0)
    assert x.grad is None
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    x.grad.zero_()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    x.grad = None
    x.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_backward_grad_is_leaf_without_history_and_keeps_dtype():
    x = _d(1.0, 2.0)
    (x.float() * x.float()).sum().backward()
    assert x.grad.dtype == autojac.float64 and x.grad.tolist() == [2.0, 4.0]
    assert not x.grad.requires_grad and x.grad.grad_fn is None


def test_backward_with_gradient_vector():
    x = _v(1.0, 2.0, 3.0)
    y = x * x
    y.backward(autojac.tensor([1.0, 10.0, 100.0]))
    assert x.grad.tolist() == [2.0, 40.0, 600.0]


def test_backward_gradient_for_scalar_and_int_gradient():
    x = _v(1.0, 2.0)
    (x * x).sum().backward(autojac.tensor(3.0))
    assert x.grad.tolist() == [6.0, 12.0]


def test_backward_retain_graph_allows_second_pass():
    x = _v(1.0, 2.0)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_backward_inputs_restricts_accumulation():
    x, w = _v(1.0, 2.0), _v(3.0, 4.0)
    (x * w).sum().backward(inputs=[x])
    assert x.grad.tolist() == [3.0, 4.0] and w.grad is None
    (x * w).sum().backward(inputs=w)
    assert x.grad.tolist() == [3.0, 4.0] and w.grad.tolist() == [1.0, 2.0]
    autojac.autograd.backward((x * w).sum(), inputs=(x, w))
    assert x.grad.tolist() == [6.0, 8.0] and w.grad.tolist() == [2.0, 4.0]


def test_backward_inputs_non_leaf_gets_grad():
    x, w = _v(1.0, 2.0), _v(3.0, 4.0)
    y = x * w
    y.sum().backward(inputs=[y], retain_graph=True)
    assert x.grad is None and w.grad is None
    assert y.grad.tolist() == [1.0, 1.0] and y.retains_grad  # (from now on, as PyTorch)
    y.sum().backward()
    assert y.grad.tolist() == [2.0, 2.0] and x.grad.tolist() == [3.0, 4.0]


def test_backward_inputs_that_retain_their_grad_get_it_once():
    x = _v(1.0, 2.0)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward(inputs=[y])
    assert y.grad.tolist() == [4.0, 8.0]  # 2 y, not twice that


def test_autograd_backward_multiple_roots():
    a = autojac.tensor(3.0, requires_grad=True)
    autojac.autograd.backward([a * 2, a * a], [autojac.tensor(1.0), autojac.tensor(2.0)])
    assert a.grad.item() == 14.0


def test_backward_create_graph_gives_differentiable_grad():
    x = _d(1.0, 2.0)
    (x**3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.grad_fn is not None
    _close(g, [3.0, 12.0])
    x.grad = None
    g.sum().backward()
    _close(x.grad, [6.0, 12.0])  # d/dx 3x^2 = 6x


def test_backward_create_graph_retains_graph_by_default():
    x = _d(1.0, 2.0)
    y = (x * x).sum()
    y.backward(create_graph=True)
    y.backward()  # retain_graph defaulted to create_graph
    _close(x.grad, [4.0, 8.0])


def test_backward_through_shared_subexpression_sums_paths():
    x = _d(2.0)
    a = x * 3
    y = a * a + a  # dy/dx = (2a + 1) * 3
    y.sum().backward()
    _close(x.grad, [(2 * 6 + 1) * 3])


SAVES_NOTHING = {
    "x + 1": lambda x: (x + 1).sum(),
    "-x": lambda x: (-x).sum(),
    "x - 1": lambda x: (x - 1).sum(),
    "1 - x": lambda x: (1 - x).sum(),
    "mean": lambda x: x.mean(),
    "view": lambda x: x.view(2, 3).sum(),
    "reshape sum(0)": lambda x: x.reshape(3, 2).sum(0).sum(),
    "t": lambda x: x.view(2, 3).t().sum(),
    "select": lambda x: x[0] + x[1],
    "slice": lambda x: x[1:].sum(),
    "cat": lambda x: autojac.cat([x, x]).sum(),
    "stack": lambda x: autojac.stack([x, x]).sum(),
    "expand": lambda x: x[None].expand(2, 6).sum(),
    "unsqueeze": lambda x: x.unsqueeze(0).sum(),
    "clone": lambda x: x.clone().sum(),
    "flip": lambda x: x.flip(0).sum(),
    "permute": lambda x: x.view(2, 3).permute(1, 0).sum(),
    "double": lambda x: x.double().sum(),
}


@pytest.mark.parametrize("f", list(SAVES_NOTHING.values()), ids=list(SAVES_NOTHING))
def test_second_backward_allowed_when_nothing_was_saved(f):
    x = autojac.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], requires_grad=True)
    loss = f(x)
    loss.backward()
    first = x.grad.clone()
    loss.backward()  # as torch: no saved tensors, so no "second time" error
    _close(x.grad, 2 * first.numpy())


SAVES_TENSORS = {
    "x * 2": lambda x: (x * 2).sum(),
    "x / 2": lambda x: (x / 2).sum(),
    "exp": lambda x: x.exp().sum(),
    "abs": lambda x: x.abs().sum(),
    "x * x": lambda x: (x * x).sum(),
    "x[[0, 1]]": lambda x: x[[0, 1]].sum(),  # (index tensors are saved too)
    "x[mask]": lambda x: x[x.detach() > 2].sum(),
    "x[:, [0]]": lambda x: x.view(2, 3)[:, [0]].sum(),
    "index_select": lambda x: x.index_select(0, autojac.tensor([0, 2])).sum(),
    "take": lambda x: autojac.take(x, autojac.tensor([0, 2])).sum(),
    "y[index] = 5": lambda x: (lambda y: (y.__setitem__(autojac.tensor([0, 2]), 5.0), y)[1])(
        x.clone()).sum(),
    "scatter_add": lambda x: autojac.zeros(6).scatter_add(0, autojac.tensor([0, 2]), x[:2]).sum(),
    "index_add": lambda x: autojac.zeros(6).index_add(0, autojac.tensor([0, 2]), x[:2]).sum(),
}


@pytest.mark.parametrize("f", list(SAVES_TENSORS.values()), ids=list(SAVES_TENSORS))
def test_second_backward_raises_when_tensors_were_saved(f):
    x = autojac.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], requires_grad=True)
    loss = f(x)
    loss.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        loss.backward()


def test_retain_grad_on_non_leaf():
    x = _v(1.0, 2.0)
    y = x**2
    assert not y.retains_grad
    y.retain_grad()
    assert y.retains_grad
    z = x * 5
    (y * 3 + z).sum().backward()
    assert y.grad.tolist() == [3.0, 3.0]
    with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf"):
        assert z.grad is None  # non-leaf without retain_grad
    assert x.grad.tolist() == [2 * 3 * 1.0 + 5, 2 * 3 * 2.0 + 5]
    assert not y.grad.requires_grad
    x.retain_grad()  # no-op on a leaf
    assert x.grad.tolist() == [11.0, 17.0]


def test_retain_grad_accumulates():
    x = _v(1.0, 2.0)
    y = x * 2
    y.retain_grad()
    (y * 1).sum().backward(retain_graph=True)
    (y * 3).sum().backward()
    assert y.grad.tolist() == [4.0, 4.0]


def test_requires_grad_true_on_non_leaf_is_allowed():
    x = _v(1.0)
    y = x * 2
    assert y.requires_grad_() is y and y.requires_grad_(True) is y


def test_grad_setter_accepts_matching_and_none():
    x = _v(1.0, 2.0)
    x.grad = autojac.tensor([5.0, 6.0])
    assert x.grad.tolist() == [5.0, 6.0]
    (x * 1).sum().backward()
    assert x.grad.tolist() == [6.0, 7.0]
    x.grad = None
    assert x.grad is None


# ============================================================================================
# autograd.grad()
# ============================================================================================


def test_grad_basic_does_not_touch_dot_grad():
    x = _v(1.0, 2.0)
    (g,) = autojac.autograd.grad((x * x).sum(), x)
    assert g.tolist() == [2.0, 4.0]
    assert x.grad is None and not g.requires_grad and g.grad_fn is None


def test_grad_returns_tuple_for_each_input_form():
    x, y = _v(1.0, 2.0), _v(3.0, 4.0)
    out = autojac.autograd.grad((x * y).sum(), [x, y])
    assert isinstance(out, tuple) and len(out) == 2
    assert out[0].tolist() == [3.0, 4.0] and out[1].tolist() == [1.0, 2.0]
    out = autojac.autograd.grad((x * y).sum(), (y,))
    assert out[0].tolist() == [1.0, 2.0]


def test_grad_multiple_outputs_sum():
    x = _v(1.0, 2.0)
    y = x * x
    (g,) = autojac.autograd.grad([y.sum(), (x * 3).sum()], x)
    assert g.tolist() == [5.0, 7.0]


def test_grad_outputs_weights_and_none_for_scalar():
    x = _v(1.0, 2.0)
    y = x * x
    (g,) = autojac.autograd.grad(y, x, autojac.tensor([1.0, 10.0]), retain_graph=True)
    assert g.tolist() == [2.0, 40.0]
    (g,) = autojac.autograd.grad([y, x.sum()], [x], [autojac.ones(2), None])
    assert g.tolist() == [3.0, 5.0]


def test_grad_outputs_of_int_dtype_are_accepted():
    x = _v(1.0, 2.0)
    y = autojac.stack([x.sum(), (x * x).sum()])
    (g,) = autojac.autograd.grad(y, x, grad_outputs=autojac.ones(2, dtype=autojac.int64))
    assert g.tolist() == [3.0, 5.0] and g.dtype == autojac.float32


def test_grad_allow_unused_and_materialize():
    x, z = _v(1.0, 2.0), _v(5.0)
    g = autojac.autograd.grad((x * 2).sum(), [x, z], allow_unused=True, retain_graph=True)
    assert g[0].tolist() == [2.0, 2.0] and g[1] is None
    g = autojac.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)
    assert g[1].tolist() == [0.0] and g[1].dtype == autojac.float32


def test_grad_wrt_intermediate_and_leaf_together():
    x = _v(1.0, 2.0)
    h = x * 3
    y = (h * h).sum()
    gh, gx = autojac.autograd.grad(y, [h, x])
    assert gh.tolist() == [6.0, 12.0] and gx.tolist() == [18.0, 36.0]


def test_grad_wrt_non_leaf_only_stops_there():
    x = _v(1.0, 2.0)
    h = x.exp()
    y = (h * 2).sum()
    (gh,) = autojac.autograd.grad(y, h)
    assert gh.tolist() == [2.0, 2.0]
    assert x.grad is None


def test_grad_dtype_follows_input():
    x = _d(2.0)
    y = (x.float() * 3).sum()
    (g,) = autojac.autograd.grad(y, x)
    assert g.dtype == autojac.float64 and g.tolist() == [3.0]
    a = autojac.tensor(2.0, requires_grad=True)
    (g,) = autojac.autograd.grad(a * 3, a, autojac.tensor(1.0, dtype=autojac.float64))
    assert g.dtype == autojac.float32


def test_grad_accepts_dict_values_and_generators():
    x = _v(1.0, 2.0)
    (g,) = autojac.autograd.grad((x * 2).sum(), {"k": x}.values())
    assert g.tolist() == [2.0, 2.0]


# ============================================================================================
# Higher derivatives
# ============================================================================================


def test_second_and_third_derivatives_vs_analytic():
    xs = np.array([0.3, 1.1, -2.0])
    x = autojac.tensor(xs, requires_grad=True)
    f = (x.sin() * x**2).sum()
    (g,) = autojac.autograd.grad(f, x, create_graph=True)
    _close(g, np.cos(xs) * xs**2 + 2 * xs * np.sin(xs))
    assert g.requires_grad
    (h,) = autojac.autograd.grad(g.sum(), x, create_graph=True)
    _close(h, -np.sin(xs) * xs**2 + 4 * xs * np.cos(xs) + 2 * np.sin(xs))
    (t,) = autojac.autograd.grad(h.sum(), x)
    _close(t, -np.cos(xs) * xs**2 - 6 * xs * np.sin(xs) + 6 * np.cos(xs))


def test_mixed_partial_derivative():
    x = autojac.tensor(1.5, dtype=autojac.float64, requires_grad=True)
    y = autojac.tensor(-0.7, dtype=autojac.float64, requires_grad=True)
    f = x**2 * y**3 + (x * y).exp()
    gx, gy = autojac.autograd.grad(f, [x, y], create_graph=True)
    assert gx.item() == pytest.approx(2 * 1.5 * (-0.7) ** 3 + (-0.7) * math.exp(1.5 * -0.7))
    (gxy,) = autojac.autograd.grad(gx, y)
    expected = 6 * 1.5 * 0.49 + math.exp(-1.05) * (1 + 1.5 * -0.7)
    assert gxy.item() == pytest.approx(expected)


def test_hessian_via_create_graph_matches_analytic():
    xs = np.array([0.5, -1.0, 2.0])
    x = autojac.tensor(xs, requires_grad=True)
    f = (x[0] * x[1] * x[2]) + (x**3).sum()
    (g,) = autojac.autograd.grad(f, x, create_graph=True)
    rows = [autojac.autograd.grad(g[i], x, retain_graph=True)[0].numpy() for i in range(3)]
    expected = np.diag(6 * xs) + np.array([[0, xs[2], xs[1]], [xs[2], 0, xs[0]], [xs[1], xs[0], 0]])
    np.testing.assert_allclose(np.stack(rows), expected, atol=1e-12)


def test_cotangents_of_repeated_roots_are_summed_in_the_graph_with_create_graph():
    """grad([y, y], x, [v, v], create_graph=True) sums v + v as part of the graph, also
    when called under no_grad: the result stays differentiable in v."""
    x = _d(1.0, 2.0)
    v = _d(1.0, 1.0)
    y = x**2
    with autojac.no_grad():
        (g,) = autojac.autograd.grad([y, y], [x], [v, v], create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 4 * x.detach().numpy())
    (dv,) = autojac.autograd.grad(g.sum(), v)
    np.testing.assert_allclose(dv.numpy(), 4 * x.detach().numpy())  # d/dv sum(2x * 2v)


def test_grad_of_grad_without_create_graph_is_constant():
    x = _d(1.0, 2.0)
    (g,) = autojac.autograd.grad((x**3).sum(), x)
    assert not g.requires_grad


@requires_torch
def test_second_derivative_vs_torch():
    torch = import_torch()
    xs = np.array([0.3, 1.1, -2.0, 0.8])

    def run(T):
        x = T.tensor(xs, requires_grad=True)
        f = (x.tanh() * x.exp() / (1 + x * x)).sum() + (x[0] * x[3]).sigmoid()
        (g,) = T.autograd.grad(f, x, create_graph=True)
        (h,) = T.autograd.grad((g * g).sum(), x)
        return g.detach().numpy(), h.numpy()

    for a, b in zip(run(autojac), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# ============================================================================================
# is_grads_batched
# ============================================================================================


def _two_input_fn(x, w):
    return autojac.stack([x[0] * x[1] * w, (x[2] * w).sin(), x[0] ** 2 - w])


def test_is_grads_batched_equals_loop():
    x = autojac.tensor([0.5, -1.2, 2.0], dtype=autojac.float64, requires_grad=True)
    w = autojac.tensor(0.7, dtype=autojac.float64, requires_grad=True)
    y = _two_input_fn(x, w)
    v = autojac.tensor(np.random.default_rng(0).standard_normal((5, 3)))
    gx, gw = autojac.autograd.grad(y, [x, w], v, is_grads_batched=True, retain_graph=True)
    assert gx.shape == (5, 3) and gw.shape == (5,)
    for i in range(5):
        lx, lw = autojac.autograd.grad(y, [x, w], v[i], retain_graph=True)
        np.testing.assert_allclose(gx[i].numpy(), lx.numpy(), rtol=1e-12)
        np.testing.assert_allclose(gw[i].numpy(), lw.numpy(), rtol=1e-12)


def test_is_grads_batched_identity_gives_jacobian():
    xs = np.array([1.0, 2.0, 3.0])
    x = autojac.tensor(xs, requires_grad=True)
    (jac,) = autojac.autograd.grad(
        x**2, x, autojac.eye(3, dtype=autojac.float64), is_grads_batched=True
    )
    np.testing.assert_allclose(jac.numpy(), np.diag(2 * xs))


def test_is_grads_batched_with_create_graph():
    xs = np.array([0.5, 1.5])
    x = autojac.tensor(xs, requires_grad=True)
    y = x.exp() * x[0]
    (jac,) = autojac.autograd.grad(
        y, x, autojac.eye(2, dtype=autojac.float64), is_grads_batched=True, create_graph=True
    )
    assert jac.requires_grad
    (g,) = autojac.autograd.grad(jac.sum(), x)
    # jac = [[e^x0 x0 + e^x0, 0], [e^x1, e^x1 x0]]; d(sum)/dx0 = e^x0 (x0 + 2) + e^x1
    expected = [math.exp(0.5) * 2.5 + math.exp(1.5), math.exp(1.5) * 1.5]
    _close(g, expected, 1e-10)


def test_is_grads_batched_allow_unused():
    x, z = _d(1.0, 2.0), _d(3.0)
    out = autojac.autograd.grad(
        x * 2,
        [x, z],
        autojac.ones(4, 2, dtype=autojac.float64),
        is_grads_batched=True,
        allow_unused=True,
    )
    assert out[0].shape == (4, 2) and out[0].tolist() == [[2.0, 2.0]] * 4 and out[1] is None


def test_is_grads_batched_materialize_unused():  # (zeros_like(input), as torch 2.13)
    x, z = _d(1.0, 2.0), _d(3.0)
    out = autojac.autograd.grad(
        x * 2,
        [x, z],
        autojac.ones(4, 2, dtype=autojac.float64),
        is_grads_batched=True,
        materialize_grads=True,
    )
    assert out[0].shape == (4, 2)
    assert out[1].shape == (1,) and out[1].tolist() == [0.0]


def test_batched_grad_shape_mismatch_text_prefix():
    x = _v(1.0, 2.0, 3.0)
    with pytest.raises(RuntimeError) as info:
        autojac.autograd.grad(x * 2, x, grad_outputs=autojac.ones(4, 2), is_grads_batched=True)
    msg = str(info.value)
    assert msg.startswith(
        "If `is_grads_batched=True`, we interpret the first dimension of each "
        "grad_output as the batch dimension."
    )
    assert "output[0] has a shape of autojac.Size([3])" in msg
    with pytest.raises(RuntimeError, match=r"\[0\] has a shape of autojac.Size\(\[5\]\) and"):
        autojac.autograd.grad(x * 2, x, autojac.ones(4, 2, 5), is_grads_batched=True)  # torch's


# ============================================================================================
# Grad modes
# ============================================================================================


def test_no_grad_enable_grad_set_grad_enabled_context_managers():
    x = _v(1.0, 2.0)
    assert autojac.is_grad_enabled()
    with autojac.no_grad():
        assert not autojac.is_grad_enabled()
        y = x * 2
        with autojac.enable_grad():
            assert autojac.is_grad_enabled()
            z = x * 2
        assert not autojac.is_grad_enabled()
    with autojac.set_grad_enabled(False):
        u = x * 2
    with autojac.set_grad_enabled(True):
        w = x * 2
    assert autojac.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert z.requires_grad and z.grad_fn is not None
    assert not u.requires_grad and w.requires_grad


def test_set_grad_enabled_as_plain_call():
    x = _v(1.0)
    try:
        autojac.set_grad_enabled(False)
        assert not autojac.is_grad_enabled()
        assert not (x * 2).requires_grad
        autojac.set_grad_enabled(True)
        assert (x * 2).requires_grad
    finally:
        autojac.set_grad_enabled(True)


def test_set_grad_enabled_applies_on_construction_and_restores_on_exit():
    ctx = autojac.set_grad_enabled(False)
    try:
        before = autojac.is_grad_enabled()
        with ctx:
            inside = autojac.is_grad_enabled()
        assert (before, inside, autojac.is_grad_enabled()) == (False, False, True)
    finally:
        autojac.set_grad_enabled(True)


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with autojac.no_grad():
            raise ValueError
    assert autojac.is_grad_enabled()
    with autojac.no_grad():
        with pytest.raises(ValueError):
            with autojac.enable_grad():
                raise ValueError
        assert not autojac.is_grad_enabled()


def test_grad_mode_decorators():
    x = _v(1.0, 2.0)

    @autojac.no_grad()
    def f(a):
        """doc"""
        return a * 2, autojac.is_grad_enabled()

    @autojac.enable_grad()
    def g(a):
        return a * 2

    @autojac.set_grad_enabled(False)
    def h(a):
        return a * 2

    out, enabled = f(x)
    assert not out.requires_grad and not enabled and autojac.is_grad_enabled()
    assert f.__name__ == "f" and f.__doc__ == "doc"
    with autojac.no_grad():
        assert g(x).requires_grad
    assert autojac.is_grad_enabled()  # decorating with set_grad_enabled(False) changes nothing
    assert not h(x).requires_grad and autojac.is_grad_enabled()
    assert autojac.autograd.no_grad is autojac.no_grad


def test_no_grad_bare_decorator():
    @autojac.no_grad
    def f(a):
        return a * 2

    assert not f(_v(1.0)).requires_grad


def test_grad_mode_is_thread_local():
    x = _v(1.0, 2.0)
    results = {}
    started, checked = threading.Event(), threading.Event()

    def other():
        started.wait(5)
        results["other"] = (autojac.is_grad_enabled(), (x * 2).requires_grad)
        with autojac.no_grad():
            results["other_no_grad"] = autojac.is_grad_enabled()
        checked.set()

    t = threading.Thread(target=other)
    t.start()
    with autojac.no_grad():
        started.set()
        checked.wait(5)
        results["main"] = autojac.is_grad_enabled()
    t.join(5)
    assert results == {"other": (True, True), "other_no_grad": False, "main": False}
    assert autojac.is_grad_enabled()


def test_no_grad_in_other_thread_does_not_leak():
    done = threading.Event()
    release = threading.Event()

    def other():
        with autojac.no_grad():
            done.set()
            release.wait(5)

    t = threading.Thread(target=other)
    t.start()
    done.wait(5)
    try:
        assert autojac.is_grad_enabled()
        assert (_v(1.0) * 2).requires_grad
    finally:
        release.set()
        t.join(5)


def test_no_grad_does_not_stop_backward_of_existing_graph():
    x = _v(1.0, 2.0)
    y = (x * x).sum()
    with autojac.no_grad():
        y.backward()
    assert x.grad.tolist() == [2.0, 4.0]


# ============================================================================================
# In-place operations
# ============================================================================================


def test_inplace_ops_values_return_self_and_bump_version():
    a = autojac.tensor([1.0, 2.0, 3.0])
    assert a.add_(1) is a and a.tolist() == [2.0, 3.0, 4.0]
    assert a.mul_(2) is a and a.tolist() == [4.0, 6.0, 8.0]
    a.add_(autojac.tensor([1.0, 1.0, 1.0]))
    a -= 1
    a *= autojac.tensor(0.5)
    a /= 2
    assert a.tolist() == [1.0, 1.5, 2.0]
    assert a.zero_() is a and a.tolist() == [0.0, 0.0, 0.0]
    a[1] = 7.0
    assert a.tolist() == [0.0, 7.0, 0.0]


def test_version_counter_is_int():
    a = autojac.tensor([1.0, 2.0])
    v = a.view(2)
    a.add_(1)
    a[0] = 3.0
    assert a._version == 2 and v._version == 2


def test_inplace_ops_on_views_write_through():
    a = autojac.tensor([1.0, 2.0, 3.0])
    a[1:].mul_(10)
    assert a.tolist() == [1.0, 20.0, 30.0]
    v = a.view(3)
    a.add_(1)
    assert v.tolist() == [2.0, 21.0, 31.0]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_zero_and_fill_with_nonfinite_values():
    a = autojac.tensor([float("inf"), float("nan"), 1.0])
    assert a.zero_().tolist() == [0.0, 0.0, 0.0]
    b = autojac.tensor([float("inf"), 1.0])
    assert b.fill_(2.0).tolist() == [2.0, 2.0]


def test_shape_changing_inplace_ops():
    a = autojac.ones(2, 3)
    assert a.unsqueeze_(0).shape == (1, 2, 3)
    b = autojac.ones(2, 3)
    assert b.t_().shape == (3, 2)


def test_leaf_inplace_allowed_under_no_grad():
    x = _v(1.0, 2.0)
    with autojac.no_grad():
        x.add_(1)
        x[0] = 7.0
    assert x.tolist() == [7.0, 3.0]
    assert x.is_leaf and x.requires_grad and x.grad_fn is None
    (x * x).sum().backward()
    assert x.grad.tolist() == [14.0, 6.0]


def test_leaf_reshaped_in_place_under_no_grad_stays_a_leaf():
    x = autojac.ones(2, 3, requires_grad=True)
    with autojac.no_grad():
        x.t_()
    assert x.shape == (3, 2) and x._version == 1
    assert x.is_leaf and x.requires_grad and x.grad_fn is None
    (x * autojac.arange(6.0).reshape(3, 2)).sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]


def test_inplace_on_saved_output_raises():
    x = _v(1.0, 2.0)
    y = x.exp()  # ExpBackward0 saves its result
    y.add_(1)
    with pytest.raises(RuntimeError, match="output 0 of Exp, is at version 1; expected version 0"):
        y.sum().backward()


def test_inplace_on_non_leaf_output_not_saved():
    x = _v(1.0, 2.0)
    y = x * 3  # MulBackward0 saves x and 3, not y
    y.add_(x)
    assert y.grad_fn.name() == "AddBackward0"
    y.mul_(x)
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()  # y = (3x + x) * x = 4x^2
    assert x.grad.tolist() == [8.0, 16.0]


def _reshaped_after_use(T, method, weights, c_requires_grad=False):
    """``sum(weights * (y + c))`` with ``y = 2x`` of shape (1, 3), then ``y`` reshaped in place
    by ``method``: returns x's gradient (or raises)."""
    x = T.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    c = T.tensor([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0], [70.0, 80.0, 90.0]],
                 requires_grad=c_requires_grad)
    y = x * 2
    z = (y + c) * T.tensor(weights)
    getattr(y, method)()
    z.sum().backward()
    return x.grad


_WEIGHTS = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]


@pytest.mark.parametrize("method", ["t_", "unsqueeze_", "squeeze_"])
def test_inplace_reshape_after_use_keeps_the_recorded_shape(method):
    # d/dx_j sum_ij w_ij (2 x_j + c_ij) = 2 * sum_i w_ij; with y's new shape the sum to y
    # would run over the wrong axis (t_) or fail (unsqueeze_, squeeze_)
    args = {"unsqueeze_": (0,), "squeeze_": (0,)}.get(method, ())
    x = autojac.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = x * 2
    z = (y + autojac.ones(3, 3)) * autojac.tensor(_WEIGHTS)
    getattr(y, method)(*args)
    assert y._version == 1
    z.sum().backward()
    assert x.grad.tolist() == [[24.0, 30.0, 36.0]]


@requires_torch
def test_inplace_reshape_after_use_matches_torch():
    torch = import_torch()
    got = _reshaped_after_use(autojac, "t_", _WEIGHTS)
    assert got.tolist() == _reshaped_after_use(torch, "t_", _WEIGHTS).tolist()


def test_inplace_reshape_of_a_saved_input_raises():
    # y + c saves nothing, but y * c saves y for c's gradient: y.t_() changes what it saved
    x = _v(1.0, 2.0)
    c = _v(3.0, 4.0)
    y = (x * 1).reshape(2, 1) * autojac.ones(1, 2)
    z = y * c
    y.t_()
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        z.sum().backward()
    assert x.grad is None and c.grad is None


def test_inplace_change_of_an_input_no_needed_rule_reads():
    # PyTorch's MulBackward0 saves y only when c requires grad: changing y in place is then
    # harmless, and d sum(y * c) / dx = 2c
    x = _v(1.0, 2.0)
    c = _v(10.0, 20.0, rg=False)
    y = x * 2
    z = y * c
    y.add_(1)
    z.sum().backward()
    assert x.grad.tolist() == [20.0, 40.0]
    c.requires_grad_()
    y = x * 2
    z = y * c
    y.add_(1)
    with pytest.raises(RuntimeError, match="output 0 of Add, is at version 1; expected version 0"):
        z.sum().backward()
    assert x.grad.tolist() == [20.0, 40.0] and c.grad is None


@pytest.mark.parametrize("changed", ["a", "b"])
def test_inplace_change_of_a_matmul_operand_read_only_for_its_shape(changed):
    # PyTorch's MmBackward0 keeps mat2 for self's gradient and only self's sizes: with b
    # constant, a changed in place after a @ b is harmless (d sum(a @ b) / da0 = rows of
    # b summed, for every row), and b changed in place is not
    a0 = autojac.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    a = a0 * 1
    b = autojac.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out = a @ b
    (a if changed == "a" else b).add_(1)
    if changed == "a":
        out.sum().backward()
        assert a0.grad.tolist() == [[6.0, 15.0], [6.0, 15.0]]
    else:
        with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
            out.sum().backward()
        assert a0.grad is None


_BINARY = {
    "mul": lambda a, b: a * b, "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
    "matmul": lambda a, b: a.reshape(3, 1) @ b.reshape(1, 3), "dot": lambda a, b: a.dot(b),
    "add": lambda a, b: a + b, "atan2": lambda a, b: a.atan2(b), "hypot": lambda a, b: a.hypot(b),
    "outer": lambda a, b: a.outer(b), "lerp": lambda a, b: a.lerp(b, 0.3),
    "logaddexp": lambda a, b: a.logaddexp(b),
    "gather": lambda a, b: a.reshape(3, 1).expand(3, 3).gather(0, _index_like(a)) * b,
}
# where PyTorch saves an input that autojac's rules do not read (the gradient stays right)


def _index_like(a):
    """An index tensor of the library ``a`` belongs to."""
    module = autojac if isinstance(a, autojac.Tensor) else import_torch()
    return module.tensor([[0, 1, 2], [2, 0, 1], [1, 1, 0]])


def _backward_after_change(T, op, requires, changed):
    """'ok' or 'error': ``op(a, b)`` with ``requires`` ("a", "b", "both") needing grad,
    then ``changed`` ("a" or "b") changed in place before the backward pass."""
    a0 = T.tensor([1.5, 2.0, 3.0], requires_grad=True)
    b0 = T.tensor([0.7, 1.2, 2.5], requires_grad=True)
    a = a0 * 1 if requires in ("a", "both") else a0.detach() * 1
    b = b0 * 1 if requires in ("b", "both") else b0.detach() * 1
    out = _BINARY[op](a, b)
    (a if changed == "a" else b).add_(1)
    try:
        out.sum().backward()
    except RuntimeError:
        return "error"
    return "ok"


_UNARY = {
    "exp": lambda a: a.exp(), "tanh": lambda a: a.tanh(), "sigmoid": lambda a: a.sigmoid(),
    "sqrt": lambda a: a.sqrt(), "rsqrt": lambda a: a.rsqrt(),
    "reciprocal": lambda a: a.reciprocal(),
    "softmax": lambda a: a.softmax(0), "log_softmax": lambda a: a.log_softmax(0),
    "relu": lambda a: a.relu(), "exp2": lambda a: a.exp2(), "expm1": lambda a: a.expm1(),
    "logsumexp": lambda a: a.logsumexp(0), "norm": lambda a: a.norm(), "amax": lambda a: a.amax(0),
    "cumprod": lambda a: a.cumprod(0), "prod": lambda a: a.prod(), "rdiv": lambda a: 2.0 / a,
    "square": lambda a: a**2, "cube": lambda a: a**3, "pow_half": lambda a: a**0.5,
    "rpow": lambda a: 2.5**a, "pow_self": lambda a: a**a, "sin": lambda a: a.sin(),
    "abs": lambda a: a.abs(), "std": lambda a: a.std(), "clamp": lambda a: a.clamp(0, 2),
    **{name: (lambda b: lambda a: b(a, a * 0.5 + 1))(fn) for name, fn in _BINARY.items()},
}


def _backward_after_output_change(T, op):
    """'ok' or 'error': ``op(a)`` changed in place before the backward pass of a clone."""
    a = T.tensor([1.5, 2.0, 3.0], requires_grad=True) * 1
    out = _UNARY[op](a)
    kept = out.clone()
    out.add_(1)
    try:
        kept.sum().backward()
    except RuntimeError:
        return "error"
    return "ok"


@requires_torch
@pytest.mark.parametrize("op", list(_UNARY))
def test_output_change_after_use_raises_where_torch_does(op):
    """A change to the output matters only where a rule that runs reads it: x ** 3's does
    not (PyTorch saves x), tanh's does."""
    torch = import_torch()
    assert _backward_after_output_change(autojac, op) == _backward_after_output_change(torch, op)


@requires_torch
@pytest.mark.parametrize("op,requires,changed", [
    (op, requires, changed)
    for op in _BINARY for requires in ("a", "b", "both") for changed in ("a", "b")])
def test_inplace_change_after_use_raises_where_torch_does(op, requires, changed):
    torch = import_torch()
    expected = _backward_after_change(torch, op, requires, changed)
    assert _backward_after_change(autojac, op, requires, changed) == expected


@requires_torch
@pytest.mark.parametrize("fn", [lambda x: x * x, lambda x: (x * x).abs(), lambda x: x.exp()],
                         ids=["square", "abs_of_square", "exp"])
def test_complex_gradients_follow_pytorchs_conjugate_convention(fn):
    torch = import_torch()
    z = [1 + 1j, 2 - 1j]
    grads = []
    for T in (autojac, torch):
        x = T.tensor(z, requires_grad=True)
        y = fn(x)
        grads.append(T.autograd.grad(y, x, T.ones(2, dtype=y.dtype))[0].detach().numpy())
    np.testing.assert_allclose(*grads, rtol=1e-6)


def test_constant_reshaped_in_place_after_cat_keeps_the_split():
    # CatBackward0 splits g by its inputs' shapes as recorded: c is (2, 3) for it
    x = autojac.arange(6.0).reshape(2, 3).requires_grad_()
    c = autojac.zeros(2, 3)
    y = autojac.cat([c, x])
    c.t_()
    (y * autojac.arange(12.0).reshape(4, 3)).sum().backward()
    assert x.grad.tolist() == [[6.0, 7.0, 8.0], [9.0, 10.0, 11.0]]


def test_reshape_in_place_under_no_grad_keeps_the_recorded_shape():
    x = autojac.ones(2, 3, requires_grad=True)
    h = x * 1
    y = h.sum(0)
    with autojac.no_grad():
        h.t_()
    (y * autojac.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]


def test_states_kept_for_in_place_reshapes_are_bounded():

    x = autojac.ones(1, 3, requires_grad=True)
    buffer = autojac.zeros(1, 3)
    y = (x + buffer).sum()  # AddBackward0 reads buffer's shape
    for _ in range(RESHAPES_KEPT + 1):
        buffer.squeeze_(0)
        buffer.unsqueeze_(0)
    assert len(buffer._reshaped[2]) == RESHAPES_KEPT
    with pytest.raises(RuntimeError, match=f"reshaped in place more than {RESHAPES_KEPT} times"):
        y.backward()
    assert x.grad is None


@pytest.mark.parametrize("bound", [autojac.tensor(1), np.int64(1), True])
def test_a_tensor_slice_bound_is_read_when_indexing(bound):
    """As PyTorch: x[i:] reads i when it indexes; i changed in place afterwards moves
    neither the values nor the gradient (the node once kept i itself and broke)."""
    x = autojac.arange(6.0, requires_grad=True)
    y = x[bound:, None]
    if isinstance(bound, autojac.Tensor):
        bound.add_(2)
    y.sum().backward()
    assert y.shape == (5, 1)
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 1, 1, 1, 1])


@pytest.mark.parametrize("change", ["getitem", "index_select", "gather", "max_dim"])
def test_index_changed_in_place_after_use_does_not_move_the_gradient(change):
    # PyTorch raises here (it checks the index tensor's version); autojac keeps its own copy
    # of the index, so the gradient lands where the forward read
    x = autojac.arange(8.0).reshape(4, 2).requires_grad_()
    w = autojac.tensor([[1.0, 2.0], [3.0, 4.0]])
    idx = autojac.tensor([0, 2])
    if change == "getitem":
        y = x[idx]
    elif change == "index_select":
        y = x.index_select(0, idx)
    elif change == "gather":
        idx = autojac.tensor([[0, 1], [2, 3]]).t()
        y = x.gather(0, idx)
    else:
        y, idx = x.reshape(2, 4).max(dim=1, keepdim=True)
        y = y * autojac.ones(1, 2)
    expected = np.zeros((4, 2))
    if change == "max_dim":  # the maxima end the rows of 4: x[1, 1] and x[3, 1]
        expected[1, 1], expected[3, 1] = 1.0 + 2.0, 3.0 + 4.0
    elif change == "gather":  # y[i, j] = x[idx[i, j], j]
        for (i, j), g in np.ndenumerate(w.numpy()):
            expected[idx.numpy()[i, j], j] += g
    else:
        expected[[0, 2]] = w.numpy()
    idx.add_(1)
    (y * w).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_custom_backward_may_change_its_grad_output_in_place_in_a_jacobian():
    doubled = _doubling(autojac, "Doubled", lambda g: g.mul_(2))  # writes into g
    x = autojac.tensor([1.0, 2.0, 3.0], dtype=autojac.float64)
    for vectorize in (False, True, False):
        jac = autojac.autograd.functional.jacobian(doubled.apply, x, vectorize=vectorize)
        np.testing.assert_array_equal(jac.numpy(), 2 * np.eye(3))


def test_view_reshaped_in_place_then_changed_in_place_writes_through_its_new_shape():
    x = autojac.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    b = x * 1
    v = b[:, :2]
    v.t_()  # v = [[1, 4], [2, 5]], still a view of b
    v.mul_(autojac.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert v.tolist() == [[1.0, 8.0], [6.0, 20.0]]
    assert b.tolist() == [[1.0, 6.0, 3.0], [8.0, 20.0, 6.0]]
    # b[i, j] = x[i, j] * m[j, i] for j < 2, so d sum(b * w) / dx[i, j] = w[i, j] * m[j, i]
    (b * autojac.arange(6.0).reshape(2, 3)).sum().backward()
    assert x.grad.tolist() == [[0.0, 3.0, 2.0], [6.0, 16.0, 5.0]]


@pytest.mark.parametrize("view", ["select", "transpose_select", "expand"])
def test_view_sees_its_base_changed_in_place(view):
    # PyTorch derives a view's grad_fn again from its base after the base changed in place:
    # d sum(y) / dx counts the base's new factor 3
    x = autojac.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    b = x * 1
    y = {"select": lambda: b[0], "transpose_select": lambda: b.t()[0],
         "expand": lambda: b.expand(2, 2, 3)}[view]()
    b.mul_(3)
    y.sum().backward()
    expected = {"select": [[3.0] * 3, [0.0] * 3], "transpose_select": [[3.0, 0, 0], [3.0, 0, 0]],
                "expand": [[6.0] * 3, [6.0] * 3]}[view]
    assert x.grad.tolist() == expected


def test_view_of_a_base_that_starts_to_require_grad_in_place():
    w = autojac.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = autojac.zeros(2, 3)
    y = b[:, :2]
    b.add_(w)
    assert y.requires_grad
    (y * autojac.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert w.grad.tolist() == [4.0, 6.0, 0.0]


def test_view_made_under_no_grad_follows_its_base_outside_the_graph():
    """PyTorch's views made in no_grad mode of a tensor that requires grad: they require
    grad (as their base does, later changes included) and are leaves; ops on them are
    recorded, but no gradient reaches them or their base; in no_grad mode they may be
    written and used (facts checked against PyTorch 2.13)."""
    x = autojac.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    with autojac.no_grad():
        views = [x[0], x.t(), x.view(4), x.unsqueeze(0), x.diagonal(), x.split(1)[0],
                 x[0].expand(3, 2), x.permute(1, 0)]
        copies = [x * 2, x.detach(), x.mT.reshape(-1)]  # (a reshape that copied: no view)
    assert all(v.requires_grad and v.is_leaf and v.grad_fn is None for v in views)
    assert not any(c.requires_grad for c in copies)
    row = views[0]
    assert repr(row) == "tensor([1., 2.], requires_grad=True)"
    y = (row * x).sum()
    assert y.requires_grad
    assert autojac.autograd.grad(y, x)[0].tolist() == [[1.0, 2.0], [1.0, 2.0]]
    lone = (row * 3).sum()
    lone.backward()  # (nothing to accumulate into)
    assert x.grad is None and row.grad is None
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        autojac.autograd.grad((row * 3).sum(), row)
    tail = row[0:1]  # a view of it in grad mode: recorded, not a leaf
    assert tail.requires_grad and not tail.is_leaf and tail.grad_fn.name() == "SliceBackward0"
    with autojac.no_grad():
        row.mul_(2)  # (written outside grad mode: allowed)
    assert x.tolist() == [[2.0, 4.0], [3.0, 4.0]]
    with autojac.no_grad():
        assert not (row * 2).requires_grad
    later = autojac.ones(3)
    part = later[0:2]
    later.requires_grad_()
    assert part.requires_grad and (part * 2).requires_grad
    later.requires_grad_(False)
    assert not part.requires_grad


def test_views_outside_the_graph_count_as_requiring_grad_everywhere():
    """Empty views are views; a reshape that copied is none (its gradient is the copy's);
    an op written in place with, a custom Function, func transforms, copies and hooks take
    a view made under no_grad as requiring grad (facts checked against PyTorch 2.13)."""
    x = autojac.ones(2, 3, requires_grad=True)
    with autojac.no_grad():
        empty = x[:0]
    assert empty.requires_grad and empty._base is x
    a = autojac.ones(2, 3, requires_grad=True)
    b = a * 1
    copied = b.t().reshape(6)
    b.mul_(2)  # (the copy keeps its values, and the gradient its own)
    (copied * copied).sum().backward()
    assert copied._base is None and a.grad.tolist() == [[2.0] * 3] * 2
    q = autojac.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    with autojac.no_grad():
        row = q[1:]
    target = autojac.zeros(1, 3)
    target.add_(row)
    assert target.requires_grad and target.grad_fn.name() == "AddBackward0"

    class Twice(autojac.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.seen = ctx.needs_input_grad
            return t * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    assert Twice.apply(row).requires_grad
    assert autojac.func.grad(lambda t: (t * t).sum())(row).requires_grad
    assert copy.deepcopy(row).requires_grad and pickle.loads(pickle.dumps(row)).requires_grad
    assert row.register_hook(lambda g: g) is not None


def test_view_of_a_base_changed_under_no_grad_keeps_its_history():
    x = autojac.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    b = x * 1
    y = b[0]
    with autojac.no_grad():
        b.mul_(2)
    y.sum().backward()
    assert x.grad.tolist() == [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]


def test_integer_array_indexing_selects_a_copy_not_a_view():
    x = autojac.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    b = x * 1
    y = b[autojac.tensor([1, 0])]  # rows 1 and 0 of x, copied
    b.mul_(2)
    w = autojac.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    (y * w).sum().backward()
    assert x.grad.tolist() == [[4.0, 5.0, 6.0], [1.0, 2.0, 3.0]]
    y.mul_(3)  # and changing the copy leaves b alone
    assert b.tolist() == [[2.0, 4.0, 6.0], [8.0, 10.0, 12.0]]


@pytest.mark.parametrize("then_scale", [False, True])
def test_view_of_a_base_reshaped_in_place(then_scale):
    x = autojac.arange(9.0).reshape(3, 3).requires_grad_()
    b = x * 1
    v = b[0]  # x's first row, whatever b's shape becomes
    b.t_()
    if then_scale:
        b.mul_(2)
    (v * autojac.tensor([1.0, 2.0, 3.0])).sum().backward()
    factor = 2.0 if then_scale else 1.0
    assert x.grad.tolist() == [[factor, 2 * factor, 3 * factor], [0.0] * 3, [0.0] * 3]


@pytest.mark.parametrize("in_place", [False, True])
def test_in_place_change_through_a_view_that_adds_a_dim(in_place):
    # the reshape's unview must reshape from the view's rank back to the parent's
    x = autojac.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    b = x * 1
    v = b[0]
    v = v.unsqueeze_(0) if in_place else v.unsqueeze(0)
    v.mul_(autojac.tensor([[1.0, 2.0, 3.0]]))
    assert b.tolist() == [[1.0, 4.0, 9.0], [4.0, 5.0, 6.0]]
    (b * autojac.arange(6.0).reshape(2, 3)).sum().backward()
    assert x.grad.tolist() == [[0.0, 2.0, 6.0], [3.0, 4.0, 5.0]]


def test_writing_through_a_view_of_a_base_reshaped_in_place():
    # v was b's first row; b.t_() makes it b's first column, which v.mul_ changes
    x = autojac.arange(9.0).reshape(3, 3).requires_grad_()
    b = x * 1
    v = b[0]
    b.t_()
    v.mul_(5)
    assert b.tolist() == [[0.0, 3.0, 6.0], [5.0, 4.0, 7.0], [10.0, 5.0, 8.0]]
    (b * autojac.arange(9.0).reshape(3, 3)).sum().backward()  # d/dx[0, j] = 5 * w[j, 0]
    assert x.grad.tolist() == [[0.0, 15.0, 30.0], [1.0, 4.0, 7.0], [2.0, 5.0, 8.0]]
    x = autojac.arange(6.0).reshape(2, 3).requires_grad_()
    b = x * 1
    v = b[1]
    b.swapaxes_(axis0=0, axis1=1)
    v.add_(1)
    assert b.tolist() == [[0.0, 4.0], [1.0, 5.0], [2.0, 6.0]]


def test_integer_indexing_to_a_scalar_is_a_view():
    b = autojac.tensor([1.0, 2.0, 3.0])
    s = b[2]
    b.add_(1)
    s.add_(10)
    assert s.item() == 14.0 and b.tolist() == [2.0, 3.0, 14.0]
    x = autojac.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = x * 1
    s = b[2]
    b.mul_(2)
    s.backward()
    assert s.item() == 6.0 and x.grad.tolist() == [0.0, 0.0, 2.0]


def test_a_bool_index_is_a_mask_and_a_numpy_integer_an_int():
    """x[True] and x[False] index with a 0-d mask (PyTorch's IndexBackward0, a copy);
    x[np.int64(0)] selects as x[0] does (facts checked against PyTorch 2.13)."""
    x = autojac.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    for index, shape, node in ((True, (1, 2, 2), "IndexBackward0"),
                               (False, (0, 2, 2), "IndexBackward0"),
                               ((0, True), (1, 2), "IndexBackward0"),
                               (np.int64(1), (2,), "SelectBackward0")):
        picked = x[index]
        assert picked.shape == shape and picked.grad_fn.name() == node
    assert x[np.int64(1)].tolist() == [3.0, 4.0]
    assert autojac.autograd.grad(x[True].sum(), x)[0].tolist() == [[1.0, 1.0], [1.0, 1.0]]
    y = autojac.ones(2)
    y[True] = 5.0
    y[False] = 7.0
    assert y.tolist() == [5.0, 5.0]


def test_diagonal_is_a_view():
    x = autojac.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    b = x * 1
    d = b.diagonal()
    b.mul_(2)
    assert d.tolist() == [2.0, 10.0]
    d.sum().backward()
    assert x.grad.tolist() == [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]
    a = autojac.zeros(3, 3)
    a.diagonal(1).add_(1)
    assert a.tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]


def test_diag_of_a_matrix_is_a_copy_and_linalg_diagonal_takes_the_last_two_dims():
    b = autojac.tensor([[1.0, 2.0], [3.0, 4.0]])
    d = autojac.diag(b)
    b.mul_(10)
    d.add_(1)
    assert d.tolist() == [2.0, 5.0] and b.tolist() == [[10.0, 20.0], [30.0, 40.0]]
    x = autojac.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert autojac.diag(x).grad_fn.name() == "DiagonalBackward0_copy"
    stack = autojac.arange(24.0).reshape(2, 3, 4)
    assert autojac.linalg.diagonal(stack).tolist() == [[0.0, 5.0, 10.0], [12.0, 17.0, 22.0]]
    assert autojac.tensor(1.0).t().item() == 1.0 and autojac.tensor(1.0).t_().item() == 1.0


def test_tensors_reshaped_in_place_are_freed_without_the_cycle_collector():
    import gc
    import weakref

    gc.disable()
    try:
        for requires_grad in (False, True):
            a = autojac.ones(4, 4, requires_grad=requires_grad) * 2
            a.unsqueeze_(0)
            a.squeeze_(0)
            ref = weakref.ref(a)
            del a
            assert ref() is None
    finally:
        gc.enable()


def test_in_place_change_of_a_view_whose_base_changed():
    x = autojac.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    b = x * 1
    v = b[0]
    b.mul_(2)
    v.mul_(3)  # b = [2 x[0] * 3, 2 x[1]]
    b.sum().backward()
    assert x.grad.tolist() == [[6.0, 6.0, 6.0], [2.0, 2.0, 2.0]]


def test_long_chain_of_views_refreshed_without_recursion():
    x = autojac.ones(600, requires_grad=True)
    b = x * 1
    v = b
    for _ in range(500):
        v = v[1:]
    b.mul_(2)
    v.sum().backward()
    assert x.grad.sum().item() == 200.0


def test_view_keeps_its_own_requires_grad_and_retain_grad_when_its_base_changes():
    c = autojac.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    v = c[0]
    v.requires_grad_()  # a leaf: c does not require grad
    c.mul_(2)
    (v * 3).sum().backward()
    assert v.grad.tolist() == [3.0, 3.0, 3.0]
    x = autojac.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    b = x * 1
    u = b[0]
    u.retain_grad()
    b.mul_(2)
    (u * autojac.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert u.grad.tolist() == [1.0, 2.0, 3.0]
    assert x.grad.tolist() == [[2.0, 4.0, 6.0], [0.0, 0.0, 0.0]]


def test_retained_grad_moves_with_an_in_place_change():
    x = autojac.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.add_(1)
    (y * 3).sum().backward()
    assert y.grad.tolist() == [3.0, 3.0, 3.0] and x.grad.tolist() == [6.0, 6.0, 6.0]


def test_tangent_of_a_view_whose_base_changes_in_place():
    from autojac.autograd import forward_ad as fwAD

    with fwAD.dual_level():
        x = fwAD.make_dual(autojac.tensor([1.0, 2.0, 3.0]), autojac.ones(3))
        b = x * 1
        y = b[:2]
        b.mul_(x)  # y = x[:2] ** 2, with tangent 2 x[:2]
        assert fwAD.unpack_dual(y).tangent.tolist() == [2.0, 4.0]


def test_jacobian_of_a_view_whose_base_changes_in_place():
    def f(x):
        b = x * 1
        y = b[:2]
        b.mul_(x)  # b = x * x, and y with it
        return y

    x = autojac.tensor([1.0, 2.0, 3.0], dtype=autojac.float64)
    expected = np.array([[2.0, 0.0, 0.0], [0.0, 4.0, 0.0]])
    for kwargs in ({}, {"vectorize": True}, {"strategy": "forward-mode", "vectorize": True}):
        for _ in range(3):
            jac = autojac.autograd.functional.jacobian(f, x, **kwargs)
            np.testing.assert_array_equal(jac.numpy(), expected)


def test_rules_read_values_not_metadata():
    from autojac._ops._registry import _what_rules_read

    def rule_x(g, ans, x, y):
        return g * y.shape[0] + x._data.ndim  # y's value is not read, nor x's

    def rule_y(g, ans, x, y):
        return g * x + ans._data.shape[0] * y.dtype.itemsize

    reads_inputs, reads_ans, readers, ans_readers = _what_rules_read((rule_x, rule_y))
    assert reads_inputs and reads_ans  # ans is only passed to the rules that use it
    assert readers == ((1,), ())
    assert ans_readers == (1,)  # only rule_y's running makes a change to the output matter


def test_jacobian_through_an_input_reshaped_in_place():
    # the same structure three times: eager, taped, then replayed
    c = autojac.tensor([1.0, 2.0, 3.0], dtype=autojac.float64)

    def f(x):
        y = x * 2
        z = y * c
        y.unsqueeze_(0)
        return z

    x = autojac.tensor([0.5, -1.0, 2.0], dtype=autojac.float64)
    expected = np.diag([2.0, 4.0, 6.0])
    for kwargs in ({}, {"vectorize": True}, {"strategy": "forward-mode", "vectorize": True},
                   {"strategy": "auto"}):
        for _ in range(3):
            jac = autojac.autograd.functional.jacobian(f, x, **kwargs)
            np.testing.assert_array_equal(jac.numpy(), expected)
    for _ in range(3):
        np.testing.assert_array_equal(autojac.sparse.jacobian(f, x).toarray(), expected)


def test_zero_and_fill_on_non_leaf_cut_the_gradient():
    x = _v(1.0, 2.0)
    y = x * 3
    y.zero_()
    y.sum().backward()
    assert y.tolist() == [0.0, 0.0] and x.grad.tolist() == [0.0, 0.0]
    x2 = _v(1.0, 2.0)
    y2 = x2 * 3
    y2.fill_(2.0)
    (y2 * x2).sum().backward()
    assert x2.grad.tolist() == [2.0, 2.0]


def test_zero_on_non_leaf_grad_fn_name():
    y = _v(1.0, 2.0) * 3
    y.zero_()
    assert y.grad_fn.name() == "ZeroBackward0"


def test_iadd_on_non_leaf():
    x = _v(1.0, 2.0)
    y = x * 1
    y += x * x
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 5.0]


def test_inplace_on_view_of_non_leaf_slice_iadd():
    x = _v(1.0, 2.0, 3.0)
    b = x * 2
    b[1:] += 1
    assert b.tolist() == [2.0, 5.0, 7.0]
    b.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_inplace_on_view_of_non_leaf_select_mul():
    x = _v(1.0, 2.0, 3.0)
    b = x * 1
    b[0].mul_(5)
    (b * b).sum().backward()
    assert x.grad.tolist() == [50.0, 4.0, 6.0]


def test_data_inplace_does_not_bump_version():
    x = _v(1.0, 2.0)
    y = x * x
    x.data.add_(1)
    y.sum().backward()
    assert x.grad.tolist() == [4.0, 6.0]  # uses the new values, as torch


def test_setitem_value_requiring_grad_into_plain_tensor():
    a = autojac.zeros(3)
    v = _v(1.0, 2.0)
    a[1:] = v * v
    assert a.requires_grad and not a.is_leaf
    assert repr(a) == "tensor([0., 1., 4.], grad_fn=<CopySlices>)"
    (a * autojac.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert v.grad.tolist() == [2 * 1.0 * 2.0, 2 * 2.0 * 3.0]


def test_setitem_overwritten_positions_get_zero_gradient():
    x = _v(1.0, 2.0, 3.0)
    v = autojac.tensor(10.0, requires_grad=True)
    y = x.clone()
    y[1] = v * 2
    y[2] = 5.0
    (y * autojac.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert y.tolist() == [1.0, 20.0, 5.0]
    assert x.grad.tolist() == [1.0, 0.0, 0.0]
    assert v.grad.item() == 4.0


def test_setitem_one_element_tensor_into_scalar_slot():
    x = _v(1.0, 2.0, 3.0)
    v = _v(10.0)
    y = x.clone()
    y[1] = v * 2
    (y * autojac.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert y.tolist() == [1.0, 20.0, 3.0]
    assert x.grad.tolist() == [1.0, 0.0, 3.0] and v.grad.tolist() == [4.0]


def test_setitem_scalar_broadcast_value_grad_sums():
    a = autojac.zeros(2, 3)
    v = autojac.tensor(2.0, requires_grad=True)
    a[:, 1:] = v
    assert a.tolist() == [[0.0, 2.0, 2.0], [0.0, 2.0, 2.0]]
    a.sum().backward()
    assert v.grad.item() == 4.0


def test_setitem_same_source_twice():
    x = _v(1.0, 2.0, 3.0)
    y = autojac.zeros(3)
    y[0] = x[1]
    y[2] = x[1] * 2
    y.sum().backward()
    assert y.tolist() == [2.0, 0.0, 4.0] and x.grad.tolist() == [0.0, 3.0, 0.0]


def test_setitem_with_mask():
    x = autojac.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    a = x.clone()
    a[a > 2] = 0.0
    (a * autojac.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert a.tolist() == [[1.0, 2.0], [0.0, 0.0]]
    assert x.grad.tolist() == [[1.0, 2.0], [0.0, 0.0]]


def test_setitem_no_grad_anywhere_records_nothing():
    a = autojac.zeros(3)
    a[0] = autojac.tensor(1.0)
    assert not a.requires_grad and a.grad_fn is None


@error_case("setitem_shape_mismatch")
def _(T):
    a = T.tensor([1.0, 2.0])
    a[:] = T.tensor([5.0, 6.0, 7.0])


# ============================================================================================
# A failed backward leaves every .grad as it was (autojac's engine commits at the end)
# ============================================================================================


def test_failed_backward_leaves_grads_unchanged():
    a, b = _v(1.0, 2.0), _v(0.5, 1.5)
    a.grad = autojac.tensor([10.0, 10.0])
    e = b.exp()
    h = a * 1
    h.retain_grad()
    loss = (h * 3).sum() + e.sum()
    with autojac.no_grad():
        e.mul_(2)  # ExpBackward0 needs its result
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    assert a.grad.tolist() == [10.0, 10.0]
    assert b.grad is None and h.grad is None
    # a fresh graph still works and accumulates onto the untouched values
    (a * 3).sum().backward()
    assert a.grad.tolist() == [13.0, 13.0]


def test_failed_backward_deep_in_graph_leaves_grads_unchanged():
    a, b = _v(1.0, 2.0), _v(0.5, 1.5)
    s = b.sigmoid()
    loss = (s * a).sum() + (a * 2).sum() + (b * b).sum()
    a.grad = autojac.tensor([1.0, 1.0])
    with autojac.no_grad():
        s.add_(1)
    with pytest.raises(RuntimeError, match="output 0 of Sigmoid"):
        loss.backward()
    assert a.grad.tolist() == [1.0, 1.0] and b.grad is None


# ============================================================================================
# Custom autograd.Function
# ============================================================================================


class MulAdd(autojac.autograd.Function):
    """x * y + k, with k a Python number."""

    log: list = []

    @staticmethod
    def forward(ctx, x, y, k):
        ctx.save_for_backward(x, y)
        ctx.k = k
        MulAdd.log.append(("forward", ctx.needs_input_grad, autojac.is_grad_enabled()))
        return x * y + k

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        MulAdd.log.append(("backward", ctx.needs_input_grad))
        gx = g * y if ctx.needs_input_grad[0] else None
        gy = g * x if ctx.needs_input_grad[1] else None
        return gx, gy, None


def test_function_forward_backward_and_needs_input_grad():
    MulAdd.log.clear()
    x, y = _v(1.0, 2.0), autojac.tensor([3.0, 4.0])
    out = MulAdd.apply(x, y, 5.0)
    assert out.tolist() == [8.0, 13.0]
    assert out.requires_grad and not out.is_leaf
    assert out.grad_fn.name() == "MulAddBackward"
    assert repr(out) == "tensor([ 8., 13.], grad_fn=<MulAddBackward>)"
    out.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0] and y.grad is None
    assert MulAdd.log == [
        ("forward", (True, False, False), False),
        ("backward", (True, False, False)),
    ]


def test_function_both_inputs_and_create_graph():
    x, y = _d(1.0, 2.0), _d(3.0, 4.0)
    out = MulAdd.apply(x, y, 0.0)
    gx, gy = autojac.autograd.grad((out * out).sum(), [x, y], create_graph=True)
    _close(gx, [2 * 3.0 * 3.0, 2 * 8.0 * 4.0])  # 2 (xy) y
    _close(gy, [2 * 3.0 * 1.0, 2 * 8.0 * 2.0])
    (h,) = autojac.autograd.grad(gx.sum(), x)  # d/dx 2 x y^2 = 2 y^2
    _close(h, [18.0, 32.0])


def test_function_without_grad_records_nothing():
    MulAdd.log.clear()
    x = _v(1.0, 2.0)
    with autojac.no_grad():
        out = MulAdd.apply(x, autojac.tensor([3.0, 4.0]), 1.0)
    assert not out.requires_grad and out.grad_fn is None
    out2 = MulAdd.apply(autojac.tensor([1.0]), autojac.tensor([2.0]), 0.0)
    assert not out2.requires_grad and out2.grad_fn is None
    assert MulAdd.log[0] == ("forward", (True, False, False), False)


def test_function_multiple_outputs_unused_output_gets_zero_grad():
    class Two(autojac.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    x = _v(1.0, 2.0)
    a, b = Two.apply(x)
    assert a.grad_fn is b.grad_fn and a.grad_fn.name() == "TwoBackward"
    a.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_function_next_functions_skip_non_tensor_args():
    out = MulAdd.apply(_v(1.0), autojac.tensor([2.0]), 5.0)
    assert len(out.grad_fn.next_functions) == 2


@requires_torch
def test_function_vs_torch():
    torch = import_torch()

    def run(T):
        class Cube(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x**3

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 3 * x**2

        x = T.tensor([0.5, -1.5, 2.0], dtype=T.float64, requires_grad=True)
        y = (Cube.apply(x.sin()) * x).sum()
        (g,) = T.autograd.grad(y, x, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), x)
        return y.detach().numpy(), g.detach().numpy(), h.numpy(), Cube.apply(x).grad_fn.name()

    a, b = run(autojac), run(torch)
    for u, v in zip(a[:3], b[:3]):
        np.testing.assert_allclose(u, v, rtol=1e-12)
    assert a[3] == b[3] == "CubeBackward"


# ============================================================================================
# gradcheck / gradgradcheck
# ============================================================================================


class WrongGrad(autojac.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 3


class WrongSecondOrder(autojac.autograd.Function):
    """Right first derivative (3x^2), but computed from detached values: no second order."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x.detach() ** 2


class WrongJvp(autojac.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2

    @staticmethod
    def jvp(ctx, t):
        return t * 5


def test_gradcheck_passes_on_correct_functions():
    x = _d(0.5, 1.5, -0.3)
    y = _d(1.2, -0.7, 2.0)
    assert autojac.autograd.gradcheck(lambda a: (a.sin() * a).sum(), (x,))
    assert autojac.autograd.gradcheck(lambda a, b: (a * b.exp(), a / b), (x, y))
    assert autojac.autograd.gradcheck(lambda a: MulAdd.apply(a, a.cos(), 1.0), (x,))
    assert autojac.autograd.gradcheck(lambda a: a @ a, x)


def test_gradcheck_raises_gradcheck_error_on_wrong_backward():
    x = _d(1.0, 2.0)
    with pytest.raises(RuntimeError) as info:
        autojac.autograd.gradcheck(WrongGrad.apply, (x,))
    assert type(info.value).__name__ == "GradcheckError"
    assert str(info.value).startswith(
        "Jacobian mismatch for output 0 with respect to input 0,\nnumerical:"
    )
    assert autojac.autograd.gradcheck(WrongGrad.apply, (x,), raise_exception=False) is False


def test_gradcheck_check_forward_ad_catches_wrong_jvp():
    x = _d(1.0, 2.0)
    assert autojac.autograd.gradcheck(WrongJvp.apply, (x,))  # backward alone is right
    with pytest.raises(RuntimeError, match="mismatch for output 0 with respect to input 0,"):
        autojac.autograd.gradcheck(WrongJvp.apply, (x,), check_forward_ad=True)
    assert (
        autojac.autograd.gradcheck(
            WrongJvp.apply, (x,), check_forward_ad=True, raise_exception=False
        )
        is False
    )


def test_gradcheck_forward_ad_error_text():
    x = _d(1.0, 2.0)
    with pytest.raises(RuntimeError) as info:
        autojac.autograd.gradcheck(WrongJvp.apply, (x,), check_forward_ad=True)
    msg = str(info.value)
    assert type(info.value).__name__ == "GradcheckError"
    assert msg.startswith(
        "Jacobian computed with forward mode mismatch for output 0 with "
        "respect to input 0,\nnumerical:"
    )
    assert "\nanalytical:" in msg


def test_gradgradcheck_passes_on_correct_function():
    x = _d(0.5, 1.5)
    assert autojac.autograd.gradgradcheck(lambda a: a.sin() * a, (x,))


def test_gradgradcheck_raises_on_wrong_second_order():
    x = _d(0.5, 1.5)
    assert autojac.autograd.gradcheck(WrongSecondOrder.apply, (x,))
    with pytest.raises(RuntimeError):
        autojac.autograd.gradgradcheck(WrongSecondOrder.apply, (x,))


@requires_torch
def test_gradcheck_wrong_function_raises_in_torch_too():
    torch = import_torch()

    class TWrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        torch.autograd.gradcheck(TWrong.apply, (x,))
    assert type(info.value).__name__ == "GradcheckError"
    assert str(info.value).startswith(
        "Jacobian mismatch for output 0 with respect to input 0,\nnumerical:"
    )


def test_set_detect_anomaly_named_by_the_hint_is_callable():
    autojac.autograd.set_detect_anomaly(True, check_nan=False)
    autojac.autograd.set_detect_anomaly(False)


# Built last, so that every case registered in this file (above) is parametrized.
(
    test_error_message_matches_pytorch,
    test_error_type_matches_pytorch,
    test_golden_error_is_pytorchs,
) = golden_error_tests(AUTOGRAD_ERRORS, autojac)


# -- tensor hooks
def test_a_leaf_hook_sees_and_replaces_the_whole_gradient():
    x = autojac.ones(2, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    x.register_hook(lambda g: g + 1)
    handle = x.register_hook(lambda g: g * 100)
    handle.remove()
    x.register_hook(lambda g: g * 2)  # in order: (3 + 1) * 2
    ((x * 1) + (x * 2)).sum().backward()
    assert seen == [[3.0, 3.0]] and x.grad.tolist() == [8.0, 8.0]
    assert autojac.autograd.grad((x * 3).sum(), x)[0].tolist() == [8.0, 8.0]


def test_a_hook_on_an_intermediate_changes_what_flows_on():
    x = autojac.ones(2, requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 10)
    ((y * 3).sum() + y.sum()).backward()  # y's gradient 3 + 1, times 10, then times 2
    assert x.grad.tolist() == [80.0, 80.0] and y.grad.tolist() == [40.0, 40.0]
    z = x * 2
    z.register_hook(lambda g: g * 10)
    assert autojac.autograd.grad((z * 3).sum(), z)[0].tolist() == [30.0, 30.0]


def test_a_hook_stays_with_the_value_it_was_registered_on():
    x = autojac.ones(2, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.mul_(3)  # d(sum(6x))/dx with the hook on 2x's gradient (3): 3 * 10 * 2
    y.sum().backward()
    assert x.grad.tolist() == [60.0, 60.0]


def test_a_jacobian_through_a_hook_is_never_replayed():
    def f(x):
        y = x * 2
        y.register_hook(lambda g: g * 10)
        return y.sin()

    x = autojac.tensor([0.5, 1.0])
    expected = np.diag(20 * np.cos(2 * x._data))
    for _ in range(4):
        np.testing.assert_allclose(autojac.autograd.functional.jacobian(f, x)._data, expected,
                                   rtol=1e-6)


@pytest.mark.parametrize("name,kw,expected,slope", [
    ("relu", {}, [0.0, 2.0], [0.0, 1.0]),
    ("leaky_relu", {"negative_slope": 0.1}, [-0.1, 2.0], [0.1, 1.0]),
    ("elu", {}, [np.expm1(-1.0), 2.0], [np.exp(-1.0), 1.0]),
    ("silu", {}, [-1 / (1 + np.e), 2 / (1 + np.exp(-2.0))],
     [1 / (1 + np.e) * (1 - 1 / (1 + np.exp(-1.0))),
      1 / (1 + np.exp(-2.0)) * (1 + 2 * (1 - 1 / (1 + np.exp(-2.0))))]),
], ids=lambda v: v if isinstance(v, str) else "")
def test_an_activation_in_place_writes_into_its_input(name, kw, expected, slope):
    import autojac.nn.functional as F

    x0 = autojac.tensor([-1.0, 2.0], dtype=autojac.float64, requires_grad=True)
    x = x0 * 1
    y = getattr(F, name)(x, inplace=True, **kw)
    assert y is x
    np.testing.assert_allclose(x._data, expected)
    y.sum().backward()  # (the rule read a copy: the overwritten input is not needed)
    np.testing.assert_allclose(x0.grad._data, slope)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(F, name)(autojac.ones(2, requires_grad=True), inplace=True, **kw)


@pytest.mark.parametrize("fn,x,expected", [
    (lambda x: x.std(), [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]),
    (lambda x: autojac.linalg.vector_norm(x, 0.5), [0.0, 1.0, 2.0],
     [0.0, 1 + np.sqrt(2), (1 + np.sqrt(2)) / np.sqrt(2)]),
    (lambda x: 0.0 ** x, [0.0, 1.0, 2.0], [0.0, 0.0, 0.0]),
], ids=["std_of_constant", "norm_below_1_at_zero", "zero_base_power"])
def test_gradients_at_the_rules_singular_points_are_pytorchs(fn, x, expected):
    """Where the formula divides by zero (std = 0, |x|^(p-1) at 0, log of a zero base),
    PyTorch's rules give 0, in both modes."""
    t = autojac.tensor(x, dtype=autojac.float64, requires_grad=True)
    (g,) = autojac.autograd.grad(fn(t).sum(), t)
    np.testing.assert_allclose(g.numpy(), expected, rtol=1e-12)
    jac = autojac.autograd.functional.jacobian(lambda a: fn(a).sum(), t.detach(),
                                               strategy="forward-mode")
    np.testing.assert_allclose(jac.numpy(), expected, rtol=1e-12)


def test_each_input_gets_its_cotangent_in_its_dtype() -> None:
    a = autojac.tensor(1.0, dtype=autojac.float64, requires_grad=True)
    (a.float() + autojac.tensor(1.0, dtype=autojac.float64)).backward(
        autojac.tensor(0.1, dtype=autojac.float64))
    assert a.grad.item() == float(np.float32(0.1))  # rounded at the float32 operand


def test_mixed_dtype_second_derivatives_through_matmul() -> None:
    y = autojac.tensor([[0.3, -1.2], [0.5, 0.9]], requires_grad=True)  # float32
    z = autojac.tensor(0.7, dtype=autojac.float64)
    (g,) = autojac.autograd.grad((y @ y).sum() * z, y, create_graph=True)
    assert g.dtype == autojac.float32
    (gg,) = autojac.autograd.grad(g[0, 0], y)
    # d/dy of z (1 1^T y^T + y^T 1 1^T)[0, 0] = z (y[0, 0] + y[0, 1] + y[0, 0] + y[1, 0])
    np.testing.assert_allclose(gg.numpy(), np.float32(0.7) * np.array([[2, 1], [1, 0]]),
                               rtol=1e-6)


@pytest.mark.parametrize("transform", ["grad", "jacrev", "jacfwd", "vjp", "jvp"])
def test_func_aux_comes_back_outside_the_transform(transform):
    """aux leaves the transform without the history it gave it (torch.func unwraps it); an
    outer transform watching keeps it."""

    def f(x):
        return x.sin().sum(), {"c": x.cos(), "both": (x * 2, x.exp())}

    calls = {
        "grad": lambda x: autojac.func.grad(f, has_aux=True)(x)[1],
        "jacrev": lambda x: autojac.func.jacrev(f, has_aux=True)(x)[1],
        "jacfwd": lambda x: autojac.func.jacfwd(f, has_aux=True)(x)[1],
        "vjp": lambda x: autojac.func.vjp(f, x, has_aux=True)[2],
        "jvp": lambda x: autojac.func.jvp(f, (x,), (autojac.ones(2),), has_aux=True)[2],
    }
    x = autojac.tensor([0.5, 1.5])
    aux = calls[transform](x)
    assert list(aux) == ["c", "both"] and isinstance(aux["both"], tuple)
    np.testing.assert_allclose(aux["c"].numpy(), np.cos([0.5, 1.5]))
    assert not any(t.requires_grad for t in (aux["c"], *aux["both"]))
    if transform in ("grad", "vjp"):
        watched = calls[transform](x.clone().requires_grad_())
        assert watched["c"].requires_grad


def test_func_transforms_take_pytrees_of_tensors():
    """torch.func's arguments may be nested tuples, lists, namedtuples and dicts of tensors:
    the results have the same structure."""
    x = autojac.tensor([0.5, 1.5], dtype=autojac.float64)
    y = autojac.tensor([2.0], dtype=autojac.float64)

    def f(p, z):
        return (p["a"].sin() * p["b"][0]).sum() + p["b"][1].sum() * z.sum()

    grads, gz = autojac.func.grad(f, argnums=(0, 1))({"a": x, "b": [y, x * 2]}, y)
    assert list(grads) == ["a", "b"] and isinstance(grads["b"], list)
    np.testing.assert_allclose(grads["a"].numpy(), np.cos([0.5, 1.5]) * 2.0)
    np.testing.assert_allclose(grads["b"][0].numpy(), [np.sin(0.5) + np.sin(1.5)])
    np.testing.assert_array_equal(grads["b"][1], [2.0, 2.0])
    np.testing.assert_array_equal(gz, [4.0])

    def scaled(t):
        return t[0] * t[1].sum()

    for transform in (autojac.func.jacrev, autojac.func.jacfwd):
        jx, jy = transform(scaled)((x, y))
        np.testing.assert_array_equal(jx, 2.0 * np.eye(2))
        np.testing.assert_array_equal(jy, [[0.5], [1.5]])
    _, vjp_fn = autojac.func.vjp(lambda t: t[0] * t[1], (x, x))
    ((gx0, gx1),) = vjp_fn(autojac.ones(2, dtype=autojac.float64))
    np.testing.assert_array_equal(gx0, x)
    _, tangent = autojac.func.jvp(lambda t: t[0] * t[1], ((x, x),),
                                  ((autojac.ones(2, dtype=autojac.float64), x),))
    np.testing.assert_array_equal(tangent, x + x * x)
    with pytest.raises(RuntimeError, match="same python structure"):
        autojac.func.jvp(lambda t: t[0], ((x, x),), ((x,),))
    with pytest.raises(ValueError, match="must be Tensor, got <class 'float'>"):
        autojac.func.grad(lambda t: t[0].sum())((x, 1.0))


def test_func_linearize_pushes_tangents_through_one_recorded_call():
    calls = []

    def f(x, y):
        calls.append(1)
        return (x.sin() * y, (x * y).sum())

    rng = np.random.default_rng(7)
    x, y = (autojac.tensor(rng.standard_normal(3)) for _ in range(2))
    value, jvp_fn = autojac.func.linearize(f, x, y)
    np.testing.assert_allclose(value[0].numpy(), (x.sin() * y).numpy())
    for _ in range(4):  # (eager, taped, then replayed)
        tx, ty = (autojac.tensor(rng.standard_normal(3)) for _ in range(2))
        got = jvp_fn(tx, ty)
        want = autojac.func.jvp(f, (x, y), (tx, ty))[1]
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6)
    assert len(calls) == 1 + 4  # (one call for linearize, one per jvp above)
    with pytest.raises(RuntimeError, match="same argspec as the primals"):
        jvp_fn(tx)
    with pytest.raises(RuntimeError, match="tangent:1 with shape"):
        jvp_fn(tx, autojac.ones(2, dtype=autojac.float64))
    _, identity = autojac.func.linearize(lambda x: x, x)
    assert identity(tx) is not tx  # (a tangent given is not returned: PyTorch's is a copy)
    watched = x.clone().requires_grad_()
    _, jvp_fn = autojac.func.linearize(lambda x: (x ** 3).sum(), watched)
    (g,) = autojac.autograd.grad(jvp_fn(autojac.ones(3, dtype=autojac.float64)), watched)
    np.testing.assert_allclose(g.numpy(), 6 * x.numpy(), rtol=1e-6)


@requires_torch
def test_func_linearize_matches_pytorch():
    torch = import_torch()
    a = np.random.default_rng(8).standard_normal(4)
    t = np.random.default_rng(9).standard_normal(4)
    results = []
    for lib in (autojac, torch):
        value, jvp_fn = lib.func.linearize(lambda x: (x.exp() * x).cumsum(0), lib.tensor(a))
        results.append((value.numpy(), jvp_fn(lib.tensor(t)).numpy()))
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_func_pytree_structures_keep_dict_order_and_types():
    import collections

    x, y = autojac.ones(2), autojac.tensor([3.0])
    with pytest.raises(RuntimeError, match="same python structure"):  # (keys in another order)
        autojac.func.jvp(lambda d: d["a"] * 10, ({"a": y, "b": y},),
                         ({"b": autojac.ones(1), "a": autojac.zeros(1)},))
    with pytest.raises(RuntimeError, match="Expected tangents to only contain Tensors"):
        autojac.func.jvp(lambda x: x * 2, (x,), (1.0,))
    pair = collections.namedtuple("pair", "a b")
    _, aux = autojac.func.grad(lambda x: (x.sum(), pair(x * 2, x * 3)), has_aux=True)(x)
    assert type(aux) is pair and not aux.a.requires_grad
    g = autojac.func.grad(lambda d: d["a"].sum())(collections.OrderedDict(a=x))
    assert type(g) is collections.OrderedDict
    _, vjp_fn = autojac.func.vjp(lambda x: (x * 2, x * 3), x)
    with pytest.raises(RuntimeError, match="pytree structure of cotangents"):
        vjp_fn((autojac.ones(2),))
    np.testing.assert_array_equal(vjp_fn((autojac.ones(2), autojac.ones(2)))[0], [5.0, 5.0])


def test_deepcopy_of_a_leaf_keeps_its_gradient_as_a_copy():
    x = autojac.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    y = copy.deepcopy(x)
    assert y.requires_grad and y.is_leaf and y.grad is not x.grad
    np.testing.assert_array_equal(y.grad, [2.0, 4.0])
    y.grad.zero_()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
