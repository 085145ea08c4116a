"""PyTorch parity of ``autojac.autograd.functional`` (jacobian, hessian, vjp, jvp, vhp, hvp).

Every function below is written once in PyTorch style, ``fn(lib, *inputs, c=closures)``, and
runs with ``lib = autojac`` and ``lib = torch`` on the same NumPy data. For each combination of
function family x tuple/non-tuple inputs x create_graph x strict x vectorize x strategy x dtype
the test runs PyTorch first and turns its answer into an expectation:

* PyTorch accepts: autojac must return the same structure (tuple nesting; PyTorch's
  forward-mode lists are expected as tuples, a documented extension), shapes, dtypes, values
  (rel 1e-6 for float64, 1e-5 for float32) and requires_grad / detached status, call ``func``
  as many times, hand it fresh tensor objects and never write ``.grad`` of the caller's tensors;
  with ``create_graph=True`` the gradient of ``sum(J)`` w.r.t. the caller's tensors must equal
  PyTorch's.
* PyTorch rejects: autojac raises the same exception type with the same message (spelled
  ``autojac.`` where PyTorch says ``torch.``), after the same number of ``func`` calls.
* PyTorch rejects only because autojac goes beyond it (strict+vectorize, forward-mode with
  create_graph, strict or without vectorize): autojac must equal the PyTorch-accepted
  equivalent, the reverse-mode row loop, including its strict-mode errors; forward mode keeps
  the output's dtype and is detached unless ``create_graph``.

One deliberate departure from PyTorch's observable behaviour: PyTorch's vectorized reverse mode
with ``create_graph=True`` marks blocks that cannot depend on the inputs (zero or constant
blocks sharing an input with non-constant ones) as requiring grad, an artifact of splitting one
batched gradient. The issue requires such blocks not to require grad and vectorize=True to match
the row loop, so requires_grad is taken from PyTorch's row loop there (see ``expect_from``).

``tests/golden/functional.json`` holds a few of these expectations recorded with PyTorch, so
that ``test_golden`` checks autojac without torch installed. Regenerate it with
``python tests/test_functional.py --regen-golden``.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import sys
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import autojac
import autojac.autograd.functional as AF

try:
    import torch
    import torch.autograd.functional as TF
except ImportError:  # the golden-file test still runs
    torch = None
    TF = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
GOLDEN = Path(__file__).resolve().parent / "golden" / "functional.json"

REV, FWD = "reverse-mode", "forward-mode"
# PyTorch's messages for the argument combinations that autojac deliberately supports.
BEYOND_MARKERS = ("are not supported together", "only implemented for `vectorize=True`")


# -- function families (PyTorch style, run with either library) -----------------------------------
def f_elementwise(lib, x, c=()):
    return lib.sin(x) * x + x**3


def f_exp_reducer(lib, x, c=()):
    return x.exp().sum(dim=1)


def f_exp_adder(lib, x, y, c=()):
    return 2 * x.exp() + 3 * y


def f_mlp(lib, x, w1, w2, c=()):
    return lib.tanh(x @ w1) @ w2


def f_matmul(lib, x, y, c=()):
    return x @ y


def f_tuple_out(lib, x, c=()):
    return x**2, x.sum()


def f_tuple1_out(lib, x, c=()):
    return (x.exp(),)


def f_partial_indep(lib, x, y, c=()):
    return x * 2, y.exp()


def f_detached(lib, x, c=()):
    return x.exp(), x.detach() * 2


def f_detach_mix(lib, x, c=()):
    return x.exp() * x.detach()


def f_constant(lib, x, c=()):
    return lib.ones(2, dtype=x.dtype)


def f_integer(lib, x, c=()):
    return x.exp(), x.argmax()


def f_closure(lib, x, c=()):
    return x * c[0] + c[0].exp()


def f_closure_only(lib, x, c=()):
    return c[0] * 2, x.sin()


def f_scalar_in(lib, x, c=()):
    return x.sin() * x


def f_scalar_out(lib, x, c=()):
    return (x**2).sum()


def f_scalar_mixed(lib, x, y, c=()):
    return x * y, (x * y).sum()


def f_identity(lib, x, c=()):
    return x


def f_swap(lib, x, y, c=()):
    return y, x


def f_cast(lib, x, c=()):
    return (x.double() if x.dtype == lib.float32 else x.float()).exp()


def f_linear(lib, x, c=()):
    return 3 * x + 1


def f_views(lib, x, c=()):
    return x.t()[0], x[1, 1:]


def f_mixed_dtypes(lib, x, y, c=()):
    return x * y, x.exp()


# scalar functions for hessian / vhp / hvp
def h_cubic(lib, x, c=()):
    return (x**3).sum()


def h_rosen(lib, x, y, c=()):
    return ((1 - x) ** 2 + 100 * (y - x**2) ** 2).sum()


def h_quadratic(lib, x, c=()):
    return (x**2).sum() * 0.5


def h_linear(lib, x, c=()):
    return x.sum() * 2


def h_indep(lib, x, y, c=()):
    return (x**3).sum() + y.sum()


def h_scalar_in(lib, x, c=()):
    return x.sin() * x


def h_closure(lib, x, c=()):
    return (x**2 * c[0]).sum()


def h_mlp_loss(lib, x, w, c=()):
    return lib.tanh(x @ w).sum()


def h_integer(lib, x, c=()):
    return x.argmax()


def h_cast(lib, x, c=()):
    return (x.double() if x.dtype == lib.float32 else x.float()).exp().sum()


def h_mixed_dtypes(lib, x, y, c=()):
    return (x * y).sum() + x.exp().sum()


def h_one_element(lib, x, c=()):
    return (x**3).sum().reshape(1, 1)


def h_nonscalar(lib, x, c=()):
    return x**2


def h_tuple_out(lib, x, c=()):
    return ((x**3).sum(),)


@dataclass(frozen=True)
class Case:
    """A function family with the shapes of its inputs and of the tensors it closes over."""

    name: str
    fn: Callable[..., Any]
    shapes: tuple[tuple[int, ...], ...]
    closures: tuple[tuple[int, ...], ...] = ()
    dtypes: tuple[str, ...] | None = None  # fixed per-input dtypes instead of the matrix's

    def arrays(self, dtype: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        dts = (self.dtypes or ()) + (dtype,) * (len(self.shapes) + len(self.closures))
        draw = [
            rng.uniform(-1.2, 1.2, s).astype(dt) for s, dt in zip(self.shapes + self.closures, dts)
        ]
        return draw[: len(self.shapes)], draw[len(self.shapes) :]

    def wraps(self) -> tuple[str, ...]:
        return ("bare", "tuple") if len(self.shapes) == 1 else ("tuple",)


JAC_CASES = [
    Case("elementwise", f_elementwise, ((3, 2),)),
    Case("exp_reducer", f_exp_reducer, ((2, 3),)),
    Case("exp_adder", f_exp_adder, ((2,), (2,))),
    Case("mlp", f_mlp, ((2, 3), (3, 4), (4, 2))),
    Case("matmul", f_matmul, ((2, 3), (3, 2))),
    Case("tuple_out", f_tuple_out, ((3,),)),
    Case("tuple1_out", f_tuple1_out, ((2, 2),)),
    Case("partial_indep", f_partial_indep, ((2,), (3,))),
    Case("detached", f_detached, ((3,),)),
    Case("detach_mix", f_detach_mix, ((3,),)),
    Case("constant", f_constant, ((3,),)),
    Case("integer", f_integer, ((3,),)),
    Case("closure", f_closure, ((3,),), ((3,),)),
    Case("closure_only", f_closure_only, ((3,),), ((2,),)),
    Case("scalar_in", f_scalar_in, ((),)),
    Case("scalar_out", f_scalar_out, ((3,),)),
    Case("scalar_mixed", f_scalar_mixed, ((), (2,))),
    Case("identity", f_identity, ((2, 2),)),
    Case("swap", f_swap, ((2,), (3,))),
    Case("cast", f_cast, ((3,),)),
    Case("linear", f_linear, ((3,),)),
    Case("views", f_views, ((2, 3),)),
    Case("mixed_dtypes", f_mixed_dtypes, ((2,), (2,)), dtypes=("float32", "float64")),
]
HESS_CASES = [
    Case("h_cubic", h_cubic, ((3,),)),
    Case("h_rosen", h_rosen, ((2,), (2,))),
    Case("h_quadratic", h_quadratic, ((2, 2),)),
    Case("h_linear", h_linear, ((3,),)),
    Case("h_indep", h_indep, ((2,), (2,))),
    Case("h_scalar_in", h_scalar_in, ((),)),
    Case("h_closure", h_closure, ((3,),), ((3,),)),
    Case("h_mlp_loss", h_mlp_loss, ((2, 3), (3, 2))),
    Case("h_integer", h_integer, ((3,),)),
    Case("h_cast", h_cast, ((3,),)),
    Case("h_one_element", h_one_element, ((2,),)),
    Case("h_mixed_dtypes", h_mixed_dtypes, ((2,), (2,)), dtypes=("float32", "float64")),
    Case("h_nonscalar", h_nonscalar, ((2,),)),
    Case("h_tuple_out", h_tuple_out, ((2,),)),
]
CASES = {c.name: c for c in JAC_CASES + HESS_CASES}
# the functions that are not scalar are tested with the argument errors below
HESS_MATRIX = [c for c in HESS_CASES if c.name not in ("h_nonscalar", "h_tuple_out")]


# -- running one call with either library -------------------------------------------------------
@dataclass
class Run:
    """What one call of an autograd.functional API did."""

    result: Any = None
    error: tuple[type, str] | None = None
    calls: int = 0
    fresh: bool = True
    caller: tuple = ()  # the caller's tensors: inputs, then closures


def _tensor(lib, a: np.ndarray, rg: bool):
    return lib.tensor(a, requires_grad=rg and a.dtype.kind == "f")


def _convert_v(lib, v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, tuple):
        return tuple(_convert_v(lib, e) for e in v)
    if isinstance(v, list):
        return [_convert_v(lib, e) for e in v]
    if isinstance(v, np.ndarray):
        return lib.tensor(v)
    return v


def run(
    lib,
    api: str,
    case: Case,
    dtype: str,
    wrap: str = "tuple",
    rg: bool = True,
    no_grad: bool = False,
    v: Any = "absent",
    inputs_override: Any = None,
    **kwargs: Any,
) -> Run:
    """Call ``lib.autograd.functional.<api>`` on ``case`` and record what happened."""
    arrays, closure_arrays = case.arrays(dtype)
    inputs = tuple(_tensor(lib, a, rg) for a in arrays)
    closures = tuple(_tensor(lib, a, True) for a in closure_arrays)
    out = Run(caller=inputs + closures)

    def func(*args):
        out.calls += 1
        if any(a is t for a in args for t in out.caller):
            out.fresh = False
        return case.fn(lib, *args, c=closures)

    arg = inputs if wrap == "tuple" else inputs[0]
    if inputs_override is not None:
        arg = inputs_override(inputs)
    if not (isinstance(v, str) and v == "absent"):
        kwargs["v"] = _convert_v(lib, v)
    fn = getattr(lib.autograd.functional, api)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.no_grad() if no_grad else contextlib.nullcontext():
                out.result = fn(func, arg, **kwargs)
    except Exception as e:  # noqa: BLE001 - the exception itself is what is compared
        out.error = (type(e), str(e))
    return out


# -- expectations -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Leaf:
    """A neutral description of one result tensor."""

    shape: tuple[int, ...]
    dtype: str
    data: np.ndarray
    rg: bool


def dtype_name(dt: Any) -> str:
    return str(dt).rsplit(".", 1)[-1]


def describe(res: Any) -> Any:
    """Nested tuples of ``Leaf``; PyTorch's forward-mode lists become tuples (autojac's form)."""
    if isinstance(res, (tuple, list)):
        return tuple(describe(e) for e in res)
    return Leaf(
        tuple(res.shape),
        dtype_name(res.dtype),
        res.detach().numpy().copy(),
        bool(res.requires_grad),
    )


def tree_map(f: Callable[[Leaf], Leaf], tree: Any) -> Any:
    if isinstance(tree, tuple):
        return tuple(tree_map(f, e) for e in tree)
    return f(tree)


def tree_zip(f: Callable[[Leaf, Leaf], Leaf], a: Any, b: Any) -> Any:
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return tuple(tree_zip(f, x, y) for x, y in zip(a, b))
    return f(a, b) if isinstance(a, Leaf) and isinstance(b, Leaf) else a


def leaves(res: Any) -> list:
    if isinstance(res, (tuple, list)):
        return [x for e in res for x in leaves(e)]
    return [res]


def detached(tree: Any) -> Any:
    return tree_map(lambda leaf: replace(leaf, rg=False), tree)


def normalize_message(msg: str) -> str:
    return msg.replace("torch.autograd.functional", "autojac.autograd.functional").replace(
        "torch.Size", "autojac.Size"
    )


def tol_for(dtype: str, case: Case) -> float:
    return 1e-5 if dtype == "float32" or "cast" in case.name or case.dtypes else 1e-6


@dataclass
class Expect:
    """The expected outcome: a result tree or an error, plus the PyTorch run it came from."""

    tree: Any = None
    error: tuple[type, str] | None = None
    ref: Run | None = None
    beyond: bool = False


def check_tree(got: Any, exp: Any, tol: float, path: str = "result") -> None:
    if isinstance(exp, tuple):
        assert type(got) is tuple, f"{path}: expected a tuple, got {type(got).__name__}"
        assert len(got) == len(exp), f"{path}: expected {len(exp)} entries, got {len(got)}"
        for i, (g, e) in enumerate(zip(got, exp)):
            check_tree(g, e, tol, f"{path}[{i}]")
        return
    assert isinstance(got, autojac.Tensor), f"{path}: expected a Tensor, got {type(got)}"
    assert tuple(got.shape) == exp.shape, f"{path}: shape {tuple(got.shape)} != {exp.shape}"
    assert dtype_name(got.dtype) == exp.dtype, f"{path}: dtype {got.dtype} != {exp.dtype}"
    assert bool(got.requires_grad) == exp.rg, (
        f"{path}: requires_grad {got.requires_grad}, expected {exp.rg}"
    )
    if not exp.rg:
        assert got.grad_fn is None, f"{path}: expected a detached tensor"
    np.testing.assert_allclose(got.detach().numpy(), exp.data, rtol=tol, atol=tol, err_msg=path)


def grads_of_sum(lib, result: Any, caller: tuple) -> list | None:
    """Gradient of the sum of every result block that requires grad w.r.t. the caller's tensors
    that require grad (None where nothing to differentiate)."""
    blocks = [b for b in leaves(result) if b.requires_grad]
    wrt = [t for t in caller if t.requires_grad]
    if not blocks or not wrt:
        return None
    total = blocks[0].sum()
    for b in blocks[1:]:
        total = total + b.sum()
    grads = lib.autograd.grad(total, wrt, allow_unused=True)
    return [np.zeros(w.shape) if g is None else g.detach().numpy() for g, w in zip(grads, wrt)]


def check_outcome(got: Run, exp: Expect, tol: float, create_graph: bool) -> None:
    """All checks of one call; a mismatch fails with its message and no traceback (building
    tracebacks for the expected failures of the xfail-marked cases would dominate the run)."""
    try:
        _check_outcome(got, exp, tol, create_graph)
    except AssertionError as e:
        pytest.fail(f"AssertionError: {e}", pytrace=False)


def _check_outcome(got: Run, exp: Expect, tol: float, create_graph: bool) -> None:
    if exp.error is not None:
        assert got.error is not None, f"expected {exp.error[0].__name__}: {exp.error[1]}"
        assert got.error[0] is exp.error[0], f"raised {got.error}, expected {exp.error}"
        assert got.error[1] == normalize_message(exp.error[1])
    else:
        assert got.error is None, f"unexpected {got.error[0].__name__}: {got.error[1]}"
        check_tree(got.result, exp.tree, tol)
    if not exp.beyond:
        assert got.calls == exp.ref.calls, f"func called {got.calls}x, torch {exp.ref.calls}x"
    assert got.calls >= 1 or exp.error is not None
    assert got.fresh, "func received the caller's own tensor objects"
    for t in got.caller:
        assert t.grad is None, "the caller's .grad was written"
    if create_graph and exp.error is None:
        mine = grads_of_sum(autojac, got.result, got.caller)
        theirs = grads_of_sum(torch, exp.ref.result, exp.ref.caller)
        assert (mine is None) == (theirs is None), f"grad of sum(J): {mine} vs torch {theirs}"
        for a, b in zip(mine or (), theirs or ()):
            np.testing.assert_allclose(a, b, rtol=10 * tol, atol=10 * tol)


def expect_from(
    primary: Run,
    equivalent: Callable[[], Run],
    forward: bool,
    forward_dtypes: Callable[[], Run] | None,
    create_graph: bool,
    vectorize: bool = False,
    history: Callable[[], Any] | None = None,
) -> Expect:
    """Turn PyTorch's runs into an expectation (see the module docstring).

    Without ``create_graph`` or ``strict``, a forward-mode result keeps a history, as
    PyTorch's, where ``history`` (the caller's inputs require grad, in grad mode), and is
    detached elsewhere (PyTorch's forward-outer Hessian of inputs that do not require grad
    has a history only to copies it made inside). Which blocks require grad is autojac's
    rule (PyTorch's follows its per-op formulas: x * 3 requires grad, x + 1 not): all those
    of an output whose tangents depend on an input, by PyTorch's row loop with
    ``create_graph=True`` (``history()`` pairs each output's blocks with that loop's, see
    ``_output_rows``).

    ``equivalent`` is the same call as PyTorch's reverse-mode row loop. PyTorch's vectorized
    reverse mode with ``create_graph=True`` computes all blocks of one input as a single tensor
    and splits it, so a block that cannot depend on the inputs (a zero or constant block next
    to a non-constant one) still requires grad there. The issue requires such blocks not to
    require grad and vectorize=True to match the row loop, so requires_grad comes from the row
    loop in that case (values, shapes, dtypes and grad of sum(J) still come from the call).
    """
    if primary.error is not None and any(m in primary.error[1] for m in BEYOND_MARKERS):
        ref = equivalent()
        if ref.error is not None:
            return Expect(error=ref.error, ref=ref, beyond=True)
        tree = describe(ref.result)
        fwd = forward_dtypes() if forward and forward_dtypes is not None else None
        if fwd is not None and fwd.error is None:  # forward mode keeps the output's dtype
            tree = tree_zip(
                lambda a, b: replace(a, dtype=b.dtype, data=a.data.astype(b.dtype)),
                tree,
                describe(fwd.result),
            )
        if forward and not create_graph:
            tree = _forward_history(tree, history)
        elif not create_graph:
            tree = detached(tree)
        return Expect(tree=tree, ref=ref, beyond=True)
    if primary.error is not None:
        return Expect(error=primary.error, ref=primary)
    tree = describe(primary.result)
    if vectorize and create_graph and not forward:
        loop = equivalent()
        tree = tree_zip(lambda a, b: replace(a, rg=b.rg), tree, describe(loop.result))
    if forward and not create_graph:
        tree = _forward_history(tree, history)
    return Expect(tree=tree, ref=primary)


def _forward_history(tree: Any, history: Callable[[], Any] | None) -> Any:
    """A forward-mode result's tree: detached, or requiring grad per output as the rows
    ``history()`` gives (pairs of a row of the tree's blocks and of the loop's)."""
    if history is None:
        return detached(tree)
    rows, rebuild = history()(tree)
    return rebuild([tuple(replace(b, rg=any(x.rg for x in loop)) for b in mine)
                    for mine, loop in rows])


# (strict, create_graph, caller's inputs require grad): requires_grad of the caller's inputs
# only matters with create_graph=True.
FLAGS = [
    (strict, cg, rg)
    for strict in (False, True)
    for cg, rg in ((False, True), (True, False), (True, True))
]


def _flag_id(strict: bool, cg: bool, rg: bool) -> str:
    return f"{'strict' if strict else 'lax'}-{'cg' if cg else 'nocg'}-{'rg' if rg else 'norg'}"


def _xfail(bug: str | None) -> list:
    return [pytest.mark.xfail(strict=True, reason=bug)] if bug else []


def matrix_params(
    cases: list[Case],
    known_bug: Callable[..., str | None],
    strategies: tuple[str, ...],
    float32_strategies: tuple[str, ...] | None = None,
) -> list:
    """case x wrap x dtype x strategy x vectorize x strict x create_graph x requires_grad.

    float64 runs every input wrapping (bare tensor and 1-tuple for single-input functions);
    float32 runs the first one only, which keeps the file fast without losing a dimension.
    """
    params = []
    for case in cases:
        for dtype in ("float32", "float64"):
            wraps = case.wraps() if dtype == "float64" else case.wraps()[:1]
            strats = strategies if dtype == "float64" else (float32_strategies or strategies)
            for wrap in wraps:
                for strategy in strats:
                    for vec in (False, True):
                        for strict, cg, rg in FLAGS:
                            args = (case.name, wrap, dtype, strategy, vec, strict, cg, rg)
                            bug = known_bug(case, *args[1:])
                            pid = (
                                f"{case.name}-{wrap}-{dtype}-{strategy[:3]}-"
                                f"{'vec' if vec else 'loop'}-{_flag_id(strict, cg, rg)}"
                            )
                            params.append(pytest.param(*args, marks=_xfail(bug), id=pid))
    return params


# -- the jacobian matrix -------------------------------------------------------------------------
# Known bugs: a function of the parameters returning the xfail reason ("BUG: ...") of the
# combinations where autojac is known to be wrong, None elsewhere. The forward-mode
# create_graph/strict bugs found while writing this file (fixed in 438f4d7) are covered by the
# combinations of this matrix; none is open now.
def _jac_known_bug(
    case: Case,
    wrap: str,
    dtype: str,
    strategy: str,
    vectorize: bool,
    strict: bool,
    create_graph: bool,
    rg: bool,
) -> str | None:
    return None


def jac_params() -> list:
    return matrix_params(JAC_CASES, _jac_known_bug, strategies=(REV, FWD))


def jacobian_expectation(
    case: Case,
    wrap: str,
    dtype: str,
    strategy: str,
    vec: bool,
    strict: bool,
    cg: bool,
    rg: bool,
    no_grad: bool = False,
) -> Expect:
    common = dict(wrap=wrap, rg=rg, no_grad=no_grad)
    primary = run(
        torch,
        "jacobian",
        case,
        dtype,
        create_graph=cg,
        strict=strict,
        vectorize=vec,
        strategy=strategy,
        **common,
    )
    return expect_from(
        primary,
        lambda: run(torch, "jacobian", case, dtype, create_graph=cg, strict=strict, **common),
        strategy == FWD,
        lambda: run(torch, "jacobian", case, dtype, vectorize=True, strategy=FWD, **common),
        cg,
        vec,
        (lambda: _output_rows(run(torch, "jacobian", case, dtype, create_graph=True, **common),
                              wrap)) if rg and not no_grad and not strict else None,
    )


def _output_rows(loop: Run, wrap: str) -> Callable[[Any], tuple]:
    """For a Jacobian's tree: its rows of blocks (one per output) paired with ``loop``'s,
    and the function that rebuilds the tree from new rows."""
    theirs = describe(loop.result)

    def split(tree: Any) -> tuple:
        if wrap == "bare":  # one block per output: a leaf, or a tuple of them
            if isinstance(tree, tuple):
                return [((b,), (t,)) for b, t in zip(tree, theirs)], \
                    lambda rows: tuple(r[0] for r in rows)
            return [((tree,), (theirs,))], lambda rows: rows[0][0]
        if tree and isinstance(tree[0], tuple):  # outputs and inputs both tuples
            return list(zip(tree, theirs)), tuple
        return [(tree, theirs)], lambda rows: rows[0]  # one output, a tuple of inputs

    return split


@needs_torch
@pytest.mark.parametrize("name,wrap,dtype,strategy,vec,strict,cg,rg", jac_params())
def test_jacobian_matrix(name, wrap, dtype, strategy, vec, strict, cg, rg):
    case = CASES[name]
    exp = jacobian_expectation(case, wrap, dtype, strategy, vec, strict, cg, rg)
    got = run(
        autojac,
        "jacobian",
        case,
        dtype,
        wrap=wrap,
        rg=rg,
        create_graph=cg,
        strict=strict,
        vectorize=vec,
        strategy=strategy,
    )
    check_outcome(got, exp, tol_for(dtype, case), cg)


@needs_torch
@pytest.mark.parametrize("name", ["exp_reducer", "tuple_out", "closure", "identity", "mlp"])
@pytest.mark.parametrize("strategy,vec", [(REV, False), (REV, True), (FWD, True)])
@pytest.mark.parametrize("cg", [False, True])
def test_jacobian_under_no_grad(name, strategy, vec, cg):
    case = CASES[name]
    wrap = case.wraps()[0]
    exp = jacobian_expectation(case, wrap, "float64", strategy, vec, False, cg, True, True)
    got = run(
        autojac,
        "jacobian",
        case,
        "float64",
        wrap=wrap,
        no_grad=True,
        create_graph=cg,
        vectorize=vec,
        strategy=strategy,
    )
    check_outcome(got, exp, 1e-6, cg)
    assert autojac.is_grad_enabled()


# -- hessian --------------------------------------------------------------------------------------
def _hess_known_bug(
    case: Case,
    wrap: str,
    dtype: str,
    strategy: str,
    vectorize: bool,
    strict: bool,
    create_graph: bool,
    rg: bool,
) -> str | None:
    return None  # see _jac_known_bug


def hess_params() -> list:
    return matrix_params(
        HESS_MATRIX, _hess_known_bug, strategies=(REV, FWD), float32_strategies=(REV,)
    )


def hessian_expectation(
    case: Case,
    wrap: str,
    dtype: str,
    strategy: str,
    vec: bool,
    strict: bool,
    cg: bool,
    rg: bool,
    no_grad: bool = False,
) -> Expect:
    common = dict(wrap=wrap, rg=rg, no_grad=no_grad)
    primary = run(
        torch,
        "hessian",
        case,
        dtype,
        create_graph=cg,
        strict=strict,
        vectorize=vec,
        outer_jacobian_strategy=strategy,
        **common,
    )
    return expect_from(
        primary,
        lambda: run(torch, "hessian", case, dtype, create_graph=cg, strict=strict, **common),
        strategy == FWD,
        lambda: run(
            torch, "hessian", case, dtype, vectorize=True, outer_jacobian_strategy=FWD, **common
        ),
        cg,
        vec,
        (lambda: _output_rows(run(torch, "hessian", case, dtype, create_graph=True, **common),
                              wrap)) if rg and not no_grad and not strict else None,
    )


@needs_torch
@pytest.mark.parametrize("name,wrap,dtype,strategy,vec,strict,cg,rg", hess_params())
def test_hessian_matrix(name, wrap, dtype, strategy, vec, strict, cg, rg):
    case = CASES[name]
    exp = hessian_expectation(case, wrap, dtype, strategy, vec, strict, cg, rg)
    got = run(
        autojac,
        "hessian",
        case,
        dtype,
        wrap=wrap,
        rg=rg,
        create_graph=cg,
        strict=strict,
        vectorize=vec,
        outer_jacobian_strategy=strategy,
    )
    check_outcome(got, exp, tol_for(dtype, case), cg)


# -- vjp / jvp / vhp / hvp ---------------------------------------------------------------------
def _v_for(case: Case, dtype: str, api: str, wrap: str) -> Any:
    """A v matching the outputs (vjp) or the inputs (others), in the form PyTorch expects."""
    rng = np.random.default_rng(zlib.crc32((case.name + api).encode()))
    arrays, closure_arrays = case.arrays(dtype)
    if api == "vjp":
        closures = tuple(torch.tensor(a) for a in closure_arrays)
        out = case.fn(torch, *(torch.tensor(a) for a in arrays), c=closures)
        outs = out if isinstance(out, tuple) else (out,)
        vs = tuple(
            rng.uniform(-1, 1, tuple(o.shape)).astype(dtype)
            if o.is_floating_point()
            else np.ones(tuple(o.shape), dtype=np.int64)
            for o in outs
        )
        return vs if isinstance(out, tuple) else vs[0]
    vs = tuple(rng.uniform(-1, 1, a.shape).astype(a.dtype) for a in arrays)
    return vs if wrap == "tuple" else vs[0]


def _products_known_bug(
    api: str,
    case: Case,
    wrap: str,
    dtype: str,
    vmode: str,
    strict: bool,
    create_graph: bool,
    rg: bool,
) -> str | None:
    return None  # see _jac_known_bug


def product_params() -> list:
    params = []
    for api in ("vjp", "jvp", "vhp", "hvp"):
        cases = JAC_CASES if api in ("vjp", "jvp") else HESS_MATRIX
        for case in cases:
            for dtype in ("float32", "float64"):
                for wrap in case.wraps() if dtype == "float64" else case.wraps()[:1]:
                    for vmode in ("v", "none") if dtype == "float64" else ("v",):
                        for strict, cg, rg in FLAGS:
                            args = (api, case.name, wrap, dtype, vmode, strict, cg, rg)
                            bug = _products_known_bug(api, case, *args[2:])
                            pid = f"{api}-{case.name}-{wrap}-{dtype}-{vmode}-{_flag_id(*args[5:])}"
                            params.append(pytest.param(*args, marks=_xfail(bug), id=pid))
    return params


@needs_torch
@pytest.mark.parametrize("api,name,wrap,dtype,vmode,strict,cg,rg", product_params())
def test_products_matrix(api, name, wrap, dtype, vmode, strict, cg, rg):
    case = CASES[name]
    v = _v_for(case, dtype, api, wrap) if vmode == "v" else None
    kw = dict(wrap=wrap, rg=rg, v=v, create_graph=cg, strict=strict)
    ref = run(torch, api, case, dtype, **kw)
    got = run(autojac, api, case, dtype, **kw)
    exp = Expect(error=ref.error, ref=ref, tree=None if ref.error else describe(ref.result))
    check_outcome(got, exp, tol_for(dtype, case), cg)


@needs_torch
@pytest.mark.parametrize(
    "api,name",
    [
        ("vjp", "exp_reducer"),
        ("jvp", "tuple_out"),
        ("vhp", "h_rosen"),
        ("hvp", "h_mlp_loss"),
        ("vjp", "closure"),
        ("hvp", "h_closure"),
    ],
)
@pytest.mark.parametrize("cg", [False, True])
def test_products_under_no_grad(api, name, cg):
    case = CASES[name]
    wrap = case.wraps()[0]
    v = _v_for(case, "float64", api, wrap)
    kw = dict(wrap=wrap, v=v, create_graph=cg, no_grad=True)
    ref = run(torch, api, case, "float64", **kw)
    got = run(autojac, api, case, "float64", **kw)
    check_outcome(got, Expect(tree=describe(ref.result), ref=ref), 1e-6, cg)


# -- argument validation: exception types, messages and the order in which checks fire ----------
ERROR_CALLS = {
    # name: (api, case, wrap, v, kwargs, inputs_override)
    "jac-list-inputs": ("jacobian", "exp_adder", "tuple", "absent", {}, list),
    "jac-list-single": ("jacobian", "elementwise", "tuple", "absent", {}, list),
    "jac-tuple-with-int": ("jacobian", "exp_adder", "tuple", "absent", {}, lambda t: (t[0], 3)),
    "jac-integer-input": ("jacobian", "elementwise", "bare", "absent", {}, lambda t: t[0].long()),
    "vjp-integer-input": ("vjp", "elementwise", "bare", None, {}, lambda t: t[0].long()),
    "jac-number-input": ("jacobian", "elementwise", "tuple", "absent", {}, lambda t: 1.5),
    "jac-bad-strategy": ("jacobian", "elementwise", "bare", "absent", {"strategy": "fwd"}, None),
    "jac-bad-strategy-first": (
        "jacobian",
        "elementwise",
        "tuple",
        "absent",
        {"strategy": "backward", "strict": True},
        list,
    ),
    "jac-empty-strategy": ("jacobian", "elementwise", "bare", "absent", {"strategy": ""}, None),
    "hess-list-before-strategy": (
        "hessian",
        "h_cubic",
        "tuple",
        "absent",
        {"outer_jacobian_strategy": "fwd"},
        list,
    ),
    "hess-bad-strategy": (
        "hessian",
        "h_cubic",
        "bare",
        "absent",
        {"outer_jacobian_strategy": "fwd"},
        None,
    ),
    "hess-nonscalar": ("hessian", "h_nonscalar", "bare", "absent", {}, None),
    "hess-tuple-out": ("hessian", "h_tuple_out", "bare", "absent", {}, None),
    "hess-tuple-out-strict": ("hessian", "h_tuple_out", "bare", "absent", {"strict": True}, None),
    "hess-int-strict": ("hessian", "h_integer", "bare", "absent", {"strict": True}, None),
    "vjp-none-nonscalar": ("vjp", "exp_reducer", "bare", None, {}, None),
    "vjp-none-tuple-out": ("vjp", "tuple_out", "bare", None, {}, None),
    "vjp-wrong-size": ("vjp", "exp_reducer", "bare", np.ones(3), {}, None),
    "vjp-wrong-size-tuple": ("vjp", "tuple_out", "bare", (np.ones(3), np.ones(2)), {}, None),
    "vjp-wrong-len-tuple": ("vjp", "tuple_out", "bare", (np.ones(3),), {}, None),
    "vjp-wrong-len-single": ("vjp", "exp_reducer", "bare", (np.ones(2), np.ones(2)), {}, None),
    "vjp-v-list": ("vjp", "exp_reducer", "bare", [np.ones(2)], {}, None),
    "vjp-v-tuple-with-int": ("vjp", "tuple_out", "bare", (np.ones(3), 1), {}, None),
    "vjp-strict-before-v": ("vjp", "constant", "bare", np.ones(5), {"strict": True}, None),
    "vjp-list-inputs": ("vjp", "exp_adder", "tuple", np.ones(2), {}, list),
    "jvp-none-nonscalar": ("jvp", "exp_reducer", "bare", None, {}, None),
    "jvp-none-tuple-in": ("jvp", "scalar_mixed", "tuple", None, {}, None),
    "jvp-wrong-size": ("jvp", "exp_reducer", "bare", np.ones(6), {}, None),
    "jvp-wrong-size-tuple": ("jvp", "exp_adder", "tuple", (np.ones(2), np.ones(3)), {}, None),
    "jvp-wrong-len-tuple": ("jvp", "exp_adder", "tuple", (np.ones(2),), {}, None),
    "jvp-wrong-len-single": ("jvp", "elementwise", "bare", (np.ones((3, 2)),) * 2, {}, None),
    "jvp-v-list": ("jvp", "elementwise", "bare", [np.ones((3, 2))], {}, None),
    "jvp-strict-constant": ("jvp", "constant", "bare", np.ones(3), {"strict": True}, None),
    "jvp-strict-detached": ("jvp", "detached", "bare", np.ones(3), {"strict": True}, None),
    "vhp-none-nonscalar-input": ("vhp", "h_cubic", "bare", None, {}, None),
    "vhp-wrong-size": ("vhp", "h_cubic", "bare", np.ones(2), {}, None),
    "vhp-wrong-len": ("vhp", "h_rosen", "tuple", (np.ones(2),), {}, None),
    "vhp-nonscalar-out": ("vhp", "h_nonscalar", "bare", np.ones(2), {}, None),
    "vhp-tuple-out": ("vhp", "h_tuple_out", "bare", np.ones(2), {}, None),
    "hvp-none-tuple-in": ("hvp", "h_rosen", "tuple", None, {}, None),
    "hvp-wrong-size-tuple": ("hvp", "h_rosen", "tuple", (np.ones(2), np.ones(1)), {}, None),
    "hvp-nonscalar-out": ("hvp", "h_nonscalar", "bare", np.ones(2), {}, None),
    "hvp-tuple-out": ("hvp", "h_tuple_out", "bare", np.ones(2), {}, None),
    "hvp-linear-strict": ("hvp", "h_linear", "bare", np.ones(3), {"strict": True}, None),
    "vhp-linear-strict": ("vhp", "h_linear", "bare", np.ones(3), {"strict": True}, None),
}


def _list_out(lib, x, c=()):
    return [x.exp()]


def _float_out(lib, x, c=()):
    return 1.5


def _tuple_with_none(lib, x, c=()):
    return x.exp(), None


for _name, _fn in (
    ("list_out", _list_out),
    ("float_out", _float_out),
    ("tuple_with_none", _tuple_with_none),
):
    CASES[_name] = Case(_name, _fn, ((3,),))
    for _api in ("jacobian", "vjp", "jvp", "hessian"):
        ERROR_CALLS[f"{_api}-{_name}"] = (
            _api,
            _name,
            "bare",
            np.ones(3) if _api in ("vjp", "jvp") else "absent",
            {"strict": True} if _api == "jacobian" else {},
            None,
        )


def _unused_second(lib, x, y, c=()):
    return x * 2


def _h_unused_second(lib, x, y, c=()):
    return (x**3).sum()


# strict mode: an input that nothing flows to has its own message at every stage
CASES["unused_second"] = Case("unused_second", _unused_second, ((3,), (3,)))
CASES["h_unused_second"] = Case("h_unused_second", _h_unused_second, ((3,), (3,)))
for _api, _name in (("jvp", "unused_second"), ("hvp", "h_unused_second"),
                    ("vhp", "h_unused_second")):
    ERROR_CALLS[f"{_api}-strict-unused-input"] = (
        _api, _name, "tuple", (np.ones(3), np.ones(3)), {"strict": True}, None)


@needs_torch
@pytest.mark.parametrize("key", sorted(ERROR_CALLS))
def test_errors_match_torch(key):
    api, name, wrap, v, kwargs, override = ERROR_CALLS[key]
    case = CASES[name]
    ref = run(torch, api, case, "float64", wrap=wrap, v=v, inputs_override=override, **kwargs)
    got = run(autojac, api, case, "float64", wrap=wrap, v=v, inputs_override=override, **kwargs)
    assert ref.error is not None, "this call is meant to fail in PyTorch"
    check_outcome(got, Expect(error=ref.error, ref=ref), 1e-6, False)


@needs_torch
@pytest.mark.parametrize("name", ["jacobian", "hessian", "vjp", "jvp", "vhp", "hvp"])
def test_signatures_match_torch(name):
    mine = inspect.signature(getattr(AF, name)).parameters
    theirs = inspect.signature(getattr(TF, name)).parameters
    positional = [p for p in mine.values() if p.kind is not p.KEYWORD_ONLY]
    assert [p.name for p in positional] == list(theirs)
    for p in positional:
        assert p.default == theirs[p.name].default, p.name
        assert p.kind is theirs[p.name].kind, p.name
    extra = [p.name for p in mine.values() if p.kind is p.KEYWORD_ONLY]
    assert extra == (["chunk_size"] if name == "jacobian" else [])




@needs_torch
@pytest.mark.parametrize(
    "api,v_dtype",
    [(api, vd) for api in ("vjp", "jvp", "vhp", "hvp") for vd in ("float64", "float32")],
)
def test_v_of_another_dtype(api, v_dtype):
    """v in another dtype than the tensors it pairs with: results keep PyTorch's dtypes."""
    case = CASES["mixed_dtypes" if api in ("vjp", "jvp") else "h_mixed_dtypes"]
    arrays, _ = case.arrays("float64")
    if api == "vjp":
        shapes = [(2,), (2,)]
    else:
        shapes = [a.shape for a in arrays]
    v = tuple(np.full(sh, 0.5, dtype=v_dtype) for sh in shapes)
    ref = run(torch, api, case, "float64", v=v)
    got = run(autojac, api, case, "float64", v=v)
    check_outcome(got, Expect(tree=describe(ref.result), ref=ref), 1e-5, False)


@pytest.mark.parametrize("api", ["jvp", "hvp", "vhp"])
@pytest.mark.parametrize("v_dtype", ["float64", "int64"])
def test_v_is_cast_to_the_inputs_dtype(api, v_dtype):
    """PyTorch's engine casts v to the dtype of the gradient it pairs with, so a float64 or
    integer v at a float32 input gives the float32 result, also through matrix rules."""
    a = autojac.tensor(np.eye(3) * 2 + 0.1 * np.arange(9.0).reshape(3, 3), dtype=autojac.float32)
    f = (lambda x: autojac.linalg.inv(x).sum(0)) if api == "jvp" else (
        lambda x: autojac.linalg.inv(x).sum())
    v = autojac.tensor(np.arange(9).reshape(3, 3) % 4 - 1, dtype=getattr(autojac, v_dtype))
    _, got = getattr(AF, api)(f, a, v)
    _, want = getattr(AF, api)(f, a, v.float())
    assert got.dtype == autojac.float32
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("api", ["jvp", "hvp", "vhp"])
def test_complex_v_at_real_inputs_is_refused(api):
    f = (lambda x: x.exp()) if api == "jvp" else (lambda x: x.exp().sum())
    v = autojac.ones(3, dtype=autojac.complex64)
    with pytest.raises(RuntimeError, match=r"^For complex Tensors, both grad_output and output "
                       r"are required to have the same dtype. Mismatch in dtype: grad_output\[0\] "
                       r"has a dtype of autojac.complex64 and output\[0\] has a dtype of "
                       r"autojac.float32.$"):
        getattr(AF, api)(f, autojac.ones(3), v)


@needs_torch
@pytest.mark.parametrize("api", ["jacobian", "jacobian-vec", "hessian", "vjp", "jvp", "hvp"])
def test_non_leaf_inputs_create_graph(api):
    """Inputs computed from a leaf: with create_graph=True the results are differentiable
    w.r.t. that leaf, as in PyTorch."""
    grads = []
    for lib in (torch, autojac):
        w = lib.tensor([0.3, -0.6, 0.9], dtype=lib.float64, requires_grad=True)
        x = w * 2 + 1
        f = lambda t: (t.exp() * t.sum()).sin()  # noqa: E731
        scalar = lambda t: (t**3).sum() * t[0]  # noqa: E731
        F = lib.autograd.functional
        v = lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64)
        if api.startswith("jacobian"):
            res = F.jacobian(f, x, create_graph=True, vectorize=api.endswith("vec"))
        elif api == "hessian":
            res = F.hessian(scalar, x, create_graph=True)
        else:
            res = getattr(F, api)(scalar if api == "hvp" else f, x, v, create_graph=True)[1]
        (g,) = lib.autograd.grad(res.sum(), w)
        grads.append(g.detach().numpy())
        assert w.grad is None
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-10)


