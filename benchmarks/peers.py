"""The peers: every way of getting the workloads' Jacobians that the suite times.

A peer turns a (workload, case) into a thunk: a no-argument callable that computes the whole
Jacobian (or Hessian) once and returns it, with device work finished (JAX results are
blocked on). Inputs are converted to the peer's array type once, outside the thunk.
A peer whose library is not importable is left out; one that does not apply to a case
builds ``None``. JAX and HIPS autograd run the NumPy-style twins of the workloads below.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import Any

import numpy as np
from workloads import Case, Workload

Thunk = Callable[[], Any]

# Groups: how a peer counts in the summaries and targets.
FORWARD = "forward"  # f(x) only, for scale; not a Jacobian
REFERENCE = "reference"  # hand-written NumPy Jacobian
EAGER = "eager"  # non-compiling AD peer: torch variants, eager JAX, HIPS autograd
JIT = "jit"  # jax.jit: first call (trace + compile) reported apart
AUTOJAC = "autojac"

# Largest input size at which the non-vectorized forward mode of autojac is run.
SMALL_INPUTS = 256


# Why a library could not be imported, for the report's header.
IMPORT_ERRORS: dict[str, str] = {}


def _optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - any import failure means "peer not available"
        IMPORT_ERRORS[name] = " ".join(f"{type(exc).__name__}: {exc}".split())[:120]
        return None


torch = _optional("torch")
jax = _optional("jax")
jnp = _optional("jax.numpy") if jax is not None else None
hips = _optional("autograd")
anp = _optional("autograd.numpy") if hips is not None else None
autojac = _optional("autojac")
aj_functional = _optional("autojac.autograd.functional") if autojac is not None else None
if jax is not None:
    jax.config.update("jax_enable_x64", True)
    try:
        # One thread: run each computation inline on the calling thread. With async dispatch
        # JAX overlaps Python with compute on a second core, and a call interrupted by the
        # budget would leave queued work that slows the next cell down.
        jax.config.update("jax_cpu_enable_async_dispatch", False)
    except AttributeError:  # an older or newer JAX without the flag
        pass


# -- NumPy-style twins of the workloads, for numpy / jax.numpy / autograd.numpy (``xp``)
def np_exp_reducer(xp: Any, x: Any) -> Any:
    return xp.sum(xp.exp(x), axis=1)


def np_elementwise(xp: Any, x: Any) -> Any:
    return xp.tanh(xp.sin(x) * x + 1) ** 2


def np_mlp(xp: Any, x: Any, w1: Any, b1: Any, w2: Any, b2: Any) -> Any:
    return w2 @ xp.tanh(w1 @ x + b1) + b2


def np_tuple_io(xp: Any, x: Any, y: Any) -> tuple[Any, Any]:
    return xp.exp(x) * xp.sum(y), xp.sin(x[:, None] * y[None, :])


def np_pde(xp: Any, u: Any, zero1: Any) -> Any:
    up = xp.concatenate([u[1:], zero1])
    um = xp.concatenate([zero1, u[:-1]])
    return um - 2 * u + up + u**3


def np_softplus_sum(xp: Any, x: Any, a: Any) -> Any:
    return xp.sum(xp.log(1 + xp.exp(a @ x)))


NUMPY_STYLE: dict[str, Callable[..., Any]] = {
    "exp_reducer": np_exp_reducer,
    "elementwise": np_elementwise,
    "mlp": np_mlp,
    "tuple_io": np_tuple_io,
    "pde": np_pde,
    "hessian": np_softplus_sum,
}


@dataclass(frozen=True)
class Peer:
    """One row of the tables."""

    key: str
    name: str
    group: str
    build: Callable[[Workload, Case], Thunk | None]
    hessian_name: str | None = None

    def label(self, kind: str) -> str:
        """The row's name on a workload of this kind (``jacobian`` or ``hessian``)."""
        if kind == "hessian" and self.hessian_name:
            return self.hessian_name
        return self.name

    @property
    def checked(self) -> bool:
        return self.group != FORWARD


