"""The Tensor: an ndarray plus the autograd state around it.

Operations are not defined here: each op's declaration installs its method on Tensor
(``_ops/_registry.py``), and the engine installs ``backward``.
"""

from __future__ import annotations

import copy
import operator
import warnings
from typing import Any

import numpy as np

from . import _dtypes
from ._autograd.tape_state import VALUE_READ, refuse
from ._device import CPU, device
from ._repr import format_tensor
from ._size import Size

_DETACH_VIEW = (
    "Can't detach views in-place. Use detach() instead. If you are using "
    "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as True, "
    "gradients are views of DDP buckets, and hence detach_() cannot be called on these "
    "gradients. To fix this error, please refer to the Optimizer.zero_grad() function in "
    "torch/optim/optimizer.py as the solution."
)


class Tensor:
    """A multi-dimensional array with PyTorch's autograd semantics.

    Example:
        >>> import autojac as torch
        >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4.])
    """

    __slots__ = (
        "_data",
        "_rg",
        "_grad",
        "grad_fn",
        "_output_nr",
        "_vc",
        "_base",
        "_view",
        "_fw",
        "_retains_grad",
        "_reshaped",  # unset until an in-place reshape: see _autograd.graph.as_recorded
        "_hooks",  # unset until a hook is registered: see _autograd.hooks
        "__weakref__",
    )
    __array_priority__ = 1000  # NumPy defers binary operators to Tensor

    _data: np.ndarray
    _rg: bool
    grad_fn: Any

    def __init__(self, data: Any = (), requires_grad: bool = False) -> None:
        """``autojac.Tensor(data)``: like ``torch.Tensor``, always the default float dtype."""
        values = data._data if isinstance(data, Tensor) else data
        made = _make(np.array(values, dtype=_dtypes.default_float()), False, None)
        for field in _FIELDS:
            setattr(self, field, getattr(made, field))
        if requires_grad:
            self.requires_grad_()

    # -- metadata ---------------------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        """This tensor's values outside the graph: shares memory, but not the version
        counter, so changes through it are invisible to autograd (as in PyTorch)."""
        return _make(self._data, False, None)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Size | int:
        """The shape, or the length of one dimension."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[normalize_dim(dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    @property
    def dtype(self) -> _dtypes.dtype:
        return _dtypes.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> device:
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def element_size(self) -> int:
        return self._data.itemsize

    # -- values out ---------------------------------------------------------------------------
    def item(self) -> int | float | bool | complex:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        refuse(VALUE_READ)
        return self._data.item()

    def tolist(self) -> Any:
        refuse(VALUE_READ)
        return self._data.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The underlying ndarray (shared memory), as ``torch.Tensor.numpy``."""
        if not force and self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        refuse(VALUE_READ)
        return self._data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        arr = self.numpy()
        if dtype is not None and arr.dtype != dtype:
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def __len__(self) -> int:
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if not self._data.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        refuse(VALUE_READ)
        return bool(self._data.item())

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def _scalar(self) -> int | float | bool | complex:
        """``item()`` for Python's conversions, with their error as PyTorch words it."""
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        refuse(VALUE_READ)
        return int(self._data.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    __hash__ = object.__hash__

    # -- autograd state -------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._rg  # _ops._registry installs the one that refreshes stale views

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self._set_requires_grad(flag, "only Tensors of floating point and complex dtype can "
                                      "require gradients")

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set whether autograd records operations on this leaf tensor; returns self."""
        return self._set_requires_grad(
            requires_grad, "only Tensors of floating point dtype can require gradients")

    def _set_requires_grad(self, flag: bool, dtype_message: str) -> Tensor:
        if self.grad_fn is not None:
            if not flag:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach()."
                )
            return self
        if flag and self._data.dtype.kind not in "fc":
            raise RuntimeError(dtype_message)
        self._rg = bool(flag)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        if self.grad_fn is not None and not self._retains_grad:
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype "
                    f"'{_SCALAR_TYPES[value._data.dtype.name].lower()}' to "
                    f"a tensor with grad_dtype '{_SCALAR_TYPES[self._data.dtype.name]}'. The "
                    "gradient must match the tensor's grad_dtype (defaults to the tensor's "
                    "dtype). You can set the tensor's grad_dtype attribute with a specific "
                    "dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging "
                    "the dtypes of a tensor and its gradient may break downstream systems that "
                    "assume they match."
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a "
                    f"tensor of size '{list(self._data.shape)}'. Please ensure that the gradient "
                    "and the tensor are the same size"
                )
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self.requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if not self._retains_grad:
            self._retains_grad = True
            self.grad_fn.retain(self)

    def register_hook(self, hook: Any) -> Any:
        """Run ``hook(grad)`` on this tensor's gradient in backward passes; a tensor it
        returns replaces the gradient. Returns a handle whose ``remove()`` undoes it.

        Example:
            >>> x = autojac.ones(2, requires_grad=True)
            >>> _ = x.register_hook(lambda g: g * 2)
            >>> (x * 3).sum().backward(); x.grad
            tensor([6., 6.])
        """
        from ._autograd import hooks

        return hooks.register(self, hook)

    @property
    def _version(self) -> int:
        """How many in-place modifications this tensor (or a view of its memory) has seen."""
        return self._vc[0]

    def detach(self) -> Tensor:
        """A tensor sharing this one's memory, outside the graph and without a tangent."""
        out = _make(self._data, False, None)
        out._vc = self._vc
        return out

    def detach_(self) -> Tensor:
        """Detach this tensor from the graph in place (not a view: PyTorch's error)."""
        base = self._base
        if self._view is not None and base is not None:
            if self._data.size == 0 or np.may_share_memory(self._data, base._data):
                raise RuntimeError(_DETACH_VIEW)
            self._view = self._base = None  # (its memory is its own now: no view)
            self._vc = [self._vc[0]]
        self.grad_fn = None
        self._rg = False
        self._fw = None
        return self

    # -- printing ----------------------------------------------------------------------------------
    def __repr__(self) -> str:
        suffixes = []
        d = self._data.dtype
        implicit = (_dtypes.default_float(),) if self._data.size == 0 else (
            _dtypes.default_float(), _dtypes.default_complex(), np.int64, np.bool_)
        if d not in implicit:
            suffixes.append(f"dtype={_dtypes.from_numpy_dtype(d)!r}")
        if self.grad_fn is not None:
            suffixes.append(f"grad_fn=<{self.grad_fn.class_name()}>")
        elif self.requires_grad:
            suffixes.append("requires_grad=True")
        if self._fw is not None:
            tangent = self._fw
            suffixes.append(f"tangent={tangent.item() if tangent._data.ndim == 0 else tangent!r}")
        return format_tensor(self._data, suffixes)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its number (``f"{t}"`` too); others only without a
        format spec, as PyTorch's."""
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        return object.__format__(self, spec)

    def __reduce__(self):
        return (_rebuild, (self._data, self.requires_grad))

    def __deepcopy__(self, memo: dict) -> Tensor:
        """A copy of a leaf: its data, ``requires_grad`` and ``.grad`` (as PyTorch's, which
        refuses a tensor with a history)."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment.  If you were attempting to deepcopy a "
                "module, this may be because of a autojac.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001")
        out = memo[id(self)] = _make(self._data.copy(), self.requires_grad, None)
        if self._grad is not None:
            out._grad = copy.deepcopy(self._grad, memo)
        return out


Tensor.__module__ = "autojac"  # its public name, as types print it: <class 'autojac.Tensor'>

_SCALAR_TYPES = {
    "float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
    "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
    "complex64": "ComplexFloat", "complex128": "ComplexDouble",
}


def scalar_type_name(dtype: np.dtype) -> str:
    """PyTorch's ScalarType name of a dtype (Float, Double, Long, ...)."""
    return _SCALAR_TYPES[np.dtype(dtype).name]


_CPP_TYPES = {
    "float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
    "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
    "bool": "bool", "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
}


def cpp_type_name(dtype: np.dtype) -> str:
    """The C++ type name of a dtype, as some of PyTorch's errors word it (float, long int)."""
    return _CPP_TYPES[np.dtype(dtype).name]


def _make(data: np.ndarray, rg: bool, grad_fn: Any) -> Tensor:
    """The fast constructor every op uses: wrap ``data`` without copying or checking."""
    t = _new(Tensor)
    t._data = data
    t._rg = rg
    t.grad_fn = grad_fn
    t._grad = None
    t._output_nr = 0
    t._vc = [0]
    t._base = None
    t._view = None
    t._fw = None
    t._retains_grad = False
    return t


_new = object.__new__
_FIELDS = ("_data", "_rg", "grad_fn", "_grad", "_output_nr", "_vc", "_base", "_view", "_fw",
           "_retains_grad")  # what _make sets


def _rebuild(data: np.ndarray, rg: bool) -> Tensor:
    return _make(data, rg, None)


def no_dims_error(dim: int) -> IndexError:
    """PyTorch's error for a dim of a 0-d tensor where an op wants a real dim."""
    return IndexError(f"Dimension specified as {dim} but tensor has no dimensions")


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information.")


def python_type_name(value: Any) -> str:
    """The name PyTorch's errors give ``value``'s type (C's ``tp_name``: ``float``,
    ``numpy.ndarray``, a Python class by its bare name)."""
    cls = type(value)
    if cls.__flags__ & _HEAP_TYPE or cls.__module__ == "builtins":
        return cls.__name__
    return f"{cls.__module__}.{cls.__name__}"


_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class defined in Python


def normalize_dim(dim: int, ndim: int) -> int:
    """A dim in ``[-ndim, ndim)`` as a non-negative index, with PyTorch's TypeError for a
    dim that is not an int and IndexError for one out of range."""
    n = max(ndim, 1)
    try:
        dim = operator.index(dim)
    except TypeError:
        raise TypeError(f"argument 'dim' must be int, not {type(dim).__name__}") from None
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n