def _gradient_of_cubes(x: Any) -> Any:
    """d/dx sum(x^3) = 3 x^2, taken inside the function with respect to its own input."""
    return autojac.autograd.grad((x * x * x).sum(), x, create_graph=True)[0]


@pytest.mark.parametrize("vectorize", [False, True])
def test_forward_mode_runs_func_on_inputs_that_require_grad(vectorize):
    """PyTorch's forward mode calls ``func`` on the inputs as given: where the caller's input
    requires grad, ``func`` may differentiate with respect to it (a Hessian as the
    forward-mode Jacobian of a gradient), and the result keeps its history from it (third
    derivatives: d/dx sum(6 x) = 6); in no_grad, it has none."""
    x = autojac.tensor([1.5, -0.3, 2.0], dtype=autojac.float64, requires_grad=True)
    jac = AF.jacobian(_gradient_of_cubes, x, vectorize=vectorize, strategy="forward-mode")
    np.testing.assert_allclose(jac.detach().numpy(), np.diag(6 * x.detach().numpy()),
                               rtol=1e-14)
    assert jac.requires_grad and x.grad is None
    assert autojac.autograd.grad(jac.sum(), x)[0].tolist() == [6.0, 6.0, 6.0]
    with autojac.no_grad():
        square = AF.jacobian(lambda x: x * x, x, vectorize=vectorize, strategy="forward-mode")
    assert not square.requires_grad
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        AF.jacobian(_gradient_of_cubes, x.detach(), vectorize=vectorize, strategy="forward-mode")