# -- helpers
def to_numpy(value: Any) -> Any:
    """A (nested tuple of) result(s) as NumPy arrays."""
    if isinstance(value, tuple | list):
        return tuple(to_numpy(v) for v in value)
    if hasattr(value, "detach"):  # torch and autojac tensors
        return np.asarray(value.detach().numpy())
    return np.asarray(value)


def _one_or_tuple(items: tuple[Any, ...]) -> Any:
    return items[0] if len(items) == 1 else items


def _bound(lib: Any, wl: Workload, case: Case, convert: Callable[[np.ndarray], Any]):
    """(f(*inputs) with the constants bound, converted inputs) for a PyTorch-style library."""
    consts = tuple(convert(c) for c in case.consts)
    inputs = tuple(convert(x) for x in case.inputs)

    def f(*xs: Any) -> Any:
        return wl.torch_style(lib, *xs, *consts)

    return f, inputs


# -- NumPy: forward pass and analytic reference
def _numpy_forward(wl: Workload, case: Case) -> Thunk:
    f, args = NUMPY_STYLE[wl.name], case.inputs + case.consts
    return lambda: f(np, *args)


def _numpy_analytic(wl: Workload, case: Case) -> Thunk:
    args = case.inputs + case.consts
    return lambda: wl.analytic(*args)


# -- torch
def _torch_forward(wl: Workload, case: Case) -> Thunk:
    f, inputs = _bound(torch, wl, case, torch.from_numpy)

    def run() -> Any:
        with torch.no_grad():
            return f(*inputs)

    return run


def _torch_af(vectorize: bool, strategy: str) -> Callable[[Workload, Case], Thunk]:
    def build(wl: Workload, case: Case) -> Thunk:
        f, inputs = _bound(torch, wl, case, torch.from_numpy)
        x = _one_or_tuple(inputs)
        af = torch.autograd.functional
        if wl.kind == "hessian":
            return lambda: af.hessian(f, x, vectorize=vectorize, outer_jacobian_strategy=strategy)
        return lambda: af.jacobian(f, x, vectorize=vectorize, strategy=strategy)

    return build


def _torch_func(outer: str) -> Callable[[Workload, Case], Thunk]:
    def build(wl: Workload, case: Case) -> Thunk:
        f, inputs = _bound(torch, wl, case, torch.from_numpy)
        transform = getattr(torch.func, outer)
        argnums = tuple(range(len(inputs))) if len(inputs) > 1 else 0
        if wl.kind == "hessian":
            jac = transform(torch.func.jacrev(f, argnums=argnums), argnums=argnums)
        else:
            jac = transform(f, argnums=argnums)
        return lambda: jac(*inputs)

    return build


# -- JAX
def _jax_jacobian(wl: Workload, case: Case, outer: str) -> tuple[Callable[..., Any], tuple]:
    f = NUMPY_STYLE[wl.name]
    n_in = len(case.inputs)

    def g(*args: Any) -> Any:
        return f(jnp, *args)

    argnums = tuple(range(n_in)) if n_in > 1 else 0
    transform = getattr(jax, outer)
    if wl.kind == "hessian":
        jac = transform(jax.grad(g, argnums=argnums), argnums=argnums)
    else:
        jac = transform(g, argnums=argnums)
    args = tuple(jnp.asarray(a) for a in case.inputs + case.consts)
    return jac, args


def _jax_eager(outer: str) -> Callable[[Workload, Case], Thunk]:
    def build(wl: Workload, case: Case) -> Thunk:
        jac, args = _jax_jacobian(wl, case, outer)
        return lambda: jax.block_until_ready(jac(*args))

    return build


def _jax_jit(outer: str) -> Callable[[Workload, Case], Thunk]:
    def build(wl: Workload, case: Case) -> Thunk:
        jac, args = _jax_jacobian(wl, case, outer)
        compiled = jax.jit(jac)  # a fresh jit per case: its first call traces and compiles
        return lambda: jax.block_until_ready(compiled(*args))

    return build


