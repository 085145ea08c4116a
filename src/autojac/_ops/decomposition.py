"""Linear algebra with derivative rules: inv, det, slogdet, solve, cholesky, eigh, svd,
qr, pinv, matrix_exp. All accept leading batch dims of matrices, as PyTorch."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import return_types
from .._autograd import tape_state
from .._creation import zeros_like
from .._tensor import Tensor, _make, scalar_type_name
from ._registry import Op, apply, install, materialize, no_kernel
from .elementwise import where
from .linalg import _pad, _reduce_to
from .matrix import diag_embed, diagonal, tril, triu
from .shape import cat


class _LinAlgError(RuntimeError):
    """A matrix that the factorization or inversion cannot take (``autojac.linalg.LinAlgError``,
    named as PyTorch's)."""


def _linalg_error(a: np.ndarray, fn: Callable[[np.ndarray], Any], text: str,
                  order: Callable[[np.ndarray], int] | None = None) -> _LinAlgError:
    """PyTorch's error for the first matrix of ``a`` on which ``fn`` raises, naming its batch
    element; ``text`` may hold ``{order}``: ``order(matrix)``, by default the order of its
    smallest leading minor on which ``fn`` raises."""
    fails = _raises(fn)
    batch = a.reshape((-1,) + a.shape[-2:])
    k = next((k for k, m in enumerate(batch) if fails(m)), 0)
    m = batch[k]
    n = order(m) if order else next((n for n in range(1, len(m) + 1) if fails(m[:n, :n])), len(m))
    name, _, rest = text.partition(": ")
    where = f"(Batch element {k}): " if a.ndim > 2 else ""
    return _LinAlgError(f"{name}: {where}{rest.format(order=n)}")


def _raises(fn: Callable[[np.ndarray], Any]) -> Callable[[np.ndarray], bool]:
    def fails(m: np.ndarray) -> bool:
        try:
            fn(m)
        except np.linalg.LinAlgError:
            return True
        return False

    return fails


def _first_zero_pivot(m: np.ndarray) -> int:
    """The (1-based) column where LU with partial pivoting first meets a zero pivot."""
    u = np.array(m, dtype=np.result_type(m, np.float64))
    for k in range(len(u)):
        p = k + int(np.argmax(np.abs(u[k:, k])))
        if u[p, k] == 0:
            return k + 1
        u[[k, p]] = u[[p, k]]
        u[k + 1:, k:] -= np.outer(u[k + 1:, k] / u[k, k], u[k, k:])
    return len(u)


def _svd(a: np.ndarray, full_matrices: bool = False) -> Any:
    """``np.linalg.svd``, with PyTorch's error where it fails."""
    try:
        return np.linalg.svd(a, full_matrices=full_matrices)
    except np.linalg.LinAlgError:
        if not np.isfinite(a).all():
            raise _linalg_error(a, _raises_on_nonfinite, "linalg.svd: The algorithm failed to "
                                "converge because the input matrix contained non-finite values."
                                ) from None
        raise _LinAlgError("linalg.svd: The algorithm failed to converge because the input "
                           "matrix is ill-conditioned or has too many repeated singular values"
                           ) from None


def _raises_on_nonfinite(m: np.ndarray) -> None:
    if not np.isfinite(m).all():
        raise np.linalg.LinAlgError


# PyTorch's kernels without a float16 variant (None: its own message for low precision)
_NO_HALF = {"inv": None, "slogdet": None, "det": "lu_cpu", "solve": "lu_cpu",
            "cholesky": "cholesky_cpu", "eigh": "linalg_eigh_cpu", "svd": "linalg_svd_cpu",
            "qr": "geqrf_cpu"}


def _check_matrices(A: Tensor, name: str, *, square: bool = True, floating: bool = True) -> None:
    """PyTorch's checks of the matrices ``A`` given to ``linalg.{name}``, in its order: at
    least two dims, square (with ``square``), floating (with ``floating``), not float16
    (where ``name`` is one of ``_NO_HALF``)."""
    shape = A._data.shape
    if len(shape) < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if square and shape[-1] != shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{shape[-2]} by {shape[-1]} matrices")
    if floating and A._data.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as "
                           f"input. Got {scalar_type_name(A._data.dtype)}")
    if A._data.dtype == np.float16 and name in _NO_HALF:
        kernel = _NO_HALF[name]
        if kernel is None:
            raise RuntimeError(f"linalg.{name}: Low precision dtypes not supported. Got Half")
        no_kernel(A._data.dtype, kernel, "f")


