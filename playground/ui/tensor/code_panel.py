"""The code panel: the workspace's log shown as runnable PyTorch, with Copy and Save buttons."""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets


def monospace_font(base: QtGui.QFont) -> QtGui.QFont:
    """A fixed-pitch font the same size as `base`, so View > zoom still applies."""
    font = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
    if base.pointSizeF() > 0:
        font.setPointSizeF(base.pointSizeF())
    return font


class CodePanel(QtWidgets.QGroupBox):
    """Read-only view of the log as code; the lab wires the buttons to clipboard and file."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Code", parent)
        self.setObjectName("codePanel")
        self.code_view = QtWidgets.QPlainTextEdit(objectName="codeView")
        self.code_view.setReadOnly(True)
        self.code_view.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        self.code_view.setToolTip(
            "Every click and typed line is one statement of real PyTorch: this is the whole "
            "session as a script you can run."
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

    def set_code(self, text: str) -> None:
        """Show `text` and keep the newest statement in view."""
        if text != self.code_view.toPlainText():
            self.code_view.setPlainText(text)
            bar = self.code_view.verticalScrollBar()
            bar.setValue(bar.maximum())

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._apply_font()

    def _apply_font(self) -> None:
        self.code_view.setFont(monospace_font(self.font()))