def test_aliases_and_exports():
    assert autojac.jacobian is AF.jacobian
    assert autojac.hessian is AF.hessian
    assert autojac.autograd.functional is AF
    assert set(AF.__all__) == {"jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"}


def test_unknown_strategy_is_assertion_error_without_calling_func():
    calls = []
    with pytest.raises(AssertionError, match='Expected strategy to be either "forward-mode"'):
        AF.jacobian(lambda x: calls.append(x) or x, autojac.ones(2), strategy="Forward-Mode")
    assert calls == []


def test_seed_document_examples():
    """The examples of the seed document, on fixed inputs."""
    x = autojac.tensor([[-0.4765, -0.7783, -0.3851], [-2.1350, -0.5474, -1.8763]])
    j = AF.jacobian(lambda t: t.exp().sum(dim=1), x)
    expected = np.zeros((2, 2, 3), dtype=np.float32)
    expected[0, 0], expected[1, 1] = np.exp(x.numpy()[0]), np.exp(x.numpy()[1])
    np.testing.assert_allclose(j.numpy(), expected, rtol=1e-6)
    assert not j.requires_grad
    jc = AF.jacobian(lambda t: t.exp().sum(dim=1), x, create_graph=True)
    assert jc.requires_grad and jc.grad_fn is not None
    a, b = autojac.rand(2), autojac.rand(2)
    ja, jb = AF.jacobian(lambda u, w: 2 * u.exp() + 3 * w, (a, b))
    np.testing.assert_allclose(ja.numpy(), np.diag(2 * np.exp(a.numpy())), rtol=1e-6)
    np.testing.assert_allclose(jb.numpy(), 3 * np.eye(2))
    c = autojac.randn(3, 3)
    j4 = AF.jacobian(lambda t: c + t, autojac.randn(3, 3))
    assert tuple(j4.shape) == (3, 3, 3, 3)
    np.testing.assert_array_equal(j4.numpy().reshape(9, 9), np.eye(9))


