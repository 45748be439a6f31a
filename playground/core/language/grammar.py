"""The Tensor Lab's language: what it contains, and the limits that keep the window responsive.

Shared by the checker (which refuses anything else before it runs) and the executor (which
guards sizes it can only know at run time). Qt-free, and nothing here runs user text.
"""

from __future__ import annotations

import ast
import keyword
import math
import operator
from collections.abc import Callable, Iterable
from typing import Any

import torch

from playground.core.limits import (
    MAX_INT_BITS,
)

ALLOWED = (
    "Allowed: names bound to tensors; numbers and nested lists of numbers; "
    "torch.tensor/randn/rand/zeros/ones/full/arange/linspace and the *_like forms; "
    "+ - * / ** @ // %; indexing with ints and slices; tensor methods such as mean, sum, exp, "
    "reshape, detach, backward, zero_, item; reading .grad .grad_fn .requires_grad .is_leaf "
    ".shape .dtype .data .T; x = ..., x -= ..., x.grad = None, x.requires_grad = True, "
    "`with torch.no_grad():` and torch.manual_seed(n)."
)

DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32,
    "float": torch.float32,
    "float64": torch.float64,
    "double": torch.float64,
    "int64": torch.int64,
    "long": torch.int64,
}
# Methods that allocate nothing worth counting (or that the executor handles itself).
NO_ALLOCATION = frozenset(
    {"item", "numel", "dim", "size", "detach", "zero_", "requires_grad_", "retain_grad",
     "backward", "t", "view"})
SHAPE_FACTORIES = frozenset({"randn", "rand", "zeros", "ones"})
FACTORIES = SHAPE_FACTORIES | {"tensor", "full", "arange", "linspace"}
LIKE_FACTORIES = frozenset({"zeros_like", "ones_like", "randn_like", "rand_like", "full_like"})
RANDOM = frozenset({"randn", "rand", "randn_like", "rand_like"})
MATH = frozenset(
    {
        "mean", "sum", "prod", "pow", "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu",
        "abs", "sqrt", "square", "clamp", "add", "sub", "mul", "div", "matmul", "neg", "max",
        "min", "norm",
    }
)  # fmt: skip
TORCH_FUNCTIONS = MATH | {"t", "reshape", "detach", "clone", "numel"}
TENSOR_METHODS = MATH | {
    "t", "reshape", "view", "detach", "clone", "retain_grad", "requires_grad_", "backward",
    "zero_", "item", "numel", "dim", "size", "float", "double",
}  # fmt: skip
# Results no bigger than their inputs broadcast together and with no more dimensions: the
# interpreter may trust a bound from the shapes for these; anything else runs on meta first.
SHAPE_BOUNDED = MATH | LIKE_FACTORIES | {"t", "detach", "clone", "float", "double"}
TENSOR_ATTRS = frozenset(
    {"grad", "grad_fn", "requires_grad", "is_leaf", "shape", "dtype", "data", "T"}
)
KWARGS = frozenset(
    {"requires_grad", "dtype", "dim", "keepdim", "gradient", "retain_graph", "min", "max"}
)
RESERVED_NAMES = frozenset({"torch", "print"})  # the exported script needs these two

BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.MatMult: operator.matmul,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
INPLACE: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.iadd,
    ast.Sub: operator.isub,
    ast.Mult: operator.imul,
    ast.Div: operator.itruediv,
    ast.Pow: operator.ipow,
    ast.MatMult: operator.imatmul,
    ast.FloorDiv: operator.ifloordiv,
    ast.Mod: operator.imod,
}
UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}

# Friendly names for the constructs people most often try, so the refusal says what they typed.
_PLURAL = frozenset({"comprehensions", "generator expressions", "f-strings", "starred arguments",
                     "conditional expressions", "comparisons", "dicts", "sets"})
# Whole sentences for what learners try most, saying what to do instead.
NODE_ADVICE: dict[type[ast.AST], str] = {
    ast.For: "for loops are not supported: each line runs once. To repeat a step (say a "
             "backward), run the line again.",
    ast.While: "while loops are not supported: each line runs once. To repeat a step, run the "
               "line again.",
    ast.If: "if statements are not supported: each line always runs; type the branch you want.",
    ast.Import: "import is not needed: torch is already there (write torch.ones(3)); other "
                "modules are not available.",
    ast.ImportFrom: "import is not needed: torch is already there (write torch.ones(3)); other "
                    "modules are not available.",
    ast.FunctionDef: "def is not supported: write the computation as statements, one per line.",
    ast.Lambda: "lambda is not supported: write the computation as statements.",
    ast.Compare: "comparisons (==, <, ...) are not supported: print the values to compare them.",
}