# -- HIPS autograd (one argnum per call, array outputs only: tuple outputs are flattened)
def _hips(wl: Workload, case: Case) -> Thunk:
    f = NUMPY_STYLE[wl.name]
    args = case.inputs + case.consts
    n_in = len(case.inputs)

    def g(*a: Any) -> Any:
        return f(anp, *a)

    if wl.kind == "hessian":
        hess = hips.hessian(g, 0)
        return lambda: hess(*args)
    outs = f(np, *args)
    if not isinstance(outs, tuple):
        if n_in == 1:
            jac = hips.jacobian(g, 0)
            return lambda: jac(*args)
        outs = (outs,)
    shapes = [np.shape(o) for o in outs]
    splits = np.cumsum([int(np.prod(s)) for s in shapes])[:-1]

    def flat(*a: Any) -> Any:
        res = g(*a)
        res = res if isinstance(res, tuple) else (res,)
        return anp.concatenate([anp.ravel(r) for r in res])

    jacs = [hips.jacobian(flat, j) for j in range(n_in)]

    def run() -> Any:
        blocks = [np.split(jac(*args), splits, axis=0) for jac in jacs]
        return tuple(
            tuple(blocks[j][i].reshape(shapes[i] + case.inputs[j].shape) for j in range(n_in))
            for i in range(len(shapes))
        )

    return run


# -- autojac
def _autojac_forward(wl: Workload, case: Case) -> Thunk:
    f, inputs = _bound(autojac, wl, case, autojac.from_numpy)

    def run() -> Any:
        with autojac.no_grad():
            return f(*inputs)

    return run


def _autojac_jacobian(**kwargs: Any) -> Callable[[Workload, Case], Thunk | None]:
    """autojac's ``jacobian`` (``hessian`` on the Hessian workload) in one mode."""
    small_only = kwargs.get("strategy") == "forward-mode" and not kwargs.get("vectorize")

    def build(wl: Workload, case: Case) -> Thunk | None:
        if small_only and case.n_in > SMALL_INPUTS:
            return None
        f, inputs = _bound(autojac, wl, case, autojac.from_numpy)
        x = _one_or_tuple(inputs)
        if wl.kind == "hessian":
            if kwargs.get("strategy") == "auto":
                return _autojac_jac_of_grad(strategy="auto")(wl, case)
            hess_kw = {"vectorize": kwargs.get("vectorize", False)}
            hess_kw["outer_jacobian_strategy"] = kwargs.get("strategy", "reverse-mode")
            return lambda: aj_functional.hessian(f, x, **hess_kw)
        return lambda: aj_functional.jacobian(f, x, **kwargs)

    return build


def _autojac_jac_of_grad(**kwargs: Any) -> Callable[[Workload, Case], Thunk | None]:
    """Hessian workload only: ``jacobian`` of the gradient ``jacobian(f, x, create_graph)``."""

    def build(wl: Workload, case: Case) -> Thunk | None:
        if wl.kind != "hessian":
            return None
        f, inputs = _bound(autojac, wl, case, autojac.from_numpy)

        def gradient(x: Any) -> Any:
            # As hessian(): an input must require grad for the inner reverse pass to see
            # it; otherwise a forward-mode outer pass differentiates a detached copy (torch
            # gives the same wrong result without this).
            return aj_functional.jacobian(f, x.requires_grad_(True), create_graph=True)

        return lambda: aj_functional.jacobian(gradient, inputs[0], **kwargs)

    return build


