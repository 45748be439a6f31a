"""What to click next, and which name to suggest, derived from the workspace's state alone.

Plain functions over the workspace (no Qt) so the hint always agrees with what is shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from string import ascii_lowercase
from typing import Any

from playground.core.workspace import TensorFacts, Workspace


def next_leaf_name(taken: Iterable[str]) -> str:
    """The first free name among a, b, c, ... then t1, t2, ..."""
    used = set(taken)
    for letter in ascii_lowercase:
        if letter not in used:
            return letter
    return _numbered("t", used)


def next_result_name(taken: Iterable[str], after: str | None) -> str:
    """A free name for a result computed from `after`: the letters after it (x -> y, z, a)."""
    used = set(taken)
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


def leaf_names(ws: Workspace, name: str) -> list[str]:
    """Named leaves that `name`'s graph reaches (by walking grad_fn), in workspace order."""
    node = getattr(ws.tensor(name), "grad_fn", None)
    if node is None:
        return []
    found: set[int] = set()
    seen: set[int] = set()
    stack: list[Any] = [node]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        variable = getattr(fn, "variable", None)  # AccumulateGrad nodes hold their leaf
        if variable is not None:
            found.add(id(variable))
        stack.extend(next_fn for next_fn, _ in getattr(fn, "next_functions", ()))
    return [n for n in ws.names if id(ws.tensor(n)) in found]


def hint_for(ws: Workspace) -> str:
    """One line telling the learner what to try next."""
    if not ws.names:
        return "Create a leaf tensor on the left (randn, 2x4, requires_grad), then build on it."
    if ws.current is None or ws.current not in ws.names:
        return "Click a tensor in the list to inspect it."
    facts = ws.facts(ws.current)
    if facts.is_leaf:
        return _leaf_hint(facts)
    if facts.grad_fn is None:
        return (
            f"{facts.name} was made without a graph (no grad_fn): backward cannot reach through it."
        )
    leaves = [n for n in leaf_names(ws, facts.name) if ws.facts(n).requires_grad]
    targets = ", ".join(f"{n}.grad" for n in leaves) or "the leaves' .grad"
    if facts.shape:
        return (
            f"{facts.name} is not a scalar: reduce it with mean or sum, or type a gradient "
            f"(e.g. ones) before pressing Backward to fill {targets}."
        )
    if leaves and all(ws.facts(n).grad is None for n in leaves):
        return (
            f"{facts.name} is a scalar built from {', '.join(leaves)}: "
            f"press Backward (Ctrl+B) to fill {targets}."
        )
    return (
        f"{targets} is filled: Backward again adds to it (tick retain_graph first, or re-run "
        f"the statement), Zero grads resets it."
    )


def _leaf_hint(facts: TensorFacts) -> str:
    name = facts.name
    if facts.requires_grad:
        if facts.grad is not None:
            return (
                f"{name}.grad is shown under Inspector; Zero grads resets it before the next pass."
            )
        return f"{name} is a leaf that tracks gradients: build on it with + c, * c, ** n or mean."
    if not facts.dtype.startswith(("float", "complex")):
        return f"{name} is {facts.dtype}: only floating-point tensors can require gradients."
    return f"{name} does not track gradients: tick requires_grad to let autograd record on it."
