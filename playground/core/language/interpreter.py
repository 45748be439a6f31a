"""A safe interpreter for the small subset of PyTorch's Python syntax the Tensor Lab speaks.

Source is parsed with `ast`, checked against a whitelist before anything runs (`check`), then
executed by walking the tree (`execute`). Nothing here calls eval/exec or imports anything the
source names, so a typed line can only do what the whitelist allows (DESIGN.md section 1).
"""

from __future__ import annotations

import ast
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch

from playground.core.language.costs import (
    BACKWARD_PRECHECK_ERRORS,
    META,
    GraphLedger,
    Snapshot,
    held,
    output_size,
    saved_tensor_hooks,
    weak_alive,
)
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
    RANDOM,
    SHAPE_BOUNDED,
    SHAPE_FACTORIES,
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
    module_advice,
    number_op,
    refuse_node,
)
from playground.core.limits import (
    MACS_PER_UNIT,
    MATMUL_WORK_FACTOR,
    MAX_DEPTH,
    MAX_DIMS,
    MAX_ELEMENTS,
    MAX_SOURCE_CHARS,
    MAX_STATEMENTS,
    SMALL_OUTPUT,
    TOTAL_ELEMENTS_FACTOR,
    WORK_BUDGET,
)

__all__ = ["ALLOWED", "MAX_SOURCE_CHARS", "Env", "Outcome", "Refused", "check", "check_name",
           "execute", "parse"]

@dataclass
class Env:
    """What statements read and change: the named tensors and the workspace's own RNG, plus
    the limits and the count of what autograd graphs hold."""

    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    generator: torch.Generator = field(default_factory=torch.Generator)
    max_elements: int = MAX_ELEMENTS
    max_total_elements: int | None = None  # None: TOTAL_ELEMENTS_FACTOR times max_elements
    work_budget: int = WORK_BUDGET
    # Work allowed for all statements run in this Env together (a session being loaded);
    # None for no such limit. total_work counts what they have done so far.
    total_work_budget: float | None = None
    total_work: float = 0.0
    ledger: GraphLedger = field(default_factory=GraphLedger)
    restored: bool = False  # after a failed execute: was the state put back from a snapshot?

    @property
    def total_limit(self) -> int:
        """Elements that names, grads, graphs and temporaries may hold together."""
        if self.max_total_elements is not None:
            return self.max_total_elements
        return TOTAL_ELEMENTS_FACTOR * self.max_elements


@dataclass
class Outcome:
    """What executing one checked source did."""

    assigned: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)  # what print(...) wrote, as python would


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
        advice = module_advice(node)
        if advice is not None and not (isinstance(node.value, ast.Name)
                                       and node.value.id in self.known):
            raise Refused(advice)
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
        if _is_torch(func.value):
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
        if _is_torch(func.value):
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
        if _is_torch(root) and isinstance(func.value, ast.Attribute) and _is_torch(
                func.value.value):
            raise Refused(f"{ast.unparse(func)} is not available here. {ALLOWED}")
        if func.attr not in TENSOR_METHODS:
            if not known_root and isinstance(root, ast.Name) and not _is_torch(root):
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


# ---------------------------------------------------------------------------------------------
# The executor: walks a checked tree against an Env.


def execute(tree: ast.Module, env: Env) -> Outcome:
    """Run a checked tree; may raise Refused (runtime guards) or torch's own errors.

    On any failure the state is put back from a snapshot (env.restored says whether that
    worked; when it did not, the caller must rebuild the state from its log).
    """
    executor = _Executor(env)
    env.restored = False
    try:
        # grad mode is thread-local: start from the normal mode; count what graphs save
        with torch.enable_grad(), saved_tensor_hooks(env.ledger):
            executor.statements(tree.body)
    except BaseException:
        executor.temps.clear()
        env.restored = executor.snapshot.restore(env.tensors, env.generator)
        raise
    return executor.outcome


# Methods that allocate nothing worth counting (or that the executor handles itself).
_NO_ALLOCATION = frozenset(
    {"item", "numel", "dim", "size", "detach", "zero_", "requires_grad_", "retain_grad",
     "backward", "t", "view"})


