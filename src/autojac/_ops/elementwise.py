"""Elementwise ops: arithmetic, unary math, comparisons, where, clamp, min/max.

For a real unary op the vjp and the jvp are the same scaling of the incoming
(co)tangent by f'(x); ``unary`` declares both from that one ``scale`` rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtypes
from .._autograd.grad_mode import state as _grad_state
from .._backend import erf as _np_erf
from .._backend import erfc as _np_erfc
from .._tensor import Tensor, _make, cpp_type_name, scalar_type_name
from ._registry import (
    Op,
    apply,
    broadcast_error,
    install,
    kernel_message,
    no_complex,
    no_kernel,
    real_forward,
    refuse_complex_autodiff,
    zero_rule,
)

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def unary(
    name: str,
    forward: Callable[[np.ndarray], np.ndarray],
    scale: Callable[[Tensor, Tensor, Tensor], Tensor],
    *,
    to_float: bool = True,
    method: bool = True,
    node_name: str | None = None,
    jvp: Callable[[Tensor, Tensor, Tensor], Tensor] | None = None,
    complex_rule: str = "holomorphic",
) -> Callable[[Tensor], Tensor]:
    """Declare a unary op whose vjp and jvp are both ``scale(g, ans, x)`` (the jvp may be
    given apart, for an op that is not holomorphic)."""
    op = Op(name, forward, vjp=(scale,), jvp=(jvp or scale,), to_float=to_float,
            node_name=node_name, pattern="pointwise", complex_rule=complex_rule)

    def fn(input: Tensor) -> Tensor:
        return apply(op, (input,))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}``, differentiable in both modes."
    if method:
        install(name, fn)
    return fn


exp = unary("exp", np.exp, lambda g, ans, x: g * ans)
exp2 = unary("exp2", np.exp2, lambda g, ans, x: g * (ans * _LN2))
expm1 = unary("expm1", np.expm1, lambda g, ans, x: g * (ans + 1))
log = unary("log", np.log, lambda g, ans, x: g / x)
log2 = unary("log2", np.log2, lambda g, ans, x: g / (x * _LN2))
log10 = unary("log10", np.log10, lambda g, ans, x: g / (x * _LN10))
log1p = unary("log1p", np.log1p, lambda g, ans, x: g / (x + 1))
sqrt = unary("sqrt", np.sqrt, lambda g, ans, x: g / (ans * 2))
rsqrt = unary("rsqrt", lambda a: 1 / np.sqrt(a), lambda g, ans, x: g * (ans * ans * ans * -0.5))


def _square_forward(a: np.ndarray) -> np.ndarray:
    return a.astype(np.int64) if a.dtype == np.bool_ else np.square(a)  # (PyTorch's dtype)


square = unary(
    "square", _square_forward, lambda g, ans, x: g * (x * 2), to_float=False,
    node_name="PowBackward0",
)
reciprocal = unary("reciprocal", np.reciprocal, lambda g, ans, x: g * -(ans * ans))
sin = unary("sin", np.sin, lambda g, ans, x: g * x.cos())
cos = unary("cos", np.cos, lambda g, ans, x: g * -x.sin())
tan = unary("tan", np.tan, lambda g, ans, x: g * (ans * ans + 1))
asin = unary("asin", np.arcsin, lambda g, ans, x: g * (1 - x * x).rsqrt())
acos = unary("acos", np.arccos, lambda g, ans, x: g * -(1 - x * x).rsqrt())
atan = unary("atan", np.arctan, lambda g, ans, x: g / (x * x + 1))
sinh = unary("sinh", np.sinh, lambda g, ans, x: g * x.cosh())
cosh = unary("cosh", np.cosh, lambda g, ans, x: g * x.sinh())
# PyTorch-style fused backward ops: one node instead of three in each backward pass, and
# each is its own derivative with respect to the incoming (co)tangent
_TANH_BACKWARD = Op(
    "tanh_backward",
    lambda g, y: g * (1 - y * y),
    vjp=(
        lambda gg, ans, g, y: apply(_TANH_BACKWARD, (gg, y)),
        lambda gg, ans, g, y: gg * g * y * -2,
    ),
    jvp=(lambda t, ans, g, y: apply(_TANH_BACKWARD, (t, y)), lambda t, ans, g, y: t * g * y * -2),
    elementwise=True,
    promote=True,
)
_SIGMOID_BACKWARD = Op(
    "sigmoid_backward",
    lambda g, y: g * y * (1 - y),
    vjp=(
        lambda gg, ans, g, y: apply(_SIGMOID_BACKWARD, (gg, y)),
        lambda gg, ans, g, y: gg * g * (1 - 2 * y),
    ),
    jvp=(
        lambda t, ans, g, y: apply(_SIGMOID_BACKWARD, (t, y)),
        lambda t, ans, g, y: t * g * (1 - 2 * y),
    ),
    elementwise=True,
    promote=True,
)
tanh = unary("tanh", np.tanh, lambda g, ans, x: apply(_TANH_BACKWARD, (g, ans)))
asinh = unary("asinh", np.arcsinh, lambda g, ans, x: g * (x * x + 1).rsqrt())
def _acosh_scale(g: Tensor, ans: Tensor, x: Tensor) -> Tensor:
    """1 / sqrt(x^2 - 1); at complex x, 1 / (sqrt(x - 1) sqrt(x + 1)), acosh's branch."""
    if x.is_complex():
        return g * ((x - 1).rsqrt() * (x + 1).rsqrt())
    return g * (x * x - 1).rsqrt()


acosh = unary("acosh", np.arccosh, _acosh_scale)
atanh = unary("atanh", np.arctanh, lambda g, ans, x: g / (1 - x * x))