# -- the golden file: PyTorch's answers recorded, checked without torch --------------------------
GOLDEN_CASES = [
    # (id, api, case, dtype, wrap, kwargs, v)
    ("exp_reducer", "jacobian", "exp_reducer", "float32", "bare", {}, "absent"),
    (
        "exp_reducer-cg",
        "jacobian",
        "exp_reducer",
        "float64",
        "bare",
        {"create_graph": True},
        "absent",
    ),
    ("exp_adder", "jacobian", "exp_adder", "float64", "tuple", {}, "absent"),
    ("mlp-vectorized", "jacobian", "mlp", "float64", "tuple", {"vectorize": True}, "absent"),
    ("tuple1-in-tuple1-out", "jacobian", "tuple1_out", "float32", "tuple", {}, "absent"),
    ("partial-indep-zeros", "jacobian", "partial_indep", "float64", "tuple", {}, "absent"),
    ("integer-out", "jacobian", "integer", "float32", "bare", {}, "absent"),
    ("scalar-in-out", "jacobian", "scalar_mixed", "float64", "tuple", {}, "absent"),
    (
        "cast-forward-dtype",
        "jacobian",
        "cast",
        "float32",
        "bare",
        {"vectorize": True, "strategy": FWD},
        "absent",
    ),
    ("cast-reverse-dtype", "jacobian", "cast", "float32", "bare", {}, "absent"),
    (
        "strict-independent",
        "jacobian",
        "partial_indep",
        "float64",
        "tuple",
        {"strict": True},
        "absent",
    ),
    (
        "strict-cg-linear",
        "jacobian",
        "identity",
        "float64",
        "bare",
        {"strict": True, "create_graph": True},
        "absent",
    ),
    ("strict-constant-out", "jacobian", "constant", "float64", "bare", {"strict": True}, "absent"),
    ("list-inputs", "jacobian", "exp_adder", "float64", "list", {}, "absent"),
    ("bad-strategy", "jacobian", "elementwise", "float64", "bare", {"strategy": "fwd"}, "absent"),
    ("hessian-rosen", "hessian", "h_rosen", "float64", "tuple", {}, "absent"),
    ("hessian-linear-strict", "hessian", "h_linear", "float64", "bare", {"strict": True}, "absent"),
    ("vjp", "vjp", "exp_reducer", "float64", "bare", {}, "v"),
    ("vjp-none-nonscalar", "vjp", "exp_reducer", "float64", "bare", {}, None),
    ("jvp", "jvp", "tuple_out", "float64", "bare", {}, "v"),
    ("jvp-wrong-size", "jvp", "exp_adder", "float64", "tuple", {}, "wrong"),
    ("vhp", "vhp", "h_rosen", "float64", "tuple", {}, "v"),
    ("hvp", "hvp", "h_mlp_loss", "float64", "tuple", {}, "v"),
]