NODE_NAMES: dict[type[ast.AST], str] = {
    ast.Import: "import", ast.ImportFrom: "import", ast.FunctionDef: "def",
    ast.AsyncFunctionDef: "def", ast.ClassDef: "class", ast.Lambda: "lambda",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions", ast.JoinedStr: "f-strings",
    ast.NamedExpr: "the walrus operator :=", ast.Starred: "starred arguments",
    ast.Global: "global", ast.Nonlocal: "nonlocal", ast.Delete: "del", ast.For: "loops",
    ast.While: "loops", ast.AsyncFor: "loops", ast.If: "if", ast.IfExp: "conditional expressions",
    ast.Try: "try", ast.Raise: "raise", ast.Assert: "assert", ast.Return: "return",
    ast.Compare: "comparisons", ast.BoolOp: "and/or", ast.Dict: "dicts", ast.Set: "sets",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.Pass: "pass",
    ast.Break: "break", ast.Continue: "continue", ast.AnnAssign: "annotated assignment",
    ast.AsyncWith: "async with", ast.Match: "match",
}  # fmt: skip


class Refused(Exception):
    """The source uses something outside the safe subset (or is too big); say what is allowed."""


def check_name(name: str) -> None:
    """Refuse names the learner may not bind (they would break the exported script or look odd)."""
    if not (name.isascii() and name.isidentifier()) or keyword.iskeyword(name):
        raise Refused(f"'{name}' is not a valid name: use letters, digits and _, e.g. x or w1.")
    if name.startswith("_"):
        raise Refused(f"Names starting with _ are reserved; pick another name than '{name}'.")
    if name in RESERVED_NAMES:
        raise Refused(f"'{name}' is reserved; pick another name.")


# ---------------------------------------------------------------------------------------------
# Bounded arithmetic and size estimates: the checker applies them to literals, the executor to
# the tensors it meets.


def number_op(op: ast.operator, a: Any, b: Any) -> Any:
    """Python arithmetic on numbers, refusing ints so large they would freeze the window."""
    if isinstance(a, int) and isinstance(b, int):
        if isinstance(op, ast.Pow) and b > 0 and abs(a) > 1 and b * a.bit_length() > MAX_INT_BITS:
            raise Refused(f"{a} ** {b} would be an enormous integer; it is not computed.")
        if isinstance(op, ast.Mult) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
            raise Refused("That multiplication would be an enormous integer; it is not computed.")
    if isinstance(op, ast.MatMult):
        raise Refused("@ multiplies tensors, not plain numbers.")
    result = BINOPS[type(op)](a, b)
    if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
        raise Refused("That integer is enormous; it is not kept.")
    return result


def _product(values: Iterable[Any]) -> int | None:
    total = 1
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int):
            return None  # not a shape: let torch report its own error
        total *= max(value, 0)
    return total


def factory_numel(name: str, args: list[Any]) -> float | None:
    """How many elements a factory call would allocate, or None if it cannot be told cheaply."""
    if name in SHAPE_FACTORIES or name == "full":
        shape: Any = args[:1] if name == "full" else args
        if len(shape) == 1 and isinstance(shape[0], (list, tuple, torch.Size)):
            shape = list(shape[0])
        elif name == "full" and shape and isinstance(shape[0], int):
            shape = [shape[0]]
        return _product(shape)
    if name == "arange" and args and all(is_number(a) for a in args[:3]):
        start, end, step = (0, args[0], 1) if len(args) == 1 else (args[0], args[1], 1)
        if len(args) >= 3:
            step = args[2]
        if step == 0:
            return None
        count = (end - start) / step
        return math.inf if not math.isfinite(count) else max(math.ceil(count), 0)
    if name == "linspace" and len(args) >= 3 and is_number(args[2]):
        return args[2]
    return None


