"""A safe interpreter for the small subset of PyTorch's Python syntax the Tensor Lab speaks.

Source is parsed with `ast`, checked against a whitelist before anything runs (`check`), then
executed by walking the tree (`execute`). Nothing here calls eval/exec or imports anything the
source names, so a typed line can only do what the whitelist allows (DESIGN.md section 1).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import torch

from playground.core.subset import (
    ALLOWED,
    BINOPS,
    DTYPES,
    FACTORIES,
    INPLACE,
    KWARGS,
    LIKE_FACTORIES,
    MATMUL_WORK_FACTOR,
    MAX_DEPTH,
    MAX_SOURCE_CHARS,
    RANDOM,
    TENSOR_ATTRS,
    TENSOR_METHODS,
    TORCH_FUNCTIONS,
    UNARY,
    Refused,
    broadcast_numel,
    check_name,
    factory_numel,
    fold,
    guard,
    is_number,
    matmul_cost,
    number_op,
    refuse_node,
)

__all__ = ["ALLOWED", "MAX_SOURCE_CHARS", "Env", "Outcome", "Refused", "check", "check_name",
           "execute", "parse"]

@dataclass
class Env:
    """What statements read and change: the named tensors and the workspace's own RNG."""

    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    generator: torch.Generator = field(default_factory=torch.Generator)
    max_elements: int = 10_000_000


@dataclass
class Outcome:
    """What executing one checked source did."""

    assigned: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)


