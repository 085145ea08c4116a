"""Complex parts: ``conj``, ``real``, ``imag``, ``sgn`` and ``angle``, with PyTorch's rules.

None of them is holomorphic, so each states its vjp in PyTorch's convention itself
(``complex_rule="own"``): the vjp of ``real`` puts a real cotangent into the real part,
that of ``imag`` into the imaginary part.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import Op, apply, install, zero_rule
from .elementwise import real_sign, where


def _from_parts(re: Any, im: Any) -> np.ndarray:
    """The complex array ``re + i im`` (either part may be the scalar 0), without the
    ``0 * inf = nan`` that ``im * 1j`` would make."""
    part = re if isinstance(re, np.ndarray) else im
    out = np.empty(np.broadcast_shapes(np.shape(re), np.shape(im)),
                   np.result_type(part.dtype, np.complex64))
    out.real = re
    out.imag = im
    return out


FROM_PARTS = Op(
    "complex",
    _from_parts,
    vjp=(lambda g, ans, re, im: g.real, lambda g, ans, re, im: imag(g)),
    jvp="linear",
    saves=False,
    elementwise=True,
    complex_rule="own",
)


def _part_op(name: str, forward: Any, vjp: Any, unview: Any) -> Op:
    return Op(name, forward, vjp=(vjp,), jvp="linear", saves=False, view=True,
              node_name="SelectBackward0", unview=unview, pattern="pointwise",
              complex_rule="own")


REAL = _part_op("real", np.real, lambda g, ans, x: apply(FROM_PARTS, (g, 0)),
                lambda parent, new: apply(FROM_PARTS, (new, imag(parent))))
IMAG = _part_op("imag", np.imag, lambda g, ans, x: apply(FROM_PARTS, (0, g)),
                lambda parent, new: apply(FROM_PARTS, (real(parent), new)))
CONJ = Op("conj", np.conjugate, vjp=(lambda g, ans, x: conj(g),), jvp="linear", saves=False,
          pattern="pointwise", complex_rule="own")


def _sgn_rule(g: Tensor, ans: Tensor, x: Tensor) -> Tensor:
    """d(z/|z|) = (dz - sgn Re(conj(sgn) dz)) / |z|, a self-adjoint map (0 at z = 0);
    zero for real z."""
    if not x.is_complex():
        return zero_rule(g)
    size = x.abs()
    return where(size == 0, 0.0, (g - ans * (ans.conj() * g).real) / size)


def _sgn_forward(a: np.ndarray) -> np.ndarray:
    """z / |z| as PyTorch: 0 at 0, NaN where |z| is infinite; real: the sign, 0 at NaN."""
    if a.dtype.kind != "c":
        return real_sign(a)
    size = np.abs(a)
    with np.errstate(invalid="ignore"):
        return np.divide(a, size, out=np.zeros_like(a), where=size != 0)


SGN = Op("sgn", _sgn_forward, vjp=(_sgn_rule,), jvp=(_sgn_rule,), pattern="pointwise",
         complex_rule="own")


def _angle_vjp(g: Tensor, ans: Tensor, x: Tensor) -> Tensor:
    """d arg(z) = Im(dz / z), whose adjoint is g i z / |z|^2 (0 at z = 0; 0 for real z)."""
    if not x.is_complex():
        return zero_rule(g)
    return where(x == 0, 0.0, g * x * 1j / (x * x.conj()).real)


def _angle_jvp(t: Tensor, ans: Tensor, x: Tensor) -> Tensor:
    if not x.is_complex():
        return zero_rule(t)
    return where(x == 0, 0.0, imag(t / where(x == 0, 1.0, x)))


def _angle_forward(a: np.ndarray) -> np.ndarray:
    if a.dtype.kind == "c":
        return np.angle(a)
    # pi for negative reals, 0 otherwise (-0.0 too, where np.angle says pi), NaN for NaN
    return np.where(a < 0, np.pi, np.where(np.isnan(a), a, 0)).astype(a.dtype)


ANGLE = Op("angle", _angle_forward, vjp=(_angle_vjp,), jvp=(_angle_jvp,), to_float=True,
           pattern="pointwise", complex_rule="own")


def real(input: Tensor) -> Tensor:
    """The real part, a view (a real tensor is its own real part).

    >>> import autojac as torch
    >>> torch.real(torch.tensor([1 + 2j]))
    tensor([1.])
    """
    return apply(REAL, (input,)) if input.is_complex() else input


def imag(input: Tensor) -> Tensor:
    """The imaginary part of a complex tensor, a view.

    >>> import autojac as torch
    >>> torch.imag(torch.tensor([1 + 2j]))
    tensor([2.])
    """
    if not input.is_complex():
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return apply(IMAG, (input,))


def conj(input: Tensor) -> Tensor:
    """The complex conjugate (a real tensor is its own).

    >>> import autojac as torch
    >>> torch.conj(torch.tensor([1 + 2j]))
    tensor([1.-2.j])
    """
    return apply(CONJ, (input,)) if input.is_complex() else input


def conj_physical(input: Tensor) -> Tensor:
    """``conj``, computed at once (autojac's ``conj`` always is)."""
    return conj(input)


def resolve_conj(input: Tensor) -> Tensor:
    """``input`` itself: autojac never defers a conjugation."""
    return input


def angle(input: Tensor) -> Tensor:
    """The argument of each element, in (-pi, pi] (pi for negative reals, 0 otherwise).

    >>> import autojac as torch
    >>> torch.angle(torch.tensor([1j, -1.0]))
    tensor([1.5708, 3.1416])
    """
    return apply(ANGLE, (input,))


def sgn(input: Tensor) -> Tensor:
    """``input / |input|`` elementwise (0 at 0); for real tensors, ``sign``'s values.

    >>> import autojac as torch
    >>> torch.sgn(torch.tensor([3 + 4j, 0j]))
    tensor([0.6000+0.8000j, 0.0000+0.0000j])
    """
    if input._data.dtype.kind not in "fc":
        return input.sign()
    return apply(SGN, (input,))


for _name, _fn in (("conj", conj), ("conj_physical", conj_physical),
                   ("resolve_conj", resolve_conj), ("sgn", sgn), ("angle", angle)):
    install(_name, _fn)
install("real", property(real, lambda self, value: real(self).copy_(value),
                         doc="The real part, a view (assigning to it copies into it)."))
install("imag", property(imag, lambda self, value: imag(self).copy_(value),
                         doc="The imaginary part of a complex tensor, a view."))