def _sigmoid_forward(a: np.ndarray) -> np.ndarray:
    """PyTorch's ``1 / (1 + exp(-x))``: relatively exact in both tails, 0 where ``exp``
    overflows."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-a))


sigmoid = unary(
    "sigmoid",
    _sigmoid_forward,
    lambda g, ans, x: apply(_SIGMOID_BACKWARD, (g, ans)),
)
erf = unary("erf", real_forward(_np_erf, kernel_message("erf_vml_cpu")),
            lambda g, ans, x: g * ((-x * x).exp() * _TWO_OVER_SQRT_PI))
erfc = unary("erfc", real_forward(_np_erfc, kernel_message("erfc_vml_cpu")),
             lambda g, ans, x: g * ((-x * x).exp() * -_TWO_OVER_SQRT_PI))


def _abs_forward(a: np.ndarray) -> np.ndarray:
    if a.dtype == np.bool_:
        raise NotImplementedError('"abs_cpu" not implemented for \'Bool\'')
    return np.abs(a)


abs = unary("abs", _abs_forward, lambda g, ans, x: g * x.sgn(), to_float=False,
            jvp=lambda t, ans, x: (t.conj() * x.sgn()).real, complex_rule="own")
NO_COMPLEX_CLAMP = "clamp is not supported for complex types"


def _relu_forward(a: np.ndarray) -> np.ndarray:
    if a.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    return np.maximum(0, a)  # (x on ties, as PyTorch: relu(-0.0) is -0.0; see _first_on_ties)


def no_derivative(error: Exception) -> Callable[..., Any]:
    """The rule of an op that PyTorch cannot differentiate: its error, when a pass needs it."""
    def rule(*_: Any) -> Any:
        raise error
    return rule


def backward_kernel(name: str, forward: Callable[..., np.ndarray],
                    input_rule: Callable[..., Tensor] = zero_rule,
                    tangent_rule: Callable[..., Tensor] | Exception | None = None) -> Op:
    """PyTorch's backward of a function, ``forward(g, x, *params)``, as an op: linear in
    ``g`` (its rules are itself) and, in ``x``, of the derivative ``input_rule(g, ans, gO,
    x, *params)`` (zero by default: a piecewise linear function's), so that, as in PyTorch,
    a gradient stays connected to ``x`` and differentiates there as PyTorch's;
    ``tangent_rule``: the derivative in ``x`` in forward mode where it is not
    ``input_rule``, or the error PyTorch raises for any tangent (it has no formula)."""

    def again(g: Tensor, ans: Tensor, _: Tensor, x: Tensor, *params: Any) -> Tensor:
        return apply(op, (g, x), params)

    if isinstance(tangent_rule, Exception):
        tangents = (no_derivative(tangent_rule),) * 2
    else:
        tangents = (again, tangent_rule or input_rule)
    op = Op(name, forward, vjp=(again, input_rule), jvp=tangents, elementwise=True)
    return op


THRESHOLD_BACKWARD = backward_kernel(  # (g where the result is NaN, as PyTorch's)
    "threshold_backward", lambda g, y: np.where(y <= 0, 0, g))
relu = unary("relu", real_forward(_relu_forward, NO_COMPLEX_CLAMP),
             lambda g, ans, x: apply(THRESHOLD_BACKWARD, (g, ans)), to_float=False)


def real_sign(a: np.ndarray) -> np.ndarray:
    """-1, 0 or 1 for a real array: PyTorch's sign, which is 0 at NaN (NumPy's is NaN)."""
    return np.where(np.isnan(a), 0, np.sign(a)) if a.dtype.kind == "f" else np.sign(a)


def _sign_forward(a: np.ndarray) -> np.ndarray:
    if a.dtype.kind == "c":
        raise NotImplementedError("Unlike NumPy, autojac.sign is not intended to support "
                                  "complex numbers. Please use autojac.sgn instead.")
    return a.copy() if a.dtype == np.bool_ else real_sign(a)


sign = unary("sign", _sign_forward, zero_rule, to_float=False)


def _rounding(name: str, forward: Callable[[np.ndarray], np.ndarray]) -> Callable[..., Any]:
    """floor, ceil or trunc: PyTorch's errors for complex and bool tensors."""
    no_bool = real_forward(forward, kernel_message(f"{name}_vml_cpu"), kinds="b")
    return unary(name, real_forward(no_bool, f"{name} is not supported for complex inputs"),
                 zero_rule, to_float=False)


floor = _rounding("floor", np.floor)
ceil = _rounding("ceil", np.ceil)
trunc = _rounding("trunc", np.trunc)
frac = unary("frac", real_forward(lambda a: a - np.trunc(a), kernel_message("frac_cpu"),
                                  kinds="biuc"),
             lambda g, ans, x: g, to_float=False)
absolute = abs
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh
fix = trunc
install("absolute", abs)
install("__abs__", abs)
install("arcsin", asin)
install("arccos", acos)
install("arctan", atan)


def _no_bool(a: Any, what: str) -> None:
    if isinstance(a, np.ndarray) and a.dtype == np.bool_:
        raise RuntimeError(what)


_NEG_BOOL = (
    "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
    "to invert a mask, use the `~` or `logical_not()` operator instead."
)
_SUB_BOOLS = (
    "Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
    "`^` or `logical_xor()` operator instead."
)
_SUB_BOOL = (
    "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
    "trying to invert a mask, use the `~` or `logical_not()` operator instead."
)


def _neg_forward(a: np.ndarray) -> np.ndarray:
    _no_bool(a, _NEG_BOOL)
    return np.negative(a)


