"""The Tensor Lab's Backward box: backward(gradient, retain_graph) on the current tensor, and
the two ways to clear every leaf's .grad (zeros in place, or None)."""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets


class BackwardBox(QtWidgets.QGroupBox):
    """`gradientEdit`, `retainGraphCheck`, `backwardButton`, `zeroGradButton`, `gradNoneButton`."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Backward", parent)
        self.gradient_edit = QtWidgets.QLineEdit(objectName="gradientEdit")
        self.gradient_edit.setPlaceholderText("gradient: empty, ones, randn, a name or [values]")
        self.gradient_edit.setToolTip(
            "The vector v in backward(v): needed when the output is not a scalar, same shape as it: "
            "ones, randn, values such as [1.0, 0.5], or the name of a tensor in the list "
            "(Return runs Backward)."
        )
        self.retain_graph_check = QtWidgets.QCheckBox("retain_graph", objectName="retainGraphCheck")
        self.retain_graph_check.setToolTip(
            "Keep the graph's saved values so you can call backward on it again."
        )
        self.backward_button = QtWidgets.QPushButton("Backward", objectName="backwardButton")
        self.backward_button.setShortcut(QtGui.QKeySequence("Ctrl+B"))
        self.backward_button.setToolTip(
            "Call backward() on the current tensor (Ctrl+B); it adds into every leaf's .grad."
        )
        self.zero_grad_button = QtWidgets.QPushButton("Zero grads", objectName="zeroGradButton")
        self.zero_grad_button.setToolTip(
            "Reset every leaf's .grad to zeros in place, since backward adds rather than replaces."
        )
        self.grad_none_button = QtWidgets.QPushButton("Grads to None", objectName="gradNoneButton")
        self.grad_none_button.setToolTip(
            "Set every leaf's .grad to None, as optimizer.zero_grad() does by default."
        )
        self.gradient_edit.returnPressed.connect(self.backward_button.click)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.gradient_edit, 1)
        top.addWidget(self.retain_graph_check)
        top.addWidget(self.backward_button)
        bottom = QtWidgets.QHBoxLayout()
        caption = QtWidgets.QLabel("Every leaf's .grad:")
        caption.setForegroundRole(QtGui.QPalette.ColorRole.PlaceholderText)
        bottom.addStretch(1)
        bottom.addWidget(caption)
        bottom.addWidget(self.zero_grad_button)
        bottom.addWidget(self.grad_none_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(bottom)

    def options(self) -> tuple[str, bool]:
        """The gradient text and retain_graph, as Backward (and the graph's Step) use them."""
        return self.gradient_edit.text(), self.retain_graph_check.isChecked()
