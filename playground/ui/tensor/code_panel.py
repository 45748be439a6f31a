"""The code panel: the workspace's log shown as runnable PyTorch, with Copy and Save buttons.

A gutter beside the code shows each statement's number, the same number Grad history's
"statement #" axis uses; the numbers are painted, not part of the text, so copying leaves them out.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6 import QtCore, QtGui, QtWidgets


def monospace_font(base: QtGui.QFont) -> QtGui.QFont:
    """A fixed-pitch font the same size as `base`, so View > zoom still applies."""
    font = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
    if base.pointSizeF() > 0:
        font.setPointSizeF(base.pointSizeF())
    return font


class _Gutter(QtWidgets.QWidget):
    """Paints the code view's line labels (Qt's "Code Editor" example, labels instead of counts)."""

    def __init__(self, editor: CodeView) -> None:
        super().__init__(editor)
        self.setObjectName("codeLineNumbers")
        self._editor = editor

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt API)
        return QtCore.QSize(self._editor.gutter_width(), 0)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt API)
        self._editor.paint_gutter(self, event)


class CodeView(QtWidgets.QPlainTextEdit):
    """Read-only code with a label per line in a gutter (empty label: no number on that line)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._labels: list[str] = []
        self._gutter = _Gutter(self)
        self.blockCountChanged.connect(self._update_margin)
        self.updateRequest.connect(self._on_update_request)
        self._update_margin()

    def set_lines(self, lines: Sequence[str], labels: Sequence[str]) -> None:
        """Show `lines`, with `labels[i]` painted in the gutter beside line i."""
        self._labels = list(labels)
        text = "\n".join(lines)
        if text != self.toPlainText():
            self.setPlainText(text)
        self._update_margin()
        self._gutter.update()

    def line_labels(self) -> list[str]:
        """The gutter's label of every line, in order (for tests and screen readers)."""
        count = self.document().blockCount()
        return [self._labels[i] if i < len(self._labels) else "" for i in range(count)]

    def gutter_width(self) -> int:
        widest = max((len(label) for label in self._labels), default=1)
        return 10 + self.fontMetrics().horizontalAdvance("9") * max(widest, 2)

    def _update_margin(self, _count: int = 0) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _on_update_request(self, rect: QtCore.QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        rect = self.contentsRect()
        self._gutter.setGeometry(rect.left(), rect.top(), self.gutter_width(), rect.height())

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.FontChange:  # zoom: wider digits, wider gutter
            self._update_margin()

    def paint_gutter(self, gutter: QtWidgets.QWidget, event: QtGui.QPaintEvent) -> None:
        """Draw the label of every visible line, right-aligned, in a muted colour."""
        painter = QtGui.QPainter(gutter)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.color(QtGui.QPalette.ColorRole.AlternateBase))
        painter.setPen(palette.color(QtGui.QPalette.ColorRole.PlaceholderText))
        painter.setFont(self.font())
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            number = block.blockNumber()
            bottom = top + round(self.blockBoundingRect(block).height())
            if block.isVisible() and number < len(self._labels) and self._labels[number]:
                painter.drawText(0, top, gutter.width() - 5, height,
                                 QtCore.Qt.AlignmentFlag.AlignRight, self._labels[number])
            block = block.next()
            top = bottom
        painter.end()


class CodePanel(QtWidgets.QGroupBox):
    """Read-only view of the log as code; the lab wires the buttons to clipboard and file."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Code", parent)
        self.setObjectName("codePanel")
        self.code_view = CodeView()
        self.code_view.setObjectName("codeView")
        self.code_view.setReadOnly(True)
        self.code_view.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        self.code_view.setToolTip(
            "Every click and typed line is one statement of real PyTorch: this is the whole "
            "session as a script you can run. The numbers at the left are Grad history's "
            "statement #."
        )
        self.copy_button = QtWidgets.QPushButton("Copy", objectName="copyCodeButton")
        self.copy_button.setToolTip("Copy the code to the clipboard to paste into a notebook.")
        self.save_button = QtWidgets.QPushButton("Save as .py…", objectName="saveCodeButton")
        self.save_button.setToolTip(
            "Save the session as a script that plain python runs to reproduce the same numbers."
        )
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.code_view, 1)
        layout.addLayout(buttons)
        self._apply_font()

    def set_log(self, log: Sequence[str]) -> None:
        """Show the log under `import torch`, each entry numbered by its index (the statement #),
        and keep the newest statement in view."""
        lines, labels = ["import torch", ""], ["", ""]
        for step, entry in enumerate(log):
            entry_lines = entry.split("\n")
            lines.extend(entry_lines)
            labels.extend([str(step)] + [""] * (len(entry_lines) - 1))
        lines.append("")  # the file ends with a newline, as the saved script does
        labels.append("")
        before = self.code_view.toPlainText()
        self.code_view.set_lines(lines, labels)
        if self.code_view.toPlainText() != before:
            bar = self.code_view.verticalScrollBar()
            bar.setValue(bar.maximum())

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._apply_font()

    def _apply_font(self) -> None:
        self.code_view.setFont(monospace_font(self.font()))
