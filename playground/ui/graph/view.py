"""`graphView`: draws a core AutogradGraph with QGraphicsView; zoom, pan, fit, click, hover.

The view only draws what the core built (plain nodes and edges) at the positions and along the
routes the core's layered layout chose. Readable at first sight: it lays the graph out both left
to right and top to bottom and keeps the one that fits its viewport at the larger scale (again
when it is resized); a one-link node (a named result, a leaf, a saved tensor) sits beside the
node it hangs on; a legend says which way forward and backward go; the text follows the
application font (View > Zoom). A graph too big to read whole is shown at a readable scale,
centred on the output or on the step being played. Ctrl+wheel zooms, dragging pans, clicking a
named tensor emits its name. Groups handed in with the graph (a network's layers) are laid
out in ranks of their own and drawn in captioned boxes.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.graph.build import AutogradGraph
from playground.core.graph.layout import (
    LEFT_TO_RIGHT,
    TOP_TO_BOTTOM,
    Layout,
    attachments,
    layered_layout,
)
from playground.ui.graph.items import (
    KIND,
    LABEL,
    EdgeItem,
    GroupItem,
    LegendItem,
    NodeItem,
    Palette,
)

MIN_SCALE, MAX_SCALE = 0.05, 4.0
READABLE_SCALE = 0.75  # below this node text is too small to read on a laptop screen
STEPPING_SCALE = 0.6  # while stepping, shrink this far to keep the output and the step in view
MARGIN = 6.0  # scene margin around the drawing, in scene units
RANK_GAP = {LEFT_TO_RIGHT: 44.0, TOP_TO_BOTTOM: 20.0}  # room for the arrows between ranks
ROW_GAP = {LEFT_TO_RIGHT: 14.0, TOP_TO_BOTTOM: 18.0}
LEGEND_GAP = 16.0
GROUP_GAP = {LEFT_TO_RIGHT: 16.0, TOP_TO_BOTTOM: 34.0}  # extra room between groups, captions


class GraphView(QtWidgets.QGraphicsView):
    """The autograd graph, inputs first and the output last, across or down the view."""

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
        self.orientation = LEFT_TO_RIGHT
        self.legend: LegendItem | None = None
        self.edge_items: list[EdgeItem] = []
        self.group_items: list[GroupItem] = []
        self._groups: dict[str, str] = {}
        self._layouts: dict[str, Layout] = {}
        self._states: dict[str, str] = {}
        self._lines: dict[str, list[str]] = {}
        self._focus: str | None = None  # the node a readable fit centres on (the step played)
        self._auto_fit: bool | None = None  # the last fit's `readable`, None once zoomed by hand
        self._press: QtCore.QPoint | None = None
        self._refit_timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._refit_timer.timeout.connect(self._follow_size)

    # ----- drawing -------------------------------------------------------------------------------

    def show_graph(self, graph: AutogradGraph, groups: dict[str, str] | None = None) -> None:
        """Replace the drawing with `graph` (highlights and stepped text start afresh);
        `groups` maps node keys to a caption ("Layer 1") to box them together."""
        same = [n.key for n in graph.nodes] == [n.key for n in self.graph.nodes]
        self.graph = graph
        self._groups = dict(groups or {})
        self._states, self._lines = {}, {}
        self._layouts = {}
        if not same:
            self._focus = None
        # The same nodes again (a statement ran, a backward freed what they saved): keep the
        # orientation, so the drawing holds still.
        self._draw(self.orientation if same else None)

    def _draw(self, orientation: str | None = None) -> None:
        """Build the scene from self.graph in `orientation` (None: the one that reads best)."""
        graph = self.graph
        scene = self.scene()
        scene.clear()
        self.items_by_key = {}
        self.legend = None
        self.edge_items = []
        self.group_items = []
        colours = Palette(self.palette())
        font = QtGui.QFont(self.font())
        small = QtGui.QFont(font)
        small.setPointSizeF(max(font.pointSizeF() * 0.85, 6.0))
        for node in graph.nodes:
            item = NodeItem(node, font, colours)
            self.items_by_key[node.key] = item
            scene.addItem(item)
        if not graph.nodes:
            scene.setSceneRect(QtCore.QRectF())
            return
        sizes = {k: item.grown_size() for k, item in self.items_by_key.items()}
        if not self._layouts:
            edges = [(e.source, e.target) for e in graph.edges]
            beside = attachments([(e.source, e.target, e.kind) for e in graph.edges])
            self._layouts = {
                o: layered_layout(list(self.items_by_key), sizes, edges, orientation=o,
                                  attached=beside, column_gap=RANK_GAP[o], row_gap=ROW_GAP[o],
                                  groups=self._groups, group_gap=GROUP_GAP[o])
                for o in (LEFT_TO_RIGHT, TOP_TO_BOTTOM)}
        legend_size = LegendItem(False, colours, font).rect().size()
        self.orientation = orientation or self._best_orientation(legend_size)
        layout = self._layouts[self.orientation]
        for key, (x, y) in layout.positions.items():
            item = self.items_by_key[key]
            item.setPos(x, y)
            item.reserve(*sizes[key])
        vertical = self.orientation == TOP_TO_BOTTOM
        if layout.grouped:
            caption = QtGui.QFont(font)
            caption.setBold(True)
            self._draw_groups(colours, caption)
        # Python-side subclasses: keep a reference, or a later scene.items() may free them.
        self.edge_items = [EdgeItem(route, vertical, e.kind, colours, small)
                           for e in graph.edges
                           if (route := layout.routes.get((e.source, e.target)))]
        for edge in self.edge_items:
            scene.addItem(edge)
        # The legend beside the inputs' end, across from the ranks: where the drawing has room.
        self.legend = LegendItem(vertical, colours, font)
        self.legend.setPos(self._legend_spot(self.legend.rect(), layout, vertical))
        scene.addItem(self.legend)
        for key, lines in self._lines.items():
            if key in self.items_by_key:
                self.items_by_key[key].set_lines(lines)
        self.set_states(self._states)
        rect = scene.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
        scene.setSceneRect(rect)

    def _draw_groups(self, colours: Palette, font: QtGui.QFont) -> None:
        """A captioned box round each group's nodes (their ranks are their own, so the boxes
        do not overlap), in the order the groups were given."""
        members: dict[str, list[NodeItem]] = {}
        for key, caption in self._groups.items():
            if key in self.items_by_key:
                members.setdefault(caption, []).append(self.items_by_key[key])
        for caption, items in members.items():
            rect = QtCore.QRectF(items[0].sceneBoundingRect())
            for item in items[1:]:
                rect = rect.united(item.sceneBoundingRect())
            group = GroupItem(caption, rect, colours, font)
            self.group_items.append(group)
            self.scene().addItem(group)

    def _legend_spot(self, box: QtCore.QRectF, layout: Layout, vertical: bool) -> QtCore.QPointF:
        """Where the legend goes: beside the first or the last rank, whichever leaves the
        drawing narrower, just clear of every node and edge there."""
        drawn = [i.sceneBoundingRect() for i in self.scene().items() if i.parentItem() is None]
        spots = []
        for start in (True, False):
            if vertical:
                top = 0.0 if start else max(layout.height - box.height(), 0.0)
                band = [r.right() for r in drawn
                        if r.bottom() > top and r.top() < top + box.height()]
                spots.append(QtCore.QPointF(max(band, default=0.0) + LEGEND_GAP, top))
            else:
                left = 0.0 if start else max(layout.width - box.width(), 0.0)
                band = [r.bottom() for r in drawn
                        if r.right() > left and r.left() < left + box.width()]
                spots.append(QtCore.QPointF(left, max(band, default=0.0) + LEGEND_GAP))
        return min(spots, key=lambda p: p.x() if vertical else p.y())

    def _scale_for(self, width: float, height: float) -> float:
        """The scale at which a drawing of this size fits the viewport (at most 1)."""
        view = self.viewport().size()
        return min(max(view.width() - 4, 1) / (width + 2 * MARGIN),
                   max(view.height() - 4, 1) / (height + 2 * MARGIN), 1.0)

    def _scales(self, legend: QtCore.QSizeF) -> dict[str, float]:
        """For each orientation, the scale at which its whole drawing fits the viewport."""
        scales = {}
        for o, layout in self._layouts.items():
            if o == TOP_TO_BOTTOM:
                size = (layout.width + LEGEND_GAP + legend.width(),
                        max(layout.height, legend.height()))
            else:
                size = (max(layout.width, legend.width()),
                        layout.height + LEGEND_GAP + legend.height())
            scales[o] = self._scale_for(*size)
        return scales

    def _gain(self, orientation: str, legend: QtCore.QSizeF) -> float:
        """How many times larger `orientation` would draw than the current one."""
        scales = self._scales(legend)
        return scales[orientation] / max(scales[self.orientation], 1e-6)

    def _best_orientation(self, legend: QtCore.QSizeF) -> str:
        """The orientation whose whole drawing fits at the larger scale; on a tie (both fit at
        full size) the viewport's shape decides: top to bottom in a tall one."""
        scales = self._scales(legend)
        view = self.viewport().size()
        tall = view.height() > view.width()
        if abs(scales[TOP_TO_BOTTOM] - scales[LEFT_TO_RIGHT]) < 0.02:
            return TOP_TO_BOTTOM if tall else LEFT_TO_RIGHT
        return max(scales, key=scales.__getitem__)

    def set_states(self, states: dict[str, str]) -> None:
        """Highlight nodes: key -> "step", "error", "current" or "visited"; others plain."""
        self._states = dict(states)
        for key, item in self.items_by_key.items():
            item.set_state(states.get(key, ""))

    def set_lines(self, key: str, lines: list[str]) -> None:
        """Change one node's text (a leaf's .grad growing while backward is stepped); the layout
        kept room for it, and the scene grows only if the text outgrew that room."""
        item = self.items_by_key.get(key)
        if item is not None:
            self._lines[key] = list(lines)
            item.set_lines(lines)
            grown = item.sceneBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
            if not self.scene().sceneRect().contains(grown):
                self.scene().setSceneRect(self.scene().sceneRect().united(grown))

    def node_items(self) -> list[NodeItem]:
        """Every node item, in the core graph's order."""
        return list(self.items_by_key.values())

    # ----- zoom, pan, fit ------------------------------------------------------------------------

    @property
    def fitting(self) -> bool | None:
        """How the view fits itself on a resize: the last fit's `readable`, None once zoomed by
        hand (or before the first fit)."""
        return self._auto_fit

    def zoom(self, factor: float) -> None:
        """Scale by `factor`, kept between 5% and 400% (the view stops fitting itself)."""
        self._auto_fit = None
        current = self.transform().m11()
        factor = min(max(current * factor, MIN_SCALE), MAX_SCALE) / current
        self.scale(factor, factor)

    def fit(self, readable: bool = False) -> None:
        """Show the whole graph, never magnified beyond 100%; `readable` stops shrinking at
        READABLE_SCALE and centres on the output (or the step being played) instead. The view
        keeps fitting itself this way when resized, until zoomed by hand."""
        self._auto_fit = readable
        self._reorient()
        rect = self.scene().sceneRect()
        if rect.isEmpty():
            return
        self.resetTransform()
        scale = self._scale_for(rect.width() - 2 * MARGIN, rect.height() - 2 * MARGIN)
        if readable and scale < READABLE_SCALE:
            scale = READABLE_SCALE
        self.scale(scale, scale)
        self.centerOn(rect.center())
        if readable and scale == READABLE_SCALE and self.graph.root in self.items_by_key:
            self.centerOn(self.items_by_key[self.graph.root])
            if self._focus in self.items_by_key:
                self.reveal(self._focus)

    def reveal(self, key: str) -> None:
        """Scroll just enough to show node `key` (the step being played), and the output with
        it when both fit in the view."""
        item = self.items_by_key.get(key)
        if item is None:
            return
        self._focus = key
        root = self.items_by_key.get(self.graph.root or "")
        both = item.sceneBoundingRect()
        if root is not None:
            both = both.united(root.sceneBoundingRect())
        scale = self.transform().m11()
        view = self.viewport().rect()
        need = min((view.width() - 24) / max(both.width(), 1.0),
                   (view.height() - 24) / max(both.height(), 1.0))
        if need < scale and self._auto_fit is not None and need >= STEPPING_SCALE:
            # The view fits itself: shrink a little rather than lose the output from sight.
            self.scale(need / scale, need / scale)
            scale = need
        if need >= scale:
            self.ensureVisible(both, 12, 12)
        else:
            self.ensureVisible(item, 12, 12)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        if self.items_by_key and self._auto_fit is not None:
            self._refit_timer.start()

    def _follow_size(self) -> None:
        """After a resize: the orientation that now reads best, fitted again."""
        if self.items_by_key and self._auto_fit is not None:
            self.fit(self._auto_fit)

    def _reorient(self) -> None:
        """Redraw in the other orientation when it now reads clearly better, or fits whole at
        full size: no flip-flopping on small resizes."""
        if not self._layouts:
            return
        legend = self.legend.rect().size() if self.legend is not None else QtCore.QSizeF()
        best = self._best_orientation(legend)
        whole = self._scales(legend)[best] >= 0.999  # then the shape decides, steadily
        if best != self.orientation and (whole or self._gain(best, legend) > 1.15):
            self._draw(best)

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        kind = event.type()
        if kind in (QtCore.QEvent.Type.FontChange, QtCore.QEvent.Type.PaletteChange) \
                and self.graph.nodes:
            # View > Zoom or the theme: redraw the same graph in the new font and colours.
            readable = self._auto_fit
            self._layouts = {} if kind == QtCore.QEvent.Type.FontChange else self._layouts
            self._draw(None if kind == QtCore.QEvent.Type.FontChange else self.orientation)
            if readable is not None:
                self.fit(readable)

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
