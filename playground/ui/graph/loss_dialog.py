"""The Training Lab's "Loss graph" window: one epoch's loss as a real autograd graph."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6 import QtCore, QtWidgets

from playground.core.graph.build import AutogradGraph
from playground.core.graph.loss_graph import session_loss_graph
from playground.ui.graph.view import GraphView


class LossGraphDialog(QtWidgets.QDialog):
    """A non-modal window with the loss graph (w and b as leaves, their .grad on them)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossGraphDialog")
        self.setWindowTitle("Loss graph")
        self.caption = QtWidgets.QLabel(objectName="lossGraphCaption")
        self.caption.setWordWrap(True)
        self.view = GraphView()
        self.view.setObjectName("lossGraphView")
        fit = QtWidgets.QPushButton("Fit", objectName="lossGraphFitButton")
        fit.clicked.connect(self.view.fit)
        close = QtWidgets.QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(QtWidgets.QLabel(
            "Hover a node for what it saved; Ctrl+wheel zooms, drag pans."))
        buttons.addStretch(1)
        buttons.addWidget(fit)
        buttons.addWidget(close)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.resize(900, 480)

    def show_session(self, session: Any) -> None:
        """Draw the loss graph the session's readouts describe (or say why there is none)."""
        try:
            graph, caption = session_loss_graph(session)
        except ValueError as exc:
            self.view.show_graph(AutogradGraph())
            self.caption.setText(str(exc))
            return
        self.view.show_graph(graph)
        self.caption.setText(caption)
        QtCore.QTimer.singleShot(0, self.view.fit)


class LossGraphButton(QtWidgets.QPushButton):
    """The Training Lab's `lossGraphButton`: opens (or raises) its one loss graph window,
    redrawn from what the readouts show."""

    def __init__(self, parent: QtWidgets.QWidget, session_of: Callable[[], Any]) -> None:
        super().__init__("Loss graph", parent, objectName="lossGraphButton")
        self.setToolTip("Show one epoch's loss as the real autograd graph: w and b as leaves "
                        "with their gradients, MulBackward0, AddBackward0 and the loss's node.")
        self._session_of = session_of
        self._owner = parent  # the dialog's parent: a layout may re-parent this button
        self.dialog: LossGraphDialog | None = None  # made on the first click, then reused
        self.clicked.connect(self.show_dialog)

    def show_dialog(self) -> LossGraphDialog:
        if self.dialog is None:
            self.dialog = LossGraphDialog(self._owner)
        self.dialog.show_session(self._session_of())
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog
