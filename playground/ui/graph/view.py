"""`graphView`: draws a core AutogradGraph with QGraphicsView; zoom, pan, fit, click, hover.

The view only draws what the core built (plain nodes and edges) at the positions the core's
layered layout chose; Ctrl+wheel zooms, dragging pans, clicking a named tensor emits its name.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.graph.build import AutogradGraph
from playground.core.graph.layout import layered_layout
from playground.ui.graph.items import KIND, LABEL, EdgeItem, NodeItem, Palette

MIN_SCALE, MAX_SCALE = 0.05, 4.0
READABLE_SCALE = 0.75  # below this node text is too small to read on a laptop screen


class GraphView(QtWidgets.QGraphicsView):
    """The autograd graph, inputs on the left and the output on the right."""

    tensorClicked = QtCore.Signal(str)  # noqa: N815 (Qt signal naming)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("graphView")
        self.setScene(QtWidgets.QGraphicsScene(self))
        self.setRenderHints(QtGui.QPainter.RenderHint.Antialiasing
                            | QtGui.QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QtWidgets.QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QtWidgets.QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QtWidgets.QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setToolTip("")
        self.items_by_key: dict[str, NodeItem] = {}
        self.graph = AutogradGraph()
        self._press: QtCore.QPoint | None = None

    # ----- drawing -------------------------------------------------------------------------------

    def show_graph(self, graph: AutogradGraph) -> None:
        """Replace the drawing with `graph`, laid out left to right."""
        self.graph = graph
        scene = self.scene()
        scene.clear()
        self.items_by_key = {}
        colours = Palette(self.palette())
        font = QtGui.QFont(self.font())
        small = QtGui.QFont(font)
        small.setPointSizeF(max(font.pointSizeF() * 0.85, 6.0))
        for node in graph.nodes:
            item = NodeItem(node, font, colours)
            self.items_by_key[node.key] = item
            scene.addItem(item)
        sizes = {k: item.size_hint() for k, item in self.items_by_key.items()}
        edges = [(e.source, e.target) for e in graph.edges]
        layout = layered_layout(list(self.items_by_key), sizes, edges)
        for key, (x, y) in layout.positions.items():
            self.items_by_key[key].setPos(x, y)
        for e in graph.edges:
            source, target = self.items_by_key.get(e.source), self.items_by_key.get(e.target)
            if source is not None and target is not None:
                scene.addItem(EdgeItem(source, target, e.kind, colours, small))
        margin = 30.0
        scene.setSceneRect(scene.itemsBoundingRect().adjusted(-margin, -margin, margin, margin))

    def set_states(self, states: dict[str, str]) -> None:
        """Highlight nodes: key -> "step", "error", "current" or "visited"; others plain."""
        for key, item in self.items_by_key.items():
            item.set_state(states.get(key, ""))

    def set_lines(self, key: str, lines: list[str]) -> None:
        """Change one node's text (a leaf's .grad growing while backward is stepped)."""
        item = self.items_by_key.get(key)
        if item is not None:
            item.set_lines(lines)
            grown = item.sceneBoundingRect().adjusted(-30.0, -30.0, 30.0, 30.0)
            self.scene().setSceneRect(self.scene().sceneRect().united(grown))

    def node_items(self) -> list[NodeItem]:
        """Every node item, in the core graph's order."""
        return list(self.items_by_key.values())

    # ----- zoom, pan, fit ------------------------------------------------------------------------

    def zoom(self, factor: float) -> None:
        """Scale by `factor`, kept between 5% and 400%."""
        current = self.transform().m11()
        factor = min(max(current * factor, MIN_SCALE), MAX_SCALE) / current
        self.scale(factor, factor)

    def fit(self, readable: bool = False) -> None:
        """Show the whole graph, never magnified beyond 100%; `readable` stops shrinking at
        READABLE_SCALE and keeps the output (the right end, where backward starts) in view."""
        rect = self.scene().sceneRect()
        if rect.isEmpty():
            return
        self.resetTransform()
        self.fitInView(rect, QtCore.Qt.AspectRatioMode.KeepAspectRatio)
        scale = self.transform().m11()
        if scale > 1.0 or (readable and scale < READABLE_SCALE):
            self.resetTransform()
            target = 1.0 if scale > 1.0 else READABLE_SCALE
            self.scale(target, target)
        self.centerOn(rect.center())
        root = self.items_by_key.get(self.graph.root or "")
        if readable and root is not None:
            self.ensureVisible(root, 20, 20)

    def reveal(self, key: str) -> None:
        """Scroll just enough to show node `key` (the step being played)."""
        item = self.items_by_key.get(key)
        if item is not None:
            self.ensureVisible(item, 30, 30)

    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:  # noqa: N802 (Qt API)
        if event.modifiers() & QtCore.Qt.KeyboardModifier.ControlModifier:
            self.zoom(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)
            event.accept()
            return
        super().wheelEvent(event)

    # ----- clicks --------------------------------------------------------------------------------

    def node_at(self, pos: QtCore.QPoint) -> NodeItem | None:
        """The node item under a viewport position, if any."""
        for item in self.items(pos):
            while item is not None and not isinstance(item, NodeItem):
                item = item.parentItem()
            if isinstance(item, NodeItem):
                return item
        return None

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt API)
        self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt API)
        super().mouseReleaseEvent(event)
        pos = event.position().toPoint()
        if self._press is None or (pos - self._press).manhattanLength() > 4:
            return  # a drag to pan, not a click
        self._press = None
        item = self.node_at(pos)
        if item is not None and item.data(KIND) == "tensor" and item.data(LABEL):
            self.tensorClicked.emit(item.data(LABEL))
