"""The graph's drawable pieces: a node box with a few lines of text, and a curved edge.

Each node item carries the automation contract's data: data(0) is its kind ("tensor",
"function", "saved" or "summary"), data(1) its label, data(2) its key in the core graph and
data(3) its highlight ("step", "error", "current", "visited" or "") and data(4) True when a
backward freed what it saved.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.graph.build import GraphNode

KIND, LABEL, KEY, STATE, FREED = 0, 1, 2, 3, 4
PAD = 6.0


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
            lines.append(f"grad {grad}")
        return lines
    if node.kind == "function":
        if node.modified:
            return [node.label, "saved tensor changed in place"]
        return [node.label, "saved tensors freed"] if node.freed else [node.label]
    if node.kind == "saved":
        return [f"saved {node.label}", node.values]
    return [node.label]


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

    def set_lines(self, lines: list[str]) -> None:
        """Change the text (the box keeps the width it was laid out with, or grows)."""
        self._lines = lines
        metrics = QtGui.QFontMetricsF(self._font)
        bold = QtGui.QFontMetricsF(self._bold)
        width = max(bold.horizontalAdvance(lines[0]),
                    *(metrics.horizontalAdvance(t) for t in lines[1:]), 40.0)
        height = metrics.height() * len(lines)
        old = self.rect()
        w = max(width + 2 * PAD, old.width())
        h = height + 2 * PAD
        # Grow leftwards once laid out: edges meet a node on its right (gradient arrives there).
        left = -w / 2 if old.isEmpty() else old.right() - w
        self.prepareGeometryChange()
        self.setRect(left, -h / 2, w, h)
        self.update()

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
        y = self.rect().top() + PAD
        for i, line in enumerate(self._lines):
            painter.setFont(self._bold if i == 0 else self._font)
            freed_line = (self.node.freed or self.node.modified) and i > 0
            painter.setPen(c.freed if freed_line else c.text)
            box = QtCore.QRectF(self.rect().left(), y, self.rect().width(), metrics.height())
            painter.drawText(box, QtCore.Qt.AlignmentFlag.AlignCenter, line)
            y += metrics.height()


class EdgeItem(QtWidgets.QGraphicsPathItem):
    """A curve from the right item's left side to the left item's right side, with an arrow
    head where gradient arrives; dashed and labelled for a "no graph" link."""

    def __init__(self, source: NodeItem, target: NodeItem, kind: str, colours: Palette,
                 font: QtGui.QFont) -> None:
        super().__init__()
        self.kind = kind
        a = source.mapToScene(QtCore.QPointF(source.rect().left(), 0))
        b = target.mapToScene(QtCore.QPointF(target.rect().right(), 0))
        if a.x() < b.x():  # should not happen with the layout's columns; draw straight then
            a, b = source.pos(), target.pos()
        path = QtGui.QPainterPath(a)
        dx = max((a.x() - b.x()) / 2, 20.0)
        path.cubicTo(a.x() - dx, a.y(), b.x() + dx, b.y(), b.x(), b.y())
        mid = path.pointAtPercent(0.5)
        # Arrow head at b, pointing left (the direction gradients flow).
        path.moveTo(b.x() + 7, b.y() - 4)
        path.lineTo(b.x(), b.y())
        path.lineTo(b.x() + 7, b.y() + 4)
        self.setPath(path)
        pen = QtGui.QPen(colours.edge, 1.2)
        if kind == "no_graph":
            pen.setStyle(QtCore.Qt.PenStyle.DashLine)
            label = QtWidgets.QGraphicsSimpleTextItem("no graph", self)
            label.setFont(font)
            label.setBrush(colours.edge)
            label.setPos(mid.x() - label.boundingRect().width() / 2, mid.y() - 18)
        elif kind == "saved":
            pen.setStyle(QtCore.Qt.PenStyle.DotLine)
        self.setPen(pen)
        self.setZValue(-1)
