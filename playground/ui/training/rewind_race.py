"""The Training Lab's timeline (rewind, step back, the update formula) and its optimiser race.

`Timeline` sits under the loss plot: `epochSlider` shows any recorded epoch of the current run
(paused or finished) in the readouts, the fitted line and the landscape, with a marker on the
loss curve; `stepBackButton` goes one epoch back; `updateText` writes the shown epoch's update
with torch's numbers. With the slider below the last epoch, Start continues from there (a
branch, drawn from the old curve, which stays as an earlier run); at the last epoch Start trains
a new run as before.

The Race page beside the landscape and the log is `race_panel.RacePanel`.

`attach(lab)` builds both into a TrainingLab and wires them to its session.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.training.session import TrainingSession
from playground.ui.training.landscape import thin_path
from playground.ui.training.race_panel import RacePanel

if TYPE_CHECKING:
    from playground.ui.training.lab import TrainingLab

class ShownEpochLine(pg.InfiniteLine):
    """The loss plot's marker at the epoch shown (its own class: lr markers are the plot's
    plain InfiniteLines)."""


class Timeline(QtWidgets.QWidget):
    """The epoch slider, Step back and the update formula of the epoch shown.

    The formula needs the optimiser's state around the epoch's last step: the loop keeps it
    for a run's last epoch (and every epoch of a paced or stepped one); otherwise it is
    replayed from the nearest checkpoint, on a thread when that is long (thousands of
    points), so a run's end or a pause never stalls the window.
    """

    _updateReady = QtCore.Signal(object, str)  # (request, text): from the replay thread

    def __init__(self, lab: TrainingLab) -> None:
        super().__init__()
        self.lab = lab
        self.session: TrainingSession = lab.session
        self._pending: object | None = None  # the update text being replayed on a thread
        self._updateReady.connect(self._on_update_ready)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setObjectName("epochSlider")
        self.slider.setToolTip("Drag to show any recorded epoch (paused or finished): readouts, "
                               "line and landscape follow. Start then continues from it.")
        self.step_back_button = QtWidgets.QPushButton("Step back")
        self.step_back_button.setObjectName("stepBackButton")
        self.step_back_button.setToolTip("Show the epoch before (paused or finished).")
        self.epoch_label = QtWidgets.QLabel()
        self.update_text = QtWidgets.QLabel()
        self.update_text.setObjectName("updateText")
        self.update_text.setWordWrap(True)  # a long update wraps instead of widening the window
        self.update_text.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.update_text.setToolTip("The shown epoch's last update, with the numbers torch's "
                                    "optimiser held (its state after the step).")
        self.update_text.setFont(QtGui.QFontDatabase.systemFont(
            QtGui.QFontDatabase.SystemFont.FixedFont))
        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QtWidgets.QLabel("Epoch"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.epoch_label)
        row.addWidget(self.step_back_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addLayout(row)
        # Three lines kept for the update (a narrow lab wraps it longer: that part scrolls), so
        # neither the window's width nor the plots' height follows its text.
        self.update_scroll = QtWidgets.QScrollArea()
        self.update_scroll.setObjectName("updateTextScroll")
        self.update_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.update_scroll.setWidgetResizable(True)
        self.update_scroll.setHorizontalScrollBarPolicy(
            QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.update_scroll.setWidget(self.update_text)
        self.update_text.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft
                                      | QtCore.Qt.AlignmentFlag.AlignTop)
        self._fit_update_height()
        layout.addWidget(self.update_scroll)
        self.marker = ShownEpochLine(
            angle=90, movable=False,
            pen=pg.mkPen((128, 128, 128), style=QtCore.Qt.PenStyle.DashLine))
        self.marker.hide()
        lab.loss_plot.addItem(self.marker, ignoreBounds=True)

        self.slider.valueChanged.connect(self._on_slider)
        self.step_back_button.clicked.connect(self._step_back)
        e = self.session.events
        e.run_started.connect(self._on_run_started)
        e.records_arrived.connect(self._on_records)
        e.run_ended.connect(self._on_settled)
        e.paused.connect(self._on_paused)
        e.epoch_shown.connect(self._on_epoch_shown)
        e.setup_changed.connect(self._after_lab_redraw)  # connected after the lab's own
        e.replaced.connect(self._on_settled)
        e.runs_changed.connect(self._on_settled)
        self._on_settled()

    def _fit_update_height(self) -> None:
        self.update_scroll.setFixedHeight(3 * self.update_text.fontMetrics().lineSpacing() + 4)

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.FontChange:  # View > Zoom reaches the formulas
            mono = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
            if self.font().pointSizeF() > 0:
                mono.setPointSizeF(self.font().pointSizeF())
            self.update_text.setFont(mono)
            self._fit_update_height()

    # ----- what the user does -----------------------------------------------------------------
    def _movable(self) -> bool:
        s = self.session
        return (s.shows_run() and (not s.is_running() or s.paused)
                and not self._racing())

    def _racing(self) -> bool:
        race = self.session.race
        return self.session.is_running() and race is not None and race.end is None

    @QtCore.Slot(int)
    def _on_slider(self, value: int) -> None:
        if not self._movable():
            return
        run = self.session.current
        last = run.epochs_done - 1 if run is not None else 0
        self.session.show_epoch(None if value >= last else value)

    @QtCore.Slot()
    def _step_back(self) -> None:
        if self._movable():
            self.session.step_back()

    # ----- following the session --------------------------------------------------------------
    def _on_run_started(self, _run: object) -> None:
        self.marker.hide()
        self._set_update("")
        self._sync()

    def _on_records(self, _run: object, _first: int) -> None:
        self._sync()
        if self.session.paused:
            self._write_update()

    def _on_paused(self, paused: bool) -> None:
        if not paused:
            self._set_update("")  # written again when the run pauses or ends
            if self.session.shown_epoch is not None:
                self.session.show_epoch(None)  # running on: the view follows the latest epoch
        self._sync()
        if paused:
            self._write_update()

    def _on_settled(self, *_args: object) -> None:
        self._sync()
        self._write_update()

    def _on_epoch_shown(self, epoch: int | None) -> None:
        self._sync()
        self._set_update(self.session.update_text())  # a rewind: at once, as the readouts
        self.lab._update_enabled()  # Start continues a paused run from the epoch shown
        if epoch is None:
            self.marker.hide()
            if self.session.shows_run():
                self.lab._redraw(everything=True)
            return
        self._draw_shown(epoch)

    def _set_update(self, text: str) -> None:
        self._pending = None  # a replay still going on a thread no longer applies
        self.update_text.setText(text)

    def _write_update(self) -> None:
        """The update of the epoch on screen: now when cheap, else replayed on a thread."""
        job = self.session.update_text_later()
        if job is None:
            self._set_update(self.session.update_text())
            return
        self._set_update("")
        request = self._pending = object()
        threading.Thread(target=self._replay, args=(request, job), name="update-text-replay",
                         daemon=True).start()

    def _replay(self, request: object, job: Callable[[], str]) -> None:
        try:
            text = job()
        except Exception:  # a failed replay shows no formula, never a crash
            text = ""
        with contextlib.suppress(RuntimeError):  # the window closed meanwhile
            self._updateReady.emit(request, text)

    @QtCore.Slot(object, str)
    def _on_update_ready(self, request: object, text: str) -> None:
        if request is self._pending:
            self._set_update(text)

    def _after_lab_redraw(self, *_args: object) -> None:
        shown = self.session.shown_epoch
        if shown is not None and self.session.shows_run():
            self._draw_shown(shown)
        self._sync()

    def _draw_shown(self, k: int) -> None:
        """Epoch k everywhere the lab draws the latest: readouts, line, landscape path, marker."""
        run = self.session.current
        if run is None or not self.session.shows_run():
            return
        h = run.history
        ws, bs = h.column("w")[: k + 1], h.column("b")[: k + 1]
        readout = self.session.readout()
        if readout is not None:
            self.lab.readouts.show_readout(readout)
        self.lab.readouts.show_predictions(*self.session.predictions())
        self.lab.data_plot.set_line(float(ws[-1]), float(bs[-1]))
        self.lab.landscape_plot.set_path(*thin_path(ws, bs))
        self.marker.setPos(float(k))
        self.marker.show()

    def _sync(self) -> None:
        """Slider range and position, enabled states and the epoch label, from the session."""
        s = self.session
        run = s.current
        n = run.epochs_done if run is not None and s.shows_run() else 0
        shown = s.shown_epoch
        value = (n - 1 if shown is None else shown) if n else 0
        with QtCore.QSignalBlocker(self.slider):
            self.slider.setRange(0, max(n - 1, 0))
            self.slider.setValue(value)
        movable = self._movable() and n > 0
        self.slider.setEnabled(movable)
        self.step_back_button.setEnabled(movable and value > 0)
        self.epoch_label.setText(f"{value} / {max(n - 1, 0)}" if n else "–")


def attach(lab: TrainingLab) -> tuple[Timeline, RacePanel]:
    """Build the timeline under the loss plot and the Race tab beside the landscape and log."""
    timeline = Timeline(lab)
    panel = RacePanel(lab)
    area = lab.plots
    if not _insert_after(area.layout(), area.lr_plot, timeline):
        area.layout().addWidget(timeline)
    area.side_tabs.addTab(panel, "Race")
    area.side_tabs.setTabToolTip(area.side_tabs.count() - 1,
                                 "Race several optimisers from the same start; the ranking.")
    return timeline, panel


def _insert_after(layout: QtWidgets.QLayout, widget: QtWidgets.QWidget,
                  new: QtWidgets.QWidget) -> bool:
    """Put `new` right after `widget` in whichever (nested) box layout holds it."""
    for i in range(layout.count()):
        item = layout.itemAt(i)
        if item.widget() is widget and isinstance(layout, QtWidgets.QBoxLayout):
            layout.insertWidget(i + 1, new)
            return True
        child = item.layout()
        if child is not None and _insert_after(child, widget, new):
            return True
    return False
