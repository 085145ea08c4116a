"""Derivatives at complex tensors, in PyTorch's convention.

PyTorch's vjp of a complex function is the adjoint of its jvp for the real inner product
``Re(conj(a) b)``: ``conj(f'(z)) v`` for a holomorphic ``f``, and a formula of its own for
``abs``, ``real``, ``angle``, ... Both are checked here against finite differences of the
function seen as a real map of the real and imaginary parts, so the expectations hold
without PyTorch; with it installed, the Jacobians are also compared with PyTorch's.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autojac
from _torch_compat import import_torch, requires_torch

RNG = np.random.default_rng(7)
Z = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)
R = RNG.standard_normal(3)

def _matrix(m: Any, a: Any) -> Any:
    return m.outer(a, a.exp()) + 2 * m.eye(3)


# name -> (function of the module and its input, input); every one is differentiable at Z
CASES: dict[str, tuple[Callable[[Any, Any], Any], np.ndarray]] = {
    "mul": (lambda m, a: a * a.exp(), Z),
    "div": (lambda m, a: (1 + 2j) / a + a / (a * a + 3), Z),
    "pow_scalar": (lambda m, a: a ** 3 + a ** (1.5 + 0.5j), Z),
    "pow_tensor": (lambda m, a: a ** a + 2.0 ** a + (1 - 1j) ** a + (-2.0) ** a
                   + m.tensor([-2.0, 3.0, -0.5], dtype=m.float64) ** a, Z),
    "acosh_both_halves": (lambda m, a: a.acosh(), np.array([-0.5 + 1j, -2 - 0.3j, 1.5 + 0.2j])),
    "unary_chain": (lambda m, a: a.sin().tanh() * a.sqrt().log() + a.sigmoid().reciprocal(), Z),
    "trig": (lambda m, a: a.cos() + a.tan() + a.sinh() * a.cosh() + a.asin() + a.atan(), Z),
    "matmul": (lambda m, a: m.outer(a, a.exp()) @ a, Z),
    "linalg": (lambda m, a: m.linalg.solve(m.outer(a, a) + m.eye(3), a)
               + m.linalg.inv(m.outer(a, a.sin()) + m.eye(3)).sum(0)
               + m.linalg.det(m.outer(a, a) + 2 * m.eye(3)), Z),
    "reductions": (lambda m, a: (a * a).cumsum(0) + a.prod() + a.logsumexp(0) + a.mean(), Z),
    "indexing": (lambda m, a: m.cat([a[1:] * a[:2], (a * a).flip(0)[::2]]), Z),
    "conj": (lambda m, a: a.conj() * a.exp() + m.vdot(a, a.sin()), Z),
    "real_imag": (lambda m, a: a.real * a + a.imag * a.exp() + a.real, Z),
    "abs": (lambda m, a: a.abs() * a + a.abs() ** 2, Z),
    "sgn_angle": (lambda m, a: a.sgn() * a.angle(), Z),
    "slogdet": (lambda m, a: m.stack([m.linalg.slogdet(_matrix(m, a))[0],
                                      m.linalg.slogdet(_matrix(m, a))[1].to(a.dtype),
                                      m.logdet(_matrix(m, a))]), Z),
    "real_output": (lambda m, a: m.stack([a.abs().sum(), a.var(), a.std(),
                                          m.linalg.vector_norm(a, 3), a.angle().sum()]), Z),
    "real_input": (lambda m, a: (a * (1 + 2j)).exp() + a.to(m.complex128) * a, R),
    "complex_constant": (lambda m, a: (a * m.tensor(Z)).abs(), R),
}


def _real_jacobian(fn: Callable[[Any], Any], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of ``fn`` as a map of real vectors: a complex input or output
    counts as its real parts followed by its imaginary parts."""
    cplx = np.iscomplexobj(x)

    def real_map(v: np.ndarray) -> np.ndarray:
        arg = v[: x.size] + 1j * v[x.size :] if cplx else v
        out = np.asarray(fn(autojac.tensor(arg)).numpy()).ravel()
        return np.concatenate([out.real, out.imag]) if np.iscomplexobj(out) else out

    base = np.concatenate([x.real, x.imag]) if cplx else x.astype(float)
    cols = []
    for k in range(base.size):
        step = np.zeros_like(base)
        step[k] = h
        cols.append((real_map(base + step) - real_map(base - step)) / (2 * h))
    return np.stack(cols, axis=1)


def _complex_parts(jr: np.ndarray, joined: bool, along: int) -> np.ndarray:
    """Join the real and imaginary halves of the real Jacobian's rows or columns."""
    if not joined:
        return jr
    half = jr.shape[along] // 2
    re, im = np.split(jr, [half], axis=along)
    return re + 1j * im


