"""The op sample table at special points: kinks, bounds, ties, zeros, NaN and infinities.

There a derivative is a convention (relu'(0), clamp at its bounds, a tie split evenly, a
NaN let through or not) rather than a limit that finite differences could check, so each
sample's vjp and jvp are compared with PyTorch's, recorded in
``golden/special_points.json`` by ``golden/record_special_points.py`` (with the values, which
NaN and infinities test too).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from op_table import Sample, sample_cases

# values laid out over each input (the k-th input starts k * 3 further on, so that pairs
# of inputs meet each other's kinks too)
GRIDS: dict[str, list[float]] = {
    "kinks": [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 6.0, 0.7, -0.7, 3.0, 0.1],
    "ties": [1.0],
    "zeros": [0.0],
    "nonfinite": [np.nan, 1.0, np.inf, -1.0, -np.inf, 0.0, np.nan, 2.0, -0.5],
}

_SINGULAR = ("not defined there: a factorization's factors are not unique at these points, "
             "or the matrix is singular; PyTorch's values are LAPACK's accidents (det's "
             "gradient at a rank-deficient matrix is the adjugate here, 0 in PyTorch)")
_LANES = ("PyTorch's gradient at a NaN depends on the element's place in a SIMD vector (NaN "
          "or 1 for elu, 0 or 1 for hardtanh); autojac gives its scalar kernel's")
# sample name -> (the grids left out, why)
LEFT_OUT: dict[str, tuple[tuple[str, ...], str]] = {
    **{name: (tuple(GRIDS), _SINGULAR) for name in (
        "det", "det_batched", "slogdet", "inv", "inv_batched", "cholesky", "cholesky_upper",
        "eigh_values", "eigh_vectors", "eigh_projector", "svd_values", "svd_factors",
        "svd_wide", "qr", "qr_square", "qr_wide", "matrix_norm_nuc", "matrix_norm_2", "matrix_exp",
        "matrix_exp_batched", "solve_matrix", "solve_vector", "pinv")},
    **{name: (("nonfinite",), _LANES)
       for name in ("elu", "hardtanh", "relu6", "selu", "celu", "hardswish")},
    "einsum_three": (("nonfinite",), "inf * 0 terms: the sum's NaN or inf depends on the order "
                     "in which the contraction adds them"),
    **{name: (("kinks", "ties", "zeros"), "which of tied elements topk selects is PyTorch's "
              "kernel's choice (here the last ones; autojac's are the first, as a stable sort's)")
       for name in ("topk", "topk_smallest")},
    **{name: (("nonfinite",), "LAPACK's solution where the matrix holds NaN or infinities")
       for name in ("solve_triangular", "solve_triangular_unit_right", "lstsq")},
    **{name: (tuple(GRIDS), "PyTorch has no forward-mode derivative of cdist to record")
       for name in ("cdist", "cdist_p1_batched", "cdist_p3", "cdist_p0", "cdist_pinf")},
}


_ZERO_NORM = ("PyTorch's second derivative of a norm at zero is NaN (0 * inf in its chain "
              "rule); autojac's rules divide by a safe norm there, which keeps the first-order "
              "pass free of NumPy's division warnings, and give 0")
# second derivatives are compared at finite points only, and not for these samples
SECOND_ORDER_GRIDS = ("kinks", "ties", "zeros")
SECOND_ORDER_LEFT_OUT: dict[str, str] = {
    **dict.fromkeys(("normalize", "vector_norm2", "matrix_norm_fro", "norm", "linalg_norm",
                     "cosine_similarity"), _ZERO_NORM),
    "pow": "at a negative base the exponent's derivative, x^y log x, is NaN; PyTorch's mixed "
           "second derivative there is finite by the order of its terms",
}


def cases() -> list[tuple[Sample, str]]:
    """Every (sample, grid) pair compared."""
    return sample_cases(list(GRIDS), LEFT_OUT)


def arrays(sample: Sample, grid: str) -> list[np.ndarray]:
    values = np.array(GRIDS[grid])
    return [np.resize(np.roll(values, -3 * k), shape).astype(np.float64)
            for k, shape in enumerate(sample.shapes)]


def derivatives(lib: Any, sample: Sample, grid: str) -> dict[str, Any]:
    """The sample's value, its vjp along a fixed cotangent, its jvp along fixed tangents and
    (see ``SECOND_ORDER_GRIDS``) the derivative of <vjp, w> for a fixed w
    (flattened float64 arrays; unused inputs give zeros), or the name of the exception
    raised."""
    xs = arrays(sample, grid)
    rng = np.random.default_rng(5)
    tangents = [rng.standard_normal(x.shape) for x in xs]
    ws = [lib.tensor(rng.standard_normal(x.shape)) for x in xs]
    try:
        inputs = [lib.tensor(x, requires_grad=True) for x in xs]
        out = sample.fn(lib, *inputs)
        v = rng.standard_normal(tuple(out.shape))
        grads = lib.autograd.grad(out, inputs, lib.tensor(v), allow_unused=True,
                                  create_graph=sample.second_order)
        found = {"out": _flat(out), "vjp": [_flat(g, x) for g, x in zip(grads, xs)]}
        if (sample.second_order and grid in SECOND_ORDER_GRIDS
                and sample.name not in SECOND_ORDER_LEFT_OUT):
            terms = [(g * w).sum() for g, w in zip(grads, ws) if g is not None and g.requires_grad]
            second = (lib.autograd.grad(sum(terms), inputs, allow_unused=True) if terms
                      else [None] * len(xs))
            found["vjp_of_vjp"] = [_flat(h, x) for h, x in zip(second, xs)]
        fw = lib.autograd.forward_ad
        with fw.dual_level():
            duals = [fw.make_dual(lib.tensor(x), lib.tensor(t)) for x, t in zip(xs, tangents)]
            result = sample.fn(lib, *duals)
            found["jvp"] = _flat(fw.unpack_dual(result).tangent, np.zeros(result.shape))
    except Exception as e:  # (compared by type with PyTorch's)
        return {"error": type(e).__name__.lstrip("_")}
    return found


def _flat(t: Any, like: np.ndarray | None = None) -> np.ndarray:
    """A tensor's values, flattened (zeros of ``like``'s size for None)."""
    if t is None:
        return np.zeros(like.size)
    return t.detach().numpy(force=True).ravel()  # (force: PyTorch's zero tensors)
