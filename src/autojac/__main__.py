"""The tour: every example of the seed tutorial (In [1] to In [16]) run with autojac.

The tutorial drew its inputs at random and printed them to 4 decimals only. The inputs
here are values that round to what it printed and reproduce every number it printed
(found by searching within each printed value's rounding interval); inputs it did not
print are recovered from its outputs (``x = log(J)`` where ``J = exp(x)``). Run with
``python -m autojac``.
"""

from __future__ import annotations

import autojac as torch
from autojac.autograd.functional import jacobian


def show(label: str, *values: object) -> None:
    print(f"\n--- {label}")
    for v in values:
        print(v)


def exp_reducer(x: torch.Tensor) -> torch.Tensor:
    return x.exp().sum(dim=1)


def exp_adder(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return 2 * x.exp() + 3 * y


def main() -> None:
    print(
        "autojac tour: the seed tutorial of torch.autograd.functional.jacobian, "
        "run with `import autojac as torch`"
    )

    # In [1]-[2]: the rand inputs are recovered from the printed Jacobian, exp(x).
    inputs = torch.tensor([[2.7033, 2.0317], [1.1729, 1.0367]]).log()
    show("In [1]: jacobian(exp_reducer, inputs)", jacobian(exp_reducer, inputs))
    show(
        "In [2]: jacobian(exp_reducer, inputs, create_graph=True)",
        jacobian(exp_reducer, inputs, create_graph=True),
    )

    # In [3]: d(2 exp(x))/dx = 2 exp(x) on the diagonal.
    inputs = (torch.tensor([4.2750, 2.2751]).div(2).log(), torch.tensor([0.5, 0.5]))
    show("In [3]: jacobian(exp_adder, inputs)", jacobian(exp_adder, inputs))

    x = torch.tensor([[-0.476490, -0.778278, -0.385096], [-2.134957, -0.547369, -1.876349]])
    show("In [4]: x", x)
    show("In [5]: y = exp_reducer(x)", exp_reducer(x))
    show("In [6]: jacobian(exp_reducer, x)", jacobian(exp_reducer, x))

    a = torch.tensor([-1.340032, 0.305589, 1.125757])
    x = torch.tensor([-0.627978, 0.071760, 0.227790])
    show(
        "In [7]: vector by vector",
        f"a = {a}",
        f"x = {x}",
        f"a+x = {a + x}",
        (jacobian(lambda v: a + v, x), jacobian(lambda v: a + v, x).shape),
    )

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
    show(
        "In [8]: matrix by matrix",
        f"a = {a}",
        f"x = {x}",
        f"a+x = {a + x}",
        (jacobian(lambda v: a + v, x), jacobian(lambda v: a + v, x).shape),
    )

    a = torch.tensor([0.104252, -0.081943, -0.943307])
    x = torch.tensor([-0.708946, -0.856878, 0.695833], requires_grad=True)
    y = a + x
    y.backward(torch.ones_like(y))
    jac = jacobian(lambda v: a + v, x)
    show(
        "In [9]: backward vs jacobian",
        f"a = {a}",
        f"x = {x}",
        f"y = {y}",
        f"x.grad = {x.grad}",
        f"jacobian: {jac}",
        torch.ones_like(y) @ jac,
    )

    a = torch.tensor(
        [[-0.517123, -0.942129, 0.833424], [-0.034164, -0.803911, -0.196742]], requires_grad=True
    )
    b = torch.tensor(
        [[0.773189, -0.992562], [0.354727, -0.425041], [-0.411476, 0.516403]], requires_grad=True
    )
    y = a @ b
    show("In [10]: y = a @ b", f"a = {a}", f"b = {b}", y)
    try:
        y.backward()
    except RuntimeError as err:
        show("In [11]: y.backward()", f"RuntimeError: {err}")
    y.backward(torch.ones_like(y))
    show("In [12]: y.backward(torch.ones_like(y))", f"a.grad: {a.grad}", f"b.grad: {b.grad}")

    def func(a: torch.Tensor) -> torch.Tensor:
        return a @ b

    show("In [13]: func(a)", func(a))
    show("In [14]: func(a[0])", func(a[0]))
    vj = torch.ones_like(func(a[0])) @ jacobian(func, a[0])
    show("In [15]: ones @ jacobian(func, a[0])", vj)
    show("In [16]: a.grad[0]", a.grad[0])
    same = bool(torch.all((vj - a.grad[0]).abs() < 1e-6))
    print(f"\nones @ J equals the gradient from backward: {same}")


if __name__ == "__main__":
    main()
