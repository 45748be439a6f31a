"""The Training Lab's optimiser race: the side tabs' "Race" page.

`raceList` holds one checkable item per optimiser, each with its own rate (the current one
unless `raceRateSpin` set another), `raceButton` starts them together and `raceTable` ranks
them. The session runs the race on its one worker; this panel polls it on its own timer and
draws each racer in its own colour on the loss plot and as its own path on the landscape.

The worker needs the GIL the GUI thread's Python holds, so a race is drawn on the same budget
of the GUI thread's time as a run (`FramePacer`: a draw's CPU time, its paint included, over
the budget; at Full speed the smaller one, down to 5 draws a second), the loss curves and the
paths take turns, each curve is drawn from a `PeakDecimator` kept up to date as the racer
grows, and the ranking table is filled only while it is on screen (and at the race's end).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.limits import LR_RANGE
from playground.core.training.decimate import PeakDecimator, decimate
from playground.core.training.race import Race
from playground.core.training.session import TrainingSession
from playground.core.training.tables import OPTIMIZER_SPECS, OPTIMIZERS
from playground.ui.training.landscape import thin_path
from playground.ui.training.pacing import REDRAW_INTERVAL_MS, FramePacer
from playground.ui.training.plot_base import RunCurve
from playground.ui.widgets.plot_style import live_pen

if TYPE_CHECKING:
    from playground.ui.training.lab import TrainingLab

# One colour per racer, in race order; apart from the current run's blue and the fit's red.
RACER_COLOURS: tuple[tuple[int, int, int], ...] = (
    (230, 120, 40), (60, 160, 80), (150, 90, 190), (200, 70, 90), (20, 160, 170),
    (190, 160, 30))
RACE_COLUMNS = ("optimiser", "final loss", "epoch within 1 % of best", "outcome")
DEFAULT_RACERS = ("SGD", "Momentum", "Adam", "RMSprop", "Adagrad")
RATE_ROLE = QtCore.Qt.ItemDataRole.UserRole  # a racer's own rate; None means the current rate
# Five curves and five paths: never drawn more often than 20 times a second, even when paced.
MIN_INTERVAL_MS = REDRAW_INTERVAL_MS
TABLE_EVERY_DRAWS = 4  # the ranking table (when on screen) every fourth draw


class _RacerDelegate(QtWidgets.QStyledItemDelegate):
    """Shows each racer's rate beside its name; the item's text stays the optimiser's name."""

    def __init__(self, current_lr, parent: QtWidgets.QWidget) -> None:
        super().__init__(parent)
        self._current_lr = current_lr

    def initStyleOption(self, option: QtWidgets.QStyleOptionViewItem,  # noqa: N802 (Qt override)
                        index: QtCore.QModelIndex) -> None:
        super().initStyleOption(option, index)
        rate = index.data(RATE_ROLE)
        option.text = (f"{option.text}   lr {rate:g}" if rate is not None
                       else f"{option.text}   lr {self._current_lr():g} (current)")


