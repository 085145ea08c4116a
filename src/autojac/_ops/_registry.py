"""One op, one declaration: how an op is declared, and how one call of it is applied.

An op declares, once, its NumPy forward, its vjp rule(s) and its jvp rule(s)
(``Op``). ``apply`` runs the forward on the inputs' arrays, records an ``OpNode``
when grad mode is on and an input requires grad, and pushes tangents when an input is
dual. Rules are written with autojac's own ops on Tensors, so they are differentiable,
and they accept extra leading batch dims on cotangents/tangents (the primal's dims are
always the trailing ones).

Rule signatures (``params`` are the op's non-tensor arguments, passed after the inputs):
  vjp: a tuple with one ``rule(g, ans, *inputs, *params) -> cotangent`` per input, or one
       joint ``rule(g, ans, *inputs, *params) -> tuple`` for ops with varying arity.
  jvp: a tuple with one ``rule(t, ans, *inputs, *params) -> tangent part`` per input (the
       parts are summed), a joint ``rule(tangents, ans, *inputs, *params)`` (``None`` for
       inputs without a tangent), or ``"linear"``: the op itself applied to the tangents.
``elementwise`` ops broadcast their inputs: the engine sums cotangents back to each
input's shape and broadcasts tangents up to the output's, so their rules need not. A rule
that branches on values reads them through the Tensor (``bool(t)``, ``t.item()``), never
through ``t._data``: then ``_autograd.replay`` knows not to replay its passes.

view: the result shares its input's memory (or a predicate on the params: whether it does
  for this call), so an in-place change of either reaches the other.

tangents_differ: the jvp rules follow PyTorch's forward-mode convention where it differs
  from its backward one (which input's derivative a tie or a NaN takes), so columns pushed
  through the op need not give the rows' values there (or a predicate on a call's inputs:
  whether they do for it).

saves: read off the rules by default (``_what_rules_read``: an input or output is saved, and
  checked for in-place changes at backward, where a rule reads its values); False for rules
  that read nothing worth saving; True where PyTorch saves every input although its formula
  reads one only for its sizes (``gather``'s), so that an in-place change raises as there.

index_params: the op's params may hold index arrays (which the caller may change after the
  call); the node keeps read-only copies of them.

complex_rule: how the rules serve complex tensors. PyTorch's vjp of a complex op is the
  conjugate transpose of its jvp, ``conj(J)^T g``. ``"holomorphic"`` (the default): the
  vjp rules are written as for real tensors, ``J^T g``, and the engine conjugates around
  them, ``conj(J^T conj(g))``, where a cotangent is complex; the jvp rules serve as they
  are. ``"own"``: the rules are written in PyTorch's convention for complex tensors too.
  An op that PyTorch does not define at complex tensors refuses them in its forward
  (``real_forward``, with PyTorch's error), so its rules never meet them.

pattern: which input elements each output element depends on, for sparsity detection
  (``_autograd.sparsity``): ``"pointwise"`` (the same position of each broadcast input;
  derived for ``elementwise`` ops), ``"moves"`` (the forward only copies, selects or zeroes
  elements, so it runs as is on bitsets, and on element positions for the reverse
  direction; derived for linear views), a ``PatternRule`` for single-input ops, or a
  ``ZerosPatternRule`` that reads where the inputs are zero. Ops without one are taken as
  dense: every output element depends on every input element.
"""

from __future__ import annotations

import dis
import itertools
import weakref
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from .. import _dtypes
from .._autograd import forward_ad as fw
from .._autograd import grad_mode, graph, tape_state
from .._autograd.graph import (
    Node,
    as_recorded,
    freed_error,
    modified_error,
    stale_error,
    zeros_for,
)
from .._backend import broadcast_view
from .._tensor import Tensor, _make, scalar_type_name

Rule = Callable[..., Any]


class PatternRule(NamedTuple):
    """A single-input op's dependency pattern on bitsets with a leading axis of words:
    ``forward(bits, *params)`` gives the output's from the input's, ``reverse(bits, x,
    *params)`` the input's (``x`` is the input array) from the output's."""

    forward: Callable[..., np.ndarray]
    reverse: Callable[..., np.ndarray]


class ZerosPatternRule(NamedTuple):
    """A pattern that also depends on where the inputs' values are zero (a product with a
    banded matrix): ``forward(bitsets, arrays)`` and ``reverse(bits, arrays)`` get every
    input's bitsets (None: none) and values (None: not a tensor), and give the output's,
    or the inputs', bitsets; None where the op is to be taken as dense."""

    forward: Callable[..., np.ndarray | None]
    reverse: Callable[..., list[np.ndarray | None] | None]