def _eye_like(A: Tensor) -> Tensor:
    return _make(np.eye(A.shape[-1], dtype=A._data.dtype), False, None)


def _checked_inv(a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise _linalg_error(a, np.linalg.inv, "linalg.inv: The diagonal element {order} is zero, "
                            "the inversion could not be completed because the input matrix is "
                            "singular.", _first_zero_pivot) from None


INV = Op(
    "linalg_inv", _checked_inv,
    vjp=(lambda g, ans, A: -(ans.mT @ g @ ans.mT),),
    jvp=(lambda t, ans, A: -(ans @ t @ ans),), node_name="LinalgInvExBackward0",
)


def inv(A: Tensor) -> Tensor:
    """The inverse of (batches of) square matrices."""
    _check_matrices(A, "inv")
    return apply(INV, (A,))


def _adjugate(A: Tensor, d: Tensor) -> Tensor:
    """adj(A) = det(A) inv(A), through the SVD where a matrix is singular (as PyTorch):
    with A = U S Vh, adj(A) = det(U) det(Vh) Vh^H diag(prod_{j != i} s_j) U^H."""
    if bool((d != 0).all()):
        return d.unsqueeze(-1).unsqueeze(-1) * inv(A)
    U, S, Vh = apply(SVD, (A,), (False,))
    n = S.shape[-1]
    eye = _make(np.eye(n, dtype=bool), False, None)
    others = where(eye, 1.0, S.unsqueeze(-2).expand(tuple(S.shape[:-1]) + (n, n))).prod(-1)
    sign = _make(np.linalg.det(U._data) * np.linalg.det(Vh._data), False, None)
    return sign.unsqueeze(-1).unsqueeze(-1) * ((Vh.mH * others.unsqueeze(-2)) @ U.mH)


DET = Op(
    "linalg_det", np.linalg.det,
    vjp=(lambda g, ans, A: g.unsqueeze(-1).unsqueeze(-1) * _adjugate(A, ans).mT,),
    jvp=(lambda t, ans, A: (_adjugate(A, ans) * t.mT).sum((-2, -1)),),
    node_name="LinalgDetBackward0",
)


def det(A: Tensor) -> Tensor:
    """Determinant of (batches of) square matrices."""
    _check_matrices(A, "det")
    return apply(DET, (A,))


LOGABSDET = Op(
    "linalg_slogdet", lambda a: np.linalg.slogdet(a)[1],
    # d log|det A| = Re tr(inv(A) dA), whose adjoint is g inv(A)^H
    vjp=(lambda g, ans, A: g.unsqueeze(-1).unsqueeze(-1) * inv(A).mH,),
    jvp=(lambda t, ans, A: (inv(A) * t.mT).sum((-2, -1)).real,),
    node_name="LinalgSlogdetBackward0",
    complex_rule="own",
)


def _sign_vjp(g: Tensor, ans: Tensor, A: Tensor) -> Tensor | None:
    """For complex A, d sign = i Im tr(inv(A) dA) sign, whose adjoint is
    ``-i Im(conj(g) sign) inv(A)^H``; the sign of a real A is locally constant (no gradient,
    as PyTorch's)."""
    if not A.is_complex():
        return None
    return ((g.conj() * ans).imag * -1j).unsqueeze(-1).unsqueeze(-1) * inv(A).mH


def _sign_jvp(t: Tensor, ans: Tensor, A: Tensor) -> Tensor:
    trace = (inv(A) * t.mT).sum((-2, -1))
    return trace.imag * 1j * ans if A.is_complex() else zeros_like(trace)


SLOGDET_SIGN = Op(
    "linalg_slogdet_sign", lambda a: np.asarray(np.linalg.slogdet(a)[0]),
    vjp=(_sign_vjp,), jvp=(_sign_jvp,), node_name="LinalgSlogdetBackward0", complex_rule="own",
)


def slogdet(A: Tensor) -> tuple[Tensor, Tensor]:
    """``(sign, log|det|)``; the gradient flows through ``log|det|``, and for complex
    matrices through the sign too."""
    _check_matrices(A, "slogdet")
    return return_types.linalg_slogdet(apply(SLOGDET_SIGN, (A,)), apply(LOGABSDET, (A,)))


def legacy_slogdet(A: Tensor) -> tuple[Tensor, Tensor]:
    """``autojac.slogdet``: ``linalg.slogdet``'s pair, named as PyTorch's ``torch.slogdet``."""
    return return_types.slogdet(*slogdet(A))


def logdet(A: Tensor) -> Tensor:
    """``log(det(A))``: NaN for a negative determinant of a real matrix."""
    sign, logabs = slogdet(A)
    if A._data.dtype.kind == "c":
        return logabs + sign.log()
    return where(sign > 0, logabs, float("nan"))


for _name, _fn in (("det", det), ("logdet", logdet), ("slogdet", legacy_slogdet),
                   ("inverse", inv)):
    install(_name, _fn)


def _solve_forward(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        raise _linalg_error(a, np.linalg.inv, "autojac.linalg.solve: The solver failed because "
                            "the input matrix is singular.") from None


def _solve_triangle(a: np.ndarray, b: np.ndarray, upper: bool) -> np.ndarray:
    """``X`` with ``A X = B`` for a triangular ``A`` (upper or lower): LAPACK's solve, or,
    where a diagonal element is 0, substitution row by row, whose divisions by 0 give inf
    and NaN as PyTorch's triangular solve does (it does not check)."""
    if (np.diagonal(a, axis1=-2, axis2=-1) != 0).all():
        return np.linalg.solve(a, b)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    x = np.zeros(b.shape, np.result_type(a, b))
    n = a.shape[-1]
    for i in range(n - 1, -1, -1) if upper else range(n):
        known = slice(i + 1, n) if upper else slice(0, i)
        rest = b[..., i, :] - np.einsum("...j,...jk->...k", a[..., i, known], x[..., known, :])
        x[..., i, :] = rest / a[..., i, i, None]
    return x


def _solve_out_ndim(A: Tensor, B: Tensor) -> int:
    return max(A.ndim, B.ndim)


def _solver(name: str, forward: Callable[..., np.ndarray], node_name: str,
            transposed: Callable[..., tuple]) -> Op:
    """An op for ``A X = B`` by ``forward(a, b, *params)``, whose rules solve with the same
    op again: ``transposed(*params)`` gives the params for ``A``'s transpose."""

    def grad_a(g: Tensor, ans: Tensor, A: Tensor, B: Tensor, *params: Any) -> Tensor:
        gB = apply(op, (A.mT, g), transposed(*params))
        return _reduce_to(-(gB @ ans.mT), A.shape, _solve_out_ndim(A, B))

    def grad_b(g: Tensor, ans: Tensor, A: Tensor, B: Tensor, *params: Any) -> Tensor:
        return _reduce_to(apply(op, (A.mT, g), transposed(*params)), B.shape,
                          _solve_out_ndim(A, B))

    def tangent_a(t: Tensor, ans: Tensor, A: Tensor, B: Tensor, *params: Any) -> Tensor:
        """d(A^-1 B) along dA: -A^-1 dA X."""
        return -apply(op, (A, _pad(t, A.shape, _solve_out_ndim(A, B)) @ ans), params)

    def tangent_b(t: Tensor, ans: Tensor, A: Tensor, B: Tensor, *params: Any) -> Tensor:
        return apply(op, (A, _pad(t, B.shape, _solve_out_ndim(A, B))), params)

    op = Op(name, forward, vjp=(grad_a, grad_b), jvp=(tangent_a, tangent_b), promote=True,
            node_name=node_name)
    return op


SOLVE = _solver("linalg_solve", _solve_forward, "LinalgSolveExBackward0", lambda: ())
# (the rules' triangle is the transposed one: upper for lower)
TRIANGULAR_SOLVE = _solver("linalg_solve_triangular", _solve_triangle,
                           "LinalgSolveTriangularBackward0", lambda upper: (not upper,))


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """``X`` with ``A X = B`` (or ``X A = B`` when ``left=False``); ``B`` may be a vector."""
    _check_matrices(A, "solve", floating=False)
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A "
                           f"of type {scalar_type_name(A._data.dtype)} and B of type "
                           f"{scalar_type_name(B._data.dtype)} instead")
    _check_matrices(A, "solve")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    n, given = A.shape[-1], (B.shape[-1], 1) if vector else tuple(B.shape[-2:])
    fits = given[0] == n if left else not vector and given[1] == n  # (X A = B: no vectors)
    if not fits:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX' if left else 'XA'} = B ({n}x{n} and {given[0]}x{given[1]})")
    if not left:
        return solve(A.mT, B.mT).mT
    if vector:
        return apply(SOLVE, (A, B.unsqueeze(-1))).squeeze(-1)
    return apply(SOLVE, (A, B))


def _phi(M: Tensor) -> Tensor:
    """Lower triangle with the diagonal halved."""
    return tril(M) - 0.5 * diag_embed(diagonal(M, 0, -2, -1))


def _cholesky_forward(a: np.ndarray, upper: bool) -> np.ndarray:
    try:
        L = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise _linalg_error(a, np.linalg.cholesky, "linalg.cholesky: The factorization could not "
                            "be completed because the input is not positive-definite (the "
                            "leading minor of order {order} is not positive-definite).") from None
    return np.swapaxes(L, -1, -2).conj() if upper else L  # U = L^H


def _cholesky_vjp(g: Tensor, ans: Tensor, A: Tensor, upper: bool) -> Tensor:
    L = ans.mH if upper else ans
    gL = g.mH if upper else g
    X = tril(L.mH @ gL)
    Linv = inv(L)
    return Linv.mH @ (0.5 * (X + tril(X, -1).mH)) @ Linv


def _cholesky_jvp(t: Tensor, ans: Tensor, A: Tensor, upper: bool) -> Tensor:
    L = ans.mH if upper else ans
    Linv = inv(L)
    dL = L @ _phi(Linv @ t @ Linv.mH)
    return dL.mH if upper else dL


CHOLESKY = Op("linalg_cholesky", _cholesky_forward, vjp=(_cholesky_vjp,), jvp=(_cholesky_jvp,),
              node_name="LinalgCholeskyExBackward0", complex_rule="own")


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """Cholesky factor of (batches of) symmetric positive-definite matrices."""
    _check_matrices(A, "cholesky")
    return apply(CHOLESKY, (A,), (upper,))


def _gap_inverse(w: Tensor) -> Tensor:
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it."""
    diff = w.unsqueeze(-2) - w.unsqueeze(-1)
    eye = _eye_like(diff)
    return where(eye > 0, 0.0, 1 / where(eye > 0, 1.0, diff))


def _eigh_vjp(g: tuple, ans: tuple, A: Tensor, uplo: str) -> tuple:
    gw, gV = g
    w, V = ans
    parts = []
    if gw is not None:
        parts.append(diag_embed(gw))
    if gV is not None:  # only eigenvector cotangents see the gaps (inf at repeated ones)
        VhgV = V.mH @ gV
        if V.is_complex():
            _check_phase_invariance(diagonal(VhgV, 0, -2, -1).imag, "linalg_eigh_backward",
                                    "eigenvectors", "depends on this quantity, so it is")
        parts.append(_gap_inverse(w) * VhgV)
    inner = parts[0] if len(parts) == 1 else parts[0] + parts[1]
    gA = V @ inner.to(V.dtype) @ V.mH
    return (0.5 * (gA + gA.mH),)  # Hermitian, as PyTorch's


def _check_phase_invariance(im_diag: Tensor, name: str, what: str, depends: str) -> None:
    """PyTorch's error where a loss depends on the phases of complex singular vectors or
    eigenvectors: ``im_diag``, which is zero then, is not within PyTorch's 1e-2 of it."""
    if bool((im_diag.abs() > 1e-2).any()):
        raise RuntimeError(f"{name}: The {what} in the complex case are specified up to "
                           "multiplication by e^{i phi}. The specified loss function "
                           f"{depends} ill-defined.")


def _eigh_jvp(tangents: list, ans: tuple, A: Tensor, uplo: str) -> tuple:
    w, V = ans
    inner = V.mH @ tangents[0] @ V
    return diagonal(inner, 0, -2, -1).real, V @ (_gap_inverse(w) * inner)


EIGH = Op("linalg_eigh", lambda a, uplo: np.linalg.eigh(a, UPLO=uplo), vjp=_eigh_vjp,
          jvp=_eigh_jvp, n_out=2, node_name="LinalgEighBackward0", complex_rule="own")


def eigh(A: Tensor, UPLO: str = "L") -> tuple[Tensor, Tensor]:
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices."""
    _check_matrices(A, "eigh", floating=False)
    if A._data.dtype.kind not in "fc":
        raise NotImplementedError(
            f'"linalg_eigh_cpu" not implemented for \'{scalar_type_name(A._data.dtype)}\'')
    return return_types.linalg_eigh(*apply(EIGH, (A,), (UPLO,)))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    return eigh(A, UPLO)[0]


def _reduced(U: Any, Vh: Any, k: int) -> tuple[Any, Any]:
    """The first ``k`` columns of ``U`` and rows of ``Vh`` (those of the reduced SVD; None
    stays None)."""
    return (None if U is None else U[..., :k]), (None if Vh is None else Vh[..., :k, :])


def _zero_padded(d: Tensor, full: Tensor, dim: int) -> Tensor:
    """``d``, the tangent of a leading part of ``full`` along ``dim``, with zeros for the
    rest."""
    missing = full._data.shape[dim] - d._data.shape[dim]
    if not missing:
        return d
    shape = list(d._data.shape)
    shape[dim] = missing
    zeros = _make(np.zeros(shape, d._data.dtype), False, None)
    tape_state.made(zeros, np.zeros, tuple(shape), d._data.dtype)
    return cat([d, zeros], dim)


def _svd_vjp(g: tuple, ans: tuple, A: Tensor, full_matrices: bool) -> tuple:
    """Reverse rule of the reduced SVD (of a full one, PyTorch's: through its reduced part);
    terms of absent cotangents are skipped, so singular values alone have finite gradients
    at repeated values. For complex matrices, a loss must not depend on the phase of a
    singular vector pair."""
    gU, gS, gVh = g
    U, S, Vh = ans
    if full_matrices:
        k = S.shape[-1]
        (U, Vh), (gU, gVh) = _reduced(U, Vh, k), _reduced(gU, gVh, k)
    V = Vh.mH
    Sm = diag_embed(S).to(U.dtype)  # (real matrices, in U's dtype for the products)
    m, n, k = A.shape[-2], A.shape[-1], S.shape[-1]
    parts = [] if gS is None else [U @ diag_embed(gS).to(U.dtype) @ Vh]
    if gU is not None or gVh is not None:
        F = _gap_inverse(S * S)
        Sinv = diag_embed(1 / S).to(U.dtype)
    phase = phase_v = 0
    if gU is not None:
        UhgU = U.mH @ gU
        parts.append(U @ ((F * (UhgU - UhgU.mH)) @ Sm) @ Vh)
        if m > k:
            parts.append((gU - U @ UhgU) @ Sinv @ Vh)
        if A.is_complex():
            phase = diagonal(UhgU, 0, -2, -1).imag
    if gVh is not None:
        gV = gVh.mH
        VhgV = V.mH @ gV
        parts.append(U @ (Sm @ (F * (VhgV - VhgV.mH))) @ Vh)
        if n > k:
            parts.append(U @ Sinv @ (gV - V @ VhgV).mH)
        if A.is_complex():
            phase_v = diagonal(VhgV, 0, -2, -1).imag
    if A.is_complex() and (gU is not None or gVh is not None):
        # the phase of a singular pair, split evenly between U and V (as PyTorch)
        _check_phase_invariance(phase + phase_v, "svd_backward", "singular vectors",
                                "depends on this phase term, making it")
        parts.append(U @ diag_embed((phase - phase_v) / (2 * S) * 1j) @ Vh)
    gA = parts[0]
    for p in parts[1:]:
        gA = gA + p
    return (gA,)


def _svd_jvp(tangents: list, ans: tuple, A: Tensor, full_matrices: bool) -> tuple:
    """Forward rule of the reduced SVD (of a full one, PyTorch's: zero tangents for the
    columns and rows beyond the reduced part)."""
    U, S, Vh = ans
    if full_matrices:
        Uk, Vhk = _reduced(U, Vh, S.shape[-1])
        dU, dS, dVh = _svd_jvp(tangents, (Uk, S, Vhk), A, False)
        return _zero_padded(dU, U, -1), dS, _zero_padded(dVh, Vh, -2)
    dA = tangents[0]
    V = Vh.mH
    dP = U.mH @ dA @ V
    dS = diagonal(dP, 0, -2, -1).real
    F = _gap_inverse(S * S)
    Sm = diag_embed(S).to(U.dtype)
    sym = dP @ Sm
    dU = U @ (F * (sym + sym.mH))
    dV = V @ (F * (Sm @ dP + dP.mH @ Sm))
    if A.is_complex():  # the pair's phase, split evenly between U and V (as PyTorch)
        half = diag_embed(diagonal(dP, 0, -2, -1).imag / (2 * S) * 1j)
        dU = dU + U @ half
        dV = dV - V @ half
    m, n = A.shape[-2], A.shape[-1]
    Sinv = diag_embed(1 / S).to(U.dtype)
    if m > S.shape[-1]:
        dU = dU + (dA @ V - U @ dP) @ Sinv
    if n > S.shape[-1]:
        dV = dV + (dA.mH @ U - V @ dP.mH) @ Sinv
    return dU, dS, dV.mH


SVD = Op("linalg_svd", _svd, vjp=_svd_vjp,
         jvp=_svd_jvp, n_out=3, node_name="LinalgSvdBackward0", complex_rule="own")


def svd(A: Tensor, full_matrices: bool = True) -> tuple[Tensor, Tensor, Tensor]:
    """``U, S, Vh`` with ``A = U diag(S) Vh``; a full SVD is differentiated through its
    reduced part, as PyTorch's."""
    _check_matrices(A, "svd", square=False)
    full = full_matrices and A.shape[-1] != A.shape[-2]
    return return_types.linalg_svd(*apply(SVD, (A,), (full,)))


def svdvals(A: Tensor) -> Tensor:
    """Singular values, descending."""
    _check_matrices(A, "svd", square=False)
    return apply(SVD, (A,), (False,))[1]


def _square_r_vjp(gQ: Tensor, gR: Tensor, Q: Tensor, R: Tensor) -> Tensor:
    """The reverse rule of A = Q R with R square (A tall or square)."""
    X = triu(gR @ R.mH - Q.mH @ gQ)
    sym = X + X.mH - diag_embed(diagonal(X, 0, -2, -1).real)
    return (gQ + Q @ sym) @ inv(R).mH


def _square_r_jvp(dA: Tensor, Q: Tensor, R: Tensor) -> tuple[Tensor, Tensor]:
    """The forward rule of A = Q R with R square (A tall or square)."""
    Rinv = inv(R)
    C = Q.mH @ dA @ Rinv
    low = tril(C, -1)
    omega = low - low.mH
    if C.is_complex():  # R's diagonal stays real
        omega = omega + diag_embed(diagonal(C, 0, -2, -1).imag * 1j)
    dQ = Q @ omega + (dA @ Rinv - Q @ C)
    dR = (C - omega) @ R
    return dQ, dR


def _qr_differentiable(A: Tensor, mode: str) -> None:
    """PyTorch's errors where a QR has no derivative: without Q, or with a Q of more columns
    than A has."""
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when "
                           "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going "
                           "to differentiate through linalg.qr.")
    if mode == "complete" and A.shape[-2] > A.shape[-1]:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                           "nrows > ncols.")


