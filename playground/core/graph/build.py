"""The real autograd graph behind a workspace tensor, as plain nodes and edges for the graph view.

Walks `grad_fn.next_functions` from the tensor (the graph torch really built, not one
re-derived from the source), attaches leaves through `AccumulateGrad.variable`, reads saved tensors from the nodes' `_saved_*` attributes (marking them
freed when torch refuses to hand them out after a backward), and links a result made by
`detach()` / `.data` / `torch.no_grad()` to the names its statement read (as the statement log
reader tells) with a dashed "no graph" edge. The nodes and edges are graph/model.py's.
Nothing here keeps a live tensor: the view gets short texts and flags only.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

import torch

from playground.core.graph.locate import ErrorSpot, locate_error
from playground.core.graph.model import AutogradGraph, EdgeKind, GraphEdge, GraphNode, SavedFact
from playground.core.limits import COUNT_LIMIT, MAX_FUNCTIONS
from playground.core.tensorlab.log import statement_sources

# The views import the model, the builder and error location from here, one place for the graph.
__all__ = ["AutogradGraph", "ErrorSpot", "GraphEdge", "GraphNode", "SavedFact", "build_graph",
           "build_workspace_graph", "locate_error", "saved_facts", "walk_functions"]

FEW_VALUES = 4


# ----- walking ----------------------------------------------------------------------------------


def walk_functions(root: Any, limit: int | None = None) -> list[Any]:
    """grad_fn nodes reachable from `root` breadth-first along next_functions, each once.

    The order is the keying order shared with the backward recorder (node i is key f"f{i}").
    The returned list keeps every Python wrapper alive, so their id()s stay stable meanwhile.
    """
    if root is None:
        return []
    order: list[Any] = [root]
    seen = {id(root)}
    queue = deque([root])
    while queue:
        fn = queue.popleft()
        for nxt, _ in fn.next_functions:
            if nxt is None or id(nxt) in seen:
                continue
            if limit is not None and len(order) >= limit:
                return order
            seen.add(id(nxt))
            order.append(nxt)
            queue.append(nxt)
    return order


def _count_reachable(root: Any, cap: int) -> int:
    seen = {id(root)}
    keep = [root]  # holds wrappers so ids cannot be reused during the count
    queue = deque([root])
    while queue and len(seen) < cap:
        for nxt, _ in queue.popleft().next_functions:
            if nxt is not None and id(nxt) not in seen:
                seen.add(id(nxt))
                keep.append(nxt)
                queue.append(nxt)
    return len(seen)


# ----- short texts --------------------------------------------------------------------------------


def _few(t: torch.Tensor) -> str:
    """The first few values of `t` without copying it (a 0-d tensor gives its one value)."""
    t = t.detach()
    if t.dim() == 0:
        return _num(t.item())
    if t.numel() == 0:  # e.g. shape (0, 3): there is no first row to index
        return "[]"
    row = t[(0,) * (t.dim() - 1)] if t.dim() > 1 else t
    head = [_num(v) for v in row[:FEW_VALUES].tolist()]
    more = ", ..." if t.numel() > len(head) else ""
    return "[" + ", ".join(head) + more + "]"


def _num(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    return f"{value:.4g}"


def _shape_text(t: torch.Tensor) -> str:
    return str(tuple(t.shape))  # (3,) for a vector, as torch prints shapes


@functools.lru_cache(maxsize=256)
def _saved_names(cls: type) -> tuple[str, ...]:
    return tuple(sorted(a for a in dir(cls) if a.startswith("_saved_")))


def saved_facts(fn: Any) -> tuple[SavedFact, ...]:
    """The node's saved attributes; torch refuses to hand out one that a backward freed or that
    was changed in place since, and the fact says which."""
    facts = []
    for attr in _saved_names(type(fn)):
        name = attr.removeprefix("_saved_")
        try:
            value = getattr(fn, attr)
        except RuntimeError as exc:
            if "inplace" in str(exc):
                facts.append(SavedFact(name, True, "changed in place", modified=True))
            else:  # released by a backward without retain_graph
                facts.append(SavedFact(name, True, "freed", freed=True))
            continue
        if isinstance(value, torch.Tensor):
            facts.append(SavedFact(name, True, f"{_shape_text(value)} {_few(value)}"))
        elif value is None or isinstance(value, (int, float, bool, tuple, list, str)):
            text = repr(value)
            facts.append(SavedFact(name, False, text if len(text) <= 60 else text[:57] + "..."))
    return tuple(facts)


# ----- building -----------------------------------------------------------------------------------


def _tensor_node(key: str, t: torch.Tensor, name: str) -> GraphNode:
    grad = None
    if t.is_leaf or t.retains_grad:  # a non-leaf's .grad would warn
        g = t.grad
        grad = None if g is None else _few(g)
    return GraphNode(
        key=key, kind="tensor", label=name, ident=id(t), shape=tuple(t.shape),
        values=_few(t), grad=grad, is_leaf=t.is_leaf, requires_grad=t.requires_grad,
    )


class _Builder:
    def __init__(self, tensors: Mapping[str, torch.Tensor], show_saved: bool) -> None:
        self.tensors = tensors
        self.show_saved = show_saved
        self.names_by_id: dict[int, str] = {}
        for name, t in tensors.items():
            self.names_by_id.setdefault(id(t), name)
        self.graph = AutogradGraph()
        self.keep: list[Any] = []  # wrappers alive until the build ends (stable ids)
        self.fn_keys: dict[int, str] = {}
        self.tensor_keys: dict[int, str] = {}
        self.unnamed = 0
        self.edge_set: set[GraphEdge] = set()
        self.summarised = False

    def edge(self, source: str, target: str, kind: EdgeKind) -> None:
        """Add an edge once (a leaf used twice still gets one edge per distinct pair)."""
        edge = GraphEdge(source, target, kind)
        if edge not in self.edge_set:
            self.edge_set.add(edge)
            self.graph.edges.append(edge)

    def tensor_key(self, t: torch.Tensor) -> tuple[str, bool]:
        """(key, new) for a tensor node; named tensors key by name so keys survive rebuilds."""
        if id(t) in self.tensor_keys:
            return self.tensor_keys[id(t)], False
        name = self.names_by_id.get(id(t), "")
        if name:
            key = f"t:{name}"
        else:
            key = f"t#{self.unnamed}"
            self.unnamed += 1
        self.tensor_keys[id(t)] = key
        self.keep.append(t)
        self.graph.nodes.append(_tensor_node(key, t, name))
        return key, True

    def add_root(self, t: torch.Tensor, budget: int) -> int:
        """Add `t` and the graph behind it; returns how many function nodes it used."""
        key, _ = self.tensor_key(t)
        if self.graph.root is None:
            self.graph.root = key
        if t.grad_fn is None:
            return 0
        fns = walk_functions(t.grad_fn, limit=budget)
        self.keep.extend(fns)
        used = 0
        for fn in fns:
            if id(fn) not in self.fn_keys:
                self.add_function(fn)
                used += 1
        self.edge(key, self.fn_keys[id(fns[0])], "grad_fn")
        for fn in fns:
            src = self.fn_keys[id(fn)]
            for nxt, _ in fn.next_functions:
                if nxt is None:
                    continue
                dst = self.fn_keys.get(id(nxt))
                if dst is not None:
                    self.edge(src, dst, "next")
                else:
                    self.left_out_from(src, nxt)
        if len(fns) >= budget:
            total = _count_reachable(t.grad_fn, COUNT_LIMIT)
            self.graph.left_out += max(total - len(fns), 0)
        return used

    def left_out_from(self, src: str, _nxt: Any) -> None:
        key = "more"
        if not self.summarised:
            self.summarised = True
            self.graph.nodes.append(GraphNode(key, "summary", "more nodes"))
        self.edge(src, key, "summary")

    def add_function(self, fn: Any) -> None:
        key = f"f{len(self.fn_keys)}"
        self.fn_keys[id(fn)] = key
        saved = saved_facts(fn)
        self.graph.nodes.append(GraphNode(
            key=key, kind="function", label=type(fn).__name__, ident=id(fn),
            freed=any(f.freed for f in saved), saved=saved, modified=any(f.modified for f in saved),
        ))
        variable = getattr(fn, "variable", None) if type(fn).__name__ == "AccumulateGrad" else None
        if isinstance(variable, torch.Tensor):
            leaf_key, _ = self.tensor_key(variable)
            self.edge(key, leaf_key, "variable")
        if self.show_saved:
            for fact in saved:
                if fact.is_tensor:
                    saved_key = f"{key}.{fact.name}"
                    self.graph.nodes.append(GraphNode(
                        key=saved_key, kind="saved", label=fact.name, values=fact.text,
                        freed=fact.freed, modified=fact.modified,
                    ))
                    self.edge(key, saved_key, "saved")

    def name_results(self) -> None:
        """Link every named tensor whose grad_fn is drawn (y = x + 10 labels AddBackward0's output)."""
        for t in self.tensors.values():
            fn = t.grad_fn
            if fn is None or id(t) in self.tensor_keys:
                continue
            fn_key = self.fn_keys.get(id(fn))
            if fn_key is not None:
                key, _ = self.tensor_key(t)
                self.edge(key, fn_key, "grad_fn")


def build_graph(
    tensors: Mapping[str, torch.Tensor],
    root: str,
    log: Iterable[str] = (),
    *,
    show_saved: bool = False,
    max_functions: int = MAX_FUNCTIONS,
) -> AutogradGraph:
    """The backward graph of `tensors[root]`, with named results, leaves, saved tensors (when
    `show_saved`) and dashed no-graph edges to the sources of detached results."""
    builder = _Builder(tensors, show_saved)
    sources = statement_sources(log)
    pending = [root]
    visited: set[str] = set()
    budget = max_functions
    while pending:
        name = pending.pop(0)
        if name in visited or name not in tensors:
            continue
        visited.add(name)
        t = tensors[name]
        budget -= builder.add_root(t, max(budget, 1))
        builder.name_results()
        for source in _cut_sources(t, sources.get(name), tensors, builder.tensor_keys):
            key, _ = builder.tensor_key(t)
            source_key, _ = builder.tensor_key(tensors[source])
            builder.edge(key, source_key, "no_graph")
            pending.append(source)
        # Tensors drawn on the way may be cut results too (a = y.detach().requires_grad_()).
        pending.extend(n for n, tn in tensors.items()
                       if n not in visited and id(tn) in builder.tensor_keys and n in sources
                       and (sources[n][0] or tn.grad_fn is None))
    graph = builder.graph
    if builder.summarised:  # the count is known only now: name it on the summary node
        graph.nodes = [dataclasses.replace(n, label=f"{graph.left_out:,} more nodes")
                       if n.kind == "summary" else n for n in graph.nodes]
    if graph.left_out:
        graph.note = (
            f"Showing the {max_functions} nodes nearest the output; {graph.left_out:,} more "
            f"(counted up to {COUNT_LIMIT:,}) are summarised in one node.")
    return graph


def _cut_sources(t: torch.Tensor, entry: tuple[bool, list[str]] | None,
                 tensors: Mapping[str, torch.Tensor], drawn: Mapping[int, str]) -> list[str]:
    """Names `t`'s statement read without a graph link: all of them when `t` has no grad_fn,
    else (detach, .data, no_grad) those its own graph does not reach."""
    if entry is None:
        return []
    cut, read = entry
    if t.grad_fn is not None and not cut:
        return []
    return [s for s in read if s in tensors and tensors[s] is not t
            and (t.grad_fn is None or id(tensors[s]) not in drawn)]


def build_workspace_graph(ws: Any, name: str | None = None, *, show_saved: bool = False,
                          max_functions: int = MAX_FUNCTIONS) -> AutogradGraph:
    """The graph of `name` (default: the workspace's current tensor); empty when there is none."""
    name = name or ws.current
    if name is None or name not in ws.names:
        return AutogradGraph()
    tensors = {n: ws.tensor(n) for n in ws.names}
    return build_graph(tensors, name, ws.log, show_saved=show_saved, max_functions=max_functions)
