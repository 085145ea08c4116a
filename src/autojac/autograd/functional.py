"""``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp`` with PyTorch's semantics.

Built only on ``autograd.grad`` (with batched cotangents) and forward-mode dual tensors
(with batched tangents); nothing here knows about individual ops. A Jacobian is rows of
VJPs (reverse mode) or columns of JVPs (forward mode), computed a block of rows/columns
per pass: every row at once with ``vectorize=True``, memory-bounded blocks otherwise.
The results equal PyTorch's row-by-row definition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._autograd import compressed, grad_mode, replay, sparsity
from .._autograd import jacobian_blocks as jb
from .._autograd.api import conform_grad, refuse_complex_seed
from .._autograd.engine import run_forward
from .._autograd.float_errors import quiet_float_errors
from .._autograd.structure import Structure, structure
from .._tensor import Tensor
from . import forward_ad as fwAD

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]

_STRATEGIES = ("forward-mode", "reverse-mode")
_UNCHUNKED = 1 << 62  # the block size of ``vectorize=True`` without ``chunk_size``
_OWN_PASS = 32  # inputs with at least this many elements each get their own column passes
# A Hessian of at least this many entries (the gradient mirrors the inputs) is the Jacobian
# of its gradient, which may be coloured; below, its rows replayed as one computation
# (``_hessian_rows``) cost less (measured at n = 100 and 150 on a dense and on a tridiagonal
# Hessian: 127-205 us against 196-274).
_HESSIAN_COLOURED_FROM = 1 << 16


# -- argument handling (PyTorch's checks and messages)
def _unpack(res: Any, was_tuple: bool | tuple[bool, bool]) -> Any:
    """Undo ``jb.as_tuple`` on a (possibly nested) result."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not outer:
            return res[0] if inner else res[0][0]
        return res if inner else tuple([r[0] for r in res])
    return res if was_tuple else res[0]


def _preprocess(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    """Fresh tensor objects: graph-connected views when differentiable results are wanted."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(need_graph))
    return tuple(out)


def _postprocess(values: Any, create_graph: bool) -> Any:
    """Detach (nested tuples of) results unless they are meant to be differentiable."""
    if isinstance(values, Tensor):
        return values if create_graph else values.detach()
    return tuple(_postprocess(v, create_graph) for v in values)


def _validate_v(v: tuple, other: tuple, other_is_tuple: bool) -> None:
    if len(v) != len(other):
        if other_is_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, other)):
        if a.shape != b.shape:
            prefix = f"Entry {i} in " if other_is_tuple else ""
            raise RuntimeError(
                f"{prefix}v has invalid size: should be {b.shape} but got {a.shape}."
            )


_STRICT_MESSAGES = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The "
    "outputs must be computed in a differentiable manner from the input when running "
    "in strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the "
    "user-provided function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided "
    "function with respect to input {i} is independent of the input. This is not "
    "allowed in strict mode. You should ensure that your function is twice "
    "differentiable and that the jacobian depends on the inputs (this would be "
    "violated by a linear function for example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is "
    "independent of the input. This is not allowed in strict mode. You should ensure "
    "that your function is thrice differentiable and that the hessian depends on the "
    "inputs.",
}


def _check_requires_grad(values: tuple, kind: str, strict: bool) -> None:
    if not strict:
        return
    for i, v in enumerate(values):
        if v is None:  # nothing flowed to input i, whatever the stage
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
        if not v._rg:
            raise RuntimeError(_STRICT_MESSAGES[kind].format(i=i))


_ZERO_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. This is not "
    "allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode "
    "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
    "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
    "{i} in the grad_jacobian. This is not allowed in strict mode as it "
    "prevents from using the double backward trick to replace forward mode "
    "AD.",
}


def _fill_in_zeros(
    grads: tuple, refs: tuple, strict: bool, create_graph: bool, stage: str
) -> tuple:
    """Zeros where no gradient flowed, or the strict-mode error for that stage."""
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO_MESSAGES[stage].format(i=i))
            g = jb.zeros(ref._data.shape, ref._data.dtype)
        elif strict and create_graph and not g._rg:
            raise jb.constant_error(i, "double" in stage)
        out.append(g)
    return tuple(out)


# -- vjp / jvp / vhp / hvp
@quiet_float_errors
def vjp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(inputs), v^T J)``: the vector-Jacobian product, as PyTorch.

    Example:
        >>> vjp(lambda x: x ** 2, autojac.ones(2), autojac.ones(2))
        (tensor([1., 1.]), tensor([2., 2.]))
    """
    with grad_mode.enable_grad():
        inputs_tuple, inputs = jb.as_tuple(inputs, "inputs", "vjp")
        inputs = _preprocess(inputs, create_graph, True)
        outputs_tuple, outputs = jb.as_tuple(
            func(*inputs), "outputs of the user-provided function", "vjp"
        )
        _check_requires_grad(outputs, "outputs", strict)
        if v is not None:
            _, v = jb.as_tuple(v, "v", "vjp")
            v = _preprocess(v, create_graph, False)
            _validate_v(v, outputs, outputs_tuple)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function "
                "returns a single Tensor with a single element."
            )
    grad_enabled = create_graph or grad_mode.is_grad_enabled()

    def backward() -> list[Any]:
        with grad_mode.set_grad_enabled(grad_enabled):
            return list(jb.autograd_grad(outputs, inputs, v, create_graph=create_graph))

    res = _replayed_passes("vjp", outputs, inputs, backward, v, create_graph or strict)
    with grad_mode.set_grad_enabled(grad_enabled):
        res = _fill_in_zeros(res, inputs, strict, create_graph, "back")
    return (
        _unpack(_postprocess(outputs, create_graph), outputs_tuple),
        _unpack(_postprocess(res, create_graph), inputs_tuple),
    )