# A wide A = [A1 A2] (m < n) is Q [R1 R2]: A1 = Q R1 a square QR, and R2 = Q^H A2 (a
# complete QR of a wide or square A is its reduced one)
def _qr_vjp(g: tuple, ans: tuple, A: Tensor, mode: str) -> tuple:
    _qr_differentiable(A, mode)
    gQ, gR = materialize(g, ans)
    Q, R = ans
    m, n = A.shape[-2:]
    if m >= n:
        return (_square_r_vjp(gQ, gR, Q, R),)
    gR2 = gR[..., m:]
    gA1 = _square_r_vjp(gQ + A[..., m:] @ gR2.mH, gR[..., :m], Q, R[..., :m])
    return (cat([gA1, Q @ gR2], -1),)


def _qr_jvp(tangents: list, ans: tuple, A: Tensor, mode: str) -> tuple:
    _qr_differentiable(A, mode)
    Q, R = ans
    dA = tangents[0]
    m, n = A.shape[-2:]
    if m >= n:
        return _square_r_jvp(dA, Q, R)
    dQ, dR1 = _square_r_jvp(dA[..., :m], Q, R[..., :m])
    return dQ, cat([dR1, dQ.mH @ A[..., m:] + Q.mH @ dA[..., m:]], -1)


def _qr_forward(a: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """``Q, R``; Q is empty in mode ``'r'``, as PyTorch's."""
    if mode == "r":
        return np.empty((0,), a.dtype), np.linalg.qr(a, mode="r")
    return np.linalg.qr(a, mode=mode)


QR = Op("linalg_qr", _qr_forward, vjp=_qr_vjp, jvp=_qr_jvp,
        n_out=2, node_name="LinalgQrBackward0", complex_rule="own")


def qr(A: Tensor, mode: str = "reduced") -> tuple[Tensor, Tensor]:
    """``Q, R`` with ``A = Q R`` (differentiable where PyTorch's is: with Q, and with a
    complete Q only for a square or wide A)."""
    if mode not in ("reduced", "r", "complete"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    _check_matrices(A, "qr", square=False)
    return return_types.linalg_qr(*apply(QR, (A,), (mode,)))


def _pinv_forward(a: np.ndarray, atol: float, rtol: float) -> np.ndarray:
    """Through the SVD, singular values up to ``atol + rtol * max(s)`` dropped."""
    u, s, vh = _svd(a)
    keep = s > atol + rtol * np.max(s, axis=-1, keepdims=True, initial=0.0)
    s_inv = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(a.dtype)
    return (vh.conj().swapaxes(-1, -2) * s_inv[..., None, :]) @ u.conj().swapaxes(-1, -2)


def _pinv_tangent(t: Tensor, P: Tensor, A: Tensor, *_: Any) -> Tensor:
    """dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P, which holds wherever the
    rank is locally constant (so at rank-deficient matrices and repeated singular values)."""
    tH = t.mH
    return -(P @ t @ P) + (P @ P.mH) @ (tH - tH @ A @ P) + (tH - P @ A @ tH) @ (P.mH @ P)


def _pinv_grad(g: Tensor, P: Tensor, A: Tensor, *_: Any) -> Tensor:
    """The adjoint of ``_pinv_tangent``."""
    gH = g.mH
    return -(P.mH @ g @ P.mH) + (gH - A @ P @ gH) @ (P @ P.mH) + (P.mH @ P) @ (gH - gH @ P @ A)


PINV = Op("linalg_pinv", _pinv_forward, vjp=(_pinv_grad,), jvp=(_pinv_tangent,),
          node_name="LinalgPinvBackward0", complex_rule="own")


def pinv(A: Tensor, *, atol: float | None = None, rtol: float | None = None,
         hermitian: bool = False, rcond: float | None = None) -> Tensor:
    """Moore-Penrose pseudo-inverse through the SVD (small singular values dropped).

    Its derivative is PyTorch's, defined wherever the rank does not change nearby:

    >>> import autojac as torch
    >>> A = torch.ones(2, 2, dtype=torch.float64, requires_grad=True)  # rank 1
    >>> torch.linalg.pinv(A).sum().backward()
    >>> A.grad
    tensor([[-0.2500, -0.2500],
            [-0.2500, -0.2500]], dtype=torch.float64)
    """
    if A._data.ndim < 2 or A._data.dtype.kind not in "fc" or A._data.dtype == np.float16:
        raise RuntimeError(f"linalg.pinv({scalar_type_name(A._data.dtype)}"
                           f"{{{list(A._data.shape)}}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")
    if rcond is not None:  # (PyTorch's older name for rtol)
        rtol = rcond
    if rtol is None:
        rtol = max(A.shape[-2:]) * np.finfo(A._data.dtype).eps if atol is None else 0.0
    return apply(PINV, (A,), (max(atol or 0.0, 0.0), float(rtol)))


def _expm(a: np.ndarray) -> np.ndarray:
    """exp(A) by scaling and squaring of a degree-18 Taylor series."""
    norm = np.max(np.sum(np.abs(a), axis=-2), axis=-1, initial=0.0)
    s = int(max(0, math.ceil(math.log2(max(float(np.max(norm, initial=0.0)), 1e-300) / 0.25))))
    x = a / (2.0 ** s)
    out = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape).copy()
    term = out.copy()
    for k in range(1, 19):
        term = term @ x / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out


def _block_expm_corner(A: Tensor, E: Tensor) -> Tensor:
    """The upper-right block of exp([[A, E], [0, A]]): the Fréchet derivative at A along E."""
    if E.ndim > A.ndim:
        A = A.expand(E.shape)
    zeros = A * 0
    big = cat([cat([A, E], -1), cat([zeros, A], -1)], -2)
    n = A.shape[-1]
    return apply(MATRIX_EXP, (big,))[..., :n, n:]


MATRIX_EXP = Op(
    "linalg_matrix_exp", _expm,
    vjp=(lambda g, ans, A: _block_expm_corner(A.mT, g),),
    jvp=(lambda t, ans, A: _block_expm_corner(A, t),), node_name="LinalgMatrixExpBackward0",
)


def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential of (batches of) square matrices."""
    _check_matrices(A, "matrix_exp")
    return apply(MATRIX_EXP, (A,))

