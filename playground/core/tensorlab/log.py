"""The one reader of the statement log: every question about what a logged line did.

The hint, the graph and the exports all ask here, so they follow one set of rules. Each entry
is parsed once with `ast` (cached) and never run. The rules:

- A binding is *cut* from autograd when it ran inside `with torch.no_grad():` ("no_grad"),
  or its value reads through `.detach()` ("detach") or `.data` ("data"): in that order of
  precedence, since a no_grad block records nothing whatever the value says.
- A name is *changed in place* by an augmented assignment (`x += 1`, `x.data -= ...`) or an
  in-place method (`x.zero_()`, `x.data.mul_(2)`; `requires_grad_` changes no values).
- The names a binding *reads* are the other names in its value (`torch` aside).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Cut = Literal["no_grad", "detach", "data"]


@dataclass(frozen=True)
class Binding:
    """One `name = value` in a log entry: how it was cut from autograd, the names it read."""

    name: str
    cut: Cut | None
    reads: tuple[str, ...]  # sorted, without `torch`; may include `name` itself (x = x * 2)


@dataclass(frozen=True)
class Entry:
    """What one log entry did, as far as its text tells."""

    bindings: tuple[Binding, ...]
    changed_in_place: tuple[str, ...]
    assigned: tuple[str, ...]  # every name assigned or augmented, in source order
    calls: frozenset[str]  # every method called (backward, zero_, manual_seed, ...)


_EMPTY = Entry((), (), (), frozenset())


def _is_no_grad(node: ast.With) -> bool:
    call = node.items[0].context_expr if node.items else None
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and \
        call.func.attr == "no_grad"


def _cut(value: ast.AST, no_grad: bool) -> Cut | None:
    if no_grad:
        return "no_grad"
    nodes = list(ast.walk(value))
    if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
           and n.func.attr == "detach" for n in nodes):
        return "detach"
    if any(isinstance(n, ast.Attribute) and n.attr == "data" for n in nodes):
        return "data"
    return None


def _reads(value: ast.AST) -> tuple[str, ...]:
    return tuple(sorted({n.id for n in ast.walk(value)
                         if isinstance(n, ast.Name) and n.id != "torch"}))


def _inplace_calls(value: ast.AST) -> list[str]:
    """Names changed by in-place methods such as y.zero_() or y.data.zero_()."""
    found = []
    for node in ast.walk(value):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr.endswith("_") and node.func.attr != "requires_grad_":
            owner = node.func.value
            if isinstance(owner, ast.Attribute) and owner.attr == "data":
                owner = owner.value
            if isinstance(owner, ast.Name):
                found.append(owner.id)
    return found


@functools.lru_cache(maxsize=4096)
def read_entry(entry: str) -> Entry:
    """What `entry` did; an entry that does not parse (never logged, but be safe) did nothing."""
    try:
        tree = ast.parse(entry)  # parsed to read names, never compiled or run
    except (SyntaxError, ValueError, RecursionError):
        return _EMPTY
    bindings: list[Binding] = []
    inplace: list[str] = []

    def visit(body: Sequence[ast.stmt], no_grad: bool) -> None:
        for stmt in body:
            if isinstance(stmt, ast.With):
                visit(stmt.body, no_grad or _is_no_grad(stmt))
            elif isinstance(stmt, ast.Assign):
                cut, reads = _cut(stmt.value, no_grad), _reads(stmt.value)
                bindings.extend(Binding(t.id, cut, reads) for t in stmt.targets
                                if isinstance(t, ast.Name))
            elif isinstance(stmt, ast.AugAssign):
                target = stmt.target
                if isinstance(target, ast.Name):
                    inplace.append(target.id)
                elif isinstance(target, ast.Attribute) and target.attr == "data" and \
                        isinstance(target.value, ast.Name):
                    inplace.append(target.value.id)
            elif isinstance(stmt, ast.Expr):
                inplace.extend(_inplace_calls(stmt.value))

    visit(tree.body, False)
    assigned: list[str] = []
    calls: set[str] = set()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AugAssign) else [])
        assigned += [t.id for t in targets if isinstance(t, ast.Name)]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            calls.add(node.func.attr)
    return Entry(tuple(bindings), tuple(inplace), tuple(assigned), frozenset(calls))


def last_binding(log: Sequence[str], name: str) -> Binding | None:
    """The latest binding of `name` in the log, or None when no entry bound it."""
    for entry in reversed(log):
        found = [b for b in read_entry(entry).bindings if b.name == name]
        if found:
            return found[-1]
    return None


def cut_of(log: Sequence[str], name: str) -> Cut | None:
    """How the statement that last bound `name` cut it from autograd, or None."""
    binding = last_binding(log, name)
    return None if binding is None else binding.cut


def statement_sources(log: Iterable[str]) -> dict[str, tuple[bool, list[str]]]:
    """For each name, from its latest binding: (made without a graph, i.e. through detach, .data
    or no_grad; the other names that statement read)."""
    sources: dict[str, tuple[bool, list[str]]] = {}
    for entry in log:
        for b in read_entry(entry).bindings:
            sources[b.name] = (b.cut is not None, [r for r in b.reads if r != b.name])
    return sources


def inplace_statements(log: Sequence[str]) -> list[tuple[int, str, list[str]]]:
    """(index, entry, names changed in place) for every log entry that changed a tensor in place."""
    found = []
    for i, entry in enumerate(log):
        changed = read_entry(entry).changed_in_place
        if changed:
            found.append((i, entry, list(changed)))
    return found


def statement_groups(log: Iterable[str], enders: Iterable[str]) -> list[list[str]]:
    """The log split into groups, each ending after an entry that calls one of `enders`."""
    enders = set(enders)
    groups: list[list[str]] = [[]]
    for entry in log:
        groups[-1].append(entry)
        if read_entry(entry).calls & enders:
            groups.append([])
    return [g for g in groups if g]
