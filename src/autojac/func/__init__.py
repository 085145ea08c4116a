"""``autojac.func``: torch.func-style transforms (jacrev, jacfwd, grad, vjp, jvp, hessian).

Transforms return functions; results are differentiable when the arguments require grad
or carry tangents, so ``jacfwd(jacrev(f))`` gives Hessians. Beyond torch.func:
``jacrev_and_value`` / ``jacfwd_and_value`` return ``func``'s output together with the
Jacobian, from the same single evaluation.

Example:
    >>> from autojac.func import jacrev
    >>> jacrev(lambda x: x.sin())(autojac.zeros(2))
    tensor([[1., 0.],
            [0., 1.]])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .._autograd import forward_ad as _fw_state
from .._autograd import grad_mode, replay
from .._autograd.api import grad as _autograd_grad
from .._autograd.engine import run_forward
from .._autograd.float_errors import quiet_float_errors
from .._autograd.jacobian_blocks import Columns, column_blocks, reverse_rows, seeds_for
from .._tensor import Tensor
from ..autograd import forward_ad as fwAD

__all__ = [
    "jacrev",
    "jacfwd",
    "jacrev_and_value",
    "jacfwd_and_value",
    "grad",
    "grad_and_value",
    "vjp",
    "jvp",
    "hessian",
    "linearize",
]


def _argnums_tuple(argnums: int | tuple[int, ...], n_args: int) -> tuple[int, ...]:
    """``argnums`` as non-negative positions, with PyTorch's errors."""
    ints = isinstance(argnums, int) and not isinstance(argnums, bool) or isinstance(
        argnums, tuple) and all(isinstance(a, int) and not isinstance(a, bool) for a in argnums)
    if not ints:
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    nums = (argnums,) if isinstance(argnums, int) else argnums
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    for a in nums:
        if not -n_args <= a < n_args:
            raise RuntimeError(f"Got argnum={a}, but only {n_args} positional inputs")
    positions = tuple(a % n_args for a in nums)
    if len(set(positions)) != len(positions):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return positions


