"""Where the Open, Save and Export dialogs start: in the user's documents folder the first time,
then in the folder used last (in this run of the app), never in whatever folder the app happened
to be started from."""

from __future__ import annotations

import os

from PySide6 import QtCore, QtWidgets

_last_folder: str | None = None  # the folder of the last file picked in any of these dialogs


def documents_folder() -> str:
    """QStandardPaths' documents folder; the home folder when the system has none on disk."""
    docs = QtCore.QStandardPaths.writableLocation(
        QtCore.QStandardPaths.StandardLocation.DocumentsLocation)
    return docs if docs and os.path.isdir(docs) else QtCore.QDir.homePath()


def start_folder() -> str:
    """The folder the next dialog opens in: the last one used, else the documents folder."""
    if _last_folder and os.path.isdir(_last_folder):
        return _last_folder
    return documents_folder()


def remember(path: str) -> None:
    """The folder of a picked file is where the next dialog starts."""
    global _last_folder
    _last_folder = os.path.dirname(os.path.abspath(path))


def forget() -> None:
    """Back to the documents folder (a new window in tests)."""
    global _last_folder
    _last_folder = None


def save_path(parent: QtWidgets.QWidget | None, title: str, name: str, filters: str) -> str:
    """Ask where to save `name` (suggested in the start folder); "" when cancelled."""
    path, _ = QtWidgets.QFileDialog.getSaveFileName(
        parent, title, os.path.join(start_folder(), name), filters)
    if path:
        remember(path)
    return path


def open_path(parent: QtWidgets.QWidget | None, title: str, filters: str) -> str:
    """Ask which file to open, starting in the start folder; "" when cancelled."""
    path, _ = QtWidgets.QFileDialog.getOpenFileName(parent, title, start_folder(), filters)
    if path:
        remember(path)
    return path