def _check_sub(a: Any, b: Any) -> None:
    bools = [isinstance(v, Tensor) and v._data.dtype == np.bool_ for v in (a, b)]
    if all(bools):
        raise RuntimeError(_SUB_BOOLS)
    if any(bools):
        raise RuntimeError(_SUB_BOOL)


_NEG = Op("neg", _neg_forward, vjp=(lambda g, ans, x: -g,), jvp="linear", saves=False,
           pattern="pointwise")


def neg(input: Tensor) -> Tensor:
    """``-input``."""
    return apply(_NEG, (input,))


negative = neg
install("neg", neg)
install("negative", neg)
install("__neg__", neg)
install("__pos__", lambda self: self)


def _round_forward(a: np.ndarray, decimals: int) -> np.ndarray:
    no_kernel(a.dtype, "round_cpu" if decimals else "round_vml_cpu", "bc")
    return np.round(a, decimals)


_ROUND = Op("round", _round_forward, vjp=(zero_rule,), jvp=(zero_rule,), pattern="pointwise")


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Round half to even, as PyTorch (zero gradient)."""
    if decimals and input._data.dtype.kind in "biu":
        raise NotImplementedError('"round_cpu" not implemented for '
                                  f"'{scalar_type_name(input._data.dtype)}'")
    return apply(_ROUND, (input,), (decimals,))


install("round", round)


# -- binary arithmetic
def _is_scalar(v: Any) -> bool:
    return not isinstance(v, Tensor)


_ADD = Op(
    "add",
    np.add,
    vjp=(lambda g, *_: g, lambda g, *_: g),
    jvp=(lambda t, *_: t, lambda t, *_: t),
    elementwise=True,
    saves=False,
    promote=True,
)
_SUB = Op(
    "sub",
    np.subtract,
    vjp=(lambda g, *_: g, lambda g, *_: -g),
    jvp=(lambda t, *_: t, lambda t, *_: -t),
    elementwise=True,
    saves=False,
    promote=True,
    node_name=lambda inputs, params: "RsubBackward1" if _is_scalar(inputs[0]) else "SubBackward0",
)
_MUL = Op(
    "mul",
    np.multiply,
    vjp=(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x),
    jvp=(lambda t, ans, x, y: t * y, lambda t, ans, x, y: t * x),
    elementwise=True,
    promote=True,
)


def _div_tangent(tangents: list[Any], ans: Tensor, x: Any, y: Any) -> Tensor:
    """PyTorch's (t_x - t_y * (x / y)) / y, in one piece: at y = 0 the sum of the two
    inputs' parts would be inf - inf."""
    tx, ty = tangents
    if ty is None:
        return tx / y
    return (-(ty * ans) if tx is None else tx - ty * ans) / y


_DIV = Op(
    "div",
    np.true_divide,
    # PyTorch's formulas: the divisor's rule reads the inputs, not the quotient
    vjp=(lambda g, ans, x, y: g / y, lambda g, ans, x, y: -g * ((x / y) / y)),
    jvp=_div_tangent,
    elementwise=True,
    promote=True,
    to_float=True,
)


def _pow_base_rule(g: Tensor, ans: Tensor, x: Tensor, y: Any) -> Tensor:
    if _is_scalar(y):
        if y == 2 and type(y) in (int, float) and not _grad_state.enabled:  # x ** 1 is x
            # (differentiated, it is not; and x ** (1+0j) turns -0.0 into 0.0)
            return g * (y * x)
        return zero_rule(g) if y == 0 else g * (y * x ** (y - 1))
    return g * where(y == 0, 0.0, y * x ** (y - 1))


def _real_nonnegative(y: Tensor) -> Tensor:
    """Where ``y`` is a real number >= 0 (for complex ``y``: its imaginary part is 0)."""
    if y.is_complex():
        return (y.imag == 0) & (y.real >= 0)
    return y >= 0


def _pow_exponent_rule(g: Tensor, ans: Tensor, x: Any, y: Tensor) -> Tensor:
    if ans.is_complex():  # log of the base as a complex number: log(-2) = log 2 + i pi
        x = complex(x) if _is_scalar(x) else x.to(ans.dtype)
    if _is_scalar(x):
        if type(x) is not complex and x > 0:
            return g * (ans * math.log(x))
        return g * where(_real_nonnegative(y), 0.0, ans * log(x)) if x == 0 else g * (ans * log(x))
    return g * where((x == 0) & _real_nonnegative(y), 0.0, ans * log(x))


def _pow_name(inputs: tuple, params: tuple) -> str:
    if _is_scalar(inputs[1]):
        return "PowBackward0"
    return "PowBackward2" if _is_scalar(inputs[0]) else "PowBackward1"


# Powers that PyTorch computes by multiplication (or a square root) for float32/float64
# tensors: their results differ from ``pow``'s in the last bit (and cost half as much)
_POWERS_BY_PRODUCTS: dict[float, Callable[[np.ndarray], np.ndarray]] = {
    1: np.positive,
    2: np.square,
    3: lambda a: a * a * a,
    -1: np.reciprocal,
    -2: lambda a: np.reciprocal(np.square(a)),
    -0.5: lambda a: np.reciprocal(np.sqrt(a)),
}


def _integer_power(x: Any, y: np.ndarray) -> np.ndarray:
    """PyTorch's integer power at negative exponents: 1 for the base 1, +-1 for -1, else 0."""
    negative = y < 0
    out = np.power(x, np.where(negative, 0, y))
    at_negative = np.where(x == 1, 1, np.where(x == -1, 1 - 2 * (y % 2), 0))
    return np.where(negative, at_negative, out).astype(out.dtype, copy=False)


