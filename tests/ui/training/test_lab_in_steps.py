"""The Training Lab can be built in parts (the window's start-up runs one per event-loop turn):
`in_steps=True` builds nothing heavy until its `build_steps` run, and the lab built in parts is
the lab built at once."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from playground.testing import find, full_speed
from playground.ui.training.lab import TrainingLab


def test_built_in_parts_it_is_the_whole_lab(qtbot) -> None:
    lab = TrainingLab(in_steps=True)
    qtbot.addWidget(lab)
    assert not hasattr(lab, "plots")  # the parts wait for build_steps
    parts = list(lab.build_steps)
    assert parts == ["controls", "loss plot", "lr plot", "data plot", "landscape plot",
                     "plot area", "wiring", "landscape"]  # one pyqtgraph plot per part
    full_speed(lab)
    lab.resize(1280, 800)
    lab.show()
    qtbot.waitExposed(lab)
    with qtbot.waitSignal(lab.runFinished, timeout=30_000) as ended:
        qtbot.mouseClick(find(lab, "startButton", QtWidgets.QPushButton),
                         QtCore.Qt.MouseButton.LeftButton)
    assert ended.args == ["completed"]
    assert find(lab, "epochSlider", QtWidgets.QSlider).maximum() == 99
    assert find(lab, "updateText", QtWidgets.QLabel).text().startswith("Epoch 99's last update")
    assert lab.shutdown(1000)


def test_built_at_once_it_runs_every_part(qtbot) -> None:
    lab = TrainingLab()
    qtbot.addWidget(lab)
    assert list(lab.build_steps) == []  # nothing left to build
    assert lab.timeline is not None and lab.race_panel is not None


def test_the_window_may_start_the_warm_up_itself(qtbot, monkeypatch) -> None:
    from playground.ui.training import lab as lab_module

    started = []
    monkeypatch.setattr(lab_module, "warm_up_in_background", lambda: started.append(1))
    qtbot.addWidget(TrainingLab(warm_up=False))
    assert started == []
    qtbot.addWidget(TrainingLab())
    assert started == [1]
