"""The autograd graph as plain data: nodes, edges and what was left out, for the graph view.

Built by graph/build.py from torch and read by the views and graph/locate.py; nothing here
holds a live tensor, only short texts, flags and the ids the tests map onto.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

NodeKind = Literal["tensor", "function", "saved", "summary"]
# next: grad_fn -> next_functions; variable: AccumulateGrad -> its leaf; grad_fn: a tensor -> the
# node that made it; saved: node -> a tensor it saved; no_graph: detached result -> its source.
EdgeKind = Literal["next", "variable", "grad_fn", "saved", "no_graph", "summary"]

@dataclass(frozen=True)
class SavedFact:
    """One `_saved_*` attribute of a node: a saved tensor or a plain attribute (dim, alpha...)."""

    name: str  # the attribute without its `_saved_` prefix, e.g. "self", "other", "result"
    is_tensor: bool
    text: str  # shape and a few values, or the attribute's repr; "freed" once released
    freed: bool = False
    modified: bool = False  # changed in place since it was saved: backward would fail here


@dataclass(frozen=True)
class GraphNode:
    """A drawable node: a tensor, a grad_fn (function), a saved tensor, or a summary of the rest."""

    key: str
    kind: NodeKind
    label: str  # tensor: workspace name or ""; function: class name; saved: attribute name
    ident: int = 0  # id() of the torch object while the graph was built (tests map onto it)
    shape: tuple[int, ...] | None = None
    values: str = ""  # a few values, e.g. "[10.5, 11.2, ...]"
    grad: str | None = None  # a few values of .grad when set
    is_leaf: bool = False
    requires_grad: bool = False
    freed: bool = False  # function: its saved tensors were released by a backward
    saved: tuple[SavedFact, ...] = ()
    modified: bool = False  # function/saved: a saved tensor was changed in place since


@dataclass(frozen=True)
class GraphEdge:
    """An edge in the direction gradients flow (root towards leaves); no_graph points at a source."""

    source: str
    target: str
    kind: EdgeKind


@dataclass
class AutogradGraph:
    """Nodes and edges of one tensor's backward graph, plus what was left out and why."""

    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)
    root: str | None = None
    left_out: int = 0  # function nodes not drawn (the walk stopped at MAX_FUNCTIONS)
    note: str = ""

    def node(self, key: str) -> GraphNode:
        """The node with this key (KeyError if absent)."""
        for node in self.nodes:
            if node.key == key:
                return node
        raise KeyError(key)

    def keys(self, kind: NodeKind | None = None, label: str | None = None) -> list[str]:
        """Keys of the nodes of `kind` (and `label`), in walk order."""
        return [
            n.key for n in self.nodes
            if (kind is None or n.kind == kind) and (label is None or n.label == label)
        ]

    def leaf_of(self, function_key: str) -> str | None:
        """The tensor node an AccumulateGrad node feeds, or None."""
        for edge in self.edges:
            if edge.source == function_key and edge.kind == "variable":
                return edge.target
        return None
