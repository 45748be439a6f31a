"""The network diagram (`networkView`): one node per input feature, neuron and output.

Each node shows a small heatmap of its own output over the input plane (the worker computes
them, this only paints), links are blue for a positive weight and orange for a negative one,
as thick as |w|; hovering a link shows its weight and its gradient from the last step, hovering
a neuron its bias. Every node and link carries `data(0)` (`input`, `neuron`, `output`, `link`)
and `data(1)` (its label: `x1`, `L1N3`, `output`, `x1→L1N3`). Under each hidden layer a + and
a − add or remove one of its neurons; the header's buttons add or remove a layer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.network.config import MAX_LAYERS, MAX_NEURONS, feature_matrix
from playground.core.network.loop import THUMB_STEP, Snapshot, grid_points
from playground.ui.network.colours import NEGATIVE, POSITIVE, to_index

NODE = 46.0  # a node's side, in scene units
COLUMN_GAP = 150.0
ROW_GAP = 58.0
MAX_PEN = 7.0
LINK_INTERVAL = 0.5  # seconds between link repaints while a run goes (~4 ms each)


class _Hover(QtWidgets.QGraphicsRectItem):
    """A node whose tooltip is written when the pointer arrives (its values change live)."""

    def __init__(self, rect: QtCore.QRectF, tip: Callable[[], str]) -> None:
        super().__init__(rect)
        self._tip = tip
        self.setAcceptHoverEvents(True)

    def hoverEnterEvent(self, event: QtWidgets.QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self.setToolTip(self._tip())
        super().hoverEnterEvent(event)


class _Thumbs(QtWidgets.QGraphicsItem):
    """Every node's picture, painted by this one item from one RGB32 sheet (a node's 25x25
    pixels per block, stacked). A live update colours the worker's indices for all nodes in
    one numpy pass into the sheet's own buffer; a repaint is one Python call for the lot."""

    def __init__(self, rects: list[QtCore.QRectF], side: int) -> None:
        super().__init__()
        self.setZValue(3)  # over the nodes' frames, as a picture filling its node
        self.rects = rects
        self.image = QtGui.QImage(side, side * max(len(rects), 1), QtGui.QImage.Format.Format_RGB32)
        self.image.fill(0)
        self.pixels = np.frombuffer(self.image.bits(), np.uint32).reshape(-1, side, side)
        self.sources = [QtCore.QRectF(0, k * side, side, side) for k in range(len(rects))]
        self._bounds = QtCore.QRectF()
        for rect in rects:
            self._bounds = self._bounds.united(rect)

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt API)
        return self._bounds

    def paint(self, painter: QtGui.QPainter, option: QtWidgets.QStyleOptionGraphicsItem,
              widget: QtWidgets.QWidget | None = None) -> None:
        # Smooth when a picture is drawn larger than its pixels; shrunk, the nearest pixel
        # looks the same and costs half as much.
        side = self.image.width()
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform,
                              painter.worldTransform().m11() * NODE > side)
        image = self.image
        for rect, source in zip(self.rects, self.sources, strict=True):
            painter.drawImage(rect, image, source)


class _Links(QtWidgets.QGraphicsItem):
    """Every link's line, painted by this one item into a device-pixel cache: the thumbnails'
    repaints above it then blit the cache, and the lines are drawn again only when a weight's
    drawn width or sign changes (a few times a second). Lines of the same pen go together."""

    def __init__(self, lines: list[QtCore.QLineF]) -> None:
        super().__init__()
        self.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.lines = lines
        self._pens: dict[float, QtGui.QPen] = {}
        self.groups: list[tuple[QtGui.QPen, list[QtCore.QLineF]]] = [
            (QtGui.QPen(QtGui.QColor(150, 150, 150), 1.0), lines)]
        bounds = QtCore.QRectF()
        for line in lines:
            bounds = bounds.united(QtCore.QRectF(line.p1(), line.p2()).normalized())
        self._bounds = bounds.adjusted(-MAX_PEN, -MAX_PEN, MAX_PEN, MAX_PEN)

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt API)
        return self._bounds

    def set_widths(self, signed: np.ndarray) -> None:
        """Per line (in order) its width, negative for a negative weight."""
        order = np.argsort(signed, kind="stable")
        values, starts = np.unique(signed[order], return_index=True)
        ends = [*starts.tolist()[1:], len(order)]
        lines, indices = self.lines, order.tolist()
        self.groups = [(self._pen(value), [lines[i] for i in indices[start:end]])
                       for value, start, end in zip(values.tolist(), starts.tolist(), ends,
                                                    strict=True)]
        self.update()

    def _pen(self, value: float) -> QtGui.QPen:
        pen = self._pens.get(value)
        if pen is None:
            pen = self._pens[value] = QtGui.QPen(POSITIVE if value > 0 else NEGATIVE, abs(value))
            pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
        return pen

    def paint(self, painter: QtGui.QPainter, option: QtWidgets.QStyleOptionGraphicsItem,
              widget: QtWidgets.QWidget | None = None) -> None:
        for pen, lines in self.groups:
            painter.setPen(pen)
            painter.drawLines(lines)