def _check_v_for_inputs(
    v: Any, inputs: tuple, inputs_tuple: bool, create_graph: bool, fn_name: str, none_message: str
) -> tuple | None:
    if v is not None:
        _, v = jb.as_tuple(v, "v", fn_name)
        v = _preprocess(v, create_graph, False)
        _validate_v(v, inputs, inputs_tuple)
        # v is a cotangent of the inputs' gradient in PyTorch's double-backward construction
        return tuple(conform_grad(i, t, x) for i, (t, x) in enumerate(zip(v, inputs)))
    if len(inputs) != 1 or inputs[0].numel() != 1:
        raise RuntimeError(none_message)
    return None


@quiet_float_errors
def jvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(inputs), J v)``: the Jacobian-vector product, as PyTorch, by its double-backward
    construction (the gradient of a VJP with respect to its cotangent): a ``no_grad`` block in
    ``func`` holds the tangents back, and a custom Function needs only its ``backward``.

    Example:
        >>> jvp(lambda x: x ** 2, autojac.ones(2), autojac.ones(2))
        (tensor([1., 1.]), tensor([2., 2.]))
    """
    with grad_mode.enable_grad():
        inputs_tuple, inputs = jb.as_tuple(inputs, "inputs", "jvp")
        inputs = _preprocess(inputs, create_graph, True)
        v = _check_v_for_inputs(
            v,
            inputs,
            inputs_tuple,
            create_graph,
            "jvp",
            "The vector v can only be None if the input to the user-provided "
            "function is a single Tensor with a single element.",
        )
        outputs_tuple, outputs = jb.as_tuple(
            func(*inputs), "outputs of the user-provided function", "jvp"
        )
        _check_requires_grad(outputs, "outputs", strict)
        if any(o._data.dtype.kind not in "fc" for o in outputs):
            # PyTorch's cotangents are zeros_like(output, requires_grad=True)
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients")
    grad_enabled = create_graph or grad_mode.is_grad_enabled()

    def back_trick() -> list[Any]:
        with grad_mode.enable_grad():
            # (the VJP is linear in them: their values never show)
            cotangents = tuple(jb.zeros(o._data.shape, o._data.dtype).requires_grad_()
                               for o in outputs)
            grad_inputs = jb.autograd_grad(outputs, inputs, cotangents, create_graph=True)
            _check_requires_grad(grad_inputs, "grad_inputs", strict)
        with grad_mode.set_grad_enabled(grad_enabled):
            return list(jb.autograd_grad(grad_inputs, cotangents, v, create_graph=create_graph))

    res = _replayed_passes("jvp", outputs, inputs, back_trick, v, create_graph or strict)
    with grad_mode.set_grad_enabled(grad_enabled):
        res = _fill_in_zeros(res, outputs, strict, create_graph, "back_trick")
    return (
        _unpack(_postprocess(outputs, create_graph), outputs_tuple),
        _unpack(_postprocess(res, create_graph), outputs_tuple),
    )


def _replayed_passes(what: str, ends: tuple, inputs: tuple, passes: Callable[[], list[Any]],
                     v: tuple | None, eager: bool) -> list[Any]:
    """``passes()``, the passes of ``what`` (one of the products) over the graph from
    ``inputs`` to ``ends`` and over the graphs they make, from ``v``; replayed as one
    computation for a graph met before unless ``eager`` (a graph to keep, or strict mode's
    checks)."""
    if eager:
        return passes()
    # (keyed apart from replay's own "jvp" and "vjp" passes, which take other rules)
    return replay.computation(("product", what), ends, inputs, passes, v or ())


def _scalar_output(func: Callable[..., Any], inputs: tuple, fn_name: str, strict: bool) -> Tensor:
    outputs_tuple, outputs = jb.as_tuple(
        func(*inputs), "outputs of the user-provided function", fn_name
    )
    _check_requires_grad(outputs, "outputs", strict)
    if outputs_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn_name} should "
            "contain a single element"
        )
    return outputs[0]


_V_NONE_HVP = (
    "The vector v can only be None if the input to the user-provided function is a "
    "single Tensor with a single element."
)


@quiet_float_errors
def vhp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(inputs), v^T H)`` for a scalar ``func``, as PyTorch (double backward).

    Example:
        >>> vhp(lambda x: (x ** 3).sum(), autojac.tensor([1.0, 2.0]), autojac.ones(2))
        (tensor(9.), tensor([ 6., 12.]))
    """
    return _hessian_product("vhp", func, inputs, v, create_graph, strict)