def _differentiated(leaves: tuple, forward: bool) -> None:
    """PyTorch's errors for arguments that cannot be differentiated (forward mode says so
    here; reverse mode when they are made to require grad)."""
    for x in leaves:
        if not isinstance(x, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
        if forward and x._data.dtype.kind not in "fc":
            raise ValueError(f"Expected primal to be floating point or complex, but got: "
                             f"{x.dtype}")


def _all_real(tensors: tuple, api: str, what: str) -> None:
    """PyTorch's error: jacrev and jacfwd take and give real tensors only."""
    for k, t in enumerate(tensors):
        if t._data.dtype.kind == "c":
            raise RuntimeError(f"{api}: Expected all {what} to be real but received complex "
                               f"tensor at flattened input idx: {k}")


def _nested(args: tuple) -> bool:
    """Whether the results must stay differentiable (an outer transform is watching)."""
    return any(isinstance(a, Tensor) and (a.requires_grad or a._fw is not None) for a in args)


def _fresh(x: Tensor) -> Tensor:
    """A new tensor object for ``x`` that requires grad, keeping its graph and tangent."""
    if x.requires_grad:
        return x.view_as(x)
    out = x.detach().requires_grad_(True)
    if x._fw is not None:
        _fw_state.attach_tangent(out, x._fw)
    return out


_GRAD, _VJP, _JVP = "grad_and_value(f)(*args)", "vjp(f, *primals)", "jvp(f, primals, tangents)"


def _flatten(value: Any, leaves: list[Any]) -> Any:
    """Append the leaves of ``value`` (nested tuples, lists, namedtuples and dicts: a pytree)
    to ``leaves``; return its structure (types, and dict keys in their order), for
    ``_unflatten``."""
    if isinstance(value, (tuple, list)):
        return type(value), None, [_flatten(v, leaves) for v in value]
    if isinstance(value, dict):
        return type(value), tuple(value), [_flatten(v, leaves) for v in value.values()]
    leaves.append(value)
    return None


def _unflatten(structure: Any, leaves: Iterator[Any]) -> Any:
    """The pytree of ``structure`` (from ``_flatten``) with the next leaves in it."""
    if structure is None:
        return next(leaves)
    kind, keys, parts = structure
    items = [_unflatten(part, leaves) for part in parts]
    if keys is not None:
        return kind(zip(keys, items))
    return kind(*items) if hasattr(kind, "_fields") else kind(items)


def _leaves(value: Any) -> list[Any]:
    """The leaves of a pytree."""
    leaves: list[Any] = []
    _flatten(value, leaves)
    return leaves


def _map_leaves(fn: Callable[[Any], Any], value: Any) -> Any:
    """A pytree with ``fn`` applied to its leaves."""
    leaves: list[Any] = []
    structure = _flatten(value, leaves)
    return _unflatten(structure, iter([fn(leaf) for leaf in leaves]))


def _detached(t: Tensor) -> Tensor:
    return t.detach()


def _floating(outs: tuple) -> None:
    """PyTorch's error: reverse mode differentiates floating outputs only."""
    for o in outs:
        if o._data.dtype.kind not in "fc":
            raise RuntimeError(f"vjp(f, ...): All outputs of f must be floating-point or "
                               f"complex Tensors, got Tensor with dtype {o.dtype}")


class _Call:
    """One call of ``func`` with the differentiated arguments (pytrees of tensors) substituted
    by tensors for their ``leaves`` (``api``: the transform, as PyTorch's errors name it)."""

    def __init__(self, func: Callable[..., Any], args: tuple, nums: tuple[int, ...],
                 has_aux: bool, api: str) -> None:
        self.func, self.args, self.nums, self.has_aux, self.api = func, args, nums, has_aux, api
        self.aux: Any = None
        leaves: list[Any] = []
        self.structures = [_flatten(args[k], leaves) for k in nums]
        self.leaves = tuple(leaves)
        self.keep = _nested(self.leaves)  # (results stay differentiable for an outer transform)

    def regroup(self, values: Sequence[Any]) -> list[Any]:
        """Values, one per leaf, as one pytree per differentiated argument."""
        it = iter(values)
        return [_unflatten(structure, it) for structure in self.structures]

    def unwrapped_aux(self) -> Any:
        """``aux`` as PyTorch returns it: outside the transform, so without the history the
        transform gave it (unless an outer transform is watching)."""
        return self.aux if self.keep else _map_leaves(_detached, self.aux)

    def __call__(self, *diff: Tensor) -> Any:
        args = list(self.args)
        for k, x in zip(self.nums, self.regroup(diff)):
            args[k] = x
        out = self.func(*args)
        if self.has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError(f"{self.api}: output of function f should be a tuple: "
                                   "(output, aux) if has_aux is True")
            out, self.aux = out
            for leaf in _leaves(self.aux):
                if not isinstance(leaf, Tensor):
                    raise RuntimeError(f"Expected tensors, got unsupported type {type(leaf)}")
        return out


def _outputs_tuple(out: Any, api: str) -> tuple[bool, tuple]:
    outputs = out if isinstance(out, (tuple, list)) else (out,)
    for o in outputs:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(o)}")
    return not isinstance(out, Tensor), tuple(outputs)


def _shape_result(jac: tuple, outputs_tuple: bool, argnums: Any, call: _Call) -> Any:
    """The Jacobian's blocks (rows over the leaves) as PyTorch gives them: per output, one
    pytree per differentiated argument (a tuple of them for a tuple of ``argnums``)."""
    rows = tuple(_per_argnums(call.regroup(r), argnums) for r in jac)
    return rows if outputs_tuple else rows[0]


