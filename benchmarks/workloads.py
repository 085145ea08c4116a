"""The benchmark workloads: each function written once in PyTorch style, plus its analytic
NumPy Jacobian (the reference every peer is checked and timed against).

A workload function takes the array library first (``autojac`` or ``torch``), then the
differentiated inputs, then constant (not differentiated) arrays: ``f(lib, *inputs, *consts)``.
Its NumPy-style twin for JAX and HIPS autograd lives in ``peers.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Jacobian = np.ndarray | tuple[tuple[np.ndarray, ...], ...]
Kind = Literal["jacobian", "hessian"]


@dataclass(frozen=True)
class Case:
    """One size of one workload, with its inputs already drawn."""

    workload: str
    size: str
    n_in: int
    n_out: int
    inputs: tuple[np.ndarray, ...]
    consts: tuple[np.ndarray, ...]

    @property
    def label(self) -> str:
        return f"{self.workload}/{self.size}"

    @property
    def header(self) -> str:
        return f"{self.size} (in {self.n_in}, out {self.n_out})"


@dataclass(frozen=True)
class Workload:
    """A function, the sizes it runs at, and its analytic Jacobian (or Hessian)."""

    name: str
    title: str
    kind: Kind
    sizes: tuple[Any, ...]
    torch_style: Callable[..., Any]
    analytic: Callable[..., Jacobian]
    make: Callable[[Any, np.dtype, np.random.Generator], Case]

    def case(self, size: Any, dtype: np.dtype, seed: int = 0) -> Case:
        return self.make(size, np.dtype(dtype), np.random.default_rng(seed))


# -- 1. exp_reducer: R^(n,n) -> R^n
def exp_reducer(lib: Any, x: Any) -> Any:
    return x.exp().sum(dim=1)


def exp_reducer_jac(x: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    jac = np.zeros((n, n, n), dtype=x.dtype)
    idx = np.arange(n)
    jac[idx, idx, :] = np.exp(x)
    return jac


def _make_exp_reducer(n: int, dtype: np.dtype, rng: np.random.Generator) -> Case:
    x = rng.standard_normal((n, n)).astype(dtype)
    return Case("exp_reducer", f"n={n}", n * n, n, (x,), ())


# -- 2. elementwise: R^n -> R^n, diagonal Jacobian
def elementwise(lib: Any, x: Any) -> Any:
    return lib.tanh(lib.sin(x) * x + 1) ** 2


def elementwise_jac(x: np.ndarray) -> np.ndarray:
    t = np.tanh(np.sin(x) * x + 1)
    return np.diag(2 * t * (1 - t * t) * (np.cos(x) * x + np.sin(x)))


def _make_elementwise(n: int, dtype: np.dtype, rng: np.random.Generator) -> Case:
    return Case("elementwise", f"n={n}", n, n, (rng.standard_normal(n).astype(dtype),), ())


# -- 3. mlp output w.r.t. its input
def mlp(lib: Any, x: Any, w1: Any, b1: Any, w2: Any, b2: Any) -> Any:
    return w2 @ lib.tanh(w1 @ x + b1) + b2


def mlp_jac(
    x: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray
) -> np.ndarray:
    h = np.tanh(w1 @ x + b1)
    return (w2 * (1 - h * h)) @ w1


def _make_mlp(size: tuple[int, int, int], dtype: np.dtype, rng: np.random.Generator) -> Case:
    n_in, hidden, n_out = size
    x = rng.standard_normal(n_in)
    w1 = rng.standard_normal((hidden, n_in)) / np.sqrt(n_in)
    b1 = rng.standard_normal(hidden) * 0.1
    w2 = rng.standard_normal((n_out, hidden)) / np.sqrt(hidden)
    b2 = rng.standard_normal(n_out) * 0.1
    consts = tuple(a.astype(dtype) for a in (w1, b1, w2, b2))
    return Case("mlp", f"{n_in}-{hidden}-{n_out}", n_in, n_out, (x.astype(dtype),), consts)


# -- 4. tuple inputs and outputs
def tuple_io(lib: Any, x: Any, y: Any) -> tuple[Any, Any]:
    return x.exp() * y.sum(), (x[:, None] * y[None, :]).sin()


def tuple_io_jac(x: np.ndarray, y: np.ndarray) -> Jacobian:
    n, m = x.size, y.size
    ex = np.exp(x)
    d0x = np.diag(ex * y.sum())
    d0y = np.repeat(ex[:, None], m, axis=1)
    c = np.cos(x[:, None] * y[None, :])
    d1x = np.zeros((n, m, n), dtype=x.dtype)
    d1x[np.arange(n), :, np.arange(n)] = c * y[None, :]
    d1y = np.zeros((n, m, m), dtype=x.dtype)
    d1y[:, np.arange(m), np.arange(m)] = c * x[:, None]
    return ((d0x, d0y), (d1x, d1y))


def _make_tuple_io(size: tuple[int, int], dtype: np.dtype, rng: np.random.Generator) -> Case:
    n, m = size
    x = rng.standard_normal(n).astype(dtype)
    y = (rng.standard_normal(m) * 0.2).astype(dtype)
    return Case("tuple_io", f"{n},{m}", n + m, n + n * m, (x, y), ())


# -- 5. PDE residual with a tridiagonal Jacobian (zero boundary)
def pde(lib: Any, u: Any, zero1: Any) -> Any:
    up = lib.cat([u[1:], zero1])
    um = lib.cat([zero1, u[:-1]])
    return um - 2 * u + up + u**3


def pde_jac(u: np.ndarray, zero1: np.ndarray) -> np.ndarray:
    n = u.size
    jac = np.zeros((n, n), dtype=u.dtype)
    idx = np.arange(n)
    jac[idx, idx] = -2 + 3 * u * u
    jac[idx[1:], idx[:-1]] = 1
    jac[idx[:-1], idx[1:]] = 1
    return jac


def _make_pde(n: int, dtype: np.dtype, rng: np.random.Generator) -> Case:
    u = rng.standard_normal(n).astype(dtype)
    return Case("pde", f"n={n}", n, n, (u,), (np.zeros(1, dtype=dtype),))


# -- 6. Hessian of a scalar: sum(log(1 + exp(A @ x)))
def softplus_sum(lib: Any, x: Any, a: Any) -> Any:
    return lib.log(1 + lib.exp(a @ x)).sum()


def softplus_sum_hessian(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    s = 1 / (1 + np.exp(-(a @ x)))
    return a.T @ ((s * (1 - s))[:, None] * a)


def _make_hessian(n: int, dtype: np.dtype, rng: np.random.Generator) -> Case:
    a = (rng.standard_normal((200, n)) / np.sqrt(n)).astype(dtype)
    x = rng.standard_normal(n).astype(dtype)
    return Case("hessian", f"n={n}", n, n, (x,), (a,))


WORKLOADS: tuple[Workload, ...] = (
    Workload(
        "exp_reducer",
        "f(x)=exp(x).sum(dim=1), x (n,n) -> (n,); J (n,n,n)",
        "jacobian",
        (4, 32, 128),
        exp_reducer,
        exp_reducer_jac,
        _make_exp_reducer,
    ),
    Workload(
        "elementwise",
        "f(x)=tanh(sin(x)*x+1)**2, R^n -> R^n; J diagonal",
        "jacobian",
        (4, 16, 256, 2048),
        elementwise,
        elementwise_jac,
        _make_elementwise,
    ),
    Workload(
        "mlp",
        "f(x)=W2@tanh(W1@x+b1)+b2, x in R^in, hidden h, out m; J (m,in)",
        "jacobian",
        ((8, 32, 8), (64, 256, 64), (512, 512, 10), (10, 512, 512)),
        mlp,
        mlp_jac,
        _make_mlp,
    ),
    Workload(
        "tuple_io",
        "f(x,y)=(exp(x)*sum(y), sin(x[:,None]*y[None,:])), x R^50, y R^40; 2x2 blocks",
        "jacobian",
        ((50, 40),),
        tuple_io,
        tuple_io_jac,
        _make_tuple_io,
    ),
    Workload(
        "pde",
        "F(u)_i=u_{i-1}-2u_i+u_{i+1}+u_i^3 (zero boundary); J tridiagonal",
        "jacobian",
        (100, 1000, 4000),
        pde,
        pde_jac,
        _make_pde,
    ),
    Workload(
        "hessian",
        "Hessian of f(x)=sum(log(1+exp(A@x))), A (200,n)",
        "hessian",
        (10, 100),
        softplus_sum,
        softplus_sum_hessian,
        _make_hessian,
    ),
)