@quiet_float_errors
def hvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(inputs), H v)`` for a scalar ``func``, as PyTorch, by its double-backward
    construction (the gradient of a VJP of the gradient with respect to its cotangent).

    Example:
        >>> hvp(lambda x: (x ** 3).sum(), autojac.tensor([1.0, 2.0]), autojac.ones(2))
        (tensor(9.), tensor([ 6., 12.]))
    """
    return _hessian_product("hvp", func, inputs, v, create_graph, strict)


def _hessian_product(name: str, func: Callable[..., Any], inputs: Any, v: Any,
                     create_graph: bool, strict: bool) -> tuple[Any, Any]:
    """``vhp`` or ``hvp`` (``name``): PyTorch's passes, checks and messages."""
    with grad_mode.enable_grad():
        inputs_tuple, inputs = jb.as_tuple(inputs, "inputs", name)
        inputs = _preprocess(inputs, create_graph, True)
        v = _check_v_for_inputs(v, inputs, inputs_tuple, create_graph, name, _V_NONE_HVP)
        out = _scalar_output(func, inputs, name, strict)
    grad_enabled = create_graph or grad_mode.is_grad_enabled()
    trick = name == "hvp"

    def passes() -> list[Any]:
        with grad_mode.enable_grad():
            jac = jb.autograd_grad((out,), inputs, create_graph=True)
            _check_requires_grad(jac, "jacobian", strict)
            wrt = inputs
            if trick:  # (the double backward is linear in these cotangents: no value shows)
                wrt = tuple(jb.zeros(x._data.shape, x._data.dtype).requires_grad_()
                            for x in inputs)
                double_back = jb.autograd_grad(jac, inputs, wrt, create_graph=True)
                _check_requires_grad(jac, "hessian", strict)  # (PyTorch checks jac again)
                jac = double_back
        with grad_mode.set_grad_enabled(grad_enabled):
            return list(jb.autograd_grad(jac, wrt, v, create_graph=create_graph))

    res = _replayed_passes(name, (out,), inputs, passes, v, create_graph or strict)
    with grad_mode.set_grad_enabled(grad_enabled):
        res = _fill_in_zeros(res, inputs, strict, create_graph,
                             "double_back_trick" if trick else "double_back")
    return (
        _postprocess(out, create_graph),
        _unpack(_postprocess(res, create_graph), inputs_tuple),
    )


# -- jacobian
def _call(func: Callable[..., Any], inputs: tuple) -> tuple[bool, tuple]:
    return jb.as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")


