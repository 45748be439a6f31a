"""The graph's drawable pieces: a node box with a few lines of text, an edge along the route
the layout chose, and the legend saying which way forward and backward go.

Each node item carries the automation contract's data: data(0) is its kind ("tensor",
"function", "saved" or "summary"), data(1) its label, data(2) its key in the core graph and
data(3) its highlight ("step", "error", "current", "visited" or "") and data(4) True when a
backward freed what it saved. The legend's data(0) is "legend"; a group's box (a layer of a
network) has data(0) "group" and data(1) its caption.
"""

from __future__ import annotations

from math import prod

from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.graph.build import GraphNode

KIND, LABEL, KEY, STATE, FREED = 0, 1, 2, 3, 4
PAD = 6.0
PAD_Y = 4.0  # above and below the text: compact ranks when the graph runs top to bottom


class Palette:
    """Colours for one theme; the view rebuilds it from the widget palette."""

    def __init__(self, base: QtGui.QPalette) -> None:
        dark = base.color(QtGui.QPalette.ColorRole.Base).lightness() < 128
        self.text = base.color(QtGui.QPalette.ColorRole.Text)
        self.edge = QtGui.QColor("#8a8f98" if dark else "#7b808a")
        self.fill = {
            "tensor": QtGui.QColor("#24405e" if dark else "#e3eefb"),
            "function": QtGui.QColor("#3a3f47" if dark else "#f1f1f1"),
            "saved": QtGui.QColor("#4a3f22" if dark else "#fff4d6"),
            "summary": QtGui.QColor("#333333" if dark else "#eeeeee"),
        }
        self.border = QtGui.QColor("#9aa4b1" if dark else "#8b95a3")
        self.freed = QtGui.QColor("#b0b0b0" if dark else "#9a9a9a")
        self.state = {
            "step": QtGui.QColor("#f0a030"),
            "error": QtGui.QColor("#e04848"),
            "current": QtGui.QColor("#4a90e2"),
            "visited": QtGui.QColor("#58a868"),
        }


def node_lines(node: GraphNode, grad_text: str | None = None) -> list[str]:
    """The text a node shows; `grad_text` overrides the tensor's .grad (while stepping)."""
    grad = node.grad if grad_text is None else grad_text
    if node.kind == "tensor":
        shape = str(node.shape) if node.shape is not None else ""
        lines = [f"{node.label or 'tensor'}  {shape}", node.values]
        if grad is not None:
            if shape and grad.startswith(shape + " "):  # the first line already says the shape
                grad = grad[len(shape) + 1:]
            lines.append(f"grad {_like(grad, node.values)}")
        return lines
    if node.kind == "function":
        if node.modified:
            return [node.label, "saved tensor changed in place"]
        return [node.label, "saved tensors freed"] if node.freed else [node.label]
    if node.kind == "saved":
        return [f"saved {node.label}", node.values]
    return [node.label]


def _shown(values: str) -> int:
    """How many numbers a "[a, b, ...]" reading shows."""
    return len([v for v in values.strip("[]").split(", ") if v and v != "..."])


def _like(grad: str, values: str) -> str:
    """`grad` cut to as many numbers as the values line above it shows (same width, same
    reading), with "..." when numbers were left out."""
    if not (grad.startswith("[") and values.startswith("[")) or _shown(grad) <= _shown(values):
        return grad
    keep = grad.strip("[]").split(", ")[:max(_shown(values), 1)]
    return "[" + ", ".join(keep) + ", ...]"


def tooltip(node: GraphNode) -> str:
    """Hover text: a function's saved tensors and attributes; a tensor's facts."""
    if node.kind == "function":
        if not node.saved:
            return f"{node.label}\n(saves nothing)"
        lines = [node.label]
        for fact in node.saved:
            what = "tensor" if fact.is_tensor else "attribute"
            lines.append(f"_saved_{fact.name} ({what}): {fact.text}")
        return "\n".join(lines)
    if node.kind == "tensor":
        lines = [node.label or "(unnamed tensor)", f"shape {node.shape}", f"values {node.values}",
                 f"requires_grad={node.requires_grad}  is_leaf={node.is_leaf}",
                 f"grad {node.grad}" if node.grad is not None else "grad None"]
        if node.label:
            lines.append("Click to make it current")
        return "\n".join(lines)
    if node.kind == "saved":
        return f"_saved_{node.label}: {'freed by backward' if node.freed else node.values}"
    return node.label