def _expected(name: str) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's reverse-mode Jacobian (row i: the vjp of the unit seed e_i) and its
    forward-mode one (column j: the jvp of e_j), from finite differences."""
    fn, x = CASES[name]
    f = lambda a: fn(autojac, a)  # noqa: E731
    out = np.asarray(f(autojac.tensor(x)).numpy())
    jr = _real_jacobian(f, x)
    cplx_out, cplx_in = np.iscomplexobj(out), np.iscomplexobj(x)
    # row i of the reverse Jacobian: the real output part i against the input's parts
    rows = jr[: out.size]
    reverse = _complex_parts(rows, cplx_in, along=1)
    forward = _complex_parts(jr[:, : x.size], cplx_out, along=0)
    return reverse, forward


def _autojac_jacobian(name: str, **kwargs: Any) -> np.ndarray:
    fn, x = CASES[name]
    jac = autojac.autograd.functional.jacobian(lambda a: fn(autojac, a), autojac.tensor(x),
                                               **kwargs)
    return np.asarray(jac.numpy())


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("vectorize", [True, False], ids=["vectorize", "rows"])
def test_reverse_jacobian_matches_finite_differences(name, vectorize):
    fn, x = CASES[name]
    out = fn(autojac, autojac.tensor(x))
    if not vectorize and out.is_complex():  # PyTorch seeds each row with an implicit grad
        with pytest.raises(RuntimeError, match="grad can be implicitly created only for real"):
            _autojac_jacobian(name)
        return
    reverse, _ = _expected(name)
    np.testing.assert_allclose(_autojac_jacobian(name, vectorize=vectorize), reverse,
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("vectorize", [True, False], ids=["vectorize", "rows"])
def test_auto_strategy_keeps_reverse_modes_convention(name, vectorize):
    reverse, _ = _expected(name)
    np.testing.assert_allclose(_autojac_jacobian(name, strategy="auto", vectorize=vectorize),
                               reverse, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("vectorize", [True, False], ids=["vectorize", "columns"])
def test_forward_jacobian_matches_finite_differences(name, vectorize):
    _, forward = _expected(name)
    jac = _autojac_jacobian(name, strategy="forward-mode", vectorize=vectorize)
    np.testing.assert_allclose(jac, forward, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", CASES)
def test_complex_vjp_and_jvp_are_adjoint(name):
    """Re<v, J t> = Re<vjp(v), t> for complex seeds v and tangents t."""
    fn, x = CASES[name]
    f = lambda a: fn(autojac, a)  # noqa: E731
    out = np.asarray(f(autojac.tensor(x)).numpy())
    v = RNG.standard_normal(out.shape) + (1j * RNG.standard_normal(out.shape)
                                          if np.iscomplexobj(out) else 0)
    t = RNG.standard_normal(x.shape) + (1j * RNG.standard_normal(x.shape)
                                        if np.iscomplexobj(x) else 0)
    _, vjp = autojac.autograd.functional.vjp(f, autojac.tensor(x), autojac.tensor(v))
    _, jvp = autojac.autograd.functional.jvp(f, autojac.tensor(x), autojac.tensor(t))
    lhs = np.vdot(v, jvp.numpy()).real
    rhs = np.vdot(vjp.numpy(), t).real
    np.testing.assert_allclose(lhs, rhs, rtol=1e-9)


@requires_torch
@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_vectorized_jacobian_matches_pytorch(name, strategy):
    torch = import_torch()
    if strategy == "forward-mode" and name == "conj":
        pytest.skip("PyTorch 2.13's forward mode fails an internal assert on conj views")
    fn, x = CASES[name]
    expected = torch.autograd.functional.jacobian(
        lambda a: fn(torch, a), torch.tensor(x), vectorize=True, strategy=strategy)
    actual = _autojac_jacobian(name, vectorize=True, strategy=strategy)
    np.testing.assert_allclose(actual, expected.resolve_conj().detach().numpy(),
                               rtol=1e-10, atol=1e-12)


def test_grad_of_a_real_input_is_the_real_part():
    """|r (1+2j)| = sqrt(5) |r|: the cotangent of r is real, sqrt(5) sign(r)."""
    r = autojac.tensor([1.0, -2.0], dtype=autojac.float64, requires_grad=True)
    (r * (1 + 2j)).abs().sum().backward()
    assert r.grad.dtype == autojac.float64
    np.testing.assert_allclose(r.grad.numpy(), np.sqrt(5) * np.array([1.0, -1.0]))


def test_grad_of_a_holomorphic_function_is_conjugated():
    z = autojac.tensor([1 + 1j, 2 - 1j], requires_grad=True)
    (g,) = autojac.autograd.grad(z * z, z, autojac.tensor([1 + 1j, 2j]))
    np.testing.assert_allclose(g.numpy(), np.array([1 + 1j, 2j]) * np.conj(2 * z.detach().numpy()))


def test_write_through_the_real_part_view():
    """v.real[0] = 5 keeps only v[0]'s imaginary part from w: its gradient is i Im(sgn)."""
    w = autojac.tensor([1 + 1j, 2 - 1j], requires_grad=True)
    v = w * 1
    v.real[0] = 5.0
    assert v.tolist() == [5 + 1j, 2 - 1j]
    v.abs().sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [1j / np.sqrt(26), (2 - 1j) / np.sqrt(5)])