def _golden_v(api: str, case: Case, dtype: str, wrap: str, vspec: Any) -> Any:
    if vspec == "v":
        return _v_for(case, dtype, api, wrap) if torch is not None else None
    if vspec == "wrong":
        return (np.ones(2), np.ones(5))
    return vspec


def _to_json(tree: Any) -> Any:
    if isinstance(tree, tuple):
        return {"tuple": [_to_json(e) for e in tree]}
    return {
        "shape": list(tree.shape),
        "dtype": tree.dtype,
        "data": tree.data.tolist(),
        "requires_grad": tree.rg,
    }


def _from_json(obj: Any) -> Any:
    if "tuple" in obj:
        return tuple(_from_json(e) for e in obj["tuple"])
    return Leaf(tuple(obj["shape"]), obj["dtype"], np.asarray(obj["data"]), obj["requires_grad"])


def _v_to_json(v: Any) -> Any:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, tuple):
        return {"tuple": [_v_to_json(e) for e in v]}
    return {"dtype": str(v.dtype), "data": v.tolist()}


def _v_from_json(obj: Any) -> Any:
    if obj is None or isinstance(obj, str):
        return obj
    if "tuple" in obj:
        return tuple(_v_from_json(e) for e in obj["tuple"])
    return np.asarray(obj["data"], dtype=obj["dtype"])


