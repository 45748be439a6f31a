"""The checker: refuses anything outside the Tensor Lab's language before a line runs.

Source is parsed with `ast` (`parse`) and walked against the whitelist in grammar.py (`check`):
names must be known, calls allowed, sizes that can be known before running within the limits.
Nothing here calls eval/exec or imports anything the source names, so a typed line can only do
what the whitelist allows; the executor then guards what only running can tell.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from playground.core.language.grammar import (
    ALLOWED,
    BINOPS,
    DTYPES,
    FACTORIES,
    INPLACE,
    KWARGS,
    LIKE_FACTORIES,
    MODULE_ADVICE,
    MODULE_ALIASES,
    TENSOR_ATTRS,
    TENSOR_METHODS,
    TORCH_FUNCTIONS,
    UNARY,
    Refused,
    check_name,
    factory_numel,
    fold,
    guard,
    is_number,
    is_print,
    is_torch,
    module_advice,
    refuse_node,
)
from playground.core.limits import (
    MAX_DEPTH,
    MAX_SOURCE_CHARS,
    MAX_STATEMENTS,
)


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


class _Checker:
    """Walks statements in order, tracking which names are bound so far."""

    def __init__(self, known: set[str], max_elements: int) -> None:
        self.known = known
        self.max_elements = max_elements
        self.count = 0

    def statements(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.count += 1
            if self.count > MAX_STATEMENTS:
                raise Refused(
                    f"One line may hold at most {MAX_STATEMENTS} statements (this one has more); "
                    "split it over several lines so each finishes quickly."
                )
            self.statement(stmt)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Expr) and is_print(node.value):
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
            or not (isinstance(call.func, ast.Attribute) and is_torch(call.func.value))
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
            if is_torch(node):
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
        advice = module_advice(node)
        if advice is not None and not (isinstance(node.value, ast.Name)
                                       and node.value.id in self.known):
            raise Refused(advice)
        if is_torch(node.value):
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
            inner = func.func if isinstance(func, ast.Call) else func  # nn.MSELoss()(a, b)
            advice = self.module_advice(inner)
            if advice is not None:
                raise Refused(advice)
            name = func.id if isinstance(func, ast.Name) else ast.unparse(func)
            raise Refused(f"{name}(...) is not available: call torch functions or tensor methods.")
        if func.attr.startswith("_"):
            raise Refused(f"Attributes starting with _ (such as {func.attr}) are not allowed.")
        # What is called comes first: for torch.optim.SGD([w], lr=0.1) the module is the news,
        # not the keyword.
        self.callee(func)
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
        if is_torch(func.value):
            self.torch_call(func.attr, node)

    def module_advice(self, node: ast.expr) -> str | None:
        """Advice for torch.optim, nn, F and the like, unless the learner bound that name."""
        root = node
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and root.id in self.known:
            return None
        return module_advice(node)

    def callee(self, func: ast.Attribute) -> None:
        """Refuse an unknown function or method before looking at its arguments."""
        if is_torch(func.value):
            name = func.attr
            if name in MODULE_ALIASES:
                raise Refused(MODULE_ADVICE[MODULE_ALIASES[name]])
            if name not in FACTORIES | LIKE_FACTORIES | TORCH_FUNCTIONS | {"manual_seed",
                                                                          "no_grad"}:
                raise Refused(f"torch.{name} is not available here. {ALLOWED}")
            return
        root = func.value
        while isinstance(root, (ast.Attribute, ast.Call, ast.Subscript)):
            root = root.func if isinstance(root, ast.Call) else root.value
        known_root = isinstance(root, ast.Name) and root.id in self.known
        advice = None if known_root else module_advice(func.value)
        if advice is not None:
            raise Refused(advice)
        if is_torch(root) and isinstance(func.value, ast.Attribute) and is_torch(
                func.value.value):
            raise Refused(f"{ast.unparse(func)} is not available here. {ALLOWED}")
        if func.attr not in TENSOR_METHODS:
            if not known_root and isinstance(root, ast.Name) and not is_torch(root):
                self.expr(root)  # "Unknown name ..." says more than a list of methods
            allowed = " ".join(sorted(TENSOR_METHODS))
            raise Refused(f".{func.attr}() is not available; tensor methods: {allowed}.")
        self.expr(func.value)

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