def _pow_forward(x: Any, y: Any) -> np.ndarray:
    if isinstance(x, np.ndarray):
        if (x.dtype == np.float64 or x.dtype == np.float32) and type(y) in (int, float):
            by_products = _POWERS_BY_PRODUCTS.get(y)
            if by_products is not None:
                return by_products(x)
        elif x.dtype.kind in "iu" and isinstance(y, int) and y < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        elif x.dtype == np.bool_ and isinstance(y, np.ndarray):  # (both bool, promoted)
            no_kernel(x.dtype, "pow", "b")
    try:
        out = np.power(x, y)
    except ValueError:  # NumPy refuses integer arrays of negative exponents
        out = _integer_power(x, y)
    if isinstance(x, np.ndarray) and x.dtype == np.bool_ and isinstance(y, bool):
        return out.astype(np.bool_)
    return out


_POW = Op(
    "pow",
    _pow_forward,
    vjp=(_pow_base_rule, _pow_exponent_rule),
    jvp=(_pow_base_rule, _pow_exponent_rule),
    elementwise=True,
    promote=True,
    node_name=_pow_name,
)


def _binary(op: Op, name: str, reflected: str | None) -> Callable[[Any, Any], Tensor]:
    def fn(input: Any, other: Any) -> Tensor:
        return apply(op, (input, other))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` with broadcasting and PyTorch's type promotion."
    install(name, fn)
    install(f"__{name}__", fn)
    if reflected:
        install(reflected, lambda self, other: apply(op, (other, self)))
    return fn


mul = _binary(_MUL, "mul", "__rmul__")
multiply = mul


def pow(input: Any, exponent: Any) -> Tensor:
    """``input ** exponent`` with broadcasting and PyTorch's type promotion."""
    if (type(exponent) is int or isinstance(exponent, np.integer)) and type(input) is Tensor \
            and input._data.dtype.kind in "iu":
        exponent = int(exponent)
        if exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        _dtypes.fill_value(exponent, input._data.dtype)  # (checked, where an operand wraps)
    return apply(_POW, (input, exponent))


install("pow", pow)
install("__pow__", pow)
install("__rpow__", lambda self, other: apply(_POW, (other, self)))
install("multiply", mul)


def _times_alpha(input: Any, other: Any, alpha: Any) -> Any:
    """``alpha * other`` (``alpha`` other than the int 1) in the result's dtype, with
    PyTorch's checks of ``alpha`` against it (a bool result takes it as a bool)."""
    result = _dtypes.result_type(*[t._data if isinstance(t, Tensor) else t
                                   for t in (input, other)])
    if isinstance(other, Tensor) and other._data.dtype != result:
        other = other.to(result)
    if isinstance(alpha, (float, complex)) and result.kind in "biu":
        raise RuntimeError("For integral input tensors, argument alpha must not be a "
                           "floating point number.")
    if isinstance(alpha, complex) and result.kind != "c":
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a "
                           "complex number.")
    if result.kind == "b":
        return other * bool(alpha)
    return other * _dtypes.fill_value(alpha, result)


def add(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """``input + alpha * other`` with broadcasting."""
    if alpha != 1 or type(alpha) is not int:
        other = _times_alpha(input, other, alpha)
    return apply(_ADD, (input, other))


def sub(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """``input - alpha * other`` with broadcasting."""
    _check_sub(input, other)
    if alpha != 1 or type(alpha) is not int:
        other = _times_alpha(input, other, alpha)
    return apply(_SUB, (input, other))


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """True division, or rounded by ``rounding_mode`` (``"floor"``, ``"trunc"``: a zero
    derivative)."""
    if rounding_mode is None:
        return apply(_DIV, (input, other))
    if rounding_mode in _ROUNDED_DIVISION:
        return apply(_ROUNDED_DIVIDE, (input, other), (rounding_mode,))
    raise RuntimeError(
        "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"'{rounding_mode}'"
    )


subtract, true_divide, divide = sub, div, div
install("add", add)
install("__add__", add)
install("__radd__", lambda self, other: apply(_ADD, (other, self)))
install("sub", sub)
install("subtract", sub)
install("__sub__", sub)
install("__rsub__", lambda self, other: sub(other, self))
install("div", div)
install("divide", div)
install("true_divide", div)
install("__truediv__", div)
install("__rtruediv__", lambda self, other: reciprocal(self) * other)

def _integer_division(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """``fn`` with PyTorch's error for an integer divisor of zero (NumPy gives 0) of some
    element."""
    def checked(a: Any, b: Any) -> np.ndarray:
        if np.result_type(a, b).kind in "iub" and np.broadcast(a, b).size and not np.all(b):
            raise RuntimeError("ZeroDivisionError")
        return fn(a, b)

    return checked


def _trunc_divide(a: Any, b: Any) -> np.ndarray:
    """Division rounded toward zero (exactly for integers, whose quotient a float may not
    hold)."""
    if np.result_type(a, b).kind in "iu":
        quotient = np.floor_divide(a, b)
        return quotient + ((np.remainder(a, b) != 0) & (np.less(a, 0) != np.less(b, 0)))
    return np.trunc(np.true_divide(a, b)).astype(np.result_type(a, b), copy=False)


_ROUNDED_DIVISION = {
    "floor": real_forward(_integer_division(np.floor_divide), kernel_message("div_floor_cpu"),
                          kinds="bc"),
    "trunc": real_forward(_integer_division(_trunc_divide), kernel_message("div_trunc_cpu"),
                          kinds="bc"),
}
# floor_divide has no derivative (PyTorch's errors, in both modes, once a pass needs one);
# div with a rounding mode has a zero derivative
_FLOOR_DIVIDE = Op(
    "floor_divide",
    _ROUNDED_DIVISION["floor"],
    vjp=(no_derivative(RuntimeError("derivative for aten::floor_divide is not implemented")),)
    * 2,
    jvp=(no_derivative(NotImplementedError(
        "Trying to use forward AD with aten::floor_divide that does not support it.")),) * 2,
    elementwise=True,
    promote=True,
    node_name="torch::autograd::NotImplemented",
)
_ROUNDED_DIVIDE = Op("rounded_divide", lambda a, b, mode: _ROUNDED_DIVISION[mode](a, b),
                     vjp=(zero_rule, zero_rule), jvp=(zero_rule, zero_rule), elementwise=True,
                     promote=True, node_name="DivBackward2")
floor_divide = _binary(_FLOOR_DIVIDE, "floor_divide", "__rfloordiv__")
install("__floordiv__", floor_divide)


def _floor_quotient(x: Any, y: Any) -> Tensor:
    """``div(x, y, rounding_mode="floor")``, as remainder's rule takes it (zero derivative)."""
    return apply(_ROUNDED_DIVIDE, (x, y), ("floor",))

_REMAINDER = Op(
    "remainder",
    real_forward(_integer_division(np.remainder), kernel_message("remainder_cpu"), kinds="bc"),
    vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: -g * _floor_quotient(x, y)),
    jvp=(lambda t, ans, x, y: t, lambda t, ans, x, y: -t * _floor_quotient(x, y)),
    elementwise=True,
    promote=True,
    node_name=lambda inputs, params: (
        "RemainderBackward0" if _is_scalar(inputs[1]) else "RemainderBackward1"),
)
remainder = _binary(_REMAINDER, "remainder", "__rmod__")
install("__mod__", remainder)
fmod = _binary(
    Op(
        "fmod",
        _integer_division(np.fmod),
        vjp=(lambda g, *_: g, lambda g, ans, x, y: -g * (x / y).trunc()),
        jvp=(lambda t, *_: t, lambda t, ans, x, y: -t * (x / y).trunc()),
        elementwise=True,
        promote=True,
    ),
    "fmod",
    None,
)


def _atan2_scale(x: Tensor, y: Tensor) -> Tensor:
    return 1 / (x * x + y * y)


def _atan2_vjp_scale(x: Tensor, y: Tensor) -> Tensor:
    """1 / (x^2 + y^2), and 0 where that sum is 0: PyTorch's gradient at the origin is 0 (its
    forward-mode tangent there is NaN)."""
    size = x * x + y * y
    return where(size == 0, 0.0, 1 / size)


atan2 = _binary(
    Op(
        "atan2",
        real_forward(np.arctan2, kernel_message("atan2_cpu")),
        vjp=(
            lambda g, ans, x, y: g * (y * _atan2_vjp_scale(x, y)),
            lambda g, ans, x, y: g * (-x * _atan2_vjp_scale(x, y)),
        ),
        jvp=(
            lambda t, ans, x, y: t * (y * _atan2_scale(x, y)),
            lambda t, ans, x, y: t * (-x * _atan2_scale(x, y)),
        ),
        elementwise=True,
        promote=True,
        to_float=True,
    ),
    "atan2",
    None,
)
arctan2 = atan2
hypot = _binary(
    Op(
        "hypot",
        real_forward(np.hypot, kernel_message("hypot_cpu"), kinds="biuc"),
        vjp=(lambda g, ans, x, y: g * (x / ans), lambda g, ans, x, y: g * (y / ans)),
        jvp=(lambda t, ans, x, y: t * (x / ans), lambda t, ans, x, y: t * (y / ans)),
        elementwise=True,
        promote=True,
    ),
    "hypot",
    None,
)
def _logaddexp_forward(a: Any, b: Any) -> np.ndarray:
    """log(exp(a) + exp(b)); for complex operands (which NumPy's ufunc refuses), shifted by
    the operand of larger real part."""
    if np.result_type(a, b).kind != "c":
        return np.logaddexp(a, b)
    a, b = np.broadcast_arrays(a, b)
    first = a.real >= b.real
    big, small = np.where(first, a, b), np.where(first, b, a)
    return big + np.log1p(np.exp(small - big))


_LOGADDEXP = Op(
    "logaddexp",
    _logaddexp_forward,
    vjp=(lambda g, ans, x, y: g / (1 + (y - x).exp()),  # PyTorch's: from the inputs
         lambda g, ans, x, y: g / (1 + (x - y).exp())),
    jvp=(lambda t, ans, x, y: t / (1 + (y - x).exp()),
         lambda t, ans, x, y: t / (1 + (x - y).exp())),
    elementwise=True,
    promote=True,
    to_float=True,
)


def logaddexp(input: Any, other: Any) -> Tensor:
    """``log(exp(input) + exp(other))``, computed stably (floating and complex only)."""
    no_kernel(_dtypes.result_type(*[v._data if isinstance(v, Tensor) else v
                                    for v in (input, other)]), "logaddexp_cpu", "biu")
    return apply(_LOGADDEXP, (input, other))


install("logaddexp", logaddexp)


def _pick(test: Callable[[Any, Any], Tensor], drop: bool, tie: float | None = 0.5):
    """A rule of maximum/minimum for one input: g where ``test(x, y)`` fails (``drop``) or
    holds, 0 elsewhere, and ``tie * g`` where x == y (``tie`` None: no special case)."""

    def rule(g: Tensor, ans: Tensor, x: Any, y: Any) -> Tensor:
        hit = test(x, y)
        out = where(hit, 0.0, g) if drop else where(hit, g, 0.0)
        if tie is None:
            return out
        ties = x == y
        return where(ties, g * tie, out) if bool(ties.any()) else out

    return rule


def _greater(x: Any, y: Any) -> Tensor:
    return x > y


def _less(x: Any, y: Any) -> Tensor:
    return x < y


def _fmax_first(x: Any, y: Any) -> Tensor:
    return (x >= y) | y.isnan() if isinstance(y, Tensor) else x >= y


def _fmin_first(x: Any, y: Any) -> Tensor:
    return (x <= y) | y.isnan() if isinstance(y, Tensor) else x <= y


def _fmax_tangent_first(x: Any, y: Any) -> Tensor:
    return (x > y) | y.isnan() if isinstance(y, Tensor) else x > y


def _first_on_ties(extremum: np.ufunc) -> Callable[[Any, Any], np.ndarray]:
    """``extremum(x, y)`` that gives ``x`` where the two are equal, as PyTorch's
    ``maximum``, ``minimum``, ``fmax``, ``fmin`` and ``clamp`` do: -0.0 and 0.0 tie, and
    ``1 / maximum(-0.0, 0.0)`` is -inf. NumPy's maximum and minimum give their second
    operand on ties, its fmax and fmin either, by the array's size."""
    if extremum in (np.maximum, np.minimum):
        return lambda x, y: extremum(y, x)
    return lambda x, y: np.where(x == y, x, extremum(x, y))


def _extremum(name: str, forward: Callable[..., np.ndarray], vjp: tuple, jvp: tuple
              ) -> Callable[[Any, Any], Tensor]:
    message = f"{name} not implemented for complex tensors."
    return _binary(Op(name, real_forward(_first_on_ties(forward), message, RuntimeError),
                      vjp=vjp, jvp=jvp, elementwise=True, promote=True,
                      tangents_differ=vjp != jvp), name, None)


# PyTorch's rules. maximum and minimum: each input gets g unless the other wins (so both get
# it at a NaN), half of it on ties; tangents follow the winner (the second input at a NaN).
# fmax and fmin: the first input takes all of g where it is chosen, ties included; on ties
# fmax's tangent is the second input's, fmin's the first's.
maximum = _extremum("maximum", np.maximum,
                    (_pick(_less, True), _pick(_greater, True)),
                    (_pick(_greater, False), _pick(_greater, True)))
minimum = _extremum("minimum", np.minimum,
                    (_pick(_greater, True), _pick(_less, True)),
                    (_pick(_less, False), _pick(_less, True)))
fmax = _extremum("fmax", np.fmax,
                 (_pick(_fmax_first, False, None), _pick(_fmax_first, True, None)),
                 (_pick(_fmax_tangent_first, False, None), _pick(_fmax_tangent_first, True, None)))
_FMIN_RULES = (_pick(_fmin_first, False, None), _pick(_fmin_first, True, None))
fmin = _extremum("fmin", np.fmin, _FMIN_RULES, _FMIN_RULES)


# -- where, clamp, lerp
def _where_forward(cond: np.ndarray, x: Any, y: Any) -> np.ndarray:
    return np.where(cond, x, y)


_WHERE_RULES = (
    None,  # the condition carries no gradient
    lambda g, ans, c, x, y: where(c, g, 0.0),
    lambda g, ans, c, x, y: where(c, 0.0, g),
)
_WHERE = Op("where", _where_forward, vjp=_WHERE_RULES, jvp=_WHERE_RULES, elementwise=True)


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (broadcast)."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if isinstance(condition, Tensor) and condition._data.dtype != np.bool_:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor "
            f"with dtype {scalar_type_name(condition._data.dtype)}"
        )
    if not (isinstance(input, Tensor) and isinstance(other, Tensor)):
        tensor = input if isinstance(input, Tensor) else other
        if not isinstance(tensor, Tensor) or tensor._data.dtype.kind not in "fc":
            # (two Python scalars, or an integer tensor and a float: NumPy would promote
            # them otherwise than PyTorch)
            target = _dtypes.result_type(
                *[v._data if isinstance(v, Tensor) else v for v in (input, other)])
            input, other = (_of_dtype(v, target) for v in (input, other))
        else:  # (it keeps its precision: PyTorch's error for a number beyond it)
            scalar = other if tensor is input else input
            _check_where_scalar(scalar, tensor._data.dtype)
    elif input._data.dtype != other._data.dtype:  # (PyTorch's promotion: a 0-d tensor's
        target = _dtypes.result_type(input._data, other._data)  # dtype may not count)
        input, other = (_of_dtype(v, target) for v in (input, other))
    return apply(_WHERE, (condition, input, other))


def _check_where_scalar(scalar: Any, dtype: np.dtype) -> None:
    """PyTorch's error for a Python number beside a floating tensor of ``dtype`` that the
    result (complex64 for a complex number beside float32) cannot hold."""
    kind = type(scalar)
    if kind is float and -_FLOAT32_MAX <= scalar <= _FLOAT32_MAX:
        return  # (fits every floating dtype: the common case)
    if kind is int and not -(2**63) <= scalar < 2**64 or kind in (float, complex) and \
            dtype in _SINGLE_PRECISION:
        _dtypes.fill_value(scalar, _SINGLE_PRECISION[1] if kind is complex else dtype)


_SINGLE_PRECISION = (np.dtype(np.float32), np.dtype(np.complex64))
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _of_dtype(value: Any, dtype: np.dtype) -> Tensor:
    """A tensor (or a Python scalar, with PyTorch's error where it does not fit) as a tensor
    of ``dtype``."""
    if isinstance(value, Tensor):
        return value if value._data.dtype == dtype else value.to(dtype)
    return _make(np.asarray(_dtypes.fill_value(value, dtype), dtype=dtype), False, None)


install("where", lambda self, condition, other: where(condition, self, other))


def _clamp_forward(x: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    if lo is None and hi is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    for operand in (x, lo, hi):
        no_complex(operand, NO_COMPLEX_CLAMP)
    if isinstance(lo, np.ndarray) and isinstance(hi, np.ndarray):  # (one bound: a maximum)
        no_kernel(x.dtype, "clamp_cpu", "b")
    out = x
    if lo is not None:
        out = np.maximum(lo, out)  # (x on ties: see _first_on_ties)
    if hi is not None:
        out = np.minimum(hi, out)
    return out if out is not x else out.copy()


# PyTorch's rules. Gradients: x's where lo <= x <= hi; lo's below lo where lo < hi; hi's
# above hi or where the bounds cross (clamp gives hi there).
def _clamp_self(g: Tensor, ans: Tensor, x: Tensor, lo: Any, hi: Any) -> Tensor:
    if hi is None:
        return where(x >= lo, g, 0.0)
    if lo is None:
        return where(x <= hi, g, 0.0)
    return where((x >= lo) & (x <= hi), g, 0.0)


def _clamp_lo(g: Tensor, ans: Tensor, x: Tensor, lo: Tensor, hi: Any) -> Tensor:
    return where(x < lo if hi is None else (x < lo) & (lo < hi), g, 0.0)


def _clamp_hi(g: Tensor, ans: Tensor, x: Tensor, lo: Any, hi: Tensor) -> Tensor:
    return where(x > hi if lo is None else (x > hi) | (hi < lo), g, 0.0)


# Tangents with tensor bounds: with both, hi's where they cross, else lo's below lo, hi's
# above hi, x's otherwise (so at a NaN x too); with one bound, x's only strictly inside it
# (the bound's where they are equal): not the gradients' convention. With number bounds:
# the gradient's rule.
def _clamp_self_tangent(t: Tensor, ans: Tensor, x: Tensor, lo: Any, hi: Any) -> Tensor:
    if not (isinstance(lo, Tensor) or isinstance(hi, Tensor)):
        return _clamp_self(t, ans, x, lo, hi)
    if hi is None:
        return where(x > lo, t, 0.0)
    if lo is None:
        return where(x < hi, t, 0.0)
    return where((lo > hi) | (x < lo) | (x > hi), 0.0, t)


def _clamp_lo_tangent(t: Tensor, ans: Tensor, x: Tensor, lo: Tensor, hi: Any) -> Tensor:
    return where(x > lo, 0.0, t) if hi is None else where((x < lo) & ~(lo > hi), t, 0.0)


def _clamp_hi_tangent(t: Tensor, ans: Tensor, x: Tensor, lo: Any, hi: Tensor) -> Tensor:
    if lo is None:
        return where(x < hi, 0.0, t)
    return where((lo > hi) | (~(x < lo) & (x > hi)), t, 0.0)


def _tensor_bounds(inputs: tuple) -> bool:
    """Whether a clamp's bounds (after its input) hold a tensor."""
    return any(isinstance(b, Tensor) for b in inputs[1:])


_CLAMP_VJP = (_clamp_self, _clamp_lo, _clamp_hi)
_CLAMP_JVP = (_clamp_self_tangent, _clamp_lo_tangent, _clamp_hi_tangent)
_CLAMP = Op(
    "clamp",
    _clamp_forward,
    vjp=_CLAMP_VJP,
    jvp=_CLAMP_JVP,
    elementwise=True,
    promote=True,
    tangents_differ=_tensor_bounds,
    node_name=lambda inputs, params: (
        "ClampBackward0" if _tensor_bounds(inputs) else "ClampBackward1"
    ),
)


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Limit ``input`` to ``[min, max]``; the gradient passes where ``min <= x <= max``."""
    min, max = (_dtypes.fill_value(b, _dtypes.result_type(input._data, b))
                if isinstance(b, (int, float, complex)) else b for b in (min, max))
    return apply(_CLAMP, (input, min, max))


clip = clamp
install("clamp", clamp)
install("clip", clamp)
install("clamp_min", lambda self, min: clamp(self, min=min))
install("clamp_max", lambda self, max: clamp(self, max=max))


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """``input + weight * (end - input)``."""
    no_kernel(input._data.dtype, "lerp_kernel_tensor" if isinstance(weight, Tensor)
              else "lerp_kernel_scalar", "biu")
    error = broadcast_error([t._data.shape for t in (input, end, weight)
                             if isinstance(t, Tensor)])  # in PyTorch's order of operands
    if error is not None:
        raise error
    return input + weight * (end - input)


install("lerp", lerp)


def _nan_to_num_forward(a: np.ndarray, nan: float, posinf: Any, neginf: Any) -> np.ndarray:
    return np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)


_NAN_TO_NUM_RULE = (lambda g, ans, x, *_: where(x.isfinite(), g, 0.0),)
_NAN_TO_NUM = Op("nan_to_num", _nan_to_num_forward, vjp=_NAN_TO_NUM_RULE, jvp=_NAN_TO_NUM_RULE,
                 pattern="pointwise")


def nan_to_num(
    input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Tensor:
    """Replace nan/inf by finite numbers (zero gradient there)."""
    refuse_complex_autodiff("nan_to_num", input)
    return apply(_NAN_TO_NUM, (input,), (nan, posinf, neginf))


install("nan_to_num", nan_to_num)


# -- comparisons and logical ops (not differentiable)
def _predicate(
    name: str, forward: Callable[..., np.ndarray], dunder: str | None = None, arity: int = 2
) -> Callable[..., Tensor]:
    # binary ones compute in PyTorch's promoted dtype (a Python int wraps around in an
    # integer one: uint8 < 300 compares with 44, as PyTorch's)
    op = Op(name, forward, elementwise=True, promote=arity == 2)
    if arity == 1:

        def fn(input: Tensor) -> Tensor:
            return apply(op, (input,))
    else:

        def fn(input: Any, other: Any) -> Tensor:
            return apply(op, (input, other))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` (a bool tensor, not differentiable)."
    install(name, fn)
    if dunder:
        install(dunder, fn)
    return fn


