"""The executor: runs a checked tree by walking it, against an Env of named tensors.

Every operation asks costs.py first (its output size on the meta device, the memory held, the
work done), so a line too big is refused before torch allocates it, and a failed line is undone
from a snapshot. Nothing here calls eval/exec: each node maps to one torch call it names.
"""

from __future__ import annotations

import ast
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from playground.core.language.costs import (
    BACKWARD_PRECHECK_ERRORS,
    META,
    GraphLedger,
    Snapshot,
    backward_work,
    held,
    memory_refusal,
    output_size,
    saved_tensor_hooks,
    weak_alive,
)
from playground.core.language.grammar import (
    BINOPS,
    DTYPES,
    FACTORIES,
    INPLACE,
    NO_ALLOCATION,
    RANDOM,
    SHAPE_BOUNDED,
    UNARY,
    Refused,
    broadcast_numel,
    factory_numel,
    factory_shape,
    guard,
    is_number,
    is_print,
    is_torch,
    matmul_cost,
    number_op,
    refuse_node,
    shape_args,
    shape_bound,
    size_argument,
)
from playground.core.language.printing import cap, format_value
from playground.core.limits import (
    MACS_PER_UNIT,
    MATMUL_WORK_FACTOR,
    MAX_DIMS,
    MAX_ELEMENTS,
    MAX_OUTPUT_CHARS,
    PRINT_WORK,
    SMALL_OUTPUT,
    STATEMENT_WORK,
    TOTAL_ELEMENTS_FACTOR,
    WORK_BUDGET,
)


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
    cancelled: bool = False  # set from another thread to stop a replay at its next operation

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
    work: float = 0.0  # work units the statements did (the line's budget counts the same)


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
    executor.outcome.work = executor.work
    return executor.outcome


class _Executor:
    def __init__(self, env: Env) -> None:
        self.env = env
        self.outcome = Outcome()
        self.snapshot = Snapshot.take(env.tensors, env.generator)
        self.temps: list[weakref.ref] = []  # unnamed results made by this line
        self.work = 0.0

    def statements(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.spend(STATEMENT_WORK)
            self.statement(stmt)
            self.check_memory(0, "This statement")

    def show(self, value: Any, how: Callable[[Any], str]) -> str:
        """str or repr of `value`, charged per element shown and capped in length."""
        return format_value(value, how, self.spend, PRINT_WORK)

    def output(self, text: str) -> None:
        """Add to what the line shows, up to MAX_OUTPUT_CHARS in all."""
        room = MAX_OUTPUT_CHARS - sum(len(t) for t in self.outcome.outputs)
        if room <= 0:
            if not self.outcome.outputs[-1].endswith("(more output not shown)"):
                self.outcome.outputs.append("... (more output not shown)")
            return
        self.outcome.outputs.append(cap(text, room))

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Expr) and is_print(node.value):
            values = [self.evaluate(arg) for arg in node.value.args]
            text = cap(" ".join(self.show(value, str) for value in values))
            self.output(text)
            self.outcome.printed.append(text)
        elif isinstance(node, ast.Expr):
            value = self.evaluate(node.value)
            # None from a call (backward()) says nothing; None read from x.grad is the answer.
            if value is not None or not isinstance(node.value, ast.Call):
                self.output(self.show(value, repr))
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
        if self.env.cancelled:
            raise Refused("Cancelled.")
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
        raise Refused(memory_refusal(what, now, extra, limit, holders))

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
            if is_torch(node.value):
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
        self.preflight("That operation", fn, [left, right], {}, shape_bound([left, right], op),
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
        if is_torch(func.value):
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
        if name == "view" and len(shape_args(args)) > MAX_DIMS:  # a view allocates nothing
            raise Refused(f".view() would make a tensor with {len(shape_args(args))} "
                          f"dimensions; the playground works with at most {MAX_DIMS}.")
        if name not in NO_ALLOCATION:
            bound = None  # unknown kinds of call are always measured on the meta device
            if name in ("reshape", "view"):
                bound = (owner.numel(), len(shape_args(args)))
            elif name in SHAPE_BOUNDED:
                bound = shape_bound([owner, *args, *kwargs.values()],
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
        # Priced by the graph it runs: each node's gradients and engine cost, and the matrix
        # products it repeats; the walk stops as soon as the price passes what is left.
        leaves = sum(t.numel() for t in self.env.tensors.values() if t.requires_grad)
        left = self.env.work_budget - self.work
        if self.env.total_work_budget is not None:
            left = min(left, self.env.total_work_budget - self.env.total_work)
        self.spend(owner.numel() + backward_work(owner.grad_fn, left))
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
            args = [size_argument(name, a) for a in args]
            shape = factory_shape(name, args)
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
                bound = (args[0].numel(), len(shape_args(args[1:])))
            elif name in SHAPE_BOUNDED:
                bound = shape_bound([*args, *kwargs.values()], op)
            self.preflight(f"torch.{name}", fn, args, kwargs, bound, macs=macs)
        if name in RANDOM:
            kwargs["generator"] = self.env.generator  # the workspace's own RNG, never the global
        return fn(*args, **kwargs)


def _method(name: str) -> Callable[..., Any]:
    """Call tensor method `name` on the first argument (so it can run on meta copies too)."""
    return lambda owner, *args, **kwargs: getattr(owner, name)(*args, **kwargs)