def _per_argnums(per_arg: list[Any], argnums: Any) -> Any:
    return tuple(per_arg) if isinstance(argnums, tuple) else per_arg[0]


def _jac(
    func: Callable[..., Any],
    argnums: Any,
    has_aux: bool,
    chunk_size: int | None,
    forward: bool,
    with_value: bool,
) -> Callable[..., Any]:
    @quiet_float_errors
    def transformed(*args: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args))
        call = _Call(func, args, nums, has_aux, _JVP if forward else _VJP)
        _differentiated(call.leaves, forward)
        api = "jacfwd" if forward else "jacrev"
        _all_real(call.leaves, api, "inputs")
        keep = call.keep
        if forward:
            inputs = call.leaves
            columns = Columns(inputs, keep, False)
            outs: tuple = ()
            with grad_mode.set_grad_enabled(keep or grad_mode.is_grad_enabled()):
                blocks = column_blocks(inputs, chunk_size or (1 << 62), per_input=False)
                for parts in blocks or [[]]:
                    with fwAD.dual_level():
                        duals = tuple(x if t is None else fwAD.make_batched_dual(x, t)
                                      for x, t in zip(inputs, seeds_for(inputs, parts)))
                        outputs_tuple, outs = _outputs_tuple(call(*duals), _JVP)
                        _all_real(outs, api, "outputs")
                        tangents = [o._fw for o in outs]
                        outs = tuple(fwAD.unpack_dual(o).primal for o in outs)
                    columns.add(parts, outs, tangents)
            jac = columns.result(outs)
        else:
            with grad_mode.enable_grad():
                inputs = tuple(_fresh(x) for x in call.leaves)
                outputs_tuple, outs = _outputs_tuple(call(*inputs), _VJP)
                _floating(outs)
                _all_real(outs, api, "outputs")
                jac = reverse_rows(outs, inputs, keep, False, chunk_size or (1 << 62))
        result = _shape_result(jac, outputs_tuple, argnums, call)
        if with_value:
            value = outs if outputs_tuple else outs[0]
            if not keep:
                value = tuple(o.detach() for o in outs) if outputs_tuple else outs[0].detach()
            result = (result, value)
        return (result, call.unwrapped_aux()) if has_aux else result

    transformed.__name__ = f"jac{'fwd' if forward else 'rev'}({getattr(func, '__name__', '')})"
    return transformed


def jacrev(
    func: Callable[..., Any],
    argnums: int | tuple[int, ...] = 0,
    *,
    has_aux: bool = False,
    chunk_size: int | None = None,
) -> Callable[..., Any]:
    """Jacobian of ``func`` w.r.t. the ``argnums`` arguments, by reverse mode in one
    batched pass (``chunk_size`` rows per pass if given)."""
    return _jac(func, argnums, has_aux, chunk_size, forward=False, with_value=False)


def jacfwd(
    func: Callable[..., Any],
    argnums: int | tuple[int, ...] = 0,
    has_aux: bool = False,
    *,
    chunk_size: int | None = None,
    randomness: str = "error",
) -> Callable[..., Any]:
    """Jacobian of ``func`` by forward mode in one batched pass of tangents."""
    return _jac(func, argnums, has_aux, chunk_size, forward=True, with_value=False)


def jacrev_and_value(
    func: Callable[..., Any],
    argnums: int | tuple[int, ...] = 0,
    *,
    has_aux: bool = False,
    chunk_size: int | None = None,
) -> Callable[..., Any]:
    """Like ``jacrev``, returning ``(jacobian, func(*args))`` from one evaluation."""
    return _jac(func, argnums, has_aux, chunk_size, forward=False, with_value=True)


def jacfwd_and_value(
    func: Callable[..., Any],
    argnums: int | tuple[int, ...] = 0,
    *,
    has_aux: bool = False,
    chunk_size: int | None = None,
) -> Callable[..., Any]:
    """Like ``jacfwd``, returning ``(jacobian, func(*args))`` from one evaluation."""
    return _jac(func, argnums, has_aux, chunk_size, forward=True, with_value=True)


