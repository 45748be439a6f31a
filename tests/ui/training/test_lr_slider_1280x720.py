"""On a 1280x720 screen, in the window as it opens there (Lessons closed and open), the
learning-rate slider gives each power of ten at least 60 px, and its decade labels sit inside
the row. The window is built in a child process whose offscreen screen is 1280x720 (a
process's screens are fixed when its QApplication starts)."""

from __future__ import annotations

from pathlib import Path

from playground.testing import run_on_screen
from playground.ui.training.lr_slider import DECADE_PX, DECADES

CHILD = r"""
import json, sys
from PySide6 import QtCore, QtWidgets
app = QtWidgets.QApplication(sys.argv[:1])
app.setStyle("Fusion")
from playground.ui.window.main_window import MainWindow

settings = QtCore.QSettings(sys.argv[1] + "/s.ini", QtCore.QSettings.Format.IniFormat)
window = MainWindow(settings=settings, autosave_dir=sys.argv[1] + "/autosave")
window.show()
window.tabs.setCurrentWidget(window.training_lab)
out = {}


def measure(label):
    for _ in range(6):
        app.processEvents()
        QtCore.QThread.msleep(5)
    slider = window.training_lab.findChild(QtWidgets.QSlider, "lrSlider")
    scale = window.training_lab.findChild(QtWidgets.QWidget, "lrDecadeScale")
    out[label] = {"slider": slider.width(), "visible": slider.isVisible(),
                  "labels": scale.positions(), "scale": scale.width(),
                  "window": window.frameGeometry().getRect()}


measure("closed")
window.lessons_dock.toggleViewAction().trigger()
measure("open")
window.shutdown()
print(json.dumps(out))
"""


def test_each_decade_gets_60_px_at_1280x720(tmp_path: Path) -> None:
    report = run_on_screen(CHILD, tmp_path, cwd=Path(__file__).resolve().parents[3])
    for label, seen in report.items():
        assert seen["visible"], label
        assert seen["slider"] / DECADES >= DECADE_PX, (label, seen)
        labels = seen["labels"]
        gaps = [b - a for a, b in zip(labels, labels[1:], strict=False)]
        assert len(labels) == DECADES + 1 and min(gaps) >= DECADE_PX - 1, (label, labels)
        assert labels[0] >= 0 and labels[-1] <= seen["scale"], (label, labels)