_grad_state = grad_mode.state
_fw_state = fw.state
_tape_state = tape_state.state
_reshapes = graph.reshapes
_writes = graph.writes


_COMPLEX_RULES = ("holomorphic", "own")


class Op:
    """The declaration of one operation (see the module docstring)."""

    __slots__ = (
        "name",
        "forward",
        "vjp",
        "jvp",
        "node_name",
        "elementwise",
        "saves",
        "view",
        "promote",
        "to_float",
        "differentiable",
        "n_out",
        "saves_ans",
        "reads_ans",
        "readers",
        "ans_readers",
        "unview",
        "pattern",
        "index_params",
        "conjugates",
        "tangents_differ",
    )

    def __init__(
        self,
        name: str,
        forward: Callable[..., Any],
        vjp: Sequence[Rule] | Rule | None = None,
        jvp: Sequence[Rule] | Rule | str | None = None,
        *,
        node_name: str | Callable[[tuple, tuple], str] | None = None,
        elementwise: bool = False,
        saves: bool | None = None,
        view: bool | Callable[..., bool] = False,
        promote: bool = False,
        to_float: bool = False,
        n_out: int = 1,
        unview: Callable[..., Any] | None = None,
        pattern: str | PatternRule | ZerosPatternRule | None = None,
        index_params: bool = False,
        complex_rule: str = "holomorphic",
        tangents_differ: bool | Callable[[tuple], bool] = False,
    ) -> None:
        self.name = name
        self.forward = forward
        self.vjp = vjp
        self.jvp = jvp
        self.node_name = node_name or "".join(p.title() for p in name.split("_")) + "Backward0"
        self.elementwise = elementwise
        reads_inputs, self.reads_ans, self.readers, self.ans_readers = _what_rules_read(vjp)
        if saves:  # (every input, whatever the rules read of it)
            reads_inputs, self.readers = True, None
        self.saves = reads_inputs and saves is not False
        self.saves_ans = self.reads_ans and saves is not False
        self.view = view
        self.promote = promote
        self.to_float = to_float
        self.differentiable = vjp is not None
        self.n_out = n_out
        self.unview = unview
        if pattern is None and elementwise:
            pattern = "pointwise"
        elif pattern is None and view and jvp == "linear":
            pattern = "moves"
        self.pattern = pattern
        self.index_params = index_params
        self.tangents_differ = tangents_differ
        if complex_rule not in _COMPLEX_RULES:
            raise ValueError(f"complex_rule must be one of {_COMPLEX_RULES}, not {complex_rule!r}")
        # rules that read no values are real-linear maps, which commute with conj
        self.conjugates = complex_rule == "holomorphic" and (reads_inputs or self.reads_ans)

    def __call__(self, *inputs: Any) -> Any:
        """Apply to tensor inputs only (ops without params)."""
        return apply(self, inputs)

    def __repr__(self) -> str:
        return f"<op {self.name}>"



def _loaded_names(fn: Callable[..., Any]) -> tuple[set[str], set[str]]:
    """The names a function loads from its own parameters/locals, and those of them whose
    values it reads: a name read only for its metadata (``x.shape``, ``x._data.ndim``,
    ``x.dtype``) is loaded but not read, as PyTorch keeps only the sizes of an input
    that a formula reads for its sizes."""
    loaded: set[str] = set()
    read: set[str] = set()
    ins = list(dis.get_instructions(fn))
    for k, i in enumerate(ins):
        # a parameter that an inner function captures (LOAD_CLOSURE) counts as read
        if i.opname.startswith("LOAD_FAST") or i.opname in ("LOAD_DEREF", "LOAD_CLOSURE"):
            names = i.argval if isinstance(i.argval, tuple) else (i.argval,)
            loaded.update(names)
            if i.opname == "LOAD_CLOSURE" or not _metadata_only(ins, k):
                read.update(names)
    return loaded, read


_METADATA = frozenset({"shape", "ndim", "dtype", "size", "dim", "numel"})


def _metadata_only(ins: list[dis.Instruction], k: int) -> bool:
    """Whether the load ``ins[k]`` of one name is followed by an attribute of its metadata
    (``x.shape``), also through the array (``x._data.shape``)."""
    if type(ins[k].argval) is not str:
        return False
    attrs = []
    for i in ins[k + 1 : k + 3]:  # the attributes loaded right after, in a chain
        if i.opname not in ("LOAD_ATTR", "LOAD_METHOD"):
            break
        attrs.append(i.argval)
    if attrs[:1] == ["_data"]:
        attrs = attrs[1:]
    return bool(attrs) and attrs[0] in _METADATA


