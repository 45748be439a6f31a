"""Every statement a click produces, as pure functions from the form's text to PyTorch source.

The Tensor Lab's buttons call these and send the result through `Workspace.run`, the same pipe a
typed line takes, so a click is always a line the learner could type (and see in the log).
ValueError names the field that is wrong; the interpreter still checks everything returned.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from string import ascii_lowercase
from typing import Any

from playground.core.language.interpreter import Refused, check_name

INITS = ("randn", "rand", "zeros", "ones", "full", "arange", "values")
DTYPE_NAMES = ("float32", "float64", "int64")

# The notebook's first cell: the window opens on a grad_fn chain worth clicking.
DEFAULT_SESSION = (
    "x = torch.randn(3, 2, requires_grad=True)",
    "y = x + 10",
    "z = y * y * y",
    "w = z.mean()",
)


def _name(name: str) -> str:
    name = name.strip()
    try:
        check_name(name)
    except Refused as exc:
        raise ValueError(str(exc)) from None
    return name


def parse_shape(shape_text: str) -> tuple[int, ...]:
    """Read `2, 4`, `2x4`, `(2, 4)`, `[2,4]`, `3` or empty (a scalar) into a shape tuple."""
    text = shape_text.strip()
    if text[:1] in "([" and text[-1:] in ")]":
        text = text[1:-1]
    parts = [p.strip() for p in re.split(r"[,xX×*]", text)]
    if parts and parts[-1] == "":
        parts.pop()  # allow a trailing comma, as in (3,)
    if parts == [] or parts == [""]:
        return ()
    shape = []
    for part in parts:
        if not part.isdigit():
            raise ValueError(f"Shape '{shape_text}': sizes must be whole numbers (0 or more), e.g. 2, 4.")
        shape.append(int(part))
    return tuple(shape)


def _literal(text: str) -> Any:
    """A number or nested list of numbers written by the learner (validated, never executed)."""
    if not text.strip():
        raise ValueError("Type the values: one number, or a list such as [1.0, 2.0].")
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise ValueError(f"'{text}' is not a number or a list of numbers.") from None
    _check_literal(value, text)
    return value


def _check_literal(value: Any, text: str) -> None:
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError(f"'{text}' has an empty list; give at least one number.")
        for item in value:
            _check_literal(item, text)
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"'{text}' must hold only numbers, e.g. [1.0, 2.0].")
    elif not math.isfinite(value):
        raise ValueError(f"'{text}' holds a number too large to write down.")


def _literal_shape(value: Any) -> tuple[int, ...]:
    if not isinstance(value, (list, tuple)):
        return ()
    shapes = {_literal_shape(item) for item in value}
    if len(shapes) != 1:
        raise ValueError("Every row must have the same length, e.g. [[1, 2], [3, 4]].")
    return (len(value), *shapes.pop())


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _flatten(item)]
    return [value]


def _nest(flat: list[Any], shape: tuple[int, ...]) -> Any:
    if not shape:
        return flat[0]
    step = len(flat) // shape[0] if shape[0] else 0
    return [_nest(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def _number(value: float | int, dtype: str) -> str:
    if dtype == "int64":
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{value} is not a whole number, but the dtype is int64.")
        return repr(int(value))
    return repr(float(value))


def _render(value: Any, dtype: str) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_render(item, dtype) for item in value) + "]"
    return _number(value, dtype)


def _args(shape: tuple[int, ...]) -> str:
    return ", ".join(map(str, shape)) if shape else "()"


def _shape_tuple(shape: tuple[int, ...]) -> str:
    return repr(shape)  # (2, 4), (3,) or ()


def create(
    name: str,
    shape_text: str,
    init: str,
    values_text: str,
    dtype: str,
    requires_grad: bool,
) -> str:
    """The statement the "create a leaf" form emits; ValueError says what is wrong with a field."""
    name = _name(name)
    if init not in INITS:
        raise ValueError(f"Unknown initialiser '{init}'; choose one of {', '.join(INITS)}.")
    if dtype not in DTYPE_NAMES:
        raise ValueError(f"Unknown dtype '{dtype}'; choose one of {', '.join(DTYPE_NAMES)}.")
    if init in ("randn", "rand") and dtype == "int64":
        raise ValueError(f"{init} makes fractional numbers: choose float32 or float64.")
    shape = parse_shape(shape_text) if init != "values" or shape_text.strip() else None
    extras = [] if dtype == "float32" else [f"dtype=torch.{dtype}"]
    grad = ["requires_grad=True"] if requires_grad else []
    if init == "values":
        value = _literal(values_text)
        literal_shape = _literal_shape(value)
        if shape is not None and shape != literal_shape:
            flat = _flatten(value)
            if math.prod(shape) != len(flat):
                raise ValueError(
                    f"The values hold {len(flat)} numbers but shape {shape_text.strip()} needs "
                    f"{math.prod(shape)}; fix one or clear the shape."
                )
            value = _nest(flat, shape)
        call = f"torch.tensor({_render(value, dtype)}, {', '.join(extras + grad)})"
        return f"{name} = {call.replace(', )', ')')}"
    shape = shape or ()
    if init == "full":
        fill = _literal(values_text)
        if isinstance(fill, (list, tuple)):
            raise ValueError("full needs one fill value, e.g. 3.0.")
        args = ", ".join([_shape_tuple(shape), _number(fill, dtype), *extras, *grad])
        return f"{name} = torch.full({args})"
    if init == "arange":
        count = math.prod(shape)
        start = str(count) if dtype == "int64" else f"{count}.0"
        call = f"torch.arange({', '.join([start, *extras])})"
        if len(shape) != 1:
            call += f".reshape({_args(shape)})"
        # reshape is an op: requires_grad_() afterwards keeps x a leaf
        return f"{name} = {call}" + (".requires_grad_()" if requires_grad else "")
    args = ", ".join([_args(shape), *extras, *grad])
    return f"{name} = torch.{init}({args})"


def backward(
    name: str, gradient: str = "", retain_graph: bool = False, names: Iterable[str] = ()
) -> str:
    """The Backward button: `z.backward()`, with a gradient and retain_graph if asked.

    `gradient` is empty, `ones`, `randn`, literal values, or the name of a tensor in `names`
    (the notebook's `z.backward(w)`).
    """
    name = _name(name)
    gradient = gradient.strip()
    args = []
    if gradient == "ones":
        args.append(f"torch.ones_like({name})")
    elif gradient == "randn":
        args.append(f"torch.randn_like({name})")
    elif gradient.isidentifier():
        if gradient not in set(names):
            raise ValueError(
                f"There is no tensor named '{gradient}': type the name of one in the list, "
                "ones, randn, or values such as [1.0, 0.5]."
            )
        args.append(gradient)
    elif gradient:
        args.append(f"torch.tensor({_render(_literal(gradient), 'float32')})")
    if retain_graph:
        args.append("retain_graph=True")
    return f"{name}.backward({', '.join(args)})"


def zero_grads(leaves: Sequence[str]) -> str | None:
    """Zero grads: `.grad.zero_()` on every leaf holding a grad, one log entry (None: nothing to do)."""
    return "; ".join(f"{_name(n)}.grad.zero_()" for n in leaves) or None


def grads_to_none(leaves: Sequence[str]) -> str | None:
    """Grads to None: what `optimizer.zero_grad()` does by default (None: nothing to do)."""
    return "; ".join(f"{_name(n)}.grad = None" for n in leaves) or None


def set_requires_grad(name: str, flag: bool) -> str:
    """The inspector's requires_grad box: `x.requires_grad_(True)`; torch allows it on leaves."""
    return f"{_name(name)}.requires_grad_({flag})"


@dataclass(frozen=True)
class QuickOp:
    """One "On current" button: its objectName, label, statement template and tooltip."""

    key: str
    label: str
    template: str  # {new}, {cur} and {arg} are filled in
    tooltip: str


QUICK_OPS = (
    QuickOp("addButton", "+ c", "{new} = {cur} + {arg}",
            "Add c to every element; records AddBackward0."),
    QuickOp("mulButton", "* c", "{new} = {cur} * {arg}", "Multiply by c; records MulBackward0."),
    QuickOp("powButton", "** n", "{new} = {cur} ** {arg}",
            "Raise to the power n; records PowBackward0."),
    QuickOp("meanButton", "mean", "{new} = {cur}.mean()", "Average all elements into a scalar."),
    QuickOp("sumButton", "sum", "{new} = {cur}.sum()", "Add all elements into a scalar."),
    QuickOp("detachButton", "detach", "{new} = {cur}.detach()",
            "Same values, cut off from the graph."),
)
_OPS = {op.key: op for op in QUICK_OPS}
DEFAULT_OP_ARG = "2"


def quick_op(key: str, current: str, taken: Iterable[str], arg: str = "") -> str:
    """The statement of quick op `key` on `current`, bound to a fresh name after it (x -> y)."""
    op = _OPS[key]
    new = next_result_name(taken, current)
    return op.template.format(new=new, cur=_name(current), arg=arg.strip() or DEFAULT_OP_ARG)


# The quick-op row's own symbols ("+ c", "** n", "c, n = 2"): a tensor auto-named c or n would
# read as the constant there ("On c: c, n = 2"), so suggested names skip them.
OP_SYMBOLS = frozenset({"c", "n"})
_AUTO_LETTERS = tuple(letter for letter in ascii_lowercase if letter not in OP_SYMBOLS)


def next_leaf_name(taken: Iterable[str]) -> str:
    """The first free name among a, b, d, ... (never the quick ops' c or n), then t1, t2, ..."""
    used = set(taken)
    for letter in _AUTO_LETTERS:
        if letter not in used:
            return letter
    return _numbered("t", used)


def next_result_name(taken: Iterable[str], after: str | None) -> str:
    """A free name for a result computed from `after`: the letters after it (x -> y, z, a),
    never the quick ops' c or n."""
    used = set(taken) | OP_SYMBOLS
    start = ascii_lowercase.index(after) + 1 if after in set(ascii_lowercase) else 0
    for offset in range(len(ascii_lowercase)):
        letter = ascii_lowercase[(start + offset) % len(ascii_lowercase)]
        if letter not in used:
            return letter
    return _numbered("t", used)


def _numbered(prefix: str, used: set[str]) -> str:
    n = 1
    while f"{prefix}{n}" in used:
        n += 1
    return f"{prefix}{n}"
