"""Autograd introspection for the Tensor Lab: which leaves a graph reaches, and what to try next.

Plain functions over a Workspace that read metadata only (`Workspace.summary`, grad_fn links),
never values, so the hint and the enabling stay cheap with 9-million-element tensors present.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from playground.core.tensorlab.log import Cut, cut_of

if TYPE_CHECKING:
    from playground.core.tensorlab.workspace import TensorSummary, Workspace

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


def grad_leaves(ws: Workspace, name: str) -> list[str]:
    """The leaves backward on `name` would fill: reached by its graph and requiring grad."""
    return [n for n in leaf_names(ws, name) if ws.summary(n).requires_grad]


def history_leaf(ws: Workspace, name: str | None) -> str | None:
    """The leaf whose grad history to draw for `name`: itself, or the first leaf it reaches."""
    if name is None:
        return None
    if ws.summary(name).is_leaf:
        return name
    reached = grad_leaves(ws, name)
    return reached[0] if reached else None


def hint_for(ws: Workspace) -> str:
    """One line telling the learner what to try next."""
    if not ws.names:
        return "Create a leaf tensor on the left (randn, 2x4, requires_grad), then build on it."
    if ws.current is None or ws.current not in ws.names:
        return "Click a tensor in the list to inspect it."
    facts = ws.summary(ws.current)
    if not facts.requires_grad and (cut := cut_of(ws.log, facts.name)) is not None:
        return _cut_hint(facts.name, cut)
    if facts.is_leaf:
        return _leaf_hint(facts)
    if facts.grad_fn is None:
        return (
            f"{facts.name} was made without a graph (no grad_fn): backward cannot reach through it."
        )
    leaves = grad_leaves(ws, facts.name)
    targets = ", ".join(f"{n}.grad" for n in leaves) or "the leaves' .grad"
    if facts.shape:
        return (
            f"{facts.name} is not a scalar: reduce it with mean or sum, or type a gradient "
            f"(ones, or a tensor's name) before pressing Backward to fill {targets}."
        )
    if leaves and not any(ws.summary(n).has_grad for n in leaves):
        return (
            f"{facts.name} is a scalar built from {', '.join(leaves)}: "
            f"press Backward (Ctrl+B) to fill {targets}."
        )
    return (
        f"{targets} is filled: Backward again adds to it (tick retain_graph first, or re-run "
        f"the statement), Zero grads resets it."
    )


def _cut_hint(name: str, cut: Cut) -> str:
    if cut in ("detach", "data"):
        via = ".detach()" if cut == "detach" else ".data"
        return (
            f"{name} came from {via}: the same numbers with no grad_fn, so autograd does "
            f"not track it and backward cannot flow through it into the tensor it came from."
        )
    return (
        f"{name} was computed inside torch.no_grad(): no graph was recorded, so it has no "
        f"grad_fn and backward cannot reach the leaves it came from (how updates stay untracked)."
    )


def _leaf_hint(facts: TensorSummary) -> str:
    name = facts.name
    if facts.requires_grad:
        if facts.has_grad:
            return (
                f"{name}.grad is shown under Inspector; Zero grads resets it before the next pass."
            )
        return f"{name} is a leaf that tracks gradients: build on it with + c, * c, ** n or mean."
    if not facts.dtype.startswith(("float", "complex")):
        return f"{name} is {facts.dtype}: only floating-point tensors can require gradients."
    return f"{name} does not track gradients: tick requires_grad to let autograd record on it."