def _what_rules_read(vjp: Any) -> tuple[bool, bool, tuple[tuple[int, ...], ...] | None,
                                         tuple[int, ...] | None]:
    """``(reads_inputs, reads_ans, readers, ans_readers)``, read off the vjp rules themselves.

    A rule ``(g, ans, x, y, *params)`` that reads ``x``'s values needs ``x`` saved (and
    checked for in-place changes); one that uses ``ans`` needs the output saved. Rules
    that pass inputs on only for their shapes declare ``saves=False``. ``readers[j]`` lists
    the rules (one per input) that read input ``j``: as in PyTorch, an input changed in
    place only matters where a rule that runs reads it (None: a joint rule reads all).
    ``ans_readers`` lists the rules that read the output, in the same way (None: all do).
    """
    if vjp is None:
        return False, False, None, None
    rules = (vjp,) if callable(vjp) else vjp
    reads_inputs = False
    read: list[set[int]] = [set() for _ in rules]  # the inputs each rule reads
    ans_readers = []
    for i, rule in enumerate(rules):
        if rule is None:
            continue
        code = rule.__code__
        params = code.co_varnames[: code.co_argcount]
        loaded, used = _loaded_names(rule)
        if len(params) > 1 and params[1] in loaded:
            ans_readers.append(i)
        varargs = bool(code.co_flags & _CO_VARARGS) and (
            code.co_varnames[code.co_argcount + code.co_kwonlyargcount] in used)
        reads_inputs = reads_inputs or varargs or any(p in used for p in params[2:])
        read[i] = {j for j in range(len(rules))
                   if (params[2 + j] in used if 2 + j < len(params) else varargs)}
    readers = None if callable(vjp) else tuple(
        tuple(i for i in range(len(rules)) if j in read[i]) for j in range(len(rules)))
    every = callable(vjp) or len(ans_readers) == len(rules)
    return reads_inputs, bool(ans_readers), readers, None if every else tuple(ans_readers)


_CO_VARARGS = 0x04


class OpNode(Node):
    """The graph node of one recorded op call."""

    # versions: each input's version when recorded (None: not a tensor), so backward can
    # tell an input changed in place since; None for ops that do not save their inputs.
    # reshapes, writes: graph.reshapes and graph.writes when recorded; seq: its place in
    # the order nodes were recorded (after every node it reads from)
    __slots__ = ("op", "inputs", "params", "ans", "ans_fw", "versions", "ans_version",
                 "reshapes", "writes", "seq")

    def see_inputs_as_recorded(self) -> None:
        if self.reshapes != _reshapes[0]:
            self.inputs = as_recorded(self.inputs, self.reshapes)
            self.reshapes = _reshapes[0]

    def name(self) -> str:
        n = self.op.node_name
        if type(n) is str:
            return n
        self.see_inputs_as_recorded()
        return n(self.inputs, self.params)

    def release(self) -> None:
        self.freed = True
        _writes[0] += 1
        if self.op.saves or self.op.saves_ans:
            self.ans = None
            self.ans_fw = None

    def _check_ans(self) -> None:
        version, expected = self.ans_version
        if self.op.saves_ans and version[0] != expected:
            data = self.ans if self.op.n_out == 1 else self.ans[0]
            raise modified_error(data, version[0], expected, self.name())

    def _ans_tensors(self) -> Any:
        """The outputs as the rules see them (``check_saved`` checks them first)."""
        if self.op.n_out == 1:
            t = _make(self.ans, True, self)
            if self.ans_fw is not None and _fw_state.level is not None:
                t._fw = self.ans_fw
            return t
        outs = []
        tangents = self.ans_fw if _fw_state.level is not None else None
        for i, a in enumerate(self.ans):
            t = _make(a, a.dtype.kind in "fc", self if a.dtype.kind in "fc" else None)
            t._output_nr = i
            if tangents is not None:
                t._fw = tangents[i]
            outs.append(t)
        return tuple(outs)

    def check_saved(self) -> None:
        """Raise PyTorch's error if what the rules read was freed or changed in place
        (neither can have happened while no write or free ran since it was recorded)."""
        if self.writes != _writes[0]:
            self._check_unchanged()
        tape = _tape_state.tape
        if tape is not None:
            tape.ran(self)

    def _check_unchanged(self) -> None:
        op = self.op
        if self.freed and (op.saves or op.saves_ans
                           or op.index_params and _holds_array(self.params)):
            raise freed_error()  # (PyTorch saves index tensors too)
        if self.reshapes != _reshapes[0]:  # the method's own test, inlined: hot path
            self.see_inputs_as_recorded()
        if op.saves:
            for t, version in zip(self.inputs, self.versions):
                if version is not None and t._vc[0] != version and self._read(t):
                    raise stale_error(t, version)
        if op.reads_ans:  # only where a rule that runs reads the output
            readers = op.ans_readers
            if readers is None:
                self._check_ans()
            else:
                for i in readers:
                    if self.edges[i] is not None:
                        self._check_ans()
                        break

    def _read(self, t: Tensor) -> bool:
        """Whether a rule that runs (its input requires grad) reads the input ``t``."""
        readers = self.op.readers
        return readers is None or any(
            self.edges[i] is not None
            for j, x in enumerate(self.inputs) if x is t for i in readers[j])

    def backward(self, grads: list[Any], needed: list[bool]) -> list[Any]:
        self.check_saved()
        op = self.op
        inputs = self.inputs
        ans = self._ans_tensors() if op.reads_ans else None
        # a multi-output op's rule gets None for outputs that received no cotangent (a
        # zero): rules can then skip terms that would be 0 * inf (repeated eigenvalues)
        if op.n_out == 1:
            g = present = grads[0]
        else:
            g = tuple(grads)
            present = next(x for x in grads if x is not None)
        if present._data.dtype.kind == "c":
            res = self._complex_vjp(g, ans, needed)
        else:
            res = _vjp(op, g, ans, inputs, self.params, needed)
        # each input's cotangent in its shape (an elementwise op's broadcast summed away) and
        # its dtype, as PyTorch's engine
        elementwise = op.elementwise
        if elementwise:
            out_ndim = self.ans.ndim
            nb = present._data.ndim - out_ndim
        for i, r in enumerate(res):
            if r is not None:
                x = inputs[i]._data
                if elementwise and r._data.shape[nb:] != x.shape:
                    r = res[i] = sum_to(r, x.shape, out_ndim - x.ndim)
                if r._data.dtype != x.dtype:
                    res[i] = r.to(inputs[i].dtype)
        return res

    def _complex_vjp(self, g: Any, ans: Any, needed: list[bool]) -> list[Any]:
        """The vjp for complex cotangents in PyTorch's convention, ``conj(J)^T g``; a real
        input gets the real part of its cotangent."""
        op = self.op
        inputs = self.inputs
        if not op.conjugates:
            res = _vjp(op, g, ans, inputs, self.params, needed)
        else:
            g = g.conj() if op.n_out == 1 else tuple(x if x is None else x.conj() for x in g)
            res = [r if r is None else r.conj()
                   for r in _vjp(op, g, ans, inputs, self.params, needed)]
        for i, r in enumerate(res):  # (only inputs that are Tensors get a cotangent)
            if r is not None and r._data.dtype.kind == "c" and inputs[i]._data.dtype.kind != "c":
                res[i] = r.real
        return res