def parse(source: str, *, no_grad: bool = False) -> tuple[ast.Module, str]:
    """Parse `source` (wrapped in `with torch.no_grad():` if asked) and return it normalised."""
    if len(source) > MAX_SOURCE_CHARS:
        raise Refused(
            f"The input is {len(source):,} characters; the limit is {MAX_SOURCE_CHARS:,}."
        )
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as exc:
        raise Refused(f"SyntaxError: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise Refused("The input could not be read as Python (too complex or invalid).") from None
    if not tree.body:
        raise Refused("There is no statement to run.")
    _check_depth(tree)
    if no_grad:
        no_grad_call = ast.Call(
            func=ast.Attribute(value=ast.Name("torch", ast.Load()), attr="no_grad", ctx=ast.Load()),
            args=[],
            keywords=[],
        )
        wrapped = ast.With(items=[ast.withitem(context_expr=no_grad_call)], body=tree.body)
        tree = ast.Module(body=[wrapped], type_ignores=[])
        ast.fix_missing_locations(tree)
    return tree, ast.unparse(tree)


def _check_depth(tree: ast.AST) -> None:
    # Iterative so a deeply nested input cannot blow the Python stack while we measure it.
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Refused(f"The expression is nested more than {MAX_DEPTH} levels deep.")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def check(tree: ast.Module, known: Iterable[str], max_elements: int) -> None:
    """Raise Refused unless every statement is in the safe subset; runs nothing."""
    _Checker(set(known), max_elements).statements(tree.body)


# ---------------------------------------------------------------------------------------------
# The checker: a whitelist over the syntax tree, before anything runs.


def _is_torch(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "torch"


def _is_print(node: ast.expr) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "print")


class _Checker:
    """Walks statements in order, tracking which names are bound so far."""

    def __init__(self, known: set[str], max_elements: int) -> None:
        self.known = known
        self.max_elements = max_elements

    def statements(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.statement(stmt)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Expr) and _is_print(node.value):
            self.print_call(node.value)
        elif isinstance(node, ast.Expr):
            self.expr(node.value)
        elif isinstance(node, ast.Assign):
            self.assign(node)
        elif isinstance(node, ast.AugAssign):
            self.aug_assign(node)
        elif isinstance(node, ast.With):
            self.with_no_grad(node)
        else:
            raise refuse_node(node)

    def assign(self, node: ast.Assign) -> None:
        if len(node.targets) != 1:
            raise Refused("Assign one target at a time (a = b = ... is not supported).")
        target = node.targets[0]
        if isinstance(target, ast.Name):
            check_name(target.id)
            if isinstance(node.value, (ast.Constant, ast.List, ast.Tuple)):
                raise Refused(
                    f"Only tensors can be named; to make one, write "
                    f"{target.id} = torch.tensor({ast.unparse(node.value)})."
                )
            self.expr(node.value)
            self.known.add(target.id)
        elif isinstance(target, ast.Attribute) and target.attr in ("grad", "requires_grad"):
            self.expr(target.value)
            self.expr(node.value)
        elif isinstance(target, ast.Attribute):
            raise Refused(f"Only .grad and .requires_grad can be assigned, not .{target.attr}.")
        elif isinstance(target, ast.Subscript):
            raise Refused("Assigning into elements (x[0] = ...) is not supported.")
        else:
            raise Refused("Assign to a single name, e.g. y = x + 2 (no unpacking).")

    def aug_assign(self, node: ast.AugAssign) -> None:
        if type(node.op) not in INPLACE:
            raise Refused(f"That operator is not supported in augmented assignment. {ALLOWED}")
        target = node.target
        if isinstance(target, ast.Name):
            if target.id not in self.known:
                raise Refused(f"Unknown name '{target.id}': bind it first, e.g. {target.id} = ...")
        elif isinstance(target, ast.Attribute) and target.attr in ("data", "grad"):
            self.expr(target.value)
        else:
            raise Refused("Augmented assignment works on a name, x.data or x.grad.")
        self.expr(node.value)

    def with_no_grad(self, node: ast.With) -> None:
        item = node.items[0] if len(node.items) == 1 else None
        call = item.context_expr if item is not None else None
        if (
            item is None
            or item.optional_vars is not None
            or not isinstance(call, ast.Call)
            or not (isinstance(call.func, ast.Attribute) and _is_torch(call.func.value))
            or call.func.attr != "no_grad"
            or call.args
            or call.keywords
        ):
            raise Refused("The only with-block allowed is `with torch.no_grad():`.")
        self.statements(node.body)

    def expr(self, node: ast.expr) -> None:
        if isinstance(node, ast.Constant):
            if (
                node.value is not None
                and not is_number(node.value)
                and not isinstance(node.value, bool)
            ):
                kind = "strings" if isinstance(node.value, (str, bytes)) else repr(node.value)
                raise Refused(f"{kind} are not part of the playground's PyTorch subset.")
        elif isinstance(node, ast.Name):
            if _is_torch(node):
                raise Refused("Use torch through its functions, e.g. torch.ones(3).")
            if node.id not in self.known:
                bound = ", ".join(sorted(self.known)) or "none yet"
                raise Refused(f"Unknown name '{node.id}' (names bound so far: {bound}).")
        elif isinstance(node, ast.Attribute):
            self.attribute(node)
        elif isinstance(node, ast.Call):
            self.call(node)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in BINOPS:
                raise Refused(f"That operator is not supported. {ALLOWED}")
            self.expr(node.left)
            self.expr(node.right)
            fold(node)  # refuses 10 ** 10 ** 10 now, before anything runs
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in UNARY:
                raise Refused("Only unary minus and plus are supported.")
            self.expr(node.operand)
        elif isinstance(node, (ast.List, ast.Tuple)):
            for item in node.elts:
                self.expr(item)
        elif isinstance(node, ast.Subscript):
            self.expr(node.value)
            self.index(node.slice)
        else:
            raise refuse_node(node)

    def index(self, node: ast.expr) -> None:
        if isinstance(node, ast.Slice):
            for part in (node.lower, node.upper, node.step):
                if part is not None:
                    self.expr(part)
        elif isinstance(node, ast.Tuple):
            for item in node.elts:
                self.index(item)
        else:
            self.expr(node)

    def attribute(self, node: ast.Attribute) -> None:
        if node.attr.startswith("_"):
            raise Refused(f"Attributes starting with _ (such as {node.attr}) are not allowed.")
        if _is_torch(node.value):
            if node.attr not in DTYPES:
                raise Refused(f"torch.{node.attr} is not available here. {ALLOWED}")
            return
        if node.attr not in TENSOR_ATTRS:
            allowed = " ".join(sorted(TENSOR_ATTRS))
            raise Refused(f".{node.attr} cannot be read here; readable attributes: {allowed}.")
        self.expr(node.value)

    def print_call(self, node: ast.Call) -> None:
        # The notebook prints everything; print(...) as a statement shows its text as output.
        if node.keywords:
            raise Refused("print(...) takes only the values to show, e.g. print(x, x.grad).")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise refuse_node(arg)
            self.expr(arg)

    def call(self, node: ast.Call) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute):
            name = func.id if isinstance(func, ast.Name) else ast.unparse(func)
            raise Refused(f"{name}(...) is not available: call torch functions or tensor methods.")
        if func.attr.startswith("_"):
            raise Refused(f"Attributes starting with _ (such as {func.attr}) are not allowed.")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise refuse_node(arg)
            self.expr(arg)
        for kw in node.keywords:
            if kw.arg is None:
                raise Refused("**keyword unpacking is not supported.")
            if kw.arg == "out":
                raise Refused("out= is not supported: assign the result to a name instead.")
            if kw.arg not in KWARGS:
                raise Refused(
                    f"The keyword {kw.arg}= is not supported; allowed: " + ", ".join(sorted(KWARGS))
                )
            self.expr(kw.value)
        if _is_torch(func.value):
            self.torch_call(func.attr, node)
        elif func.attr in TENSOR_METHODS:
            self.expr(func.value)
        else:
            allowed = " ".join(sorted(TENSOR_METHODS))
            raise Refused(f".{func.attr}() is not available; tensor methods: {allowed}.")

    def torch_call(self, name: str, node: ast.Call) -> None:
        if name == "no_grad":
            raise Refused("torch.no_grad() is only used as `with torch.no_grad():`.")
        if name == "manual_seed":
            if len(node.args) != 1 or node.keywords:
                raise Refused("torch.manual_seed takes one integer, e.g. torch.manual_seed(0).")
            return
        if name not in FACTORIES | LIKE_FACTORIES | TORCH_FUNCTIONS:
            raise Refused(f"torch.{name} is not available here. {ALLOWED}")
        if name in FACTORIES:
            args = [fold(arg) for arg in node.args]
            if all(arg is not None for arg in args):
                guard(factory_numel(name, args), f"torch.{name}", self.max_elements)