class _Executor:
    def __init__(self, env: Env) -> None:
        self.env = env
        self.outcome = Outcome()
        self.snapshot = Snapshot.take(env.tensors, env.generator)
        self.temps: list[weakref.ref] = []  # unnamed results made by this line
        self.work = 0.0

    def statements(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.statement(stmt)
            self.check_memory(0, "This statement")

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Expr) and _is_print(node.value):
            values = [self.evaluate(arg) for arg in node.value.args]
            text = " ".join(str(value) for value in values)
            self.outcome.outputs.append(text)
            self.outcome.printed.append(text)
        elif isinstance(node, ast.Expr):
            value = self.evaluate(node.value)
            # None from a call (backward()) says nothing; None read from x.grad is the answer.
            if value is not None or not isinstance(node.value, ast.Call):
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

    # -- limits --

    def spend(self, units: float) -> None:
        """Count work done by this line; refuse before the step that would pass the budget."""
        self.work += units
        self.env.total_work += units
        budget = self.env.total_work_budget
        if budget is not None and self.env.total_work > budget:
            raise Refused(
                f"Replaying this session would do more than {int(budget):,} element operations "
                "in all (about ten seconds here), so it is not loaded; a session from someone "
                "else cannot freeze the window this way."
            )
        if self.work > self.env.work_budget:
            raise Refused(
                f"This line would do about {int(self.work):,} element operations; one line may "
                f"do {self.env.work_budget:,} (about half a second here), so the window stays "
                "responsive. Split the work over several lines."
            )

    def check_memory(self, extra: int, what: str) -> None:
        """Refuse when names, grads, graphs, temporaries and `extra` new elements pass the limit."""
        now = held(self.env.tensors, self.env.ledger, weak_alive(self.temps))
        total = now.total + extra
        limit = self.env.total_limit
        if total <= limit:
            return
        holders = [n for n, t in self.env.tensors.items() if t.grad_fn is not None][:6]
        parts = [f"named tensors and grads {now.named:,}"]
        if now.graphs:
            parts.append(f"saved by autograd graphs for backward {now.graphs:,}")
        if now.temporaries + extra:
            parts.append(f"this step {now.temporaries + extra:,}")
        text = (f"{what} would hold {total:,} elements in all ({', '.join(parts)}); the limit "
                f"is {limit:,}, to keep the machine usable.")
        if now.graphs and holders:
            text += (
                f" To free graph memory call backward() on {', '.join(holders)} (backward "
                "frees the graph it goes through), rebind those names, or compute under "
                "`with torch.no_grad():` or from .detach()."
            )
        elif now.graphs or self.env.ledger.total:
            text += (" Most of it is this statement's own graph: compute it under "
                     "`with torch.no_grad():`, from .detach(), or on smaller tensors.")
        else:
            text += (" Rebind a name to a smaller tensor, set grads to None, or start a new "
                     "session with File > New.")
        raise Refused(text)

    def preflight(self, what: str, fn: Callable[..., Any], args: list[Any],
                  kwargs: dict[str, Any], bound: tuple[float, int] | None,
                  macs: float = 0.0) -> None:
        """Size, dimensions, work and memory of a call, known before it allocates anything.

        `bound` is a cheap upper bound (elements, dimensions) from the shapes; a small one is
        trusted as it is, anything else is measured exactly on the meta device (which also
        covers calls the bound cannot describe).
        """
        numel, dims = bound if bound is not None else (None, None)
        if bound is None or bound[0] > SMALL_OUTPUT or bound[1] > MAX_DIMS:
            size = output_size(fn, args, kwargs)
            if size is not None:
                numel, dims = size
        if dims is not None and dims > MAX_DIMS:
            raise Refused(f"{what} would make a tensor with {dims} dimensions; the "
                          f"playground works with at most {MAX_DIMS}.")
        guard(numel, what, self.env.max_elements)
        inputs = sum(v.numel() for v in (*args, *kwargs.values()) if isinstance(v, torch.Tensor))
        self.spend((numel or 0) + inputs + macs / MACS_PER_UNIT)
        if numel is not None and numel > SMALL_OUTPUT:
            self.check_memory(int(numel), what)

    def made(self, value: Any) -> Any:
        """Remember a result so the memory count sees it while it is alive."""
        if isinstance(value, torch.Tensor):
            self.temps.append(weakref.ref(value))
        return value

    # -- statements --

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
        self.snapshot.set_attr(owner, target.attr, value)

    def inplace(self, op: ast.operator, current: torch.Tensor, value: Any) -> Any:
        """current op= value, in place as Python does it, after the same checks as any op."""
        self.guard_operands([current, value], op)
        self.preflight("That update", BINOPS[type(op)], [current, value], {},
                       (current.numel(), current.dim()))
        if self.snapshot.touches_state(current):
            self.snapshot.dirty = True  # the old values are gone: a failure now needs a replay
        return INPLACE[type(op)](current, value)

    def aug_assign(self, node: ast.AugAssign) -> None:
        value = self.evaluate(node.value)
        target = node.target
        if isinstance(target, ast.Name):
            current = self.env.tensors[target.id]
            if isinstance(current, torch.Tensor):
                self.operand(value)
            self.bind(target.id, self.inplace(node.op, current, value))
            return
        if not isinstance(target, ast.Attribute):  # the checker allows nothing else
            raise refuse_node(target)
        owner = self.tensor(self.evaluate(target.value), f".{target.attr}")
        current = self.tensor(getattr(owner, target.attr), f"Updating .{target.attr}")
        self.operand(value)
        updated = self.inplace(node.op, current, value)
        self.snapshot.set_attr(owner, target.attr, updated)  # what Python does for x.a += v

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
            return self.made(self.call(node))
        if isinstance(node, ast.BinOp):
            return self.made(
                self.binop(node.op, self.evaluate(node.left), self.evaluate(node.right)))
        if isinstance(node, ast.UnaryOp):
            operand = self.evaluate(node.operand)
            self.operand(operand)
            if isinstance(operand, torch.Tensor):
                self.preflight("That sign change", UNARY[type(node.op)], [operand], {},
                               (operand.numel(), operand.dim()))
            return self.made(UNARY[type(node.op)](operand))
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

    def guard_operands(self, values: list[Any], op: ast.operator | None = None) -> float:
        """The analytic size checks (used when the meta device cannot tell); returns the
        multiply-adds of a matrix product, else 0."""
        tensors = [v for v in values if isinstance(v, torch.Tensor)]
        if isinstance(op, ast.MatMult) and len(tensors) == 2:
            cost = matmul_cost(*tensors)
            if cost is not None:
                guard(cost[0], "That matrix product", self.env.max_elements)
                work = cost[1] / MATMUL_WORK_FACTOR
                guard(work, "That matrix product's work (divided by 100)", self.env.max_elements)
                return cost[1]
        elif len(tensors) > 1:
            guard(broadcast_numel(tensors), "Broadcasting these shapes", self.env.max_elements)
        return 0.0

    def binop(self, op: ast.operator, left: Any, right: Any) -> Any:
        self.operand(left)
        self.operand(right)
        if not isinstance(left, torch.Tensor) and not isinstance(right, torch.Tensor):
            return number_op(op, left, right)
        macs = self.guard_operands([left, right], op)
        fn = BINOPS[type(op)]
        self.preflight("That operation", fn, [left, right], {}, _bound([left, right], op),
                       macs=macs)
        return fn(left, right)

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
        macs = self.guard_operands(
            [owner, *args, *kwargs.values()], ast.MatMult() if name == "matmul" else None
        )
        method = getattr(owner, name)
        if name == "backward":
            return self.backward(owner, args, kwargs)
        if name in ("zero_", "requires_grad_", "retain_grad"):
            return self.in_place_method(owner, name, args, kwargs)
        if name == "view" and len(_shape_args(args)) > MAX_DIMS:  # a view allocates nothing
            raise Refused(f".view() would make a tensor with {len(_shape_args(args))} "
                          f"dimensions; the playground works with at most {MAX_DIMS}.")
        if name not in _NO_ALLOCATION:
            bound = None  # unknown kinds of call are always measured on the meta device
            if name in ("reshape", "view"):
                bound = (owner.numel(), len(_shape_args(args)))
            elif name in SHAPE_BOUNDED:
                bound = _bound([owner, *args, *kwargs.values()],
                               ast.MatMult() if name == "matmul" else None)
            self.preflight(f".{name}()", _method(name), [owner, *args], kwargs, bound,
                           macs=macs)
        return method(*args, **kwargs)

    def in_place_method(self, owner: torch.Tensor, name: str, args: list[Any],
                        kwargs: dict[str, Any]) -> Any:
        if name == "requires_grad_":
            old = owner.requires_grad
            result = owner.requires_grad_(*args, **kwargs)
            self.snapshot.journal.append((owner, "requires_grad", old))
            return result
        if name == "retain_grad" and not owner.is_leaf and not owner.retains_grad:
            self.snapshot.dirty = True  # a retained grad cannot be un-retained
        if name == "zero_":
            self.spend(owner.numel())
            if self.snapshot.touches_state(owner):
                self.snapshot.dirty = True
        return getattr(owner, name)(*args, **kwargs)

    def backward(self, owner: torch.Tensor, args: list[Any], kwargs: dict[str, Any]) -> Any:
        # Backward does about as much work as the forward pass that built the graph: bounded
        # by what the graph saved plus the leaves it fills, counted three times over.
        leaves = sum(t.numel() for t in self.env.tensors.values() if t.requires_grad)
        self.spend(3 * (self.env.ledger.total + leaves + owner.numel()))
        self.check_memory(leaves, "This backward")
        try:
            result = owner.backward(*args, **kwargs)
        except Exception as exc:
            if not any(text in str(exc) for text in BACKWARD_PRECHECK_ERRORS):
                self.snapshot.dirty = True  # the engine may have filled some grads already
            raise
        self.snapshot.dirty = True  # grads accumulated in place: only a replay undoes that
        return result

    def torch_call(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if name == "manual_seed":
            seed = args[0]
            if isinstance(seed, bool) or not isinstance(seed, int):
                raise Refused("torch.manual_seed takes one integer, e.g. torch.manual_seed(0).")
            self.env.generator.manual_seed(seed)
            return None
        fn = getattr(torch, name)
        if name in FACTORIES and name != "tensor":
            args = [_size_argument(name, a) for a in args]
            shape = _shape_of(name, args)
            if shape is not None and len(shape) > MAX_DIMS:
                raise Refused(f"torch.{name} would make a tensor with {len(shape)} dimensions; "
                              f"the playground works with at most {MAX_DIMS}.")
            fallback = factory_numel(name, args)
            guard(fallback, f"torch.{name}", self.env.max_elements)
            bound = None if fallback is None or shape is None else (fallback, len(shape))
            if name in ("arange", "linspace") and fallback is not None:
                bound = (fallback, 1)
            self.preflight(f"torch.{name}", fn, args, {**kwargs, "device": META}, bound)
        elif name == "tensor":
            data = args[0] if args else None
            count = data.numel() if isinstance(data, torch.Tensor) else None
            self.spend(count or 0)
            if count is not None:
                self.check_memory(count, "torch.tensor")
        else:
            op = ast.MatMult() if name == "matmul" else None
            macs = self.guard_operands([*args, *kwargs.values()], op)
            bound = None
            if name == "reshape" and args and isinstance(args[0], torch.Tensor):
                bound = (args[0].numel(), len(_shape_args(args[1:])))
            elif name in SHAPE_BOUNDED:
                bound = _bound([*args, *kwargs.values()], op)
            self.preflight(f"torch.{name}", fn, args, kwargs, bound, macs=macs)
        if name in RANDOM:
            kwargs["generator"] = self.env.generator  # the workspace's own RNG, never the global
        return fn(*args, **kwargs)


def _method(name: str) -> Callable[..., Any]:
    """Call tensor method `name` on the first argument (so it can run on meta copies too)."""
    return lambda owner, *args, **kwargs: getattr(owner, name)(*args, **kwargs)


def _bound(values: list[Any], op: ast.operator | None = None) -> tuple[float, int] | None:
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


def _shape_args(args: list[Any]) -> list[Any]:
    """The sizes given to reshape/view, whether spread out or as one list, tuple or Size."""
    if len(args) == 1 and isinstance(args[0], (list, tuple, torch.Size)):
        return list(args[0])
    return list(args)


def _size_argument(name: str, value: Any) -> Any:
    """A size, range end or fill value given as a 0-d tensor counts as the number it holds."""
    if not isinstance(value, torch.Tensor):
        return value
    if value.dim() == 0:
        return value.item()
    raise Refused(f"torch.{name} takes sizes and ranges as numbers, not as a tensor of shape "
                  f"{tuple(value.shape)}; write the numbers, or use x.shape.")


def _shape_of(name: str, args: list[Any]) -> list[Any] | None:
    if name not in SHAPE_FACTORIES and name != "full":
        return None
    shape: Any = args[:1] if name == "full" else args
    if len(shape) == 1 and isinstance(shape[0], (list, tuple, torch.Size)):
        return list(shape[0])
    return list(shape)
