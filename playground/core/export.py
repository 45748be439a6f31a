"""Turning Tensor Lab state into PyTorch source: form actions as statements, sessions as scripts.

Everything here returns plain text that `Workspace.run` (or plain `python`) accepts, so the GUI's
buttons and the exported script speak exactly the language the interpreter checks.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable
from typing import Any

import torch

from playground.core.interpreter import Refused, check_name

INITS = ("randn", "rand", "zeros", "ones", "full", "arange", "values")
DTYPE_NAMES = ("float32", "float64", "int64")


def script(log: Iterable[str], names: Iterable[str], names_with_grad: Iterable[str]) -> str:
    """A runnable .py: imports, the log, then prints of every tensor and every leaf's grad."""
    with_grad = set(names_with_grad)
    lines = ["import torch", "", *log, ""]
    for name in names:
        lines.append(f'print("{name} =", {name})')
        if name in with_grad:
            lines.append(f'print("{name}.grad =", {name}.grad)')
    return "\n".join(lines) + "\n"


def printout(tensors: dict[str, torch.Tensor], names_with_grad: Iterable[str]) -> str:
    """Exactly what `script(...)` prints when run, built in-process with the same formatting."""
    with_grad = set(names_with_grad)
    lines = []
    for name, tensor in tensors.items():
        lines.append(f"{name} = {tensor!s}")  # format() of a 0-d tensor drops "tensor("
        if name in with_grad:
            lines.append(f"{name}.grad = {tensor.grad!s}")
    return "".join(line + "\n" for line in lines)


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


def create_source(
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


def backward_source(name: str, gradient: str = "", retain_graph: bool = False) -> str:
    """The Backward button's statement: z.backward(), with a gradient and retain_graph if asked."""
    name = _name(name)
    gradient = gradient.strip()
    args = []
    if gradient == "ones":
        args.append(f"torch.ones_like({name})")
    elif gradient == "randn":
        args.append(f"torch.randn_like({name})")
    elif gradient:
        args.append(f"torch.tensor({_render(_literal(gradient), 'float32')})")
    if retain_graph:
        args.append("retain_graph=True")
    return f"{name}.backward({', '.join(args)})"
