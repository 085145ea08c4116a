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

from collections.abc import Callable
from typing import Any

from .._autograd import forward_ad as _fw_state
from .._autograd import grad_mode
from .._autograd.api import grad as _autograd_grad
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
]


def _argnums_tuple(argnums: int | tuple[int, ...], n_args: int) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    for a in nums:
        if not isinstance(a, int) or not -n_args <= a < n_args:
            raise RuntimeError(
                f"Got argnums={argnums}, but only {n_args} positional inputs were given"
            )
    return tuple(a % n_args for a in nums)


def _nested(args: tuple) -> bool:
    """Whether the results must stay differentiable (an outer transform is watching)."""
    return any(isinstance(a, Tensor) and (a._rg or a._fw is not None) for a in args)


def _fresh(x: Tensor) -> Tensor:
    """A new tensor object for ``x`` that requires grad, keeping its graph and tangent."""
    if x._rg:
        return x.view_as(x)
    out = x.detach().requires_grad_(True)
    if x._fw is not None:
        _fw_state.attach_tangent(out, x._fw)
    return out


class _Call:
    """One call of ``func`` with the differentiated arguments substituted."""

    def __init__(
        self, func: Callable[..., Any], args: tuple, nums: tuple[int, ...], has_aux: bool
    ) -> None:
        self.func, self.args, self.nums, self.has_aux = func, args, nums, has_aux
        self.aux: Any = None

    def __call__(self, *diff: Tensor) -> Any:
        args = list(self.args)
        for k, x in zip(self.nums, diff):
            args[k] = x
        out = self.func(*args)
        if self.has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError("has_aux=True: the function must return a tuple (output, aux)")
            out, self.aux = out
        return out


def _outputs_tuple(out: Any) -> tuple[bool, tuple]:
    if isinstance(out, Tensor):
        return False, (out,)
    if isinstance(out, (tuple, list)) and all(isinstance(o, Tensor) for o in out):
        return True, tuple(out)
    raise RuntimeError(
        f"Expected the function to return a Tensor or a tuple of Tensors, got {type(out).__name__}"
    )


def _shape_result(jac: tuple, outputs_tuple: bool, argnums: Any) -> Any:
    rows = jac if isinstance(argnums, tuple) else tuple(r[0] for r in jac)
    return rows if outputs_tuple else rows[0]


def _jac(
    func: Callable[..., Any],
    argnums: Any,
    has_aux: bool,
    chunk_size: int | None,
    forward: bool,
    with_value: bool,
) -> Callable[..., Any]:
    def transformed(*args: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args))
        call = _Call(func, args, nums, has_aux)
        keep = _nested(args)
        if forward:
            inputs = tuple(args[k] for k in nums)
            columns = Columns(inputs, keep, False)
            outs: tuple = ()
            with grad_mode.set_grad_enabled(keep or grad_mode.is_grad_enabled()):
                blocks = column_blocks(inputs, chunk_size or (1 << 62), per_input=False)
                for parts in blocks or [[]]:
                    with fwAD.dual_level():
                        duals = tuple(x if t is None else fwAD.make_batched_dual(x, t)
                                      for x, t in zip(inputs, seeds_for(inputs, parts)))
                        outputs_tuple, outs = _outputs_tuple(call(*duals))
                        tangents = [o._fw for o in outs]
                        outs = tuple(fwAD.unpack_dual(o).primal for o in outs)
                    columns.add(parts, outs, tangents)
            jac = columns.result(outs)
        else:
            with grad_mode.enable_grad():
                inputs = tuple(_fresh(args[k]) for k in nums)
                outputs_tuple, outs = _outputs_tuple(call(*inputs))
                jac = reverse_rows(outs, inputs, keep, False, chunk_size or (1 << 62))
        result = _shape_result(jac, outputs_tuple, argnums)
        if with_value:
            value = outs if outputs_tuple else outs[0]
            if not keep:
                value = tuple(o.detach() for o in outs) if outputs_tuple else outs[0].detach()
            result = (result, value)
        return (result, call.aux) if has_aux else result

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

    def transformed(*args: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args))
        call = _Call(func, args, nums, has_aux)
        keep = _nested(args)
        with grad_mode.enable_grad():
            inputs = tuple(_fresh(args[k]) for k in nums)
            out = call(*inputs)
            if not isinstance(out, Tensor) or out.numel() != 1:
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a "
                    "scalar Tensor, got tensor with "
                    f"{out.dim() if isinstance(out, Tensor) else '?'} dims"
                )
            grads = (
                _autograd_grad(
                    out, inputs, create_graph=keep, allow_unused=True, materialize_grads=True
                )
                if out._rg
                else tuple(x.detach() * 0 for x in inputs)
            )
        grads = grads if isinstance(argnums, tuple) else grads[0]
        value = out if keep else out.detach()
        return (grads, (value, call.aux)) if has_aux else (grads, value)

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


def vjp(func: Callable[..., Any], *primals: Tensor, has_aux: bool = False) -> Any:
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` gives one gradient per primal."""
    call = _Call(func, primals, tuple(range(len(primals))), has_aux)
    keep = _nested(primals)
    with grad_mode.enable_grad():
        inputs = tuple(_fresh(p) for p in primals)
        outputs_tuple, outs = _outputs_tuple(call(*inputs))

    def vjp_fn(*cotangents: Any) -> tuple:
        cts = cotangents[0] if len(cotangents) == 1 and outputs_tuple else cotangents
        with grad_mode.enable_grad():
            pairs = [(o, c) for o, c in zip(outs, cts) if o._rg]
            if not pairs:
                return tuple(x.detach() * 0 for x in inputs)
            return _autograd_grad(
                [o for o, _ in pairs],
                inputs,
                [c for _, c in pairs],
                retain_graph=True,
                create_graph=keep or _nested(cts),
                allow_unused=True,
                materialize_grads=True,
            )

    value = outs if outputs_tuple else outs[0]
    if not keep:
        value = tuple(o.detach() for o in outs) if outputs_tuple else outs[0].detach()
    return (value, vjp_fn, call.aux) if has_aux else (value, vjp_fn)


def jvp(
    func: Callable[..., Any],
    primals: tuple,
    tangents: tuple,
    *,
    strict: bool = False,
    has_aux: bool = False,
) -> Any:
    """``(func(*primals), J @ tangents)`` in one forward-mode pass."""
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be tuples")
    if len(primals) != len(tangents):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals and tangents to have the same length"
        )
    call = _Call(func, primals, tuple(range(len(primals))), has_aux)
    keep = _nested(primals) or _nested(tangents)
    with grad_mode.set_grad_enabled(keep or grad_mode.is_grad_enabled()), fwAD.dual_level():
        duals = tuple(fwAD.make_dual(p, t) for p, t in zip(primals, tangents))
        outputs_tuple, outs = _outputs_tuple(call(*duals))
        out_t = tuple(o._fw if o._fw is not None else o.detach() * 0 for o in outs)
        outs = tuple(fwAD.unpack_dual(o).primal for o in outs)
    if not keep:
        outs = tuple(o.detach() for o in outs)
        out_t = tuple(t.detach() for t in out_t)
    result = (outs, out_t) if outputs_tuple else (outs[0], out_t[0])
    return (*result, call.aux) if has_aux else result
