"""``.grad`` as PyTorch's AccumulateGrad keeps it: each a tensor of its own at first, then
added into in place (out of place, differentiably, with ``create_graph``)."""

from __future__ import annotations

import numpy as np

import autojac


def _leaf(values: list[float]) -> autojac.Tensor:
    return autojac.tensor(values, requires_grad=True)


def test_leaves_fed_one_gradient_hold_their_own_copies() -> None:
    x, b = _leaf([1.0, 2.0, 3.0]), _leaf([0.5, 0.5, 0.5])
    ((x + b) ** 2).sum().backward()  # add's backward hands one array to both
    b.grad.mul_(0.5)
    np.testing.assert_array_equal(x.grad, [3.0, 5.0, 7.0])


def test_a_retained_gradient_and_a_leafs_are_apart() -> None:
    y = _leaf([1.0, 2.0])
    h = y * 1
    h.retain_grad()
    (h + y).sum().backward()
    y.grad.zero_()
    np.testing.assert_array_equal(h.grad, [1.0, 1.0])


def test_the_callers_gradient_is_not_stored() -> None:
    x = _leaf([1.0, 2.0, 3.0])
    seed = autojac.ones(3)
    (x + 0).backward(seed)
    x.grad.zero_()
    x.backward(seed)  # (a leaf as its own root)
    x.grad.zero_()
    np.testing.assert_array_equal(seed, [1.0, 1.0, 1.0])


def test_later_gradients_are_added_in_place() -> None:
    x = _leaf([1.0, 2.0, 3.0])
    (x * 2).sum().backward()
    held = x.grad
    version = held._version
    (x * 3).sum().backward()
    assert held is x.grad and held._version == version + 1
    np.testing.assert_array_equal(held, [5.0, 5.0, 5.0])


def test_an_assigned_gradient_is_added_into() -> None:
    x = _leaf([1.0, 2.0])
    mine = autojac.zeros(2)
    x.grad = mine
    (x * 4).sum().backward()
    np.testing.assert_array_equal(mine, [4.0, 4.0])


def test_an_expanded_gradient_cannot_be_added_into() -> None:
    x = _leaf([1.0, 2.0])
    x.grad = autojac.zeros(1).expand(2)
    try:
        (x * 4).sum().backward()
    except RuntimeError as e:
        assert "more than one element of the written-to tensor" in str(e)
    else:
        raise AssertionError("backward added into an expanded gradient")


def test_a_differentiable_gradient_keeps_its_history() -> None:
    x = _leaf([1.0, 2.0, 3.0])
    (x ** 2).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad and first.grad_fn is not None
    (x * 3).sum().backward()  # without create_graph: into the same tensor
    assert x.grad is first and first.grad_fn is not None
    np.testing.assert_array_equal(first.detach(), [5.0, 7.0, 9.0])
    (x ** 2).sum().backward(create_graph=True)  # with it: a new, differentiable sum
    assert x.grad is not first
    (g,) = autojac.autograd.grad(x.grad.sum(), x)
    np.testing.assert_array_equal(g, [4.0, 4.0, 4.0])  # 2 from each create_graph backward


def test_a_retained_gradient_is_added_out_of_place() -> None:
    x = _leaf([1.0, 2.0, 3.0])
    y = x * 2
    y.retain_grad()
    y.sum().backward(retain_graph=True)
    held = y.grad
    y.sum().backward(retain_graph=True)
    assert y.grad is not held
    np.testing.assert_array_equal(held, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(y.grad, [2.0, 2.0, 2.0])
    y.sum().backward(inputs=[y])
    np.testing.assert_array_equal(held, [1.0, 1.0, 1.0])


def test_a_backward_that_fails_committing_changes_no_gradient() -> None:
    x, b = _leaf([1.0, 2.0]), _leaf([3.0, 4.0])
    (x * b).sum().backward()
    before = x.grad.clone()
    b.grad = autojac.zeros(1).expand(2)  # (cannot be added into)
    try:
        (x * b).sum().backward()
    except RuntimeError:
        pass
    else:
        raise AssertionError("backward added into an expanded gradient")
    np.testing.assert_array_equal(x.grad, before)
    b.grad = None

    def failing(g: autojac.Tensor) -> autojac.Tensor:
        raise ValueError("hook")

    b.register_hook(failing)
    try:
        (x * b).sum().backward()
    except ValueError:
        pass
    np.testing.assert_array_equal(x.grad, before)
    assert b.grad is None


def test_views_of_a_stored_gradient_see_what_is_added() -> None:
    x = _leaf([1.0, 2.0, 3.0])
    (x * 2).sum().backward()
    head = x.grad[:2]
    (x * 3).sum().backward()
    np.testing.assert_array_equal(head, [5.0, 5.0])
    base = autojac.zeros(2, 3)
    x.grad = base[1]  # (a view: added into through its base)
    (x * 4).sum().backward()
    np.testing.assert_array_equal(base, [[0.0] * 3, [4.0] * 3])