def test_second_order_matches_finite_differences_of_the_gradient():
    """grad of Re(<v, grad f>) for f = sum |z^3|, against differences of the gradient."""
    v = np.array([0.5 - 1j, 2 + 0.5j, -1j])

    def gradient(z: np.ndarray) -> np.ndarray:
        t = autojac.tensor(z, requires_grad=True)
        (g,) = autojac.autograd.grad((t ** 3).abs().sum(), t)
        return g.numpy()

    z = autojac.tensor(Z, requires_grad=True)
    (g,) = autojac.autograd.grad((z ** 3).abs().sum(), z, create_graph=True)
    (h,) = autojac.autograd.grad((g * autojac.tensor(v).conj()).real.sum(), z)
    eps = 1e-6
    expected = np.zeros(3, complex)
    for k in range(3):
        for unit in (1, 1j):
            step = np.zeros(3, complex)
            step[k] = eps * unit
            d = np.vdot(v, gradient(Z + step) - gradient(Z - step)).real / (2 * eps)
            expected[k] += d * unit
    np.testing.assert_allclose(h.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("fn", [
    lambda z: z * z,
    lambda z: autojac.stack([z.abs().sum(), (z * z).sum()]),
], ids=["complex", "mixed"])
def test_rows_of_a_complex_output_raise_as_pytorch(fn):
    """PyTorch seeds each row's pass with an implicit cotangent, which a complex output
    cannot have; ``vectorize=True`` passes explicit ones."""
    z = autojac.tensor(np.array([1 + 1j, 2j]))
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for real scalar "
                                           "outputs but got autojac.complex128"):
        autojac.autograd.functional.jacobian(fn, z)
    assert autojac.autograd.functional.jacobian(fn, z, vectorize=True).shape == (2, 2)


def test_hessian_at_complex_inputs_raises_without_vectorize():
    z = autojac.tensor(np.array([1 + 1j, 2j]))
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for real"):
        autojac.autograd.functional.hessian(lambda a: (a * a.conj()).real.sum(), z)


def test_hessian_of_a_function_linear_in_complex_inputs_is_zero():
    """Its gradient is constant (no graph): no row of it is seeded, so nothing refuses."""
    z = autojac.tensor(np.array([0.5 + 1j, -1 + 0.3j]))
    for vectorize in (False, True):
        h = autojac.autograd.functional.hessian(lambda a: a.real.sum(), z, vectorize=vectorize)
        assert h.dtype == autojac.complex128 and h.shape == (2, 2)
        np.testing.assert_array_equal(h, np.zeros((2, 2)))


@requires_torch
def test_vectorized_hessian_at_complex_inputs_matches_pytorch():
    torch = import_torch()

    def f(m: Any, a: Any) -> Any:
        return (a ** 3).abs().sum()

    expected = torch.autograd.functional.hessian(lambda a: f(torch, a), torch.tensor(Z),
                                                 vectorize=True)
    actual = autojac.autograd.functional.hessian(lambda a: f(autojac, a), autojac.tensor(Z),
                                                 vectorize=True)
    np.testing.assert_allclose(actual.numpy(), expected.resolve_conj().numpy(), rtol=1e-10)