def _vjp(op: Op, g: Any, ans: Any, inputs: tuple, params: tuple, needed: list[bool]) -> list[Any]:
    """The op's vjp rules applied to the cotangent(s) ``g``: one cotangent per input."""
    rules = op.vjp
    if callable(rules):
        return list(rules(g, ans, *inputs, *params))
    return [rule(g, ans, *inputs, *params) if need else None for rule, need in zip(rules, needed)]


def _prepare(op: Op, datas: list[Any]) -> list[Any]:
    """Cast the inputs' arrays to the op's computation dtype (PyTorch's promotion)."""
    target = None
    if op.promote:
        target = _same_integer_dtype(datas) or _dtypes.result_type(*datas)
        if op.to_float and target.kind in "biu":
            target = _dtypes.default_float()
    elif op.to_float:
        for d in datas:
            if isinstance(d, np.ndarray) and d.dtype.kind in "biu":
                target = _dtypes.default_float()
                break
    if target is None:
        return datas
    wraps = target.kind in "iu"  # (a Python int beyond the dtype wraps around, as PyTorch's)
    return [
        d.astype(target) if isinstance(d, np.ndarray) and d.dtype != target
        else _dtypes.wrapped(d, target) if wraps and type(d) is int else d for d in datas
    ]


def _same_integer_dtype(datas: list[Any]) -> np.dtype | None:
    """The one integer dtype of arrays whose other operands are Python ints (PyTorch's
    promotion keeps it), else None: the common case, without the general rules."""
    dtype = None
    for d in datas:
        if type(d) is np.ndarray:
            if dtype is None:
                dtype = d.dtype
            elif d.dtype != dtype:
                return None
        elif type(d) is not int:
            return None
    return dtype if dtype is not None and dtype.kind in "iu" else None


_PLAIN_SCALARS = frozenset({int, float, bool, complex, type(None)})


