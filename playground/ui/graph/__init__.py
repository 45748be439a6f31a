"""The Graph tab: the real autograd graph, drawn live, with backward stepped node by node."""

from playground.ui.graph.panel import GraphPanel
from playground.ui.graph.view import GraphView

__all__ = ["GraphPanel", "GraphView"]