def hessian(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """``jacfwd(jacrev(func, argnums), argnums)``: forward-over-reverse Hessian."""
    return jacfwd(jacrev(func, argnums), argnums)


def grad_and_value(
    func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """``(gradient, value)`` of a scalar-valued ``func``."""

    @quiet_float_errors
    def transformed(*args: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args))
        call = _Call(func, args, nums, has_aux, _GRAD)
        _differentiated(call.leaves, False)
        keep = call.keep
        with grad_mode.enable_grad():
            inputs = tuple(_fresh(x) for x in call.leaves)
            out = call(*inputs)
            if not isinstance(out, Tensor):
                raise RuntimeError(f"{_GRAD}: Expected f(*args) to return a Tensor, got "
                                   f"{type(out)}")
            if out._data.ndim:
                raise RuntimeError(f"{_GRAD}: Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {out.dim()} dims. Maybe you wanted to use the "
                                   "vjp or jacrev APIs instead?")
            grads = (
                _autograd_grad(
                    out, inputs, create_graph=keep, allow_unused=True, materialize_grads=True
                )
                if out._rg
                else tuple(x.detach() * 0 for x in inputs)
            )
        grads = _per_argnums(call.regroup(grads), argnums)
        value = out if keep else out.detach()
        return (grads, (value, call.unwrapped_aux())) if has_aux else (grads, value)

    return transformed


def grad(
    func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The gradient of a scalar-valued ``func`` w.r.t. the ``argnums`` arguments."""
    inner = grad_and_value(func, argnums, has_aux)

    def transformed(*args: Any) -> Any:
        g, value = inner(*args)
        return (g, value[1]) if has_aux else g

    return transformed


@quiet_float_errors
def vjp(func: Callable[..., Any], *primals: Tensor, has_aux: bool = False) -> Any:
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` gives one gradient per primal."""
    call = _Call(func, primals, tuple(range(len(primals))), has_aux, _VJP)
    _differentiated(call.leaves, False)
    keep = call.keep
    with grad_mode.enable_grad():
        inputs = tuple(_fresh(x) for x in call.leaves)
        outputs_tuple, outs = _outputs_tuple(call(*inputs), _VJP)
        _floating(outs)

    def vjp_fn(*cotangents: Any) -> tuple:
        cts = cotangents[0] if len(cotangents) == 1 and outputs_tuple else cotangents
        if not isinstance(cts, (tuple, list)) or len(cts) != len(outs):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree "
                               "structure of outputs to the function.")
        with grad_mode.enable_grad():
            pairs = [(o, c) for o, c in zip(outs, cts) if o._rg]
            if not pairs:
                return tuple(call.regroup([x.detach() * 0 for x in inputs]))
            return tuple(call.regroup(_autograd_grad(
                [o for o, _ in pairs],
                inputs,
                [c for _, c in pairs],
                retain_graph=True,
                create_graph=keep or _nested(cts),
                allow_unused=True,
                materialize_grads=True,
            )))

    value = outs if outputs_tuple else outs[0]
    if not keep:
        value = tuple(o.detach() for o in outs) if outputs_tuple else outs[0].detach()
    return (value, vjp_fn, call.unwrapped_aux()) if has_aux else (value, vjp_fn)


_JVP_STRUCTURES = (f"{_JVP}: Expected primals and tangents to have the same python "
                   "structure. For example, if primals is a tuple of 3 tensors, tangents also "
                   "must be.")


@quiet_float_errors
def jvp(
    func: Callable[..., Any],
    primals: tuple,
    tangents: tuple,
    *,
    strict: bool = False,
    has_aux: bool = False,
) -> Any:
    """``(func(*primals), J @ tangents)`` in one forward-mode pass."""
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{_JVP}: Expected primals to be a tuple. E.g. it should be valid "
                           "to call f(*primals).")
    if not isinstance(tangents, tuple) or len(primals) != len(tangents):
        raise RuntimeError(_JVP_STRUCTURES)
    call = _Call(func, primals, tuple(range(len(primals))), has_aux, _JVP)
    tangent_leaves: list[Any] = []
    if [_flatten(t, tangent_leaves) for t in tangents] != call.structures:
        raise RuntimeError(_JVP_STRUCTURES)
    for t in tangent_leaves:
        if not isinstance(t, Tensor):
            raise RuntimeError(f"{_JVP}: Expected tangents to only contain Tensors, got "
                               f"{type(t)}")
    _differentiated(call.leaves, True)
    keep = call.keep or _nested(tuple(tangent_leaves))
    with grad_mode.set_grad_enabled(keep or grad_mode.is_grad_enabled()), fwAD.dual_level():
        duals = tuple(fwAD.make_dual(p, t) for p, t in zip(call.leaves, tangent_leaves))
        outputs_tuple, outs = _outputs_tuple(call(*duals), _JVP)
        out_t = tuple(o._fw if o._fw is not None else o.detach() * 0 for o in outs)
        outs = tuple(fwAD.unpack_dual(o).primal for o in outs)
    if not keep:
        outs = tuple(o.detach() for o in outs)
        out_t = tuple(t.detach() for t in out_t)
    result = (outs, out_t) if outputs_tuple else (outs[0], out_t[0])
    return (*result, call.unwrapped_aux()) if has_aux else result