class _Link(QtWidgets.QGraphicsLineItem):
    """A link for hovering and automation: it paints nothing itself (`_Links` draws every line),
    and its invisible pen is 8 units wide so that a thin link is still easy to hover."""

    def __init__(self, line: QtCore.QLineF, tip: Callable[[], str]) -> None:
        super().__init__(line)
        self._tip = tip
        self.setAcceptHoverEvents(True)
        self.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self.setPen(QtGui.QPen(QtGui.QColor(0, 0, 0, 0), MAX_PEN + 1))

    def hoverEnterEvent(self, event: QtWidgets.QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self.setToolTip(self._tip())
        super().hoverEnterEvent(event)


class _Button(QtWidgets.QGraphicsSimpleTextItem):
    """A small clickable "+" or "−" drawn in the scene under a layer."""

    def __init__(self, text: str, action: Callable[[], None], tip: str) -> None:
        super().__init__(text)
        self._action = action
        self.setToolTip(tip)
        self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.setFont(font)

    def mousePressEvent(self, event: QtWidgets.QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        event.accept()

    def mouseReleaseEvent(self, event: QtWidgets.QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self.contains(event.pos()):
            # Later: the action rebuilds the scene, which must not delete this item mid-event.
            QtCore.QTimer.singleShot(0, self._action)


class NetworkDiagram(QtWidgets.QGraphicsView):
    """The diagram; `set_structure` lays it out, `show_snapshot` repaints thumbnails and links."""

    layersRequested = QtCore.Signal(object)  # tuple[int, ...]: the layers the user asked for

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkView")
        self.setScene(QtWidgets.QGraphicsScene(self))
        self.setRenderHints(QtGui.QPainter.RenderHint.Antialiasing
                            | QtGui.QPainter.RenderHint.SmoothPixmapTransform)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumSize(200, 200)
        self.features: tuple[str, ...] = ()
        self.layers: tuple[int, ...] = ()
        self.nodes: dict[str, _Hover] = {}
        self.links: list[tuple[_Link, int, int, int]] = []  # (item, layer, out, in)
        self.snapshot: Snapshot | None = None
        self._thumbs: _Thumbs | None = None
        self._lines: _Links | None = None
        self._drawn_links: np.ndarray | None = None  # the signed widths last painted
        self._lut = np.zeros((256, 3), np.uint8)
        self._lut32 = np.zeros(256, np.uint32)  # the colours as RGB32 pixels
        self._text = QtGui.QColor("black")
        self._editable = True
        self._feature_images: dict[str, np.ndarray] = {}
        self._links_at = 0.0

    # ----- layout -----------------------------------------------------------------------------
    def set_structure(self, features: tuple[str, ...], layers: tuple[int, ...],
                      feature_images: dict[str, np.ndarray]) -> None:
        """Lay out the nodes and links for these features and hidden layers."""
        self.features, self.layers = features, layers
        self._feature_images = feature_images
        scene = self.scene()
        scene.clear()
        self._thumbs = self._lines = None  # deleted with the scene's items
        if not features:  # nothing to draw until the lab hands the first setup over
            return
        self.nodes.clear()
        self.links.clear()
        self._drawn_links = None
        sizes = [len(features), *layers, 1]
        labels = [list(features)]
        labels += [[f"L{i}N{j}" for j in range(1, n + 1)] for i, n in enumerate(layers, 1)]
        labels.append(["output"])
        tallest = max(sizes)
        centres: list[list[QtCore.QPointF]] = []
        for col, column in enumerate(labels):
            top = (tallest - len(column)) * ROW_GAP / 2
            centres.append([QtCore.QPointF(col * COLUMN_GAP, top + r * ROW_GAP + NODE / 2)
                            for r in range(len(column))])
        # links under the nodes, which paint over their ends
        lines: list[QtCore.QLineF] = []
        for layer in range(len(sizes) - 1):
            for j, end in enumerate(centres[layer + 1]):
                for i, start in enumerate(centres[layer]):
                    a, b = labels[layer][i], labels[layer + 1][j]
                    line = QtCore.QLineF(start + QtCore.QPointF(NODE / 2, 0),
                                         end - QtCore.QPointF(NODE / 2, 0))
                    item = _Link(line, self._link_tip(layer, j, i, a, b))
                    item.setData(0, "link")
                    item.setData(1, f"{a}→{b}")
                    scene.addItem(item)
                    self.links.append((item, layer, j, i))
                    lines.append(line)
        self._lines = _Links(lines)
        scene.addItem(self._lines)
        rects: list[QtCore.QRectF] = []
        for col, column in enumerate(labels):
            kind = "input" if col == 0 else "output" if col == len(labels) - 1 else "neuron"
            for r, label in enumerate(column):
                c = centres[col][r]
                rect = QtCore.QRectF(c.x() - NODE / 2, c.y() - NODE / 2, NODE, NODE)
                node = _Hover(rect, self._node_tip(kind, col, r, label))
                node.setData(0, kind)
                node.setData(1, label)
                node.setPen(QtGui.QPen(QtGui.QColor(120, 120, 120), 1.0))
                node.setZValue(2)
                scene.addItem(node)
                rects.append(rect)
                self.nodes[label] = node
                if kind == "input":
                    name = scene.addSimpleText(label, self._caption_font())
                    name.setBrush(self._text)
                    name.setPos(rect.left() - name.boundingRect().width() - 6,
                                c.y() - name.boundingRect().height() / 2)
        side = next(iter(feature_images.values())).shape[0]
        self._thumbs = _Thumbs(rects, side)
        scene.addItem(self._thumbs)
        for k, name in enumerate(features):  # x2 descending, as an image's rows
            self._thumbs.pixels[k] = self._lut32[to_index(feature_images[name][::-1])]
        self._add_buttons(centres, tallest)
        self._redraw_snapshot()
        self._fit()

    def _add_buttons(self, centres: list[list[QtCore.QPointF]], tallest: int) -> None:
        if not self._editable:
            return
        scene = self.scene()
        bottom = tallest * ROW_GAP + 8
        for i, n in enumerate(self.layers):
            x = centres[i + 1][0].x()
            for text, delta, tip in (("+", 1, "Add a neuron to this layer"),
                                     ("−", -1, "Remove a neuron from this layer")):
                button = _Button(text, self._resize_action(i, delta), tip)
                button.setBrush(self._text)
                button.setData(0, "add" if delta > 0 else "remove")
                button.setData(1, f"L{i + 1}")
                enabled = 1 <= n + delta <= MAX_NEURONS
                button.setOpacity(1.0 if enabled else 0.3)
                button.setEnabled(enabled)
                w = button.boundingRect().width()
                button.setPos(x + (-w - 6 if delta > 0 else 6), bottom)
                scene.addItem(button)
            caption = scene.addSimpleText(f"{n} neuron{'s' if n != 1 else ''}",
                                          self._caption_font())
            caption.setBrush(self._text)
            caption.setPos(x - caption.boundingRect().width() / 2, -34)
        for label, col in (("input", 0), ("output", len(centres) - 1)):
            caption = scene.addSimpleText(label, self._caption_font())
            caption.setBrush(self._text)
            caption.setPos(centres[col][0].x() - caption.boundingRect().width() / 2, -34)

    def _caption_font(self) -> QtGui.QFont:
        # Scene text shrinks with the fit: start larger so it stays readable from afar.
        font = QtGui.QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        return font

    def _resize_action(self, layer: int, delta: int) -> Callable[[], None]:
        def act() -> None:
            layers = list(self.layers)
            layers[layer] = max(1, min(MAX_NEURONS, layers[layer] + delta))
            self.layersRequested.emit(tuple(layers))
        return act

    def add_layer(self) -> None:
        """Ask for one more hidden layer (as wide as the last, 4 if none)."""
        if len(self.layers) < MAX_LAYERS:
            self.layersRequested.emit((*self.layers, self.layers[-1] if self.layers else 4))

    def remove_layer(self) -> None:
        if self.layers:
            self.layersRequested.emit(self.layers[:-1])

    # ----- live values --------------------------------------------------------------------------
    def show_snapshot(self, snapshot: Snapshot | None, *, all_links: bool = False) -> None:
        """Repaint from `snapshot`; links follow at most every LINK_INTERVAL unless asked."""
        self.snapshot = snapshot
        if all_links:
            self._links_at = 0.0
        self._redraw_snapshot()

    def _redraw_snapshot(self) -> None:
        s, thumbs = self.snapshot, self._thumbs
        sizes = [len(self.features), *self.layers, 1]
        shapes = [(sizes[i + 1], sizes[i]) for i in range(len(sizes) - 1)]
        if s is None or thumbs is None or [w.shape for w in s.weights] != shapes:
            return  # a picture of another network (the setup has just changed)
        if s.thumbs_index is not None:
            # The worker coloured them already (indices into the lookup table): one pass here.
            thumbs.pixels[len(self.features):] = self._lut32[s.thumbs_index]
            thumbs.update()
        now = time.monotonic()
        if now - self._links_at < LINK_INTERVAL and s.epoch >= 0:
            return  # links are read, not watched: a few updates a second leave time to train
        self._links_at = now
        biggest = max((float(np.abs(w).max()) for w in s.weights if w.size), default=1.0)
        scale = MAX_PEN / max(biggest, 1.0)
        weights = np.concatenate([w.ravel() for w in s.weights])  # the links' order
        widths = np.round(np.maximum(0.6, np.abs(weights) * scale) * 4) / 4  # quarter units
        signed = np.where(weights > 0, widths, -widths)
        if self._lines is not None and (self._drawn_links is None
                                        or not np.array_equal(signed, self._drawn_links)):
            self._drawn_links = signed
            self._lines.set_widths(signed)

    def _link_tip(self, layer: int, j: int, i: int, a: str, b: str) -> Callable[[], str]:
        def tip() -> str:
            s = self.snapshot
            if s is None or layer >= len(s.weights) or s.weights[layer].shape[0] <= j:
                return f"{a} → {b}: start a run to see its weight"
            w = float(s.weights[layer][j, i])
            g = s.grads[layer]
            grad = "none yet" if g is None else f"{float(g[j, i]):.4g}"
            return f"{a} → {b}\nweight {w:.4g}\ngradient (last step) {grad}"
        return tip

    def _node_tip(self, kind: str, col: int, row: int, label: str) -> Callable[[], str]:
        def tip() -> str:
            if kind == "input":
                return f"input feature {label}: its value over the plane"
            s = self.snapshot
            if s is None or col - 1 >= len(s.biases):
                return label
            bias = float(s.biases[col - 1][row])
            what = "the network's output" if kind == "output" else "this neuron's output"
            return f"{label}: bias {bias:.4g}\nthe picture is {what} over the plane"
        return tip

    # ----- look ---------------------------------------------------------------------------------
    def set_colours(self, lut: np.ndarray, text: QtGui.QColor) -> None:
        self._lut = lut
        rgb = lut.astype(np.uint32)
        self._lut32 = (0xFF000000 | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]).astype(
            np.uint32)
        self._text = text
        self.set_structure(self.features, self.layers, self._feature_images)

    def _fit(self) -> None:
        rect = self.scene().itemsBoundingRect().adjusted(-12, -12, 12, 12)
        self.setSceneRect(rect)
        self.fitInView(rect, QtCore.Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._fit()

    def items_of(self, kind: str) -> list[QtWidgets.QGraphicsItem]:
        """The scene's items whose data(0) is `kind` (for tests and automation)."""
        return [i for i in self.scene().items() if i.data(0) == kind]


_FEATURE_CACHE: dict[str, np.ndarray] = {}


def feature_images(features: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Each input feature over the plane, scaled to [-1, 1] (its thumbnail)."""
    missing = [f for f in features if f not in _FEATURE_CACHE]
    if missing:
        grid = grid_points()
        side = int(math.isqrt(grid.shape[0]))
        for name in missing:
            values = feature_matrix(grid, (name,))[:, 0].reshape(side, side).numpy()
            values = values[::THUMB_STEP, ::THUMB_STEP]
            _FEATURE_CACHE[name] = values / max(float(np.abs(values).max()), 1e-9)
    return {f: _FEATURE_CACHE[f] for f in features}