def is_number(value: Any) -> bool:
    """A Python int or float, but not a bool (True is an int to Python, not to a learner)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def guard(numel: float | None, what: str, max_elements: int) -> None:
    """Refuse before allocating when `numel` elements would exceed the size limit."""
    if numel is not None and numel > max_elements:
        shown = "an unbounded number of" if math.isinf(numel) else f"{int(numel):,}"
        raise Refused(
            f"{what} would make {shown} elements; the limit is {max_elements:,} "
            "(it keeps the window responsive)."
        )


def broadcast_shape(shapes: Iterable[Iterable[int]]) -> tuple[int, ...] | None:
    """torch's broadcasting rule in plain Python (torch.broadcast_shapes is a slow Python
    reference); None when the shapes do not broadcast."""
    shapes = [tuple(s) for s in shapes]
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(1, ndim + 1):
        sizes = {s[-i] for s in shapes if len(s) >= i} - {1}
        if len(sizes) > 1:
            return None
        out.append(sizes.pop() if sizes else 1)
    return tuple(reversed(out))


def broadcast_numel(tensors: list[torch.Tensor]) -> int | None:
    """Elements of the broadcast result, or None when torch will refuse the shapes itself."""
    shape = broadcast_shape(t.shape for t in tensors)
    return None if shape is None else math.prod(shape)


def matmul_cost(a: torch.Tensor, b: torch.Tensor) -> tuple[int, int] | None:
    """(result elements, multiply-adds) of a @ b, or None when torch will refuse the shapes."""
    if a.dim() == 0 or b.dim() == 0:
        return None
    a_shape = (1, *a.shape) if a.dim() == 1 else tuple(a.shape)
    b_shape = (*b.shape, 1) if b.dim() == 1 else tuple(b.shape)
    batch = broadcast_shape([a_shape[:-2], b_shape[:-2]])
    if batch is None:
        return None
    rows, inner, cols = a_shape[-2], a_shape[-1], b_shape[-1]
    elements = math.prod(batch) * rows * cols
    return elements, elements * inner


def refuse_node(node: ast.AST) -> Refused:
    """The refusal for a construct outside the subset, named the way the learner wrote it."""
    advice = NODE_ADVICE.get(type(node))
    if advice is not None:
        return Refused(advice)
    what = NODE_NAMES.get(type(node)) or type(node).__name__
    verb = "are" if what in _PLURAL else "is"
    return Refused(f"{what} {verb} not part of the playground's PyTorch subset.")


# Modules learners reach for; the refusal says what the playground offers instead.
MODULE_ADVICE: dict[str, str] = {
    "optim": "torch.optim (optimisers such as SGD) is not part of the Tensor Lab's subset: "
             "update by hand, e.g. `with torch.no_grad(): w -= 0.1 * w.grad`, or use the "
             "Training Lab, which runs the optimisers.",
    "nn": "nn modules (nn.Linear, nn.MSELoss, ...) are not supported here: write the model and "
          "the loss as tensor arithmetic, e.g. loss = ((y_pred - y) ** 2).mean().",
    "functional": "torch.nn.functional is not supported here: write the loss as tensor "
                  "arithmetic, e.g. loss = ((y_pred - y) ** 2).mean().",
    "autograd": "torch.autograd is not called directly here: use z.backward() and read x.grad.",
}
MODULE_ALIASES = {"nn": "nn", "optim": "optim", "F": "functional", "functional": "functional",
                  "autograd": "autograd"}


def module_advice(node: ast.expr) -> str | None:
    """Advice when `node` (the owner of a call or attribute) is torch.optim, nn, F and the like."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    parts.reverse()  # e.g. ["torch", "nn", "functional"]
    names = parts[1:] if parts[0] == "torch" else parts
    for name in reversed(names):
        if name in MODULE_ALIASES:
            return MODULE_ADVICE[MODULE_ALIASES[name]]
    return None


def fold(node: ast.AST) -> Any:
    """The value of a pure-literal expression (numbers, lists), or None if it needs names."""
    if isinstance(node, ast.Constant) and is_number(node.value):
        return node.value
    if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        value = fold(node.operand)
        return None if value is None else UNARY[type(node.op)](value)
    if isinstance(node, ast.BinOp) and type(node.op) in BINOPS:
        left, right = fold(node.left), fold(node.right)
        if left is None or right is None or isinstance(left, list) or isinstance(right, list):
            return None
        try:
            return number_op(node.op, left, right)
        except (ArithmeticError, ValueError):
            return None  # let the run report it the way Python would
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [fold(item) for item in node.elts]
        return None if any(item is None for item in items) else items
    return None


def is_torch(node: ast.AST) -> bool:
    """The name `torch` (the only module a line may use)."""
    return isinstance(node, ast.Name) and node.id == "torch"


def is_print(node: ast.expr) -> bool:
    """A call of print(...)."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "print")


def shape_bound(values: list[Any], op: ast.operator | None = None) -> tuple[float, int] | None:
    """An upper bound on (elements, dimensions) of an elementwise op, reduction or matrix
    product of the tensors among `values`; None when the shapes do not combine."""
    tensors = [v for v in values if isinstance(v, torch.Tensor)]
    if not tensors:
        return None
    dims = max(t.dim() for t in tensors)
    if isinstance(op, ast.MatMult) and len(tensors) == 2:
        cost = matmul_cost(*tensors)
        return None if cost is None else (cost[0], dims)
    numel = broadcast_numel(tensors)
    return None if numel is None else (numel, dims)


def shape_args(args: list[Any]) -> list[Any]:
    """The sizes given to reshape/view, whether spread out or as one list, tuple or Size."""
    if len(args) == 1 and isinstance(args[0], (list, tuple, torch.Size)):
        return list(args[0])
    return list(args)


def size_argument(name: str, value: Any) -> Any:
    """A size, range end or fill value given as a 0-d tensor counts as the number it holds."""
    if not isinstance(value, torch.Tensor):
        return value
    if value.dim() == 0:
        return value.item()
    raise Refused(f"torch.{name} takes sizes and ranges as numbers, not as a tensor of shape "
                  f"{tuple(value.shape)}; write the numbers, or use x.shape.")


def factory_shape(name: str, args: list[Any]) -> list[Any] | None:
    """The shape a shape factory (randn, zeros, full...) was given, or None for other calls."""
    if name not in SHAPE_FACTORIES and name != "full":
        return None
    shape: Any = args[:1] if name == "full" else args
    if len(shape) == 1 and isinstance(shape[0], (list, tuple, torch.Size)):
        return list(shape[0])
    return list(shape)
