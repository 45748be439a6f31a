"""The Training Lab at Full speed spends little of the GUI thread: a smaller redraw budget with a
5 Hz floor, no log text formatted behind its tab (it is all there when the run ends or the tab is
shown), and the update formula at a run's end without replaying epochs on the GUI thread."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtWidgets

from playground.core.training.config import TrainConfig
from playground.core.training.datasets import noisy_line
from playground.core.training.session import TrainingSession
from playground.testing import find
from playground.ui.training.lab import TrainingLab
from playground.ui.training.pacing import (
    FULL_SPEED_BUDGET,
    FULL_SPEED_MAX_INTERVAL_MS,
    MAX_REDRAW_INTERVAL_MS,
    MIN_REDRAW_INTERVAL_MS,
    REDRAW_BUDGET,
    FramePacer,
)
from playground.ui.training.readouts import FLUSH_RECORDS, TrainingLog

TIMEOUT = 30_000


def test_full_speed_redraws_on_a_smaller_budget_down_to_5_hz() -> None:
    pacer = FramePacer()
    for cost_ms in (0.1, 1.0, 2.0, 5.0, 30.0):
        pacer.frame_cost = cost_ms / 1000
        paced, full = pacer.next_interval_ms(), pacer.next_interval_ms(full_speed=True)
        assert MIN_REDRAW_INTERVAL_MS <= paced <= MAX_REDRAW_INTERVAL_MS
        assert MIN_REDRAW_INTERVAL_MS <= full <= FULL_SPEED_MAX_INTERVAL_MS == 200
        assert full >= paced
        assert full == int(min(max(cost_ms / FULL_SPEED_BUDGET, MIN_REDRAW_INTERVAL_MS), 200))
        assert paced == int(min(max(cost_ms / REDRAW_BUDGET, MIN_REDRAW_INTERVAL_MS), 100))


def log_text(lab) -> str:
    return find(lab, "trainingLog", QtWidgets.QPlainTextEdit).toPlainText()


def test_the_log_behind_its_tab_waits_and_is_whole_at_the_end(qtbot, lab) -> None:
    assert not lab.log.isVisible()  # the landscape's tab is on top
    find(lab, "epochsSpin", QtWidgets.QSpinBox).setValue(100_000)
    with qtbot.waitSignal(lab.runFinished, timeout=TIMEOUT):
        lab.start()
        qtbot.waitUntil(lambda: lab.session.current.epochs_done > 5 * FLUSH_RECORDS,
                        timeout=TIMEOUT)
        shown = log_text(lab).splitlines()
        # written in bulk behind the tab: a prefix of the log, short of the records due
        assert shown == lab.session.log_lines()[:len(shown)]
        assert len(shown) >= 2 * (FLUSH_RECORDS // 10)
        lab.stop()
    assert log_text(lab).splitlines() == lab.session.log_lines()


def test_a_hidden_log_writes_a_few_hundred_lines_at_a_time(qtbot) -> None:
    log = TrainingLog()
    qtbot.addWidget(log)  # never shown: as behind its tab
    asked = []

    def lines_from(first: int, most: int) -> list[str]:
        asked.append(first)
        return [f"line {first}"]

    log.follow(lines_from, 0, records=10)
    log.follow(lines_from, 10, records=FLUSH_RECORDS - 1)
    assert asked == [] and log.text.toPlainText() == ""
    log.follow(lines_from, FLUSH_RECORDS - 1, records=FLUSH_RECORDS)
    assert asked == [0]  # from the first record due, once
    log.follow(lines_from, FLUSH_RECORDS, records=FLUSH_RECORDS + 5)
    log.follow(lines_from, FLUSH_RECORDS + 5, records=FLUSH_RECORDS + 9, now=True)
    assert asked == [0, FLUSH_RECORDS]
    assert log.text.toPlainText().splitlines() == ["line 0", f"line {FLUSH_RECORDS}"]


def test_a_paused_runs_log_appears_when_its_tab_is_shown(qtbot, lab) -> None:
    tabs = find(lab, "trainingSideTabs", QtWidgets.QTabWidget)
    for _ in range(25):
        lab._step()
        assert lab.session.wait_paused(10)
    qtbot.waitUntil(lambda: lab.session.current.epochs_done == 25)
    qtbot.waitUntil(lambda: lab.history is not None and len(lab.history) == 25)
    assert log_text(lab) == ""
    tabs.setCurrentWidget(lab.log)
    qtbot.waitUntil(lab.log.isVisible)
    assert log_text(lab).splitlines() == lab.session.log_lines()
    assert log_text(lab).splitlines()[-2:] == ["Epoch 20", lab.session.log_lines()[-1]]
    lab.stop()
    qtbot.waitUntil(lambda: not lab.is_running())
    assert log_text(lab).splitlines() == lab.session.log_lines()  # the predictions once


def test_a_finished_runs_update_formula_is_written_at_once(qtbot, lab) -> None:
    with qtbot.waitSignal(lab.runFinished, timeout=TIMEOUT):
        lab.start()
    assert lab.session.current.known_step.epoch == 99  # the loop kept the last step
    text = find(lab, "updateText", QtWidgets.QLabel).text()
    assert text.startswith("Epoch 99's last update (SGD, lr 0.001):")
    assert text == lab.session.current.update_text(99)


@pytest.fixture
def big_lab(qtbot):
    """A lab over 2,000 points in batches of 500 (as a script or a session file can set up):
    replaying an epoch is 4 steps over all the points, so the epochs since the last checkpoint
    are replayed off the GUI thread."""
    config = TrainConfig(dataset=noisy_line(2_000, seed=1), batch_size=500, epochs=100_000,
                         lr=0.0001)
    widget = TrainingLab(TrainingSession(config, speed=None))
    qtbot.addWidget(widget)
    widget.resize(1280, 800)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    assert widget.shutdown(1000)


@pytest.mark.parametrize("how", ["stopped", "paused"])
def test_a_long_replay_writes_the_formula_from_a_thread(qtbot, big_lab, how) -> None:
    lab = big_lab
    label = find(lab, "updateText", QtWidgets.QLabel)
    if how == "stopped":
        with qtbot.waitSignal(lab.runFinished, timeout=TIMEOUT):
            lab.start()
            qtbot.waitUntil(lambda: lab.session.current.epochs_done > 40, timeout=TIMEOUT)
            lab.stop()
    else:
        lab.start()
        qtbot.waitUntil(lambda: lab.session.current.epochs_done > 40, timeout=TIMEOUT)
        lab.session.pause()
        assert lab.session.wait_paused(10)
    run = lab.session.current
    qtbot.waitUntil(lambda: label.text() != "", timeout=TIMEOUT)
    last = run.epochs_done - 1
    assert run.known_step is None or run.known_step.epoch != last  # it was replayed
    assert label.text().startswith(f"Epoch {last}'s last update (SGD, lr 0.0001):")
    assert label.text() == run.update_text(last)
    if how == "paused":
        lab.stop()
        qtbot.waitUntil(lambda: not lab.is_running())


@pytest.mark.parametrize("speed", [None, 30.0])
def test_side_plots_take_turns_every_other_redraw_at_full_speed(qtbot, lab, monkeypatch,
                                                                speed) -> None:
    with qtbot.waitSignal(lab.runFinished, timeout=TIMEOUT):
        lab.start()
    lab.session.set_speed(speed)
    drawn = []
    monkeypatch.setattr(lab.data_plot, "set_line", lambda *_a: drawn.append("line"))
    monkeypatch.setattr(lab.landscape_plot, "set_path", lambda *_a: drawn.append("path"))
    monkeypatch.setattr(lab.lr_plot, "set_current", lambda *_a: drawn.append("lr"))
    lab._tick = 0
    for _ in range(6):  # six live redraws (as the timer makes them while a run goes)
        lab._redraw()
    turns = ["path", "lr", "line"]
    assert drawn == (turns if speed is None else turns * 2)


def test_an_earlier_run_is_drawn_from_its_own_columns(qtbot, lab) -> None:
    for _ in range(2):
        with qtbot.waitSignal(lab.runFinished, timeout=TIMEOUT):
            lab.start()
    earlier = lab.session.earlier[-1]
    x, y = lab.loss_plot.earlier[-1].getData()
    assert np.array_equal(y, earlier.history.column("loss"))
    # no copy per Start: a 10,000,000-epoch run's overlay would hold 160 MB more
    assert np.shares_memory(y, earlier.history.column("loss"))


def test_a_log_shown_late_holds_what_the_whole_log_would_leave(qtbot, lab, monkeypatch) -> None:
    from playground.ui.training import readouts

    monkeypatch.setattr(readouts, "LOG_MAX_LINES", 60)  # the window keeps the newest 60 lines
    lab.log.text.setMaximumBlockCount(60)
    find(lab, "epochsSpin", QtWidgets.QSpinBox).setValue(2_000)
    with qtbot.waitSignal(lab.runFinished, timeout=TIMEOUT):
        lab.start()
    whole = lab.session.log_lines()
    assert len(whole) > 60
    assert log_text(lab).splitlines() == whole[-60:]
