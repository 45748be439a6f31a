"""The window's menu bar: File, Edit, View and Help, and the texts of Help's two dialogs.

Every action has an objectName from docs/automation.md. `Menus.sync` names the lab an action
works on, so no menu acts out of sight.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from playground import __version__
from playground.core.files.examples import bundled_examples
from playground.core.files.session_file import SUFFIX
from playground.core.labs import Lab
from playground.ui.widgets.theme import ThemeMode
from playground.ui.window import dialogs
from playground.ui.window.autosave import RecentSessions

if TYPE_CHECKING:
    from playground.ui.window.main_window import MainWindow

Shortcut = QtGui.QKeySequence | QtGui.QKeySequence.StandardKey | str | list | None

TOUR = (
    "<p><b>Tensor Lab</b>: the window opens on the notebook's first example "
    "(x → y = x + 10 → z = y·y·y → w = z.mean()). Select <i>w</i> and press "
    "<b>Backward</b> (Ctrl+B): x.grad fills in. Press it again to watch gradients "
    "accumulate; <b>Zero grads</b> sets them back to 0.</p>"
    "<p>Create leaves with the form on the left, type any PyTorch statement in the "
    "statement line, or click the quick operations. The code panel is always a "
    "runnable script of what you did; Ctrl+Z undoes a step. File &gt; Open Example "
    "replays the notebook's other autograd cells.</p>"
    "<p><b>Training Lab</b>: press Start to fit w·x + b to the notebook's points. Drag "
    "the learning-rate slider while it trains and watch the loss curve bend.</p>")


class Menus:
    """Builds the full menu bar on `window` and keeps the actions whose text or state changes."""

    def __init__(self, window: MainWindow, settings: QtCore.QSettings,
                 lessons_action: QtGui.QAction) -> None:
        self._window = window
        w = window
        Key = QtGui.QKeySequence
        bar = window.menuBar()
        file_menu = bar.addMenu("&File")
        self._add(file_menu, "&New", w.new_session, Key.StandardKey.New,
                  "Start again from an empty workspace seeded with torch.manual_seed(0).",
                  "actionNew")
        self._add(file_menu, "&Open Session…", lambda: dialogs.open_session(w), Key.StandardKey.Open,
                  "Open a saved session: both labs, the lab and the lesson step.", "actionOpen")
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.setObjectName("menuRecent")
        self.recent_menu.setToolTipsVisible(True)
        self.recent = RecentSessions(self.recent_menu, settings, self._open_recent)
        examples = file_menu.addMenu("Open &Example")
        examples.setObjectName("menuExamples")
        examples.setToolTipsVisible(True)
        for example in bundled_examples():
            self._add(examples, example.title,
                      lambda _=False, path=example.path: w.open_session(path),
                      tip=example.summary, name=f"actionExample_{example.path.stem}")
        examples.setEnabled(not examples.isEmpty())
        self.save_action = self._add(
            file_menu, "&Save Session…", lambda: dialogs.save_session(w), Key.StandardKey.Save,
            "Save the whole session (both labs, their runs, the lab and the lesson step) as a "
            f"{SUFFIX} file you can reopen later.", "actionSave")
        file_menu.addSeparator()
        # One Export submenu, each item saying what it writes (the first follows the lab on
        # screen: sync() names it).
        export_menu = file_menu.addMenu("&Export")
        export_menu.setObjectName("menuExport")
        export_menu.setToolTipsVisible(True)
        self.export_action = self._add(
            export_menu, "&Tensor Lab as a Python script…", lambda: dialogs.export_script(w),
            "Ctrl+E", "Save the lab on screen as a plain PyTorch script that prints the values "
            "it shows.", "actionExportScript")
        self._add(export_menu, "Whole session as a &Python script…",
                  lambda: dialogs.export_python(w), None,
                  "Save both labs as one plain PyTorch script: the Tensor Lab's statements with "
                  "their grads, then the training loop.", "actionExportPy")
        self._add(export_menu, "Whole session as a Jupyter &notebook…",
                  lambda: dialogs.export_notebook(w), None,
                  "Save both labs as a Jupyter notebook (.ipynb), a cell per step.",
                  "actionExportNotebook")
        export_menu.addSeparator()
        self._add(export_menu, "Training run's losses as &CSV…",
                  lambda: dialogs.export_loss_csv(w), None,
                  "Save the training run's epochs as CSV columns: epoch, loss, lr, w, b.",
                  "actionExportCsv")
        self._add(export_menu, "Loss plot as a P&NG picture…",
                  lambda: dialogs.export_loss_png(w), None,
                  "Save the Training Lab's loss plot as a PNG picture.", "actionExportPng")
        file_menu.addSeparator()
        self._add(file_menu, "&Quit", w.close, Key.StandardKey.Quit, "Close the window.",
                  "actionQuit")

        edit_menu = bar.addMenu("&Edit")
        self.undo_action = self._add(
            edit_menu, "&Undo", w.undo, Key.StandardKey.Undo,
            "Undo the last statement by replaying the log without it.", "actionUndo")
        self.redo_action = self._add(
            edit_menu, "&Redo", w.redo, ["Ctrl+Shift+Z", Key(Key.StandardKey.Redo)],
            "Run the undone statement again.", "actionRedo")
        self.restore_action = self._add(
            edit_menu, "Restore &Previous Session", w.restore_previous, None,
            "Bring back the session that File > New or Open replaced.", "actionRestoreSession")
        edit_menu.addSeparator()
        self.copy_action = self._add(
            edit_menu, "&Copy Code", w.copy_code, "Ctrl+Shift+C",
            "Copy the lab on screen as runnable PyTorch code.", "actionCopyCode")

        view_menu = bar.addMenu("&View")
        self._add(view_menu, "Zoom &In", lambda: w.set_zoom(w.zoom + 1),
                  [Key("Ctrl+="), Key("Ctrl++"), Key(Key.StandardKey.ZoomIn)],
                  "Make every font bigger, for projecting in a classroom.", "actionZoomIn")
        self._add(view_menu, "Zoom &Out", lambda: w.set_zoom(w.zoom - 1),
                  [Key("Ctrl+-"), Key(Key.StandardKey.ZoomOut)],
                  "Make every font smaller.", "actionZoomOut")
        self._add(view_menu, "&Reset Zoom", lambda: w.set_zoom(0), "Ctrl+0",
                  "Go back to the system font size.", "actionZoomReset")
        view_menu.addSeparator()
        theme_menu = view_menu.addMenu("&Theme")
        group = QtGui.QActionGroup(window)
        self.theme_actions: dict[ThemeMode, QtGui.QAction] = {}
        for mode, label in ((ThemeMode.SYSTEM, "Follow &System"), (ThemeMode.LIGHT, "&Light"),
                            (ThemeMode.DARK, "&Dark")):
            act = self._add(theme_menu, label, lambda _=False, m=mode: w.set_theme(m),
                            tip=f"Use the {mode.value} colour scheme.",
                            name=f"actionTheme{mode.value.title()}")
            act.setCheckable(True)
            group.addAction(act)
            self.theme_actions[mode] = act
        view_menu.addSeparator()
        self._add(view_menu, "&Tensor Lab", lambda: w.navigator.show_lab(Lab.TENSOR), "Ctrl+1",
                  "Show the Tensor Lab.", "actionShowTensorLab")
        self._add(view_menu, "T&raining Lab", lambda: w.navigator.show_lab(Lab.TRAINING), "Ctrl+2",
                  "Show the Training Lab.", "actionShowTrainingLab")
        self._add(view_menu, "&Network Lab", lambda: w.navigator.show_lab(Lab.NETWORK), "Ctrl+3",
                  "Show the Network Lab.", "actionShowNetworkLab")
        view_menu.addAction(lessons_action)

        help_menu = bar.addMenu("&Help")
        self._add(help_menu, "&Quick Tour", self._show_tour, "F1",
                  "What to click first, and what each lab teaches.", "actionTour")
        self._add(help_menu, "&About Gradient Playground", self._show_about,
                  tip="Versions of Gradient Playground, PyTorch and Qt.", name="actionAbout")

    def _add(self, menu: QtWidgets.QMenu, text: str, slot: Callable[..., object],
             shortcut: Shortcut = None, tip: str = "", name: str = "") -> QtGui.QAction:
        action = QtGui.QAction(text, self._window)
        if isinstance(shortcut, list):
            action.setShortcuts(shortcut)
        elif shortcut is not None:
            action.setShortcut(shortcut)
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        if name:
            action.setObjectName(name)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def sync(self, *, can_undo: bool, can_redo: bool, can_restore: bool, training: bool) -> None:
        """Enable the actions and name the lab each acts on."""
        self.undo_action.setEnabled(can_undo)
        self.redo_action.setEnabled(can_redo)
        self.restore_action.setEnabled(can_restore)
        # Undo, Redo and sessions work on the Tensor Lab's statement log only: say so when the
        # Training Lab is on screen (and show the Tensor Lab when they act).
        suffix = " (Tensor Lab)" if training else ""
        self.undo_action.setText(f"&Undo{suffix}")
        self.redo_action.setText(f"&Redo{suffix}")
        self.save_action.setText("&Save Session…")  # a session holds both labs
        lab = self._window.navigator.shown_lab()
        self.export_action.setText({
            Lab.TRAINING: "&Training run as a Python script…",
            Lab.NETWORK: "&Network Lab's run as a Python script…",
        }.get(lab, "&Tensor Lab as a Python script…"))
        self.copy_action.setText("&Copy Training Script" if training else "&Copy Code")

    def _open_recent(self, path: str) -> None:
        if not Path(path).exists():
            self.recent.remove(path)
            self._window.show_problem(
                f"{path} no longer exists; it was removed from Open Recent.")
            return
        self._window.open_session(path)

    def check_theme(self, mode: ThemeMode) -> None:
        self.theme_actions[mode].setChecked(True)

    def _show_tour(self) -> None:
        QtWidgets.QMessageBox.information(self._window, "Quick Tour", TOUR)

    def _show_about(self) -> None:
        import torch  # already loaded by the workspace; imported here for its version only

        QtWidgets.QMessageBox.about(
            self._window, "About Gradient Playground",
            f"<p><b>Gradient Playground {__version__}</b></p>"
            "<p>Learn PyTorch autograd by clicking, with real PyTorch underneath.</p>"
            f"<p>PyTorch {torch.__version__} · Qt {QtCore.qVersion()}</p>")