eq = _predicate("eq", np.equal)
ne = _predicate("ne", np.not_equal)
_COMPARABLE = (Tensor, int, float, complex, np.generic, np.ndarray)


def _equality(compare: Callable[[Any, Any], Tensor]) -> Callable[[Tensor, Any], Any]:
    """``==`` or ``!=``: elementwise with a tensor or a number; with anything else (None, a
    string, a list) Python's identity comparison, as PyTorch's operators."""
    def operator(self: Tensor, other: Any) -> Any:
        return compare(self, other) if isinstance(other, _COMPARABLE) else NotImplemented

    return operator


install("__eq__", _equality(eq))
install("__ne__", _equality(ne))
lt = _predicate("lt", real_forward(np.less, kernel_message("lt_cpu")), "__lt__")
le = _predicate("le", real_forward(np.less_equal, kernel_message("le_cpu")), "__le__")
gt = _predicate("gt", real_forward(np.greater, kernel_message("gt_cpu")), "__gt__")
ge = _predicate("ge", real_forward(np.greater_equal, kernel_message("ge_cpu")), "__ge__")
less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne
logical_and = _predicate("logical_and", np.logical_and)
logical_or = _predicate("logical_or", np.logical_or)
logical_xor = _predicate("logical_xor", np.logical_xor)
logical_not = _predicate("logical_not", np.logical_not, arity=1)
isnan = _predicate("isnan", np.isnan, arity=1)
isinf = _predicate("isinf", np.isinf, arity=1)
isfinite = _predicate("isfinite", np.isfinite, arity=1)
def _integral(name: str, fn: Callable[..., np.ndarray], refused: str = ""
              ) -> Callable[..., np.ndarray]:
    """``fn`` with PyTorch's error for operands that promote to a floating dtype (or to one
    of the kinds ``refused``)."""
    def checked(*arrays: Any) -> np.ndarray:
        dtype = np.result_type(*arrays)
        if dtype.kind in "fc" or dtype.kind in refused:
            raise NotImplementedError(
                f'"{name}_cpu" not implemented for \'{scalar_type_name(dtype)}\'')
        return fn(*arrays)

    return checked


