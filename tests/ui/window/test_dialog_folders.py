"""Open, Save and Export dialogs start in the user's documents folder, then in the folder used
last; File > Export is one submenu whose items say what they write."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from playground.testing import find
from playground.ui.widgets import file_dialogs


def test_dialogs_start_in_documents_then_the_last_folder(playground_window, monkeypatch,
                                                         tmp_path: Path) -> None:
    file_dialogs.forget()
    asked: list[str] = []
    chosen = iter([str(tmp_path / "mine" / "work.gradplay.json"),
                   str(tmp_path / "mine" / "whole.py"), str(tmp_path / "mine" / "loss.csv")])

    def save_dialog(_parent, _title, start, _filters):
        asked.append(start)
        return next(chosen), ""

    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", staticmethod(save_dialog))
    (tmp_path / "mine").mkdir()
    window = playground_window()
    find(window, "actionSave", QtGui.QAction).trigger()
    docs = QtCore.QStandardPaths.writableLocation(
        QtCore.QStandardPaths.StandardLocation.DocumentsLocation)
    expected = docs if os.path.isdir(docs) else QtCore.QDir.homePath()
    assert os.path.dirname(asked[0]) == expected  # not the folder the app started from
    assert (tmp_path / "mine" / "work.gradplay.json").exists()
    find(window, "actionExportPy", QtGui.QAction).trigger()
    find(window, "actionExportCsv", QtGui.QAction).trigger()
    assert [os.path.dirname(p) for p in asked[1:]] == [str(tmp_path / "mine")] * 2
    assert (tmp_path / "mine" / "whole.py").exists() and (tmp_path / "mine" / "loss.csv").exists()
    file_dialogs.forget()


def test_the_export_items_say_what_they_write(playground_window) -> None:
    window = playground_window()
    export = find(window, "menuExport", QtWidgets.QMenu)
    texts = [a.text().replace("&", "") for a in export.actions() if not a.isSeparator()]
    assert texts == ["Tensor Lab as a Python script…", "Whole session as a Python script…",
                     "Whole session as a Jupyter notebook…", "Training run's losses as CSV…",
                     "Loss plot as a PNG picture…"]
    window.tabs.setCurrentWidget(window.training_lab)
    script = find(window, "actionExportScript", QtGui.QAction)
    assert script.text().replace("&", "") == "Training run as a Python script…"
