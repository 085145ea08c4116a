"""autojac: PyTorch's autograd and Jacobian semantics in pure Python on NumPy.

Example:
    >>> import autojac as torch
    >>> torch.autograd.functional.jacobian(lambda x: x.exp().sum(dim=1), torch.ones(2, 2))
    tensor([[[2.7183, 2.7183],
             [0.0000, 0.0000]],
    <BLANKLINE>
            [[0.0000, 0.0000],
             [2.7183, 2.7183]]])
"""
# isort: skip_file  (the op table must be imported before the modules built on it)

from ._dtypes import (
    bool_ as bool, complex64, complex128, dtype, float16, float32, float64, get_default_dtype,
    int8, int16, int32, int64, set_default_dtype, uint8,
)
from ._size import Size
from ._tensor import Tensor
from ._repr import set_printoptions
from ._autograd.grad_mode import (
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
    set_grad_enabled,
)
from . import _ops
from ._ops.elementwise import *
from ._ops.elementwise import abs, pow, round
from ._ops.reduction import (
    all, amax, amin, any, argmax, argmin, cummax, cummin, cumsum, gather, logsumexp, max, mean,
    min, nanmean, nansum, scatter, scatter_add, std, sum, take_along_dim, var,
)
from ._ops.indexing import index_add, index_select, masked_select, take
from ._ops.shape import (
    broadcast_tensors, broadcast_to, cat, chunk, clone, concat, concatenate, expand, flatten,
    flip, hstack, movedim, moveaxis, narrow, permute, ravel, repeat, reshape, roll, select,
    split, squeeze, stack, swapaxes, swapdims, t, tile, transpose, unbind, unflatten, unsqueeze,
    vstack,
)
from ._ops.linalg import bmm, dot, ger, inner, matmul, mm, mv, outer, vdot
from ._ops.matrix import (
    cross, cumprod, diag, diag_embed, diagonal, einsum, kron, norm, prod, tensordot, trace,
    tril, triu,
)
from ._ops.nn import log_softmax, softmax
from ._ops.sorting import argsort, msort, sort, topk
from ._ops.differences import cdist, diff, trapezoid
from ._ops.closeness import allclose, argwhere, equal, isclose
from ._ops.complex_parts import angle, conj, conj_physical, imag, real, resolve_conj, sgn
from ._ops.decomposition import det, inv, logdet
from ._ops.decomposition import legacy_slogdet as slogdet
from ._creation import (
    arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, is_tensor,
    linspace, manual_seed, numel, ones, ones_like, rand, rand_like, randint, randn, randn_like,
    tensor, zeros, zeros_like,
)
from ._autograd import api as _api
from . import autograd, func, linalg, nn, return_types, sparse, testing
from .autograd.functional import hessian, jacobian

half, float, double = float16, float32, float64
cfloat, cdouble = complex64, complex128
short, int, long = int16, int32, int64
from ._device import device
inverse = inv
__version__ = "0.1.0"
