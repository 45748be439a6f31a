"""File > New and the Edit menu: what they do to the Tensor Lab's workspace, and Copy Code.

Undo, Redo and the session commands work on the Tensor Lab's statement log only, so they bring
the Tensor Lab on screen when they act; each says what it did in the status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6 import QtWidgets

if TYPE_CHECKING:
    from playground.core.tensorlab.workspace import Workspace
    from playground.ui.network.lab import NetworkLab
    from playground.ui.training.lab import TrainingLab
    from playground.ui.window.navigation import LabTabs

Say = Callable[[str, int], None]  # a status-bar line and how long it stays (ms)


class EditCommands:
    """New, Restore Previous Session, Undo, Redo and Copy Code over the labs handed in."""

    def __init__(self, workspace: Workspace, seed_statement: str, navigator: LabTabs,
                 training_lab: TrainingLab, say: Say, network_lab: NetworkLab | None = None
                 ) -> None:
        self.workspace = workspace
        self._network_lab = network_lab
        self._seed_statement = seed_statement
        self._navigator = navigator
        self._training_lab = training_lab
        self._say = say

    def add_network_lab(self, network_lab: NetworkLab) -> None:
        """The Network Lab, built after the others (Copy Code covers it from now on)."""
        self._network_lab = network_lab

    def new_session(self) -> None:
        """Both labs from the start: an empty workspace holding only the seed statement, and
        the Training Lab reset (no runs, empty plots; its setup stays)."""
        self.workspace.reset()
        self._training_lab.reset()
        hint = " (Edit > Restore Previous Session brings the Tensor Lab's back)"
        self._say(f"New session: {self._seed_statement}, no training runs"
                  f"{hint if self.workspace.can_restore else ''}", 8000)

    def restore_previous(self) -> None:
        """Undo a File > New or Open in one step."""
        if self.workspace.restore_previous():
            self._say("Restored the previous session.", 5000)

    def undo(self) -> None:
        """The Tensor Lab's last statement; the Tensor Lab comes on screen."""
        if self.workspace.undo():
            self._navigator.show_tensor_lab()
            self._say("Tensor Lab: undone (replayed the log without the last entry).", 4000)

    def redo(self) -> None:
        """The Tensor Lab's undone statement again, with the Tensor Lab shown."""
        if self.workspace.redo():
            self._navigator.show_tensor_lab()
            self._say("Tensor Lab: redone.", 4000)

    def copy_code(self) -> None:
        """The lab on screen as code: the statement log, or the training run's script."""
        if self._navigator.training_shown():
            text, what = self._training_lab.script_text(), "Training script"
        elif self._network_lab is not None and self._navigator.shown_lab() == "network":
            text, what = self._network_lab.script_text(), "Network Lab script"
        else:
            text, what = self._navigator.tensor_lab.code_text(), "Tensor Lab code"
        QtWidgets.QApplication.clipboard().setText(text)
        self._say(f"{what} copied to the clipboard.", 3000)