class RacePanel(QtWidgets.QWidget):
    """Race the checked optimisers from the setup's start; the ranking table below."""

    def __init__(self, lab: TrainingLab) -> None:
        super().__init__()
        self.lab = lab
        self.session: TrainingSession = lab.session
        self.race_list = QtWidgets.QListWidget()
        self.race_list.setObjectName("raceList")
        self.race_list.setToolTip("The optimisers to race. Each runs at the current learning "
                                  "rate unless you select it and set its own rate below.")
        self.race_list.setItemDelegate(_RacerDelegate(lambda: self.session.config.lr,
                                                      self.race_list))
        for name in OPTIMIZERS:
            item = QtWidgets.QListWidgetItem(name)
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
            checked = name in DEFAULT_RACERS
            item.setCheckState(QtCore.Qt.CheckState.Checked if checked
                               else QtCore.Qt.CheckState.Unchecked)
            item.setToolTip(OPTIMIZER_SPECS[name].tooltip)
            self.race_list.addItem(item)
        self.race_list.setMaximumHeight(self.race_list.sizeHintForRow(0) * 7)
        self.rate_spin = QtWidgets.QDoubleSpinBox()
        self.rate_spin.setObjectName("raceRateSpin")
        self.rate_spin.setDecimals(5)
        self.rate_spin.setRange(*LR_RANGE)
        self.rate_spin.setSingleStep(0.001)
        self.rate_spin.setToolTip("The selected racer's own learning rate.")
        self.rate_spin.setEnabled(False)
        self.rate_reset = QtWidgets.QPushButton("Use current")
        self.rate_reset.setObjectName("raceRateResetButton")
        self.rate_reset.setToolTip("The selected racer runs at the current learning rate again.")
        self.rate_reset.setEnabled(False)
        self.rate_label = QtWidgets.QLabel("Rate of the selected racer:")
        self.race_button = QtWidgets.QPushButton("Race")
        self.race_button.setObjectName("raceButton")
        self.race_button.setToolTip("Start the checked optimisers together from the same start "
                                    "on the same data, in lockstep on one worker.")
        self.race_table = QtWidgets.QTableWidget(0, len(RACE_COLUMNS))
        self.race_table.setObjectName("raceTable")
        self.race_table.setHorizontalHeaderLabels(list(RACE_COLUMNS))
        self.race_table.setToolTip("The racers ranked: final loss, the first epoch within 1 % "
                                   "of each one's best loss, and how each run ended.")
        self.race_table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.race_table.horizontalHeader().setStretchLastSection(True)
        self.race_table.verticalHeader().setVisible(False)
        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        layout = QtWidgets.QVBoxLayout(self)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.race_list, 1)
        top.addWidget(self.race_button, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        rate_row = QtWidgets.QHBoxLayout()
        rate_row.addWidget(self.rate_label)
        rate_row.addWidget(self.rate_spin)
        rate_row.addWidget(self.rate_reset)
        rate_row.addStretch(1)
        layout.addLayout(rate_row)
        layout.addWidget(self.message)
        layout.addWidget(self.race_table, 1)

        self.curves: list[RunCurve] = []
        self.paths: list[pg.PlotCurveItem] = []
        self._reducers: list[PeakDecimator] = []
        self._draws = 0
        self._dirty = False
        self._table_stale = False  # the ranking changed while the table was off screen
        self._pacer = FramePacer()
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)  # re-armed by each tick with the budgeted interval
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self._on_tick)
        self.race_button.clicked.connect(self.start_race)
        self.race_list.currentItemChanged.connect(self._on_racer_selected)
        self.rate_spin.valueChanged.connect(self._on_rate_edited)
        self.rate_reset.clicked.connect(self._use_current_rate)
        e = self.session.events
        e.race_started.connect(self._on_race_started)
        e.race_arrived.connect(self._on_race_arrived)
        e.race_ended.connect(self._on_race_ended)
        e.run_started.connect(self._on_run_started)
        e.run_ended.connect(self._sync_enabled)
        e.runs_changed.connect(self._on_runs_changed)
        e.replaced.connect(self._on_replaced)
        self._on_replaced()

    def _on_run_started(self, _run: object) -> None:
        self._clear()
        self._sync_enabled()

    def _sync_enabled(self, *_args: object) -> None:
        self.race_button.setEnabled(not self.session.is_running())

    def checked(self) -> list[str]:
        """The checked optimisers' names, in the list's order."""
        return [it.text() for it in self._checked_items()]

    def _checked_items(self) -> list[QtWidgets.QListWidgetItem]:
        items = (self.race_list.item(i) for i in range(self.race_list.count()))
        return [it for it in items if it.checkState() == QtCore.Qt.CheckState.Checked]

    def rate_of(self, name: str) -> float:
        """The rate a racer would run at: its own, or the current learning rate."""
        (item,) = self.race_list.findItems(name, QtCore.Qt.MatchFlag.MatchExactly)
        rate = item.data(RATE_ROLE)
        return self.session.config.lr if rate is None else float(rate)

    def set_rate(self, name: str, rate: float | None) -> None:
        """Give a racer its own rate (None: the current learning rate)."""
        (item,) = self.race_list.findItems(name, QtCore.Qt.MatchFlag.MatchExactly)
        item.setData(RATE_ROLE, rate)
        if item is self.race_list.currentItem():
            self._on_racer_selected(item)

    def _on_racer_selected(self, item: QtWidgets.QListWidgetItem | None, *_args: object) -> None:
        self.rate_spin.setEnabled(item is not None)
        self.rate_reset.setEnabled(item is not None and item.data(RATE_ROLE) is not None)
        if item is not None:
            self.rate_label.setText(f"Rate of {item.text()}:")
            with QtCore.QSignalBlocker(self.rate_spin):
                self.rate_spin.setValue(self.rate_of(item.text()))

    def _on_rate_edited(self, value: float) -> None:
        item = self.race_list.currentItem()
        if item is not None:
            item.setData(RATE_ROLE, float(value))
            self.rate_reset.setEnabled(True)

    def _use_current_rate(self) -> None:
        item = self.race_list.currentItem()
        if item is not None:
            self.set_rate(item.text(), None)

    @QtCore.Slot()
    def start_race(self) -> None:
        """Race the checked optimisers, each at its rate (ignored while a run is going)."""
        if self.session.is_running():
            return
        try:
            self.session.start_race([(name, self.rate_of(name)) for name in self.checked()])
        except ValueError as exc:
            self.message.setText(str(exc))

    def _on_race_started(self, race: Race) -> None:
        self.message.setText("")
        self._clear()
        for i, run in enumerate(race.runs):
            colour = RACER_COLOURS[i % len(RACER_COLOURS)]
            curve = RunCurve(name=f"race: {run.label()}", pen=live_pen(colour))
            self.lab.loss_plot.addItem(curve)
            # Once in the view, as the lab's curves: only does work when the user zooms in.
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            path = pg.PlotCurveItem(pen=live_pen(colour))  # a bare curve: no dataset to keep
            self.lab.landscape_plot.addItem(path)
            reducer = PeakDecimator()
            reducer.reset(run.config.epochs)
            self.curves.append(curve)
            self.paths.append(path)
            self._reducers.append(reducer)
        self._draws = 0
        self._dirty = False
        self._pacer.start()
        self._timer.start(REDRAW_INTERVAL_MS)
        self.lab._update_enabled()
        self._sync_enabled()

    @QtCore.Slot()
    def _on_tick(self) -> None:
        if not self.session.poll():
            return  # the race ended: race_ended drew it
        race = self.session.race
        try:
            if self._dirty and race is not None:
                self._dirty = False
                self._pacer.measure(first=not self._draws)
                self._draws += 1
                self._draw_live(race)
        finally:
            if self.session.is_running():  # re-armed even if a draw raised: never stall
                self._timer.start(self._interval_ms())

    def _interval_ms(self) -> int:
        """The next tick: drawing stays within the pacer's budget of the GUI thread's time."""
        full_speed = self.session.speed is None
        return max(self._pacer.next_interval_ms(full_speed=full_speed), MIN_INTERVAL_MS)

    def _on_race_arrived(self, _race: Race) -> None:
        self._dirty = True  # drawn by the next tick, not per poll

    def _on_race_ended(self, race: Race) -> None:
        self._timer.stop()
        self._draw(race)
        self.lab._update_enabled()
        self._sync_enabled()
        self.lab.runFinished.emit(race.end.status if race.end is not None else "completed")

    def _draw_live(self, race: Race) -> None:
        """One draw during the race: the loss curves and the paths take turns (one plot
        repaints per draw), the table only while it is on screen."""
        if self._draws % 2:
            self._draw_curves(race)
        elif self.lab.landscape_plot.isVisible():
            self._draw_paths(race)
        else:
            self._draw_curves(race)
        if self._draws % TABLE_EVERY_DRAWS == 0:
            if self.race_table.isVisible():
                self._fill_table(race)
            else:
                self._table_stale = True

    def _draw_curves(self, race: Race) -> None:
        for run, curve, reducer in zip(race.runs, self.curves, self._reducers, strict=False):
            h = run.history
            if len(h):
                epochs, losses = h.column("epoch"), h.column("loss")
                curve.set_run(epochs, losses, reducer.update(epochs, losses))

    def _draw_paths(self, race: Race) -> None:
        for run, path in zip(race.runs, self.paths, strict=False):
            h = run.history
            if len(h):
                path.setData(*thin_path(h.column("w"), h.column("b")))

    def _draw(self, race: Race, table: bool = True) -> None:
        """Everything as the race stands (its end, or a loaded race): every epoch, reduced."""
        for run, curve in zip(race.runs, self.curves, strict=False):
            h = run.history
            if len(h):
                epochs, losses = h.column("epoch"), h.column("loss")
                curve.set_run(epochs, losses, decimate(epochs, losses))
        self._draw_paths(race)
        if table:
            self._fill_table(race)

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        race = self.session.race
        if self._table_stale and race is not None:
            self._fill_table(race)

    def _fill_table(self, race: Race) -> None:
        self._table_stale = False
        table = self.race_table
        standings = race.standings()
        table.setRowCount(len(standings))
        for row, standing in enumerate(standings):
            colour = QtGui.QColor(*RACER_COLOURS[standing.index % len(RACER_COLOURS)])
            for column, text in enumerate(standing.cells()):
                item = QtWidgets.QTableWidgetItem(text)
                if column == 0:
                    item.setForeground(colour)
                table.setItem(row, column, item)

    def _clear(self) -> None:
        for curve in self.curves:
            self.lab.loss_plot.legend.removeItem(curve)
            self.lab.loss_plot.removeItem(curve)
        for path in self.paths:
            self.lab.landscape_plot.removeItem(path)
        self.curves.clear()
        self.paths.clear()
        self._reducers.clear()

    def _on_runs_changed(self) -> None:
        if self.session.race is None:  # reset
            self._clear()
            self.race_table.setRowCount(0)

    def _on_replaced(self) -> None:
        """A loaded session: draw its race, if it holds one."""
        self._clear()
        self.race_table.setRowCount(0)
        race = self.session.race
        if race is not None and not self.session.is_running():
            self._on_race_started(race)
            self._timer.stop()
            self._draw(race)