def _operand(op: Op, value: Any, position: int) -> Any:
    """A constant operand that is not a plain Python scalar: a NumPy scalar as the Python
    scalar it promotes like, PyTorch's TypeError for a list, tuple or string."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple, str)):
        raise TypeError(f"{op.name}(): argument '{'other' if position else 'input'}' "
                        f"(position {position + 1}) must be Tensor, not {type(value).__name__}")
    return value


def apply(op: Op, inputs: Sequence[Any], params: tuple = ()) -> Any:
    """Run ``op`` on ``inputs`` (Tensors or constants) and ``params``; record and push
    tangents as grad mode and forward AD require."""
    datas = []
    requires = dual = False
    first = None  # the dtype of the first array, and whether all arrays share it
    uniform = True
    weak_complex = False  # a Python complex scalar, which would lift a real array
    for t in inputs:
        if isinstance(t, Tensor):
            if t._view is not None and t._view[3] != t._vc[0]:  # current(), inlined
                refresh_view(t)
            d = t._data
            datas.append(d)
            if t._rg or t._view is not None and _follows_its_base(t):
                requires = True
            if t._fw is not None:
                dual = True
            dtype = d.dtype
            if first is None:
                first = dtype
            elif dtype is not first and dtype != first:
                uniform = False
        else:
            if type(t) not in _PLAIN_SCALARS:
                t = _operand(op, t, len(datas))
            datas.append(t)
            if isinstance(t, complex):
                weak_complex = True
    # NumPy's own rules agree with PyTorch's for arrays of one floating dtype and Python
    # int/float scalars; everything else goes through PyTorch's promotion
    if (op.promote or op.to_float) and (
        not uniform or first is None or first.kind not in "fc"
        or weak_complex and first.kind == "f"
    ):
        datas = _prepare(op, datas)
    try:
        out = op.forward(*datas, *params)
    except ValueError:
        error = broadcast_error([d.shape for d in datas if isinstance(d, np.ndarray)]) \
            if op.elementwise else None
        if error is not None:  # operands that do not broadcast: PyTorch's error, not NumPy's
            raise error from None
        raise
    differentiable = op.differentiable
    if op.n_out == 1:
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if out.dtype.kind not in "fc":
            differentiable = False
        result = _make(out, False, None)
    else:
        out = tuple(o if type(o) is np.ndarray else np.asarray(o) for o in out)
        results = tuple(_make(o, False, None) for o in out)
        for i, r in enumerate(results):
            r._output_nr = i
        result = results
    tape = _tape_state.tape
    if tape is not None:
        tape.record(op, inputs, datas, params, result)
    if op.view and (op.view is True or op.view(*params)):
        parent = inputs[0]
        data = parent._data
        # (a reshape may have to copy: no view then, as in PyTorch)
        if out.size == 0 or (out.base if out.base is not None else out) is (
                data.base if data.base is not None else data):
            result._vc = parent._vc
            result._base = parent._base if parent._base is not None else parent
            result._view = (parent, op, params, parent._vc[0], _reshapes[0],
                            not _grad_state.enabled or parent._view is not None
                            and parent._view[5])
    if not differentiable:
        return result
    if requires and _grad_state.enabled:
        _record(op, inputs, params, out, result if op.n_out > 1 else (result,))
    if dual and _fw_state.active:
        _push_tangents(op, inputs, params, result)
    return result


def broadcast_error(shapes: Sequence[tuple[int, ...]]) -> RuntimeError | None:
    """PyTorch's error for operands of ``shapes`` that do not broadcast together (None if
    they do): folded left to right, ``a`` is what the shapes before broadcast to, ``b`` the
    next; dims from the right."""
    if not shapes:
        return None
    so_far = shapes[0]
    for shape in shapes[1:]:
        ndim = max(len(so_far), len(shape))
        a = (1,) * (ndim - len(so_far)) + tuple(so_far)
        b = (1,) * (ndim - len(shape)) + tuple(shape)
        for i in range(ndim - 1, -1, -1):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                return RuntimeError(f"The size of tensor a ({a[i]}) must match the size of "
                                    f"tensor b ({b[i]}) at non-singleton dimension {i}")
        so_far = tuple(y if x == 1 else x for x, y in zip(a, b))
    return None


_next_seq = itertools.count().__next__


def _record(op: Op, inputs: Sequence[Any], params: tuple, out: Any, results: tuple) -> None:
    """Attach a new OpNode as the grad_fn of the (floating) results."""
    node = OpNode.__new__(OpNode)
    node.seq = _next_seq()
    node.op = op
    node.inputs = inputs = tuple(inputs)
    node.reshapes = _reshapes[0]
    node.writes = _writes[0]
    node.params = _kept(params) if op.index_params else params
    node.ans = out
    node.ans_fw = None
    edges = []
    versions = [] if op.saves else None
    for t in inputs:
        if isinstance(t, Tensor):
            fn = t.grad_fn
            edges.append((fn, t._output_nr) if fn is not None else (t, 0) if t._rg else None)
            if versions is not None:
                versions.append(t._vc[0])
        else:
            edges.append(None)
            if versions is not None:
                versions.append(None)
    node.edges = edges
    node.versions = versions
    node.n_out = op.n_out
    node.retained = None
    node.freed = False
    version = results[0]._vc
    node.ans_version = (version, version[0])
    for r in results:
        if r._data.dtype.kind in "fc":
            r._rg = True
            r.grad_fn = node


def adopt(t: Tensor, src: Tensor) -> None:
    """Give ``t`` the history and tangent of ``src`` (which holds ``t``'s value); a tensor
    that retains its grad retains it at its new node."""
    if t._retains_grad and t.grad_fn is not None and src.grad_fn is not None:
        t.grad_fn.forget(t)
        src.grad_fn.retain(t)
    t.grad_fn = src.grad_fn
    t._rg = src._rg
    t._output_nr = src._output_nr
    node = src.grad_fn
    if isinstance(node, OpNode) and node.op.n_out == 1:
        node.ans_version = (t._vc, t._vc[0])
    if src._fw is not None:
        fw.attach_tangent(t, src._fw)


def view_parent(t: Tensor) -> Tensor | None:
    """The tensor view ``t`` was derived from, as it was then (``graph.as_recorded``); None
    if that was a reshaped tensor's old state and the tensor is gone."""
    parent = t._view[0]
    if type(parent) is weakref.ref:  # an old state, a view of the tensor reshaped in place
        parent = parent()
    return as_recorded((parent,), t._view[4])[0]


# PyTorch's errors for a view made in no_grad mode, which stays outside the graph of its
# base: written in place in grad mode, or used in grad mode after its memory was written
NO_GRAD_VIEW_ADVICE = (
    "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify "
    "your code by moving both the view and the inplace either both inside the no_grad block "
    "(if you don't want the inplace to be tracked) or both outside (if you want the inplace "
    "to be tracked).")


def no_grad_view_error(happened: str, node: str | None, output_nr: int = 0) -> RuntimeError:
    """PyTorch's error for a view made in no_grad mode (``node`` None), or output
    ``output_nr`` of ``node``, a view of one, that ``happened``."""
    start = "A view was created in no_grad mode" if node is None else (
        f"Output {output_nr} of {node.replace('Backward0', '').replace('Backward', '')} is a "
        "view of a view which was created in no_grad mode")
    return RuntimeError(f"{start} and {happened} with grad mode enabled. {NO_GRAD_VIEW_ADVICE}")


def refresh_view(t: Tensor) -> None:
    """Derive view ``t``'s history and tangent again from its parent's, after the memory
    they share changed in place (PyTorch regenerates a view's grad_fn the same way). Outside
    grad mode only the tangent is; the history is left for later. ``t._view`` is ``(parent,
    op, params, version, reshapes, made_without_grad)``: the memory's version when the
    history was derived, ``graph.reshapes`` then (a parent reshaped in place since is taken
    as it was), and whether it is (a view of) a view made in no_grad mode, which has no
    history to derive from a base that requires grad (PyTorch's error in grad mode)."""
    if not (_grad_state.enabled or _fw_state.active):
        return
    stale = []  # t and its stale ancestors, refreshed from the base's side without recursion
    v = t
    while v._view is not None and v._view[3] != v._vc[0]:
        if v._view[5] and _grad_state.enabled and v._base._rg:
            raise no_grad_view_error(
                "its base or another view of its base has been modified inplace",
                None if v.grad_fn is None else v.grad_fn.name(), v._output_nr)
        parent = view_parent(v)
        if parent is None:
            break
        stale.append((v, v._view, parent))
        v = parent
    for v, (_, op, params, _, count, made_without_grad), parent in reversed(stale):
        v._view = (v._view[0], op, params, v._vc[0], count, made_without_grad)
        fresh = apply(op, (parent,), params)
        if fresh.grad_fn is None and fresh._fw is None:
            continue  # nothing to derive: the view keeps its own state (a leaf, say)
        if _grad_state.enabled:
            adopt(v, fresh)
        else:
            fw.attach_tangent(v, fresh._fw)
    if not _grad_state.enabled:  # the histories are still to derive, in grad mode
        for v, view, _ in stale:
            v._view = view


def _requires_grad(self: Tensor) -> bool:
    """Its own flag or its history's; for a view outside the graph, its base's."""
    view = self._view
    if view is None:
        return self._rg
    if not view[5]:  # (one made in no_grad mode has no history to derive)
        current((self,))
    return self._rg or _follows_its_base(self)


def _follows_its_base(view: Tensor) -> bool:
    """Whether a view with no history of its own requires grad as its base does (PyTorch's
    rule, which follows the base: ``base.requires_grad_()`` later turns it on)."""
    return view.grad_fn is None and view._base._rg


def current(tensors: Sequence[Any]) -> None:
    """Refresh the views among ``tensors`` whose history is stale (see ``refresh_view``)."""
    for t in tensors:
        if isinstance(t, Tensor) and t._view is not None and t._view[3] != t._vc[0]:
            refresh_view(t)


def _kept(params: tuple) -> tuple:
    """``params`` with read-only copies of their writable arrays: the caller may change an
    index array after the op ran, which must not move the gradient."""
    out = []
    for p in params:
        if type(p) is tuple:
            p = _kept(p)
        elif type(p) is np.ndarray and p.flags.writeable:
            p = p.copy()
            p.flags.writeable = False
        out.append(p)
    return tuple(out)


def _holds_array(params: tuple) -> bool:
    """Whether ``params`` (nested tuples) hold an array: an index tensor's."""
    return any(type(p) is np.ndarray or type(p) is tuple and _holds_array(p) for p in params)


def zero_rule(g: Tensor, *_: Any) -> Tensor:
    """The rule of a function whose derivative is zero: zeros like ``g``, outside the graph
    (PyTorch's ``zeros_like(grad)``: 0 at an infinite or NaN ``g`` too)."""
    return zeros_for((), g._data)


def materialize(grads: tuple, ans: tuple) -> tuple:
    """The cotangents of a multi-output op with zeros in place of None."""
    k, present = next((k, x) for k, x in enumerate(grads) if x is not None)
    batch = present._data.shape[: present._data.ndim - ans[k].ndim]
    return tuple(x if x is not None else zeros_for(batch, a._data) for x, a in zip(grads, ans))


def batch_of(t: Tensor, primal: Any) -> tuple[int, ...]:
    """The leading batch dims of the (co)tangent ``t`` of ``primal``."""
    return t._data.shape[: t._data.ndim - np.ndim(primal._data)]


def _push_tangents(op: Op, inputs: Sequence[Any], params: tuple, result: Any) -> None:
    """Compute the output tangent(s) with the op's jvp rule and attach them."""
    tangents = [t._fw if isinstance(t, Tensor) else None for t in inputs]
    _fw_state.active = False
    try:
        out_t = compute_tangent(op, inputs, params, result, tangents)
    finally:
        _fw_state.active = True
    first = result if op.n_out == 1 else result[0]
    if op.n_out == 1:
        fw.attach_tangent(result, out_t)
    else:
        out_t = tuple(out_t)
        for r, t in zip(result, out_t):
            if t is not None and r._data.dtype.kind in "fc":
                fw.attach_tangent(r, t)
    node = first.grad_fn
    if isinstance(node, OpNode) and node.op is op:  # the saved outputs keep their tangents
        node.ans_fw = out_t


def compute_tangent(
    op: Op, inputs: Sequence[Any], params: tuple, result: Any, tangents: list[Any]
) -> Any:
    """The jvp of one op call: output tangent(s) from the inputs' (None = zero) tangents."""
    if op.elementwise:
        out_shape = result._data.shape
        # a tangent with fewer dims than the output is expanded (its batch dims must stay
        # leading); one that only broadcasts along size-1 dims is left to the rule, whose
        # elementwise result broadcasts the same way (and is expanded below if it did not)
        tangents = [
            t
            if t is None or inputs[i]._data.ndim == len(out_shape)
            else expand_to(t, out_shape, len(out_shape) - inputs[i]._data.ndim)
            for i, t in enumerate(tangents)
        ]
        out_t = _tangent_by_rules(op, inputs, params, result, tangents)
        if out_t is not None and out_t._data.shape[out_t._data.ndim - len(out_shape):] != out_shape:
            out_t = expand_to(out_t, out_shape, 0)
        return out_t
    return _tangent_by_rules(op, inputs, params, result, tangents)


def _tangent_by_rules(
    op: Op, inputs: Sequence[Any], params: tuple, result: Any, tangents: list[Any]
) -> Any:
    rules = op.jvp
    if rules == "linear":
        present = next(i for i, t in enumerate(tangents) if t is not None)
        batch = batch_of(tangents[present], inputs[present])
        filled = [
            t
            if t is not None
            else zeros_for(batch, x._data)
            if isinstance(x, Tensor)
            else None
            if x is None
            else 0
            for t, x in zip(tangents, inputs)
        ]
        return apply(op, filled, params)
    if callable(rules):
        return rules(tangents, result, *inputs, *params)
    out_t = None
    for rule, t in zip(rules, tangents):
        if t is not None:
            part = rule(t, result, *inputs, *params)
            out_t = part if out_t is None else out_t + part
    return out_t


def reduce_to(
    reduce: Callable[..., np.ndarray], g: np.ndarray, shape: tuple[int, ...], lead: int
) -> np.ndarray:
    """``reduce`` (a ufunc's reduce) over batch + (lead dims) + broadcast(shape), keeping
    batch + shape."""
    k = len(shape)
    axes = list(range(g.ndim - k - lead, g.ndim - k))
    trailing = g.shape[g.ndim - k :]
    axes += [g.ndim - k + i for i, s in enumerate(shape) if s == 1 and trailing[i] != 1]
    batch = g.shape[: g.ndim - k - lead]
    return reduce(g, tuple(axes)).reshape(batch + tuple(shape)) if axes else g


def _broadcast_forward(t: np.ndarray, shape: tuple[int, ...], lead: int) -> np.ndarray:
    k = len(shape) - lead
    batch = t.shape[: t.ndim - k]
    if lead:
        t = t.reshape(batch + (1,) * lead + t.shape[t.ndim - k :])
    return broadcast_view(t, batch + tuple(shape))


def _trailing(t: Tensor, n: int) -> tuple[int, ...]:
    shape = t._data.shape
    return shape[len(shape) - n :]


SUM_TO = Op(
    "sum_to_size",
    lambda g, shape, lead: reduce_to(np.add.reduce, g, shape, lead),
    vjp=(lambda g, ans, x, shape, lead: expand_to(g, _trailing(x, len(shape) + lead), lead),),
    jvp="linear",
    saves=False,
    pattern=PatternRule(
        lambda bits, shape, lead: reduce_to(np.bitwise_or.reduce, bits, shape, lead),
        lambda bits, x, shape, lead: _broadcast_forward(bits, x.shape, lead),
    ),
)
BROADCAST_TO = Op(
    "expand",
    _broadcast_forward,
    vjp=(lambda g, ans, x, shape, lead: sum_to(g, _trailing(x, len(shape) - lead), lead),),
    jvp="linear",
    saves=False,
    view=True,
)


def sum_to(t: Tensor, shape: tuple[int, ...], lead: int) -> Tensor:
    """Sum batch + (lead dims) + broadcast(shape) down to batch + shape."""
    return apply(SUM_TO, (t,), (tuple(shape), lead))


def expand_to(t: Tensor, shape: tuple[int, ...], lead: int) -> Tensor:
    """Broadcast batch + s (len(shape) - lead dims) up to batch + shape."""
    return apply(BROADCAST_TO, (t,), (tuple(shape), lead))


def kernel_message(kernel: str) -> str:
    """PyTorch's message for a kernel that has no complex variant (``{type}``: the dtype)."""
    return f'"{kernel}" not implemented for \'{{type}}\''


def no_complex(a: Any, message: str, error: type[Exception] = NotImplementedError) -> None:
    """Raise PyTorch's ``error(message)`` (``{type}`` filled in) if ``a`` is a complex array."""
    if type(a) is np.ndarray and a.dtype.kind == "c":
        raise error(message.format(type=scalar_type_name(a.dtype)))


def refuse_complex_autodiff(name: str, input: Tensor) -> None:
    """PyTorch's error for an op it does not differentiate at complex tensors, called on
    one that requires grad."""
    if input._data.dtype.kind == "c" and input._rg and _grad_state.enabled:
        raise RuntimeError(f"{name} does not support automatic differentiation for outputs "
                           "with complex dtype.")


def no_kernel(dtype: np.dtype, kernel: str, kinds: str = "biuc") -> None:
    """PyTorch's error where its kernel ``kernel`` has no variant for ``dtype``, when that is
    of one of ``kinds`` (bool, integers and complex by default)."""
    if dtype.kind in kinds:
        raise NotImplementedError(kernel_message(kernel).format(type=scalar_type_name(dtype)))


def real_forward(forward: Callable[..., Any], message: str,
                 error: type[Exception] = NotImplementedError, kinds: str = "c"
                 ) -> Callable[..., Any]:
    """``forward`` for an op that PyTorch does not define at complex tensors (or at the
    dtype ``kinds`` given, all with ``message``) once its operands are promoted."""
    def checked(*args: Any) -> Any:
        for a in args:  # (the test inline: comparisons and relu are hot)
            if type(a) is np.ndarray and a.dtype.kind in kinds:
                raise error(message.format(type=scalar_type_name(a.dtype)))
        return forward(*args)

    checked.__name__ = getattr(forward, "__name__", "forward")
    return checked


def install(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Make ``fn`` the Tensor method ``name``."""
    setattr(Tensor, name, fn)
    return fn


install("requires_grad", property(_requires_grad, Tensor.requires_grad.fset,
                                  doc="Whether autograd records the operations on this tensor."))
