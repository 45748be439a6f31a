"""The Training Lab's timeline and race through their objectNames: the slider shows a recorded
epoch's exact values, Step back, the update formula, Start from a rewound epoch, and a race."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from playground.core.training import train
from playground.core.training.history import record_row
from playground.testing import find

LEFT = QtCore.Qt.MouseButton.LeftButton
TIMEOUT = 30_000


def click(qtbot, lab, name):
    qtbot.mouseClick(find(lab, name, QtWidgets.QPushButton), LEFT)


def run_and_wait(qtbot, lab, button="startButton") -> str:
    with qtbot.waitSignal(lab.runFinished, timeout=TIMEOUT) as blocker:
        click(qtbot, lab, button)
    return blocker.args[0]


def value(lab, name) -> float:
    return float(find(lab, name, QtWidgets.QLabel).text())


def test_the_slider_shows_a_recorded_epoch_exactly(qtbot, lab) -> None:
    assert run_and_wait(qtbot, lab) == "completed"
    slider = find(lab, "epochSlider", QtWidgets.QSlider)
    h = lab.session.current.history
    assert (slider.minimum(), slider.maximum(), slider.value()) == (0, 99, 99)
    assert slider.isEnabled()
    slider.setValue(40)
    for name, column in (("wLabel", "w"), ("bLabel", "b"), ("lossLabel", "loss"),
                         ("wGradLabel", "w_grad"), ("bGradLabel", "b_grad")):
        assert value(lab, name) == float(h.column(column)[40])
    assert "After epoch 40" in find(lab, "readoutsCaption", QtWidgets.QLabel).text()
    ws, bs = lab.landscape_plot.path.getData()
    assert len(ws) == 41 and ws[-1] == h.column("w")[40]
    click(qtbot, lab, "stepBackButton")
    assert slider.value() == 39 and value(lab, "wLabel") == float(h.column("w")[39])
    text = find(lab, "updateText", QtWidgets.QLabel).text()
    w_before, w_after = float(h.column("w")[38]), float(h.column("w")[39])
    assert f"w <- w - lr * dL/dw = {w_before:.5g} - 0.001 * " in text
    assert text.split("\n")[1].endswith(f"= {w_after:.5g}")
    slider.setValue(99)  # back at the end: the latest again, and Start trains a new run
    assert lab.session.shown_epoch is None and value(lab, "wLabel") == float(h.column("w")[99])


def test_start_from_a_rewound_epoch_branches(qtbot, lab) -> None:
    assert run_and_wait(qtbot, lab) == "completed"
    parent = lab.session.current
    find(lab, "epochSlider", QtWidgets.QSlider).setValue(30)
    find(lab, "optimizerCombo", QtWidgets.QComboBox).setCurrentText("Adam")
    find(lab, "epochsSpin", QtWidgets.QSpinBox).setValue(150)
    assert run_and_wait(qtbot, lab) == "completed"
    run = lab.session.current
    assert run.branched_at == 30 and run.parent is parent and lab.session.earlier[-1] is parent
    assert run.epochs_done == 150
    assert run.history.rows()[:31] == parent.history.rows()[:31]
    solo = [record_row(r) for r in train(parent.config.replace(optimizer="Adam", epochs=150),
                                          start=parent.state_after(30))]
    assert [tuple(r) for r in run.history.rows()[31:]] == solo
    x, y = lab.loss_plot.current.getData()
    assert len(x) == 150  # drawn from epoch 0: it leaves the old curve at epoch 30


def test_a_paused_run_can_be_rewound_and_continued(qtbot, lab) -> None:
    find(lab, "epochsSpin", QtWidgets.QSpinBox).setValue(1000)
    for _ in range(5):
        click(qtbot, lab, "stepButton")
        assert lab.session.wait_paused(10)
    qtbot.waitUntil(lambda: lab.session.current.epochs_done == 5)
    slider = find(lab, "epochSlider", QtWidgets.QSlider)
    qtbot.waitUntil(lambda: slider.isEnabled() and slider.maximum() == 4)
    slider.setValue(2)
    assert find(lab, "startButton").isEnabled()
    find(lab, "epochsSpin", QtWidgets.QSpinBox).setValue(20)
    lab.start()
    qtbot.waitUntil(lambda: not lab.session.is_running(), timeout=TIMEOUT)
    run = lab.session.current
    assert run.branched_at == 2 and run.epochs_done == 20
    assert lab.session.earlier[-1].end.status == "stopped"


def test_a_race_of_the_checked_optimisers(qtbot, lab) -> None:
    race_list = find(lab, "raceList", QtWidgets.QListWidget)
    combo = find(lab, "optimizerCombo", QtWidgets.QComboBox)
    texts = [race_list.item(i).text() for i in range(race_list.count())]
    assert texts == [combo.itemText(i) for i in range(combo.count())]
    for i in range(race_list.count()):
        wanted = texts[i] in ("SGD", "Adam", "Momentum")
        race_list.item(i).setCheckState(QtCore.Qt.CheckState.Checked if wanted
                                        else QtCore.Qt.CheckState.Unchecked)
    assert run_and_wait(qtbot, lab, "raceButton") == "completed"
    table = find(lab, "raceTable", QtWidgets.QTableWidget)
    race = lab.session.race
    assert table.rowCount() == 3
    rows = [[table.item(r, c).text() for c in range(4)] for r in range(3)]
    losses = [float(row[1]) for row in rows]
    assert losses == sorted(losses)
    by_name = {run.config.optimizer: run for run in race.runs}
    for name, loss, near, outcome in rows:
        run = by_name[name]
        assert float(loss) == float(run.history.column("loss")[-1]) and outcome == "completed"
        assert [tuple(r) for r in run.history.rows()] == [record_row(r) for r in train(
            run.config)]
        assert int(near) >= 0
    curves = [c for c in lab.loss_plot.getPlotItem().listDataItems()
              if c.name() and c.name().startswith("race: ")]
    assert len(curves) == 3
    colours = {c.opts["pen"].color().name() for c in curves}
    assert len(colours) == 3
    x, y = curves[0].getData()
    assert np.array_equal(y, race.runs[0].history.column("loss"))
    assert find(lab, "startButton").isEnabled() and find(lab, "raceButton").isEnabled()


def test_each_racer_runs_at_its_own_rate(qtbot, lab) -> None:
    race_list = find(lab, "raceList", QtWidgets.QListWidget)
    spin = find(lab, "raceRateSpin", QtWidgets.QDoubleSpinBox)
    lr_spin = find(lab, "lrSpin", QtWidgets.QDoubleSpinBox)
    for i in range(race_list.count()):
        wanted = race_list.item(i).text() in ("SGD", "Adam")
        race_list.item(i).setCheckState(QtCore.Qt.CheckState.Checked if wanted
                                        else QtCore.Qt.CheckState.Unchecked)
    (adam,) = race_list.findItems("Adam", QtCore.Qt.MatchFlag.MatchExactly)
    race_list.setCurrentItem(adam)
    assert spin.isEnabled() and spin.value() == pytest.approx(lr_spin.value())
    spin.setValue(0.05)
    assert race_list.item(race_list.row(adam)).text() == "Adam"  # the contract's text stays
    assert run_and_wait(qtbot, lab, "raceButton") == "completed"
    by_name = {run.config.optimizer: run for run in lab.session.race.runs}
    assert by_name["Adam"].config.lr == pytest.approx(0.05)
    assert by_name["SGD"].config.lr == pytest.approx(lr_spin.value())
    for run in by_name.values():  # each racer equals its solo run at its own rate
        assert [tuple(r) for r in run.history.rows()] == [record_row(r) for r in train(
            run.config)]
    find(lab, "raceRateResetButton", QtWidgets.QPushButton).click()
    assert lab.race_panel.rate_of("Adam") == pytest.approx(lr_spin.value())
