"""The Tensor Lab's hint bar: "Next:" and a suggestion for what to try with the current tensor."""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets


class HintBar(QtWidgets.QFrame):
    """`hintBar`, its text in `hintLabel`."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, objectName="hintBar")
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QtGui.QPalette.ColorRole.AlternateBase)
        caption = QtWidgets.QLabel("Next:")
        bold = caption.font()
        bold.setBold(True)
        caption.setFont(bold)
        self.hint_label = QtWidgets.QLabel(objectName="hintLabel")
        self.hint_label.setWordWrap(True)
        self.hint_label.setToolTip(
            "A suggestion for what to try next, based on the current tensor."
        )
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(caption)
        layout.addWidget(self.hint_label, 1)
