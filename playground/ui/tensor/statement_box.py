"""The Tensor Lab's Statement box: the statement line, the quick operations on the current
tensor, and where torch's messages and an expression's value appear."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from playground.core.tensorlab import statements
from playground.ui.tensor.statement_edit import StatementEdit


class StatementBox(QtWidgets.QGroupBox):
    """`statementEdit`, `runStatementButton`, `noGradCheck`, `opArgEdit`, one button per quick
    operation (objectName: its key), `messageLabel` and `outputLabel`."""

    quickOpClicked = QtCore.Signal(str)  # noqa: N815 (Qt naming): the quick operation's key

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Statement", parent)
        self.statement_edit = StatementEdit()
        self.statement_edit.setObjectName("statementEdit")
        self.statement_edit.setPlaceholderText("y = x * 2   (Return runs, Up/Down: history)")
        self.statement_edit.setToolTip(
            "Type one PyTorch statement such as z = (x + 2).mean(); it runs on real tensors."
        )
        self.run_button = QtWidgets.QPushButton("Run", objectName="runStatementButton")
        self.run_button.setToolTip("Run the statement and add it to the code log.")
        self.no_grad_check = QtWidgets.QCheckBox("no_grad", objectName="noGradCheck")
        self.no_grad_check.setToolTip(
            "Run statements inside torch.no_grad(): results get no grad_fn and are not tracked."
        )
        line = QtWidgets.QHBoxLayout()
        line.addWidget(self.statement_edit, 1)
        line.addWidget(self.run_button)
        line.addWidget(self.no_grad_check)

        ops = QtWidgets.QHBoxLayout()
        ops.setContentsMargins(0, 0, 0, 0)
        self.ops_caption = QtWidgets.QLabel("On current:")
        self._fit_caption()
        ops.addWidget(self.ops_caption)
        ops.addSpacing(6)
        self.op_arg_edit = QtWidgets.QLineEdit("2", objectName="opArgEdit")
        self.op_arg_edit.setToolTip(
            "The constant c (or power n) the + c, * c and ** n buttons use."
        )
        self.op_arg_edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("00000000"))
        self.op_arg_edit.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
        arg_caption = QtWidgets.QLabel("c, n =")
        arg_caption.setBuddy(self.op_arg_edit)
        ops.addWidget(arg_caption)
        ops.addWidget(self.op_arg_edit)
        ops.addStretch(1)
        buttons = QtWidgets.QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        self.op_buttons: dict[str, QtWidgets.QPushButton] = {}
        for op in statements.QUICK_OPS:
            button = QtWidgets.QPushButton(op.label, objectName=op.key)
            button.setToolTip(op.tooltip)
            # Fusion's 80 px minimum would make this row force the column wide.
            button.setMinimumWidth(self.fontMetrics().horizontalAdvance(op.label) + 24)
            button.clicked.connect(lambda _=False, key=op.key: self.quickOpClicked.emit(key))
            self.op_buttons[op.key] = button
            buttons.addWidget(button)
        buttons.addStretch(1)
        # One row when the lab is wide; the buttons under their caption in a narrow lab.
        self._ops_row = QtWidgets.QBoxLayout(QtWidgets.QBoxLayout.Direction.LeftToRight)
        self._ops_row.addLayout(ops)
        self._ops_row.addLayout(buttons, 1)

        self.message_label = QtWidgets.QLabel(objectName="messageLabel")
        self.message_label.setTextFormat(QtCore.Qt.TextFormat.PlainText)  # torch text has < >
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.message_label.setToolTip("PyTorch's own error or warning text, with what it means.")
        self.output_label = QtWidgets.QLabel(objectName="outputLabel")
        self.output_label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.output_label.setWordWrap(True)
        self.output_label.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.output_label.setToolTip("The value of an expression statement, as Python prints it.")
        self.output_label.setVisible(False)

        # torch's message and the printed value share a box of fixed height that scrolls: a long
        # error is read whole, and an echo (Zero grads's tensor) never pushes the panels down.
        feedback = QtWidgets.QWidget(objectName="statementFeedback")
        feedback_layout = QtWidgets.QVBoxLayout(feedback)
        feedback_layout.setContentsMargins(0, 0, 0, 0)
        feedback_layout.addWidget(self.message_label)
        feedback_layout.addWidget(self.output_label)
        feedback_layout.addStretch(1)
        self.feedback_scroll = QtWidgets.QScrollArea(objectName="statementFeedbackScroll")
        self.feedback_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.feedback_scroll.setWidgetResizable(True)
        self.feedback_scroll.setHorizontalScrollBarPolicy(
            QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.feedback_scroll.setWidget(feedback)
        self._fit_feedback_height()

        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(line)
        layout.addLayout(self._ops_row)
        layout.addWidget(self.feedback_scroll)

    def _fit_caption(self) -> None:
        # "On w:" and "On loss:" take the same room: selecting a tensor never moves the row.
        self.ops_caption.setMinimumWidth(
            self.ops_caption.fontMetrics().horizontalAdvance("On current:") + 2)

    def _fit_feedback_height(self) -> None:
        # Three lines of torch's text at the current (possibly zoomed) font; more scrolls.
        self.feedback_scroll.setFixedHeight(3 * self.fontMetrics().lineSpacing() + 12)

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.FontChange:  # View > Zoom
            self._fit_feedback_height()
            self._fit_caption()

    def set_compact(self, compact: bool) -> None:
        """Put the quick-op buttons under their caption (a narrow lab) or beside it."""
        self._ops_row.setDirection(QtWidgets.QBoxLayout.Direction.TopToBottom if compact
                                   else QtWidgets.QBoxLayout.Direction.LeftToRight)
