"""Every example of the seed tutorial, with the seed's printed outputs as expected text.

Inputs are those of the tour (``python -m autojac``): values that round to what the
tutorial printed (see ``autojac/__main__.py``). Expected strings are copied from the
tutorial's printed output, so both values (to 4 decimals) and layout are checked.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import autojac as torch
from autojac.autograd.functional import jacobian


def exp_reducer(x):
    return x.exp().sum(dim=1)


def exp_adder(x, y):
    return 2 * x.exp() + 3 * y


SEED_J1 = """tensor([[[2.7033, 2.0317],
         [0.0000, 0.0000]],

        [[0.0000, 0.0000],
         [1.1729, 1.0367]]])"""


def test_in1_in2_exp_reducer():
    inputs = torch.tensor([[2.7033, 2.0317], [1.1729, 1.0367]]).log()
    assert repr(jacobian(exp_reducer, inputs)) == SEED_J1
    assert repr(jacobian(exp_reducer, inputs, create_graph=True)) == (
        SEED_J1[:-1] + ", grad_fn=<ViewBackward0>)"
    )


def test_in3_exp_adder():
    inputs = (torch.tensor([4.2750, 2.2751]).div(2).log(), torch.tensor([0.5, 0.5]))
    assert repr(jacobian(exp_adder, inputs)) == (
        "(tensor([[4.2750, 0.0000],\n        [0.0000, 2.2751]]), tensor([[3., 0.],\n"
        "        [0., 3.]]))"
    )


def test_in4_to_in6():
    x = torch.tensor([[-0.476490, -0.778278, -0.385096], [-2.134957, -0.547369, -1.876349]])
    assert repr(x) == (
        "tensor([[-0.4765, -0.7783, -0.3851],\n        [-2.1350, -0.5474, -1.8763]])"
    )
    assert repr(exp_reducer(x)) == "tensor([1.7605, 0.8499])"
    assert (
        repr(jacobian(exp_reducer, x))
        == """tensor([[[0.6210, 0.4592, 0.6804],
         [0.0000, 0.0000, 0.0000]],

        [[0.0000, 0.0000, 0.0000],
         [0.1182, 0.5785, 0.1531]]])"""
    )


def test_in7_vector_by_vector():
    a = torch.tensor([-1.340032, 0.305589, 1.125757])
    x = torch.tensor([-0.627978, 0.071760, 0.227790])
    assert str(a) == "tensor([-1.3400,  0.3056,  1.1258])"
    assert str(x) == "tensor([-0.6280,  0.0718,  0.2278])"
    assert str(a + x) == "tensor([-1.9680,  0.3773,  1.3535])"
    jac = jacobian(lambda v: a + v, x)
    assert repr((jac, jac.shape)) == (
        "(tensor([[1., 0., 0.],\n        [0., 1., 0.],\n        [0., 0., 1.]]), "
        "autojac.Size([3, 3]))"
    )


def test_in8_matrix_by_matrix():
    a = torch.tensor(
        [
            [0.212956, 0.981235, -1.729471],
            [-0.729789, -0.427223, -0.541057],
            [0.004960, 1.109255, 0.193791],
        ]
    )
    x = torch.tensor(
        [
            [-1.933162, -1.132092, 0.535195],
            [0.044453, -0.216382, 2.195321],
            [0.019514, -0.683406, 1.104554],
        ]
    )
    assert (
        str(a + x)
        == """tensor([[-1.7202, -0.1509, -1.1943],
        [-0.6853, -0.6436,  1.6543],
        [ 0.0245,  0.4258,  1.2983]])"""
    )
    jac = jacobian(lambda v: a + v, x)
    assert jac.shape == torch.Size([3, 3, 3, 3])
    expected = torch.eye(9).reshape(3, 3, 3, 3)
    assert bool((jac == expected).all())
    assert repr(jac).startswith("tensor([[[[1., 0., 0.],\n          [0., 0., 0.],")


def test_in9_backward_and_jacobian():
    a = torch.tensor([0.104252, -0.081943, -0.943307])
    x = torch.tensor([-0.708946, -0.856878, 0.695833], requires_grad=True)
    assert str(x) == "tensor([-0.7089, -0.8569,  0.6958], requires_grad=True)"
    y = a + x
    assert str(y) == "tensor([-0.6047, -0.9388, -0.2475], grad_fn=<AddBackward0>)"
    y.backward(torch.ones_like(y))
    assert str(x.grad) == "tensor([1., 1., 1.])"
    jac = jacobian(lambda v: a + v, x)
    assert str(jac) == "tensor([[1., 0., 0.],\n        [0., 1., 0.],\n        [0., 0., 1.]])"
    assert str(torch.ones_like(y) @ jac) == "tensor([1., 1., 1.])"


@pytest.fixture
def ab():
    a = torch.tensor(
        [[-0.517123, -0.942129, 0.833424], [-0.034164, -0.803911, -0.196742]], requires_grad=True
    )
    b = torch.tensor(
        [[0.773189, -0.992562], [0.354727, -0.425041], [-0.411476, 0.516403]], requires_grad=True
    )
    return a, b


def test_in10_to_in12(ab):
    a, b = ab
    assert str(a) == (
        "tensor([[-0.5171, -0.9421,  0.8334],\n        [-0.0342, -0.8039, -0.1967]], "
        "requires_grad=True)"
    )
    y = a @ b
    assert str(y) == (
        "tensor([[-1.0770,  1.3441],\n        [-0.2306,  0.2740]], grad_fn=<MmBackward0>)"
    )
    with pytest.raises(
        RuntimeError, match="^grad can be implicitly created only for scalar outputs$"
    ):
        y.backward()
    assert a.grad is None and b.grad is None
    y.backward(torch.ones_like(y))
    assert str(a.grad) == (
        "tensor([[-0.2194, -0.0703,  0.1049],\n        [-0.2194, -0.0703,  0.1049]])"
    )
    assert str(b.grad) == (
        "tensor([[-0.5513, -0.5513],\n        [-1.7460, -1.7460],\n        [ 0.6367,  0.6367]])"
    )


def test_in13_to_in16(ab):
    a, b = ab
    (a @ b).backward(torch.ones(2, 2))

    def func(a):
        return a @ b

    assert str(func(a)) == (
        "tensor([[-1.0770,  1.3441],\n        [-0.2306,  0.2740]], grad_fn=<MmBackward0>)"
    )
    # the seed was printed by an older PyTorch (SqueezeBackward3); 2.13 names it ...4
    assert str(func(a[0])) == "tensor([-1.0770,  1.3441], grad_fn=<SqueezeBackward4>)"
    vj = torch.ones_like(func(a[0])) @ jacobian(func, a[0])
    assert str(vj) == "tensor([-0.2194, -0.0703,  0.1049])"
    assert str(a.grad[0]) == "tensor([-0.2194, -0.0703,  0.1049])"
    assert bool(((vj - a.grad[0]).abs() < 1e-6).all())
    assert b.grad is not None and bool((b.grad[:, 0] == b.grad[:, 1]).all())


def test_tour_runs_and_prints_every_step():
    out = subprocess.run(
        [sys.executable, "-m", "autojac"], capture_output=True, text=True, check=True
    ).stdout
    for k in range(1, 17):
        assert f"In [{k}]" in out
    assert SEED_J1 in out
    assert "RuntimeError: grad can be implicitly created only for scalar outputs" in out
    assert out.rstrip().endswith("ones @ J equals the gradient from backward: True")