def _jacobian_reverse(
    func: Callable[..., Any], inputs: tuple, create_graph: bool, strict: bool, block: int | None
) -> tuple[bool, tuple]:
    """Rows of VJPs, as PyTorch. Without ``strict``, ``create_graph`` or ``chunk_size``, the
    outputs whose Jacobian is large and sparse are computed by colouring, and (without
    ``vectorize``) those with more elements than the inputs from columns pushed through the
    recorded graph: the same values up to rounding (in the inputs' dtypes; where they could
    differ by more, ``jb.columns_as_rows`` gives way to the rows) at a cost that scales with the
    colours or the inputs."""
    with grad_mode.enable_grad():
        inputs = _preprocess(inputs, create_graph, True)
        outputs_tuple, outputs = _call(func, inputs)
        _check_requires_grad(outputs, "outputs", strict)
        if block is None:  # PyTorch seeds each row's pass with an implicit cotangent
            for out in outputs:
                if out._rg and out._data.size:
                    refuse_complex_seed(out)

        def dense(outs: tuple, graph: Structure | None = None) -> tuple:
            if block is None and not (strict or create_graph) and _columns_serve(inputs, outs):
                jac = _columns_over_graph(outs, inputs, None, False, graph, like_rows=True)
                if jac is not None:
                    return tuple(
                        tuple(j if j._data.dtype == x._data.dtype else j.to(x.dtype)
                              for j, x in zip(row, inputs)) for row in jac)
            return jb.reverse_rows(outs, inputs, create_graph, strict, block, graph)

        if strict or create_graph:
            return outputs_tuple, dense(outputs)
        return outputs_tuple, _by_graph("reverse-mode", outputs, inputs, block, dense)


def _by_graph(mode: str, outputs: tuple, inputs: tuple, block: int | None,
              dense: Callable[[tuple, Structure | None], tuple]) -> tuple:
    """J's rows, by colouring where it pays (``_with_sparse``) and from ``dense(outputs,
    their graph's structure)`` for the rest; without ``chunk_size``, all of it replayed as
    one computation (``mode`` names the ``dense``) when a graph of the same structure was
    met before."""
    if block not in (None, _UNCHUNKED):  # (never coloured)
        return dense(outputs, None)
    sparse = compressed.worth_trying(outputs, inputs)
    graph = structure(outputs, inputs)  # (walked once for the colouring and the rest)
    if graph is None:  # (a node that is not an op's: nothing to replay)
        return _with_sparse(outputs, inputs, sparse, dense, None)
    sparse = sparse and compressed.may_pay(graph)
    flat = replay.computation(
        # (a pattern may depend on where operands are zero: see sparsity.pattern_key)
        (mode, block, sparsity.zeros_key(graph) if sparse else None), outputs, inputs,
        lambda: [b for row in _with_sparse(outputs, inputs, sparse, dense, graph) for b in row],
        graph=graph)
    return jb.rows_of(flat, len(outputs), len(inputs))


def _with_sparse(
    outputs: tuple, inputs: tuple, sparse: bool,
    dense: Callable[[tuple, Structure | None], tuple], graph: Structure | None,
) -> tuple:
    """J's rows: by colouring for the outputs where it pays (if ``sparse``: worth trying),
    from ``dense(outputs, their graph's structure if known)`` for the others."""
    if not sparse:
        return dense(outputs, graph)
    coloured = compressed.sparse_jacobian(outputs, inputs, graph)
    if coloured is None:
        return dense(outputs, graph)
    rows = list(coloured)
    todo = tuple(i for i, r in enumerate(rows) if r is None)
    if todo:
        rest = tuple(outputs[i] for i in todo)
        for i, row in zip(todo, dense(rest, None if graph is None else graph.for_ends(rest))):
            rows[i] = row
    return tuple(rows)


def _columns_serve(inputs: tuple, outputs: tuple) -> bool:
    """Whether columns (JVPs) give the rows' values more cheaply: for fewer inputs than
    outputs, all real (PyTorch's rows of complex tensors are adjoints, not JVPs)."""
    return jb.numel(inputs) < jb.numel(outputs) and all(
        t._data.dtype.kind != "c" for t in inputs + outputs)


