"""The statement line: a QLineEdit whose Up/Down keys walk the lines typed before."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets


class StatementEdit(QtWidgets.QLineEdit):
    """One-line code editor with a shell-like history of the lines that were run."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._history: list[str] = []
        self._position = 0  # == len(history) while editing a fresh line
        self._draft = ""

    def remember(self, line: str) -> None:
        """Add a line that was run to the history (skipping an immediate repeat)."""
        line = line.strip()
        if line and (not self._history or self._history[-1] != line):
            self._history.append(line)
        self._position = len(self._history)
        self._draft = ""

    def history(self) -> list[str]:
        return list(self._history)

    def event(self, event: QtCore.QEvent) -> bool:
        # With nothing of its own to undo/redo, let Ctrl+Z / Ctrl+Shift+Z reach the window's
        # Undo/Redo (the workspace log) instead of being swallowed by the line edit.
        if event.type() == QtCore.QEvent.Type.ShortcutOverride:
            key_event = QtGui.QKeyEvent(event)
            if (key_event.matches(QtGui.QKeySequence.StandardKey.Undo)
                    and not self.isUndoAvailable()) or (
                    self._is_redo(key_event) and not self.isRedoAvailable()):
                event.ignore()
                return False
        return super().event(event)

    @staticmethod
    def _is_redo(event: QtGui.QKeyEvent) -> bool:
        combo = event.keyCombination()
        ctrl_shift_z = QtCore.QKeyCombination(
            QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.ShiftModifier,
            QtCore.Qt.Key.Key_Z)
        return event.matches(QtGui.QKeySequence.StandardKey.Redo) or combo == ctrl_shift_z

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802 (Qt API)
        key = event.key()
        if key == QtCore.Qt.Key.Key_Up and self._history:
            if self._position == len(self._history):
                self._draft = self.text()  # keep what was being typed, like a shell
            self._show(max(self._position - 1, 0))
        elif key == QtCore.Qt.Key.Key_Down and self._position < len(self._history):
            self._show(self._position + 1)
        else:
            super().keyPressEvent(event)

    def _show(self, position: int) -> None:
        self._position = position
        text = self._draft if position == len(self._history) else self._history[position]
        self.setText(text)
        self.end(False)
