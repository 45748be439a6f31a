"""The file dialogs behind File > Open, Save and the Export submenu: they ask for a path
(starting in the documents folder, then the folder used last), then let the window run the
action, which shows any failure in the status bar and a message box."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playground.core.files.session_file import SUFFIX
from playground.core.labs import Lab
from playground.ui.widgets import file_dialogs

if TYPE_CHECKING:
    from playground.ui.window.main_window import MainWindow

SESSION_FILTER = f"Gradient Playground sessions (*{SUFFIX} *.json)"
SCRIPT_FILTER = "Python scripts (*.py)"


def _save_path(window: MainWindow, title: str, suggested: str, file_filter: str) -> str:
    return file_dialogs.save_path(window, title, suggested, file_filter)


def open_session(window: MainWindow) -> None:
    title = "Open Session"
    path = file_dialogs.open_path(window, title, SESSION_FILTER)
    if path:
        window.perform(lambda: window.sessions.open(path), 8000, title=title)


def save_session(window: MainWindow) -> None:
    title = "Save Session"
    path = _save_path(window, title, f"session{SUFFIX}", SESSION_FILTER)
    if path:
        if not path.lower().endswith(".json"):
            path += SUFFIX
        window.perform(lambda: window.sessions.save(path), title=title)


def export_script(window: MainWindow) -> None:
    """The lab on screen as a script (the Export submenu's first item names which)."""
    lab = window.navigator.shown_lab()
    title, suggested = {
        Lab.TRAINING: ("Export the training run as a Python script", "training.py"),
        Lab.NETWORK: ("Export the Network Lab's run as a Python script", "network.py"),
    }.get(lab, ("Export the Tensor Lab as a Python script", "tensor_lab.py"))
    path = _save_path(window, title, suggested, SCRIPT_FILTER)
    if path:
        window.perform(lambda: window.sessions.export_script(path), title=title)


def export_python(window: MainWindow) -> None:
    title = "Export the whole session as a Python script"
    path = _save_path(window, title, "session.py", SCRIPT_FILTER)
    if path:
        window.perform(lambda: window.sessions.export_python(path), title=title)


def export_notebook(window: MainWindow) -> None:
    title = "Export the whole session as a Jupyter notebook"
    path = _save_path(window, title, "session.ipynb", "Jupyter notebooks (*.ipynb)")
    if path:
        window.perform(lambda: window.sessions.export_notebook(path), title=title)


def export_loss_csv(window: MainWindow) -> None:
    title = "Export the training run's losses as CSV"
    path = _save_path(window, title, "loss.csv", "CSV (*.csv)")
    if path:
        window.perform(lambda: window.sessions.export_loss_csv(path), title=title)


def export_loss_png(window: MainWindow) -> None:
    title = "Export the loss plot as a PNG picture"
    path = _save_path(window, title, "loss.png", "PNG image (*.png)")
    if path:
        window.perform(lambda: window.sessions.export_loss_png(path), title=title)