def _columns_over_graph(outputs: tuple, inputs: tuple, block: int | None, create_graph: bool,
                        graph: Structure | None = None, like_rows: bool = False
                        ) -> tuple | None:
    """J from blocks of basis tangents pushed through the recorded graph (linearized
    forward mode); None if the graph holds a node without a jvp rule (a custom Function),
    or (``like_rows``: for the rows' values) where they may differ from the rows (see
    ``jb.columns_as_rows``). Inputs of some size get passes of their own, so that no pass
    carries the other inputs' blocks of zero tangents through the ops that combine them.
    ``graph``: the graph's structure, if known."""
    inspect = jb.columns_as_rows if like_rows else None
    columns = jb.Columns(inputs, create_graph, False)
    per_input = len(inputs) > 1 and min(x._data.size for x in inputs) >= _OWN_PASS
    try:
        with grad_mode.set_grad_enabled(create_graph):
            for parts in jb.column_blocks(inputs, block, per_input):
                seeds = jb.seeds_for(inputs, parts)
                pushed = (run_forward(outputs, inputs, seeds, True, inspect) if create_graph
                          else replay.tangents(outputs, inputs, seeds, graph, inspect))
                if like_rows and not jb.all_finite(pushed):
                    return None
                columns.add(parts, outputs, pushed)
    except (NotImplementedError, jb.ColumnsDiffer):
        return None
    return columns.result(outputs)


def _jacobian_forward(
    func: Callable[..., Any], inputs: tuple, create_graph: bool, strict: bool, block: int | None
) -> tuple[bool, tuple]:
    """Columns of JVPs with dual inputs: one call of ``func`` per block of basis columns.

    With ``create_graph`` or ``strict`` the inputs require grad as in reverse mode (so the
    results and the strict checks are those of the reverse-mode row loop). Otherwise
    ``func`` runs on the inputs as given and in the caller's grad mode, as PyTorch's: it may
    differentiate its outputs with respect to an input that requires grad, and the Jacobian
    keeps its history from such an input (PyTorch's way to differentiate a forward-mode
    Jacobian, which refuses ``create_graph``): an output's blocks, from one pass over all
    inputs, require grad where its tangents depend on such an input's values (PyTorch's,
    by its per-op formulas, may require grad where they are constant too).
    """
    track = create_graph or strict
    keeps_history = create_graph or not strict and grad_mode.state.enabled and any(
        t.requires_grad for t in inputs)
    if track:
        with grad_mode.enable_grad():
            fresh = _preprocess(inputs, create_graph, True)
    else:
        fresh = inputs
    blocks = jb.column_blocks(fresh, block, per_input=track)
    columns = jb.Columns(fresh, create_graph, strict, differentiable=keeps_history)
    outputs_tuple, outputs = False, ()
    with grad_mode.set_grad_enabled(track or grad_mode.state.enabled):
        for k, parts in enumerate(blocks or [[]]):
            with fwAD.dual_level():
                duals = tuple(x if t is None else fwAD.make_batched_dual(x, t)
                              for x, t in zip(fresh, jb.seeds_for(fresh, parts)))
                outputs_tuple, outs = _call(func, duals)
                if k == 0:
                    _check_requires_grad(outs, "outputs", strict)
                tangents = [o._fw for o in outs]
                outputs = tuple(fwAD.unpack_dual(o).primal for o in outs)
            columns.add(parts, outputs, tangents)
        return outputs_tuple, columns.result(outputs)


def _jacobian_auto(
    func: Callable[..., Any], inputs: tuple, create_graph: bool, strict: bool, block: int | None
) -> tuple[bool, tuple]:
    """One call of ``func``, then colouring where it pays, forward mode over the recorded
    graph for outputs larger than the inputs, reverse mode otherwise."""
    with grad_mode.enable_grad():
        inputs = _preprocess(inputs, create_graph, True)
        outputs_tuple, outputs = _call(func, inputs)
        _check_requires_grad(outputs, "outputs", strict)

    def dense(outs: tuple, graph: Structure | None = None) -> tuple:
        if not strict and _columns_serve(inputs, outs):
            jac = _columns_over_graph(outs, inputs, block, create_graph, graph)
            if jac is not None:
                return jac
        with grad_mode.enable_grad():
            return jb.reverse_rows(outs, inputs, create_graph, strict, block, graph)

    if strict or create_graph:
        return outputs_tuple, dense(outputs)
    return outputs_tuple, _by_graph("auto", outputs, inputs, block, dense)


_MODES = {
    "reverse-mode": _jacobian_reverse,
    "forward-mode": _jacobian_forward,
    "auto": _jacobian_auto,
}