def _golden_call(lib, api, name, dtype, wrap, kwargs, v) -> Run:
    override = list if wrap == "list" else None
    return run(
        lib,
        api,
        CASES[name],
        dtype,
        wrap="tuple" if wrap == "list" else wrap,
        v=v,
        inputs_override=override,
        **kwargs,
    )


def regenerate_golden() -> None:
    assert torch is not None, "regenerating the golden file needs PyTorch"
    records = []
    for gid, api, name, dtype, wrap, kwargs, vspec in GOLDEN_CASES:
        case = CASES[name]
        v = _golden_v(api, case, dtype, wrap, vspec)
        ref = _golden_call(torch, api, name, dtype, wrap, kwargs, v)
        arrays, closures = case.arrays(dtype)
        rec = {
            "id": gid,
            "api": api,
            "function": name,
            "dtype": dtype,
            "wrap": wrap,
            "kwargs": kwargs,
            "v": _v_to_json(v),
            "inputs": [{"dtype": str(a.dtype), "data": a.tolist()} for a in arrays],
            "calls": ref.calls,
        }
        if ref.error is not None:
            rec["error"] = {
                "type": ref.error[0].__name__,
                "message": normalize_message(ref.error[1]),
            }
        else:
            rec["result"] = _to_json(describe(ref.result))
        records.append(rec)
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    lines = ",\n".join("  " + json.dumps(r) for r in records)
    GOLDEN.write_text(
        f'{{"generated_with": "torch {torch.__version__}",\n "cases": [\n{lines}\n ]}}\n'
    )