def _invert_forward(a: np.ndarray) -> np.ndarray:
    if a.dtype.kind in "fc":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return np.invert(a)


def _shift(shift: Callable[..., np.ndarray], fills: bool) -> Callable[..., np.ndarray]:
    """``shift`` (NumPy's), and as PyTorch's by a negative amount or by the width or more:
    0, or for a right shift (``fills``) of a negative number -1."""
    def shifted(a: Any, amount: Any) -> np.ndarray:
        out = shift(a, amount)
        bits = out.dtype.itemsize * 8
        amount = np.asarray(amount)
        beyond = (amount < 0) | (amount >= bits)
        if not beyond.any():
            return out
        fill = shift(a, bits - 1) if fills and out.dtype.kind == "i" else 0
        return np.where(beyond, fill, out).astype(out.dtype, copy=False)
    return shifted


bitwise_and = _predicate("bitwise_and", _integral("bitwise_and", np.bitwise_and), "__and__")
bitwise_or = _predicate("bitwise_or", _integral("bitwise_or", np.bitwise_or), "__or__")
bitwise_xor = _predicate("bitwise_xor", _integral("bitwise_xor", np.bitwise_xor), "__xor__")
bitwise_left_shift = _predicate(
    "bitwise_left_shift", _integral("lshift", _shift(np.left_shift, False), "b"), "__lshift__")