# ---------------------------------------------------------------------------------------------
# The executor: walks a checked tree against an Env.


def execute(tree: ast.Module, env: Env) -> Outcome:
    """Run a checked tree; may raise Refused (runtime size/type guard) or torch's own errors."""
    executor = _Executor(env)
    with torch.enable_grad():  # grad mode is thread-local; start from the normal mode
        executor.statements(tree.body)
    return executor.outcome


class _Executor:
    def __init__(self, env: Env) -> None:
        self.env = env
        self.outcome = Outcome()

    def statements(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.statement(stmt)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Expr) and _is_print(node.value):
            values = [self.evaluate(arg) for arg in node.value.args]
            self.outcome.outputs.append(" ".join(str(value) for value in values))
        elif isinstance(node, ast.Expr):
            value = self.evaluate(node.value)
            if value is not None:
                self.outcome.outputs.append(repr(value))
        elif isinstance(node, ast.Assign):
            self.assign(node.targets[0], node.value)
        elif isinstance(node, ast.AugAssign):
            self.aug_assign(node)
        elif isinstance(node, ast.With):
            with torch.no_grad():
                self.statements(node.body)
        else:  # the checker lets nothing else through
            raise refuse_node(node)

    def bind(self, name: str, value: Any) -> None:
        if not isinstance(value, torch.Tensor):
            raise Refused(
                f"{name} would be a {type(value).__name__}; only tensors can be named "
                "(wrap numbers in torch.tensor(...))."
            )
        self.env.tensors[name] = value
        self.outcome.assigned.append(name)

    def assign(self, target: ast.expr, value_node: ast.expr) -> None:
        value = self.evaluate(value_node)
        if isinstance(target, ast.Name):
            self.bind(target.id, value)
            return
        if not isinstance(target, ast.Attribute):  # the checker allows nothing else
            raise refuse_node(target)
        owner = self.tensor(self.evaluate(target.value), f".{target.attr} =")
        if target.attr == "grad" and not (value is None or isinstance(value, torch.Tensor)):
            raise Refused(".grad can be set to None or to a tensor.")
        if target.attr == "requires_grad" and not isinstance(value, bool):
            raise Refused(".requires_grad can be set to True or False.")
        setattr(owner, target.attr, value)

    def aug_assign(self, node: ast.AugAssign) -> None:
        value = self.evaluate(node.value)
        inplace = INPLACE[type(node.op)]
        target = node.target
        if isinstance(target, ast.Name):
            current = self.env.tensors[target.id]
            self.guard_operands([current, value], node.op)
            self.bind(target.id, inplace(current, value))
            return
        if not isinstance(target, ast.Attribute):  # the checker allows nothing else
            raise refuse_node(target)
        owner = self.tensor(self.evaluate(target.value), f".{target.attr}")
        current = getattr(owner, target.attr)
        self.tensor(current, f"Updating .{target.attr}")
        self.guard_operands([current, value], node.op)
        setattr(owner, target.attr, inplace(current, value))  # what Python does for x.a += v

    # -- expressions --

    def evaluate(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.env.tensors[node.id]
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.literal_item(self.evaluate(item)) for item in node.elts]
        if isinstance(node, ast.Attribute):
            if _is_torch(node.value):
                return DTYPES[node.attr]
            owner = self.tensor(self.evaluate(node.value), f".{node.attr}")
            return getattr(owner, node.attr)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.BinOp):
            return self.binop(node.op, self.evaluate(node.left), self.evaluate(node.right))
        if isinstance(node, ast.UnaryOp):
            operand = self.evaluate(node.operand)
            self.operand(operand)
            return UNARY[type(node.op)](operand)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        raise refuse_node(node)

    def literal_item(self, value: Any) -> Any:
        if is_number(value) or isinstance(value, (bool, list)):
            return value
        raise Refused("Lists may hold only numbers and lists, e.g. [[1.0, 2.0], [3.0, 4.0]].")

    def tensor(self, value: Any, what: str) -> torch.Tensor:
        if isinstance(value, torch.Tensor):
            return value
        if value is None:
            raise Refused(f"{what} needs a tensor but got None (is .grad still None?).")
        raise Refused(f"{what} works on tensors, not on a {type(value).__name__}.")

    def operand(self, value: Any) -> None:
        if not (isinstance(value, (torch.Tensor, int, float))):
            raise Refused(
                f"Arithmetic works on tensors and numbers, not on {type(value).__name__}."
            )

    def guard_operands(self, values: list[Any], op: ast.operator | None = None) -> None:
        tensors = [v for v in values if isinstance(v, torch.Tensor)]
        if isinstance(op, ast.MatMult) and len(tensors) == 2:
            cost = matmul_cost(*tensors)
            if cost is not None:
                guard(cost[0], "That matrix product", self.env.max_elements)
                work = cost[1] / MATMUL_WORK_FACTOR
                guard(work, "That matrix product's work (divided by 100)", self.env.max_elements)
        elif len(tensors) > 1:
            guard(broadcast_numel(tensors), "Broadcasting these shapes", self.env.max_elements)

    def binop(self, op: ast.operator, left: Any, right: Any) -> Any:
        self.operand(left)
        self.operand(right)
        if not isinstance(left, torch.Tensor) and not isinstance(right, torch.Tensor):
            return number_op(op, left, right)
        self.guard_operands([left, right], op)
        return BINOPS[type(op)](left, right)

    def subscript(self, node: ast.Subscript) -> Any:
        owner = self.evaluate(node.value)
        if not isinstance(owner, (torch.Tensor, torch.Size)):
            raise Refused(f"Indexing works on tensors and shapes, not on {type(owner).__name__}.")
        return owner[self.index(node.slice)]

    def index(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Slice):
            parts = [
                None if p is None else self.index_int(p)
                for p in (node.lower, node.upper, node.step)
            ]
            return slice(*parts)
        if isinstance(node, ast.Tuple):
            return tuple(self.index(item) for item in node.elts)
        return self.index_int(node)

    def index_int(self, node: ast.expr) -> int:
        value = self.evaluate(node)
        if isinstance(value, bool) or not isinstance(value, int):
            raise Refused("Index with whole numbers and slices, e.g. x[0], x[:, 1], x[1:3].")
        return value

    def arguments(self, node: ast.Call) -> tuple[list[Any], dict[str, Any]]:
        args = [self.argument(self.evaluate(arg)) for arg in node.args]
        kwargs = {kw.arg: self.argument(self.evaluate(kw.value)) for kw in node.keywords if kw.arg}
        return args, kwargs

    def argument(self, value: Any) -> Any:
        allowed = (torch.Tensor, int, float, list, torch.dtype, torch.Size)
        if value is None or isinstance(value, allowed):
            return value
        raise Refused(f"A {type(value).__name__} cannot be passed to a function here.")

    def call(self, node: ast.Call) -> Any:
        func = node.func
        if not isinstance(func, ast.Attribute):  # the checker allows nothing else
            raise refuse_node(func)
        name = func.attr
        if _is_torch(func.value):
            args, kwargs = self.arguments(node)
            return self.torch_call(name, args, kwargs)
        owner = self.tensor(self.evaluate(func.value), f".{name}()")
        args, kwargs = self.arguments(node)
        self.guard_operands(
            [owner, *args, *kwargs.values()], ast.MatMult() if name == "matmul" else None
        )
        return getattr(owner, name)(*args, **kwargs)

    def torch_call(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if name == "manual_seed":
            seed = args[0]
            if isinstance(seed, bool) or not isinstance(seed, int):
                raise Refused("torch.manual_seed takes one integer, e.g. torch.manual_seed(0).")
            self.env.generator.manual_seed(seed)
            return None
        if name in FACTORIES:
            guard(factory_numel(name, args), f"torch.{name}", self.env.max_elements)
        else:
            op = ast.MatMult() if name == "matmul" else None
            self.guard_operands([*args, *kwargs.values()], op)
        if name in RANDOM:
            kwargs["generator"] = self.env.generator  # the workspace's own RNG, never the global
        return getattr(torch, name)(*args, **kwargs)