@quiet_float_errors
def linearize(func: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is ``jvp(func, primals,
    tangents)[1]`` without calling ``func`` again: the tangents go through the graph that
    this one call recorded (as NumPy calls alone, replayed, from its third call on).

    Example:
        >>> from autojac.func import linearize
        >>> value, jvp_fn = linearize(lambda x: x.sin(), autojac.zeros(2))
        >>> jvp_fn(autojac.ones(2))
        tensor([1., 1.])
    """
    call = _Call(func, primals, tuple(range(len(primals))), False, "linearize")
    _differentiated(call.leaves, True)
    with grad_mode.enable_grad():
        inputs = tuple(_fresh(x) for x in call.leaves)
        outputs_tuple, outs = _outputs_tuple(call(*inputs), _JVP)
    keep = call.keep

    def jvp_fn(*tangents: Any) -> Any:
        leaves: list[Any] = []
        if [_flatten(t, leaves) for t in tangents] != call.structures:
            raise RuntimeError("Expected the tangents to have the same argspec as the primals")
        for i, (t, x) in enumerate(zip(leaves, inputs)):
            _check_tangent(i, t, x)
        with grad_mode.set_grad_enabled(keep):
            pushed = (run_forward(outs, inputs, leaves, create_graph=True) if keep
                      else replay.tangents(outs, inputs, leaves))
        result = tuple(o.detach() * 0 if t is None  # (a tangent given is not one returned)
                       else t.clone() if any(t is given for given in leaves) else t
                       for t, o in zip(pushed, outs))
        return result if outputs_tuple else result[0]

    value = outs if keep else tuple(o.detach() for o in outs)
    return (value if outputs_tuple else value[0]), jvp_fn


def _check_tangent(i: int, t: Any, primal: Tensor) -> None:
    """PyTorch's errors for a tangent that is not a tensor of its primal's shape and dtype."""
    if not isinstance(t, Tensor):
        raise RuntimeError(f"tangent:{i} in flattened pytree is a {type(t).__name__}, not a "
                           "Tensor")
    for what, mine, its in (("shape", t.shape, primal.shape), ("dtype", t.dtype, primal.dtype)):
        if mine != its:
            raise RuntimeError(f"tangent:{i} with {what} {mine} in flattened pytree doesn't "
                               f"match the {what} {its} of the corresponding primal.")