class NodeItem(QtWidgets.QGraphicsRectItem):
    """A rounded box with lines of text; its look follows `state`."""

    def __init__(self, node: GraphNode, font: QtGui.QFont, colours: Palette) -> None:
        super().__init__()
        self.node = node
        self._font = font
        self._colours = colours
        self._bold = QtGui.QFont(font)
        self._bold.setBold(True)
        self.setData(KIND, node.kind)
        self.setData(LABEL, node.label)
        self.setData(KEY, node.key)
        self.setData(STATE, "")
        self.setData(FREED, node.freed)
        self.setToolTip(tooltip(node))
        self.setAcceptHoverEvents(True)
        if node.kind == "tensor" and node.label:
            self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        self._lines: list[str] = []
        self.set_lines(node_lines(node))

    def font(self) -> QtGui.QFont:
        """The font the text is drawn in (the view's, so it follows View > Zoom)."""
        return QtGui.QFont(self._font)

    def text_size(self, lines: list[str]) -> tuple[float, float]:
        """The box size `lines` need."""
        metrics = QtGui.QFontMetricsF(self._font)
        bold = QtGui.QFontMetricsF(self._bold)
        width = max(bold.horizontalAdvance(lines[0]),
                    *(metrics.horizontalAdvance(t) for t in lines[1:]), 40.0)
        return width + 2 * PAD, metrics.height() * len(lines) + 2 * PAD_Y

    def grown_size(self) -> tuple[float, float]:
        """The size this box may need once backward ran: a leaf's .grad line (up to four values,
        as the stepped backward shows them) or a function's "saved tensors freed". The layout
        keeps room for it, so stepping never pushes a box over its neighbours."""
        node = self.node
        w, h = self.size_hint()
        if node.kind == "tensor" and node.is_leaf and node.requires_grad:
            count = _shown(node.values)
            sample = "-0.0000" if not node.shape else (
                "[" + ", ".join(["-0.0000"] * count)
                + (", ...]" if prod(node.shape) > count else "]"))
            w2, h2 = self.text_size([*node_lines(node)[:2], f"grad {sample}"])
        elif node.kind == "function" and any(f.is_tensor for f in node.saved):
            w2, h2 = self.text_size([node.label, "saved tensors freed"])
        else:
            return w, h
        return max(w, w2), max(h, h2)

    def set_lines(self, lines: list[str]) -> None:
        """Change the text; the box keeps its size (or grows), centred where it was laid out."""
        self._lines = lines
        width, height = self.text_size(lines)
        self.reserve(width, height)
        self.update()

    def reserve(self, width: float, height: float) -> None:
        """Make the box at least `width` x `height`, centred on the item's position."""
        old = self.rect()
        w, h = max(width, old.width()), max(height, old.height())
        if (w, h) != (old.width(), old.height()):
            self.prepareGeometryChange()
            self.setRect(-w / 2, -h / 2, w, h)

    def size_hint(self) -> tuple[float, float]:
        return self.rect().width(), self.rect().height()

    def set_state(self, state: str) -> None:
        if self.data(STATE) != state:
            self.setData(STATE, state)
            self.update()

    def paint(self, painter: QtGui.QPainter, option: QtWidgets.QStyleOptionGraphicsItem,
              widget: QtWidgets.QWidget | None = None) -> None:
        c = self._colours
        state = self.data(STATE)
        fill = QtGui.QColor(c.fill.get(self.node.kind, c.fill["function"]))
        if state in ("step", "error"):
            fill = QtGui.QColor(c.state[state])
            fill.setAlpha(110)
        border = c.state.get(state, c.state["error"] if self.node.modified else c.border)
        pen = QtGui.QPen(border, 2.5 if state or self.node.modified else 1.0)
        if self.node.freed or self.node.modified:
            pen.setStyle(QtCore.Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(fill)
        radius = 10.0 if self.node.kind == "tensor" else 4.0
        painter.drawRoundedRect(self.rect(), radius, radius)
        metrics = QtGui.QFontMetricsF(self._font)
        y = self.rect().top() + PAD_Y
        if self.node.kind != "tensor":  # room kept for a line to come: keep the text centred
            y = self.rect().center().y() - metrics.height() * len(self._lines) / 2
        for i, line in enumerate(self._lines):
            painter.setFont(self._bold if i == 0 else self._font)
            freed_line = (self.node.freed or self.node.modified) and i > 0
            painter.setPen(c.freed if freed_line else c.text)
            box = QtCore.QRectF(self.rect().left(), y, self.rect().width(), metrics.height())
            painter.drawText(box, QtCore.Qt.AlignmentFlag.AlignCenter, line)
            y += metrics.height()


class EdgeItem(QtWidgets.QGraphicsPathItem):
    """An edge along the layout's route (points joined by straight lines, or by curves that
    leave and arrive along the ranks' axis), with an arrow head where gradient arrives; dashed
    and labelled for a "no graph" link, dotted towards a saved tensor."""

    def __init__(self, route: list[tuple[float, float]], vertical: bool, kind: str,
                 colours: Palette, font: QtGui.QFont) -> None:
        super().__init__()
        self.kind = kind
        points = [QtCore.QPointF(x, y) for x, y in route]
        path = QtGui.QPainterPath(points[0])
        for a, b in zip(points, points[1:], strict=False):
            if a.x() != b.x() and a.y() != b.y():
                if vertical:
                    mid = (a.y() + b.y()) / 2
                    path.cubicTo(a.x(), mid, b.x(), mid, b.x(), b.y())
                else:
                    mid = (a.x() + b.x()) / 2
                    path.cubicTo(mid, a.y(), mid, b.y(), b.x(), b.y())
            else:
                path.lineTo(b)
        middle = path.pointAtPercent(0.5)
        end = points[-1]
        direction = path.angleAtPercent(1.0)
        head = QtGui.QPainterPath()
        head.moveTo(-7, -4)
        head.lineTo(0, 0)
        head.lineTo(-7, 4)
        turn = QtGui.QTransform().translate(end.x(), end.y()).rotate(-direction)
        path.addPath(turn.map(head))
        self.setPath(path)
        pen = QtGui.QPen(colours.edge, 1.2)
        if kind == "no_graph":
            pen.setStyle(QtCore.Qt.PenStyle.DashLine)
            label = QtWidgets.QGraphicsSimpleTextItem("no graph", self)
            label.setFont(font)
            label.setBrush(colours.edge)
            label.setPos(middle.x() + 4, middle.y() - label.boundingRect().height())
        elif kind == "saved":
            pen.setStyle(QtCore.Qt.PenStyle.DotLine)
        self.setPen(pen)
        self.setZValue(-1)


class LegendItem(QtWidgets.QGraphicsRectItem):
    """Which way the passes go, in the graph's own direction: "forward ->" from the inputs to
    the output, "<- backward (gradients)" along the arrows."""

    def __init__(self, vertical: bool, colours: Palette, font: QtGui.QFont) -> None:
        super().__init__()
        self.setData(KIND, "legend")
        forward, backward = ("\u2193", "\u2191") if vertical else ("\u2192", "\u2190")
        self.lines = [f"forward {forward}", f"{backward} backward (gradients)"]
        self._font = font
        self._colours = colours
        metrics = QtGui.QFontMetricsF(font)
        width = max(metrics.horizontalAdvance(t) for t in self.lines) + 2 * PAD
        self.setRect(0, 0, width, metrics.height() * 2 + 2 * PAD)
        self.setToolTip("The forward pass computed the output from the inputs; backward sends "
                        "gradients back along the arrows, from the output to the leaves.")

    def paint(self, painter: QtGui.QPainter, option: QtWidgets.QStyleOptionGraphicsItem,
              widget: QtWidgets.QWidget | None = None) -> None:
        painter.setPen(QtGui.QPen(self._colours.border, 1.0))
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(self.rect(), 4.0, 4.0)
        painter.setFont(self._font)
        metrics = QtGui.QFontMetricsF(self._font)
        y = self.rect().top() + PAD
        for i, line in enumerate(self.lines):
            painter.setPen(self._colours.text if i == 0 else self._colours.edge)
            box = QtCore.QRectF(self.rect().left() + PAD, y, self.rect().width(), metrics.height())
            painter.drawText(box, QtCore.Qt.AlignmentFlag.AlignLeft, line)
            y += metrics.height()


class GroupItem(QtWidgets.QGraphicsRectItem):
    """A captioned box drawn behind a group of nodes (one layer of a network), so a deep
    graph reads layer by layer."""

    def __init__(self, caption: str, rect: QtCore.QRectF, colours: Palette,
                 font: QtGui.QFont) -> None:
        super().__init__()
        self.setData(KIND, "group")
        self.setData(LABEL, caption)
        self.setZValue(-1)  # behind the nodes and edges it holds
        self.caption = caption
        self._font = font
        self._colours = colours
        height = QtGui.QFontMetricsF(font).height()
        self.setRect(rect.adjusted(-PAD, -PAD - height, PAD, PAD))

    def paint(self, painter: QtGui.QPainter, option: QtWidgets.QStyleOptionGraphicsItem,
              widget: QtWidgets.QWidget | None = None) -> None:
        pen = QtGui.QPen(self._colours.border, 1.0, QtCore.Qt.PenStyle.DashLine)
        painter.setPen(pen)
        fill = QtGui.QColor(self._colours.border)
        fill.setAlpha(28)
        painter.setBrush(fill)
        painter.drawRoundedRect(self.rect(), 6.0, 6.0)
        painter.setFont(self._font)
        painter.setPen(self._colours.text)
        box = self.rect().adjusted(PAD, 2.0, -PAD, 0.0)
        painter.drawText(box, QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop,
                         self.caption)
