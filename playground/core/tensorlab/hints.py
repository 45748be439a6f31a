"""Autograd introspection for the Tensor Lab: which leaves a graph reaches, and what to try next.

Plain functions over a Workspace that read metadata (`Workspace.summary`, grad_fn links, whether
a node's saved tensors were freed), so the hint and the enabling stay cheap with 9-million-element
tensors present. The one value they look at is whether the reached leaves' .grad are all zeros
(a reset) or hold a gradient, on grads up to GRAD_SCAN_ELEMENTS: a hint must not say "filled"
about zeros, and it must not send the learner to retain_graph when a backward would work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import torch

from playground.core.tensorlab.log import Cut, cut_of

if TYPE_CHECKING:
    from playground.core.tensorlab.workspace import TensorSummary, Workspace

# Above this many elements a .grad is not scanned for zeros (a hint must stay instant); such a
# grad counts as filled, which only softens "all zeros" to "holds a gradient".
GRAD_SCAN_ELEMENTS = 1_000_000

GradState = Literal["none", "zeros", "filled"]

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


def _functions(ws: Workspace, name: str) -> list[Any]:
    """Every autograd node under `name`'s grad_fn (walked through next_functions)."""
    seen: dict[int, Any] = {}
    stack: list[Any] = [getattr(ws.tensor(name), "grad_fn", None)]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen[id(fn)] = fn
        stack.extend(next_fn for next_fn, _ in getattr(fn, "next_functions", ()))
    return list(seen.values())


def graph_freed(ws: Workspace, name: str) -> bool:
    """True when a backward released saved tensors `name`'s graph needs: Backward on it again
    would fail ("backward through the graph a second time"). A graph that saved no tensors
    (x + 2, mean) is never freed, and a second backward works without retain_graph."""
    for fn in _functions(ws, name):
        for attr in dir(type(fn)):
            if not attr.startswith("_saved_"):
                continue
            try:
                getattr(fn, attr)
            except RuntimeError as exc:
                if "inplace" not in str(exc):  # torch refuses a released saved tensor
                    return True
    return False


def grad_state(ws: Workspace, leaves: list[str]) -> GradState:
    """What the leaves' .grad hold together: none at all, only zeros (a reset), or a gradient."""
    grads = [ws.tensor(n).grad for n in leaves]
    present = [g for g in grads if g is not None]
    if not present:
        return "none"
    for grad in present:
        if grad.numel() > GRAD_SCAN_ELEMENTS or bool(torch.count_nonzero(grad)):
            return "filled"
    return "zeros"


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
        return _leaf_hint(ws, facts)
    if facts.grad_fn is None:
        return (
            f"{facts.name} was made without a graph (no grad_fn): backward cannot reach through it."
        )
    leaves = grad_leaves(ws, facts.name)
    targets = ", ".join(f"{n}.grad" for n in leaves) or "the leaves' .grad"
    name = facts.name
    state = grad_state(ws, leaves) if leaves else "filled"
    if graph_freed(ws, name):
        held = {"filled": f"{targets} holds a gradient. ", "zeros": f"{targets} holds zeros. ",
                "none": ""}[state]
        return (
            f"{held}The last backward freed {name}'s graph (its saved tensors), so Backward on "
            f"{name} would fail now: run the line that built {name} again, or tick retain_graph "
            f"before a backward to keep the graph."
        )
    if facts.shape:
        return (
            f"{facts.name} is not a scalar: reduce it with mean or sum, or type a gradient "
            f"(ones, or a tensor's name) before pressing Backward to fill {targets}."
        )
    if state == "none":
        return (
            f"{name} is a scalar built from {', '.join(leaves)}: "
            f"press Backward (Ctrl+B) to fill {targets}."
        )
    if state == "zeros":
        return (
            f"{targets} holds zeros (reset): Backward (Ctrl+B) on {name} fills it with one "
            f"pass's gradient; {name}'s graph is kept, no retain_graph needed."
        )
    return (
        f"{targets} holds a gradient: Backward on {name} again adds another to it (the graph "
        f"is kept, no retain_graph needed); Zero grads resets it to zeros first."
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


def _leaf_hint(ws: Workspace, facts: TensorSummary) -> str:
    name = facts.name
    if facts.requires_grad:
        if facts.has_grad:
            if grad_state(ws, [name]) == "zeros":
                return (f"{name}.grad holds zeros (reset), shown under Inspector: the next "
                        f"backward fills it with one pass's gradient.")
            return (
                f"{name}.grad is shown under Inspector; Zero grads resets it before the next pass."
            )
        return f"{name} is a leaf that tracks gradients: build on it with + c, * c, ** n or mean."
    if not facts.dtype.startswith(("float", "complex")):
        return f"{name} is {facts.dtype}: only floating-point tensors can require gradients."
    return f"{name} does not track gradients: tick requires_grad to let autograd record on it."