@quiet_float_errors
def jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
    *,
    chunk_size: int | None = None,
) -> Any:
    """The Jacobian of ``func`` at ``inputs``, with ``torch.autograd.functional.jacobian``'s
    semantics.

    ``J[i][j]`` has shape ``outputs[i].shape + inputs[j].shape``; a single input/output is
    not wrapped in a tuple. Beyond PyTorch: ``strategy="forward-mode"`` also works with
    ``vectorize=False`` and ``create_graph=True``; ``strict=True`` works in every mode;
    ``strategy="auto"`` picks forward mode when the inputs are smaller than the outputs
    (and all are real: for complex tensors, PyTorch's two modes differ by a conjugation,
    and ``"auto"`` keeps reverse mode's);
    ``chunk_size`` bounds how many rows/columns one vectorized pass computes.

    Example:
        >>> def exp_reducer(x):
        ...     return x.exp().sum(dim=1)
        >>> jacobian(exp_reducer, autojac.zeros(2, 2))
        tensor([[[1., 1.],
                 [0., 0.]],
        <BLANKLINE>
                [[0., 0.],
                 [1., 1.]]])
    """
    if strategy not in _MODES:
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise ValueError(f"chunk_size must be a positive integer or None, got {chunk_size!r}")
    inputs_tuple, inputs = jb.as_tuple(inputs, "inputs", "jacobian")
    block = (chunk_size or _UNCHUNKED) if vectorize else None
    outputs_tuple, jac = _MODES[strategy](func, inputs, create_graph, strict, block)
    return _unpack(jac, (outputs_tuple, inputs_tuple))


# -- hessian
def _hessian_rows(single_output: Callable[..., Tensor], inputs: tuple, block: int | None) -> tuple:
    """``jacobian(gradient, inputs, vectorize=...)`` as ``hessian`` runs it without
    ``create_graph``, ``strict`` or colouring: the gradient's graph (``create_graph``) and
    the passes of the Hessian's rows over it, replayed as one computation from the graph of
    ``single_output`` (with a graph of the same structure, no graph is made for the
    gradient)."""
    with grad_mode.enable_grad():
        outer = _preprocess(inputs, False, True)
        inner = _preprocess(outer, True, True)
        out = single_output(*inner)
    if out._rg:  # PyTorch's inner jacobian runs row by row
        refuse_complex_seed(out)

    def rows() -> list[Any]:
        with grad_mode.enable_grad():
            (gradient,) = jb.reverse_rows((out,), inner, True, False, None)
            if block is None:  # as does the outer one, on the gradient where it has a graph
                for g in gradient:
                    if g._rg:
                        refuse_complex_seed(g)
            passes = jb.row_passes(gradient, outer, False, spans)
            if whole:
                return [b for row in jb.put_rows(outer, outer, passes, False, False) for b in row]
            return [g for *_, grads in passes for g in grads]

    spans = jb.row_spans(outer, outer, block)  # the gradient mirrors the inputs
    # (one pass per gradient: its blocks are taken whole within the computation)
    whole = len(spans) == len(outer)
    flat = replay.computation(("hessian rows", block), (out,), outer, rows)
    n = len(outer)
    if whole:
        return jb.rows_of(flat, n, n)
    passes = [(*span, flat[k * n:(k + 1) * n]) for k, span in enumerate(spans)]
    return jb.put_rows(outer, outer, passes, False, False)  # gradient i has input i's shape


@quiet_float_errors
def hessian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a scalar ``func``, as PyTorch (Jacobian of its gradient).

    Example:
        >>> hessian(lambda x: (x ** 3).sum(), autojac.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    inputs_tuple, inputs = jb.as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in _STRATEGIES:
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def single_output(*inp: Tensor) -> Tensor:
        out = _scalar_output(func, inp, "hessian", strict)
        return out if out._data.ndim == 0 else out.squeeze()

    def gradient(*inp: Tensor) -> tuple:
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(single_output, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    block = _UNCHUNKED if vectorize else None
    if not (create_graph or strict or outer_jacobian_strategy == "forward-mode"
            or compressed.worth_trying(inputs, inputs, _HESSIAN_COLOURED_FROM)):
        return _unpack(_hessian_rows(single_output, inputs, block), (inputs_tuple, inputs_tuple))
    res = jacobian(
        gradient,
        inputs,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return _unpack(res, (inputs_tuple, inputs_tuple))