bitwise_right_shift = _predicate(
    "bitwise_right_shift", _integral("rshift", _shift(np.right_shift, True), "b"), "__rshift__")
bitwise_not = _predicate("bitwise_not", _invert_forward, "__invert__", arity=1)
for _name, _fn in (("__rand__", bitwise_and), ("__ror__", bitwise_or), ("__rxor__", bitwise_xor),
                   ("__rlshift__", bitwise_left_shift), ("__rrshift__", bitwise_right_shift)):
    install(_name, lambda self, other, _fn=_fn: _fn(other, self))


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of the non-zero elements (int64)."""
    if input._data.ndim == 0:  # (a 0-d tensor has no index: one empty row if it is nonzero)
        count = int(bool(input._data))
        if as_tuple:
            return (_make(np.zeros(count, dtype=np.int64), False, None),)
        return _make(np.zeros((count, 0), dtype=np.int64), False, None)
    idx = np.nonzero(input._data)
    if as_tuple:
        return tuple(_make(i.astype(np.int64), False, None) for i in idx)
    return _make(np.stack(idx, axis=-1).astype(np.int64), False, None)


install("nonzero", nonzero)


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``value`` where ``mask`` is True, else ``input``."""
    if isinstance(mask, Tensor) and mask._data.dtype != np.bool_:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{cpp_type_name(mask._data.dtype)}")
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(
            "masked_fill only supports a 0-dimensional value tensor, but got "
            f"tensor with {value._data.ndim} dimension(s)."
        )
    if isinstance(value, Tensor):  # (kept: differentiable; its number checked as PyTorch's)
        _dtypes.fill_value(value.item(), input._data.dtype)
    else:
        value = _dtypes.fill_value(value, input._data.dtype)
    return where(mask, _of_dtype(value, input._data.dtype), input)  # (input's dtype, as PyTorch)


install("masked_fill", masked_fill)
