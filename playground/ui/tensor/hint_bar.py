"""The Tensor Lab's hint bar: "Next:" and a suggestion for what to try with the current tensor."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets


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
        # Two lines kept whatever the hint's length (a longer one scrolls): a new hint never
        # moves the panels below.
        self.hint_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft
                                     | QtCore.Qt.AlignmentFlag.AlignVCenter)
        self.hint_scroll = QtWidgets.QScrollArea(objectName="hintScroll")
        self.hint_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.hint_scroll.setWidgetResizable(True)
        self.hint_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.hint_scroll.viewport().setAutoFillBackground(False)
        self.hint_label.setAutoFillBackground(False)
        self.hint_scroll.setWidget(self.hint_label)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addWidget(caption, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.hint_scroll, 1)
        self._fit_height()

    def _fit_height(self) -> None:
        self.hint_scroll.setFixedHeight(2 * self.fontMetrics().lineSpacing() + 2)

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.FontChange:  # View > Zoom
            self._fit_height()