def _golden_records() -> list:
    if not GOLDEN.exists():
        return []
    return json.loads(GOLDEN.read_text())["cases"]


def test_golden_file_present():
    assert GOLDEN.exists(), "run: python tests/test_functional.py --regen-golden"
    assert len(_golden_records()) >= 10


@pytest.mark.parametrize("rec", _golden_records(), ids=lambda r: r["id"])
def test_golden(rec):
    """autojac alone against PyTorch's recorded answer."""
    case = CASES[rec["function"]]
    arrays, _ = case.arrays(rec["dtype"])
    for a, stored in zip(arrays, rec["inputs"]):  # the data generator has not drifted
        np.testing.assert_array_equal(a, np.asarray(stored["data"], dtype=stored["dtype"]))
    got = _golden_call(
        autojac,
        rec["api"],
        rec["function"],
        rec["dtype"],
        rec["wrap"],
        dict(rec["kwargs"]),
        _v_from_json(rec["v"]),
    )
    assert got.calls == rec["calls"]
    if "error" in rec:
        assert got.error is not None and got.error[0].__name__ == rec["error"]["type"]
        assert got.error[1] == rec["error"]["message"]
    else:
        assert got.error is None, got.error
        check_tree(got.result, _from_json(rec["result"]), tol_for(rec["dtype"], case))


if __name__ == "__main__":
    if "--regen-golden" in sys.argv:
        regenerate_golden()
        print(f"wrote {GOLDEN}")