def _all_peers() -> list[Peer]:
    peers = [
        Peer("numpy-forward", "*numpy f(x) (forward only)*", FORWARD, _numpy_forward),
    ]
    if torch is not None:
        peers.append(Peer("torch-forward", "*torch f(x) (forward only)*", FORWARD, _torch_forward))
    if autojac is not None:
        peers.append(
            Peer("autojac-forward", "*autojac f(x) (forward only)*", FORWARD, _autojac_forward)
        )
    peers.append(Peer("numpy-analytic", "numpy analytic", REFERENCE, _numpy_analytic))
    if torch is not None:
        peers += [
            Peer(
                "torch-default",
                "torch AF.jacobian loop-rev (default)",
                EAGER,
                _torch_af(False, "reverse-mode"),
                "torch AF.hessian loop-rev (default)",
            ),
            Peer(
                "torch-vec-rev",
                "torch AF.jacobian vec-rev",
                EAGER,
                _torch_af(True, "reverse-mode"),
                "torch AF.hessian vec-rev",
            ),
            Peer(
                "torch-vec-fwd",
                "torch AF.jacobian vec-fwd",
                EAGER,
                _torch_af(True, "forward-mode"),
                "torch AF.hessian vec-fwd (outer fwd)",
            ),
            Peer(
                "torch-func-jacrev",
                "torch.func.jacrev",
                EAGER,
                _torch_func("jacrev"),
                "torch.func.jacrev(jacrev)",
            ),
            Peer(
                "torch-func-jacfwd",
                "torch.func.jacfwd",
                EAGER,
                _torch_func("jacfwd"),
                "torch.func.jacfwd(jacrev)",
            ),
        ]
    if jax is not None:
        peers += [
            Peer(
                "jax-jacrev",
                "jax.jacrev eager",
                EAGER,
                _jax_eager("jacrev"),
                "jax.jacrev(grad) eager",
            ),
            Peer(
                "jax-jacfwd",
                "jax.jacfwd eager",
                EAGER,
                _jax_eager("jacfwd"),
                "jax.jacfwd(grad) eager",
            ),
            Peer(
                "jax-jit-jacrev",
                "jax.jit(jacrev)",
                JIT,
                _jax_jit("jacrev"),
                "jax.jit(jacrev(grad))",
            ),
            Peer(
                "jax-jit-jacfwd",
                "jax.jit(jacfwd)",
                JIT,
                _jax_jit("jacfwd"),
                "jax.jit(jacfwd(grad))",
            ),
        ]
    if hips is not None:
        peers.append(Peer("hips", "autograd.jacobian", EAGER, _hips, "autograd.hessian"))
    if autojac is not None:
        peers += [
            Peer(
                "autojac-default",
                "autojac jacobian default",
                AUTOJAC,
                _autojac_jacobian(),
                "autojac hessian default",
            ),
            Peer(
                "autojac-vec-rev",
                "autojac vec-rev",
                AUTOJAC,
                _autojac_jacobian(vectorize=True),
                "autojac hessian vec-rev",
            ),
            Peer(
                "autojac-vec-fwd",
                "autojac vec-fwd",
                AUTOJAC,
                _autojac_jacobian(vectorize=True, strategy="forward-mode"),
                "autojac hessian vec-fwd (outer fwd)",
            ),
            Peer(
                "autojac-auto",
                "autojac auto",
                AUTOJAC,
                _autojac_jacobian(strategy="auto"),
                "autojac jacobian(grad) auto",
            ),
            Peer(
                "autojac-loop-fwd",
                f"autojac loop-fwd (in <= {SMALL_INPUTS})",
                AUTOJAC,
                _autojac_jacobian(strategy="forward-mode"),
                "autojac hessian loop-fwd (outer fwd)",
            ),
            Peer(
                "autojac-jog-default",
                "autojac jacobian(grad) default",
                AUTOJAC,
                _autojac_jac_of_grad(),
            ),
            Peer(
                "autojac-jog-vec-rev",
                "autojac jacobian(grad) vec-rev",
                AUTOJAC,
                _autojac_jac_of_grad(vectorize=True),
            ),
            Peer(
                "autojac-jog-vec-fwd",
                "autojac jacobian(grad) vec-fwd",
                AUTOJAC,
                _autojac_jac_of_grad(vectorize=True, strategy="forward-mode"),
            ),
        ]
    return peers


PEERS: tuple[Peer, ...] = tuple(_all_peers())


def jax_async_dispatch() -> bool | None:
    """JAX's CPU async dispatch setting (None without JAX)."""
    if jax is None:
        return None
    try:
        return bool(jax.config._read("jax_cpu_enable_async_dispatch"))
    except (AttributeError, KeyError):
        return None


def versions() -> dict[str, str]:
    """Installed versions of every library the peers use (``absent`` when not installed)."""
    out = {}
    for name in ("numpy", "torch", "jax", "jaxlib", "autograd", "autojac"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
        if name in IMPORT_ERRORS:
            out[name] += f" (import failed, left out: {IMPORT_ERRORS[name]})"
    return out