@pytest.mark.parametrize("fn", [
    lambda m, a: m.linalg.svd(m.outer(a, a.exp()), full_matrices=False)[0][0, 0].abs()
    + m.linalg.svdvals(m.outer(a, a.sin())).sum(),
    lambda m, a: (lambda q, r: (q @ r).abs().sum() + r.real.sum())(*m.linalg.qr(
        m.outer(a, a.exp()) + 2 * m.eye(3))),
    lambda m, a: (lambda w, v: w[0] + (v.abs() ** 2 * m.tensor([1.0, 2.0, 3.0],
                                                              dtype=m.float64)).sum())(
        *m.linalg.eigh((lambda h: h + h.mH)(m.outer(a, a.exp())))),
    lambda m, a: m.linalg.cholesky(m.outer(a, a.conj()) + m.eye(3), upper=True).abs().sum(),
], ids=["svd", "qr", "eigh", "cholesky"])
def test_decompositions_at_complex_matrices_match_pytorch(fn):
    torch = import_torch()
    grads = []
    for m in (autojac, torch):
        z = m.tensor(Z, requires_grad=True)
        (g,) = m.autograd.grad(fn(m, z), z)
        grads.append(g.detach().numpy())
    np.testing.assert_allclose(*grads, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("loss", [
    lambda m, A: m.linalg.svd(A, full_matrices=False)[0].real.sum(),
    lambda m, A: m.linalg.eigh(A + A.mH)[1].real.sum(),
], ids=["svd", "eigh"])
def test_a_loss_of_the_vectors_phases_raises_as_pytorch(loss):
    """Singular vectors and eigenvectors of complex matrices are defined up to a phase each;
    a loss that depends on it has no gradient."""
    A = autojac.tensor(np.outer(Z, np.exp(Z)) + np.eye(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="specified up to multiplication by e"):
        loss(autojac, A).backward()
    assert A.grad is None


def test_parts_of_real_tensors():
    r = autojac.tensor([1.0, -2.0, -0.0, np.nan], dtype=autojac.float64)
    assert r.real is r and r.conj() is r and autojac.real(r) is r
    np.testing.assert_array_equal(autojac.angle(r).numpy(), [0.0, np.pi, 0.0, np.nan])
    assert autojac.sgn(r.requires_grad_()).grad_fn.name() == "SgnBackward0"


def test_det_of_a_singular_complex_matrix_has_the_conjugate_cofactor_gradient():
    """d det / dA is the cofactor matrix, [[a22, -a21], [-a12, a11]]; PyTorch's convention
    conjugates it."""
    A = autojac.tensor(np.array([[1 + 1j, 0], [2, 0]]), requires_grad=True)
    (g,) = autojac.autograd.grad(autojac.linalg.det(A), A,
                                 autojac.tensor(1 + 0j, dtype=autojac.complex128))
    np.testing.assert_allclose(g.numpy(), [[0, -2], [0, 1 - 1j]], atol=1e-12)


def test_assigning_to_the_real_and_imaginary_parts_copies_into_the_view():
    t = autojac.tensor(np.array([1 + 1j, 2 - 1j]), requires_grad=True)
    u = t * 1
    u.real += 1
    u.imag = autojac.tensor([5.0, 6.0], dtype=autojac.float64)
    assert u.tolist() == [2 + 5j, 3 + 6j]
    u.abs().sum().backward()  # only the real parts still come from t
    np.testing.assert_allclose(t.grad.numpy(), [2 / np.sqrt(29), 3 / np.sqrt(45)])


def test_conjugate_transpose():
    a = autojac.tensor(np.array([[1 + 2j, 3j], [4, 5 - 1j]]))
    np.testing.assert_array_equal(a.mH.numpy(), a.numpy().conj().T)
    np.testing.assert_array_equal(a.adjoint().numpy(), a.numpy().conj().T)


@pytest.mark.parametrize("transform,api", [
    (lambda f: autojac.func.jacrev(f), "jacrev"),
    (lambda f: autojac.func.jacfwd(f), "jacfwd"),
    (lambda f: autojac.func.hessian(lambda a: f(a).abs().sum()), "jacfwd"),
])
def test_func_jacobians_take_real_tensors_only_as_pytorch(transform, api):
    with pytest.raises(RuntimeError, match=f"{api}: Expected all inputs to be real but received "
                                           "complex tensor at flattened input idx: 0"):
        transform(lambda a: a * a)(autojac.tensor(np.array([1 + 1j])))
    with pytest.raises(RuntimeError, match="Expected all outputs to be real"):
        autojac.func.jacrev(lambda a: a * 1j)(autojac.tensor([1.0]))


@requires_torch
def test_svd_tangents_split_the_phase_as_pytorch():
    """A singular pair's phase is free; PyTorch's forward mode splits it evenly between U
    and V, and so do autojac's tangents of the factors themselves."""
    torch = import_torch()
    A = np.array([[1 + 1j, 2], [0.5j, 3 - 1j]])
    dA = np.array([[1j, 0], [0, 0]])
    _, expected = torch.func.jvp(lambda a: torch.linalg.svd(a, full_matrices=False),
                                 (torch.tensor(A),), (torch.tensor(dA),))
    _, actual = autojac.func.jvp(lambda a: autojac.linalg.svd(a, full_matrices=False),
                                 (autojac.tensor(A),), (autojac.tensor(dA),))
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(a.numpy(), e.numpy(), rtol=1e-10, atol=1e-12)


def test_eigh_gradient_is_hermitian():
    S = autojac.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=autojac.float64, requires_grad=True)
    weights = autojac.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=autojac.float64)
    (autojac.linalg.eigh(S)[1] ** 2 * weights).sum().backward()
    np.testing.assert_allclose(S.grad.numpy(), S.grad.numpy().T, atol=1e-15)


def test_complex_to_bool_is_nonzero_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert autojac.tensor([1j, 0j]).to(autojac.bool).tolist() == [True, False]
