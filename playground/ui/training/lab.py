"""The Training Lab: the notebook's linear regression trained live on a worker thread.

The lab owns the run lifecycle. `start()` builds a TrainConfig from the controls and hands it to
a TrainingWorker; a single-shot QTimer on the GUI thread drains the worker's batched records into
numpy buffers and redraws, then schedules itself again on a frame-time budget; once the worker's
RunEnd has been drained with the last records, the lab draws the final state, updates banners
and emits `runFinished(status)` on the GUI thread.
"""

from __future__ import annotations

import csv
import gc
import time
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets
from superqt.utils import QSignalDebouncer

from playground.core.training import (
    LOSSES,
    OPTIMIZERS,
    Dataset,
    RunEnd,
    TrainConfig,
    TrainControl,
    custom_dataset,
    export_script,
    loss_landscape,
    noisy_line,
    notebook_dataset,
)
from playground.ui.training.controls import TrainingControls
from playground.ui.training.data_plot import DataPlot
from playground.ui.training.history import RunHistory
from playground.ui.training.landscape import (
    LandscapePlot,
    landscape_window,
    least_squares_fit,
)
from playground.ui.training.plots import LossPlot, LrPlot
from playground.ui.training.readouts import DivergenceBanner, MessageBox, Readouts
from playground.ui.training.worker import TrainingWorker, warm_up_in_background

# Every GUI-thread millisecond (Python, and PySide's C++ calls too) holds the GIL the worker
# needs, so a live run gets a budget: the redraw interval stretches until redrawing takes at most
# REDRAW_BUDGET of the wall time, between 60 Hz and 10 Hz (the curve must still visibly grow).
# docs/performance.md has the measurements.
REDRAW_BUDGET = 0.08
MIN_REDRAW_INTERVAL_MS = 16
MAX_REDRAW_INTERVAL_MS = 100
REDRAW_INTERVAL_MS = 50  # the first tick of a run, before any frame has been measured
LANDSCAPE_DEBOUNCE_MS = 120

__all__ = ["LOSSES", "OPTIMIZERS", "TrainingLab"]


class TrainingLab(QtWidgets.QWidget):
    """The Training Lab tab (objectName `trainingLab`); see docs/automation.md for its contract."""

    runFinished = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingLab")
        warm_up_in_background()  # torch._dynamo's ~1 s import, off the GUI thread, once

        self.controls = TrainingControls()
        self.loss_plot = LossPlot()
        self.lr_plot = LrPlot()
        self.data_plot = DataPlot()
        self.landscape_plot = LandscapePlot()
        self.readouts = Readouts()
        self.banner = DivergenceBanner()
        self.message = MessageBox()
        self._build_layout()

        self.history = RunHistory()
        self._worker: TrainingWorker | None = None
        self._run_config: TrainConfig | None = None  # the config of the run on screen
        self._custom_points: list[tuple[float, float]] = list(
            zip(notebook_dataset().x, notebook_dataset().y, strict=True))
        self._last_lr = 0.0  # the lr of the newest drained epoch, to spot live changes
        self._tick = 0  # redraw counter: the side plots take turns
        self._frame_cost = 0.0  # smoothed GUI-thread CPU seconds per redraw, paint included
        self._cpu_mark = 0.0  # time.thread_time() at the previous redraw

        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)  # re-armed by each tick with the budgeted interval
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self._drain)
        # Spin arrows fire many changes a second: redraw the landscape once they settle.
        self._setup_debouncer = QSignalDebouncer(parent=self)
        self._setup_debouncer.setTimeout(LANDSCAPE_DEBOUNCE_MS)
        self._setup_debouncer.triggered.connect(self._refresh_setup)

        self._connect()
        self._update_enabled()
        self._refresh_setup()

    # ----- layout -------------------------------------------------------------------------------
    def _build_layout(self) -> None:
        scroll = QtWidgets.QScrollArea()
        scroll.setObjectName("trainingControlsScroll")
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._controls_scroll = scroll
        self._fit_controls_width()
        scroll.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred,
                             QtWidgets.QSizePolicy.Policy.Expanding)

        left = QtWidgets.QVBoxLayout()
        left.addWidget(self.loss_plot, 3)
        left.addWidget(self.lr_plot, 1)
        right = QtWidgets.QVBoxLayout()
        right.addWidget(self.data_plot, 1)
        right.addWidget(self.landscape_plot, 1)
        grid = QtWidgets.QHBoxLayout()
        grid.addLayout(left, 3)
        grid.addLayout(right, 2)

        plots = QtWidgets.QVBoxLayout()
        plots.addWidget(self.banner)
        plots.addWidget(self.message)
        plots.addLayout(grid, 1)
        plots.addWidget(self.readouts)

        self.controls.run_layout.addWidget(self.readouts.progress, 3, 0, 1, 2)
        layout = QtWidgets.QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(plots, 1)

    def _fit_controls_width(self) -> None:
        """Wide enough for the controls at any zoom: follow their size hint, never squeeze them."""
        scroll = self._controls_scroll
        bar = scroll.verticalScrollBar().sizeHint().width()
        scroll.setMinimumWidth(self.controls.sizeHint().width() + bar + 4)

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.FontChange:  # View > zoom
            # The children see the new font after this widget does: measure them a turn later.
            QtCore.QTimer.singleShot(0, self._fit_controls_width)

    def _connect(self) -> None:
        c = self.controls
        c.start_button.clicked.connect(self.start)
        c.pause_button.clicked.connect(self._toggle_pause)
        c.step_button.clicked.connect(self._step)
        c.stop_button.clicked.connect(self.stop)
        c.reset_button.clicked.connect(self.reset)
        c.export_script_button.clicked.connect(self._ask_export_script)
        c.export_png_button.clicked.connect(self._ask_export_png)
        c.export_csv_button.clicked.connect(self._ask_export_csv)
        c.lr.lrChanged.connect(self._on_lr_changed)
        c.optimizer_combo.currentTextChanged.connect(self._on_setup_changed)
        for widget in (c.dataset_combo, c.loss_combo):
            widget.currentIndexChanged.connect(self._on_setup_changed)
        for spin in (c.points_spin, c.noise_spin, c.seed_spin, c.w0_spin, c.b0_spin):
            spin.valueChanged.connect(self._on_setup_changed)
        self.readouts.log_y_check.toggled.connect(self.loss_plot.set_log_y)
        self.banner.lower_lr_button.clicked.connect(self._lower_lr_and_restart)
        self.data_plot.pointsEdited.connect(self._on_points_edited)

    # ----- public API ---------------------------------------------------------------------------
    def config(self) -> TrainConfig:
        """The run the controls describe (not validated: start() reports problems)."""
        c = self.controls
        batch = c.batch_spin.value()
        return TrainConfig(
            dataset=self._dataset(),
            w0=c.w0_spin.value(),
            b0=c.b0_spin.value(),
            loss=c.loss_combo.currentText(),
            optimizer=c.optimizer_combo.currentText(),
            lr=c.lr.lr(),
            epochs=c.epochs_spin.value(),
            batch_size=batch or None,
            seed=c.seed_spin.value(),
            forget_zero_grad=c.forget_zero_grad_check.isChecked(),
            out_of_place_update=c.out_of_place_check.isChecked(),
            new_optimizer_each_epoch=c.new_optimizer_check.isChecked(),
        )

    def is_running(self) -> bool:
        """True from start() until runFinished has been emitted (paused runs count)."""
        return self._worker is not None

    def start(self) -> None:
        """Start a run with the controls' settings (ignored while one is running)."""
        self._begin_run(paused=False)

    def stop(self) -> None:
        """Ask the running loop to end after its current epoch; runFinished("stopped") follows."""
        if self._worker is not None:
            self._worker.stop()

    def reset(self) -> None:
        """Stop any run and clear every plot back to the initial w and b."""
        self.shutdown()
        self.history.clear()
        self._run_config = None
        self.loss_plot.clear_current()
        self.loss_plot.clear_earlier()
        self.lr_plot.clear_current()
        self.landscape_plot.set_path(np.empty(0), np.empty(0))
        self.banner.hide()
        self.message.hide()
        self.readouts.set_progress(0, 1)
        self._refresh_setup()

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Stop the worker and wait for it (the main window's close); True once none is left."""
        worker = self._worker
        if worker is None:
            return True
        worker.stop()
        if not worker.join(timeout_ms / 1000.0):
            return False
        self._drain()  # takes the final records and the RunEnd, and emits runFinished
        return self._worker is None

    def set_dark(self, dark: bool) -> None:
        """Follow the window's theme: plot backgrounds, axes and curve colours."""
        for plot in (self.loss_plot, self.lr_plot, self.data_plot, self.landscape_plot):
            plot.set_dark(dark)
        self.banner.set_dark(dark)
        self.message.set_dark(dark)

    def export_script(self, path: str | Path) -> None:
        """Write the run on screen (or the controls' config) as a plain-torch .py file."""
        config, schedule = self._run_config, None
        if config is not None and len(self.history):
            schedule = self.history.column("lr").tolist()
        else:
            config = self.config()
        Path(path).write_text(export_script(config, schedule), encoding="utf-8")

    def export_loss_png(self, path: str | Path) -> None:
        """Save the loss plot as a PNG with pyqtgraph's ImageExporter."""
        import pyqtgraph.exporters  # imported on demand: only exports need it

        exporter = pyqtgraph.exporters.ImageExporter(self.loss_plot.getPlotItem())
        exporter.export(str(path))

    def export_loss_csv(self, path: str | Path) -> None:
        """Save the current run as CSV columns epoch, loss, lr, w, b."""
        columns = [self.history.column(n) for n in ("epoch", "loss", "lr", "w", "b")]
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["epoch", "loss", "lr", "w", "b"])
            for epoch, loss, lr, w, b in zip(*columns, strict=True):
                writer.writerow([int(epoch), repr(float(loss)), repr(float(lr)),
                                 repr(float(w)), repr(float(b))])

    # ----- run lifecycle ------------------------------------------------------------------------
    def _begin_run(self, *, paused: bool) -> bool:
        if self._worker is not None:
            return False
        config = self.config()
        try:
            config.validate()
        except ValueError as exc:
            self.message.show_message("These settings cannot be trained.", str(exc))
            return False
        if len(self.history) and self._run_config is not None:
            self.loss_plot.keep_current_as_earlier(self._legend_name(self._run_config))
        self.history.clear()
        self.loss_plot.clear_current()
        self.loss_plot.set_current_name(self._legend_name(config) + " (now)")
        self.lr_plot.clear_current()
        self.loss_plot.set_epochs(config.epochs)
        self.lr_plot.set_epochs(config.epochs)
        self.landscape_plot.set_path(np.empty(0), np.empty(0))
        self.banner.hide()
        self.message.hide()
        self.readouts.set_progress(0, config.epochs)
        self._run_config = config
        self._last_lr = config.lr
        self._refresh_setup()

        control = TrainControl(config.lr)
        if paused:
            control.pause()  # before the thread exists, so not even one epoch slips through
        # Everything alive now (torch, Qt, plots) lives for the whole session: freezing it keeps
        # the full garbage collections a run's records trigger from walking it (100+ ms stalls).
        gc.freeze()
        self._worker = TrainingWorker(config, control)
        self._worker.start()
        self._tick = 0
        self._frame_cost = 0.0
        self._cpu_mark = time.thread_time()
        self._timer.start(REDRAW_INTERVAL_MS)
        self.controls.pause_button.setText("Resume" if paused else "Pause")
        self._update_enabled()
        self._status(f"Training {config.optimizer}, lr {config.lr:g}, {config.epochs} epochs…")
        return True

    @QtCore.Slot()
    def _drain(self) -> None:
        """Timer tick: move the worker's new records into the plots; finish the run at its end."""
        worker = self._worker
        if worker is None:
            self._timer.stop()
            return
        records, end = worker.drain()
        if records:
            before = len(self.history)
            self.history.extend(records)
            self._mark_lr_changes(before)
            if end is None:
                self._measure_frame()
                self._redraw()
        if end is not None:
            if len(self.history):
                self._redraw(everything=True)  # the final state, whatever tick this is
            self._finish(end)
        else:
            self._timer.start(self._next_interval_ms())

    def _measure_frame(self) -> None:
        """Fold the GUI thread's CPU time since the last redraw into the frame cost.

        That span holds the previous redraw's Python work and the paint it caused (which runs
        later, in the event loop), so it is what a redraw really costs; thread time leaves out
        the waits for the GIL and the idle event loop.
        """
        now = time.thread_time()
        spent, self._cpu_mark = now - self._cpu_mark, now
        if self._tick:  # the first span is the run's start-up, not a redraw
            self._frame_cost = spent if not self._frame_cost else (
                0.7 * self._frame_cost + 0.3 * spent)

    def _next_interval_ms(self) -> int:
        budgeted = 1000.0 * self._frame_cost / REDRAW_BUDGET
        return int(min(max(budgeted, MIN_REDRAW_INTERVAL_MS), MAX_REDRAW_INTERVAL_MS))

    def _mark_lr_changes(self, start: int) -> None:
        lrs = self.history.column("lr")[start:]
        previous = np.concatenate(([self._last_lr], lrs[:-1]))
        epochs = self.history.column("epoch")[start:]
        for i in np.flatnonzero(lrs != previous):
            self.loss_plot.add_lr_marker(float(epochs[i]), float(lrs[i]))
        self._last_lr = float(lrs[-1])

    def _redraw(self, everything: bool = False) -> None:
        h = self.history
        epochs = h.column("epoch")
        self.loss_plot.set_current(epochs, h.column("loss"))
        self._tick += 1
        # The side plots change slowly: one of them per tick, in turn, so a frame repaints two
        # plots, not four (each plot's repaint costs 1-2 ms of GIL-holding GUI time).
        side = self._tick % 3
        if everything or side == 0:
            self.data_plot.set_line(h.last("w"), h.last("b"))
        if everything or side == 1:
            self.landscape_plot.set_path(h.column("w"), h.column("b"))
        if everything or side == 2:
            self.lr_plot.set_current(epochs, h.column("lr"))
        else:
            self.lr_plot.set_current_data(epochs, h.column("lr"))  # keeps getData() current
        self.readouts.show_values(
            h.last("epoch"), h.last("loss"), h.last("w"), h.last("b"),
            h.last("w_grad"), h.last("b_grad"))
        if self._run_config is not None:
            self.readouts.set_progress(len(h), self._run_config.epochs)

    def _finish(self, end: RunEnd) -> None:
        worker, self._worker = self._worker, None
        self._timer.stop()
        if worker is not None:
            worker.join(1.0)  # it has returned its RunEnd; this only reaps the thread
        self.controls.pause_button.setText("Pause")
        if self._run_config is not None:
            self.readouts.set_progress(len(self.history), self._run_config.epochs, exact=True)
        self._update_enabled()
        if end.status == "diverged":
            self.banner.show_divergence(end.reason, end.explanation)
        elif end.status == "error":
            self.message.show_message(end.reason, end.explanation)
        self._status(f"Run {end.status}: {end.reason}" if end.reason else f"Run {end.status}")
        self.runFinished.emit(end.status)

    # ----- controls -----------------------------------------------------------------------------
    @QtCore.Slot()
    def _toggle_pause(self) -> None:
        worker = self._worker
        if worker is None:
            return
        if worker.control.paused:
            worker.control.resume()
            self.controls.pause_button.setText("Pause")
        else:
            worker.control.pause()
            self.controls.pause_button.setText("Resume")

    @QtCore.Slot()
    def _step(self) -> None:
        if self._worker is None and not self._begin_run(paused=True):
            return
        assert self._worker is not None
        self._worker.control.step()  # one epoch, then paused
        self.controls.pause_button.setText("Resume")

    @QtCore.Slot(float)
    def _on_lr_changed(self, lr: float) -> None:
        # Live: the loop reads control.lr before each epoch, so this applies from the next one.
        if self._worker is not None:
            self._worker.control.lr = lr

    @QtCore.Slot()
    def _lower_lr_and_restart(self) -> None:
        lr = self.controls.lr.lr()
        self.controls.lr.set_lr(max(lr * 0.1, self.controls.lr.spin.minimum()))
        self.start()

    @QtCore.Slot()
    def _on_setup_changed(self, *_args) -> None:
        self._update_enabled()
        if self._worker is None:
            self._setup_debouncer.throttle()

    @QtCore.Slot()
    def _on_points_edited(self) -> None:
        self._custom_points = self.data_plot.points.points_xy()
        self._setup_debouncer.throttle()

    def _update_enabled(self) -> None:
        c = self.controls
        idle = self._worker is None
        manual = c.optimizer_combo.currentText() == "Manual"
        noisy = c.dataset_key() == "noisy"
        for widget in (c.dataset_combo, c.seed_spin, c.w0_spin, c.b0_spin, c.loss_combo,
                       c.optimizer_combo, c.batch_spin, c.epochs_spin, c.forget_zero_grad_check,
                       c.start_button):
            widget.setEnabled(idle)
        c.points_spin.setEnabled(idle and noisy)
        c.noise_spin.setEnabled(idle and noisy)
        c.out_of_place_check.setEnabled(idle and manual)
        c.new_optimizer_check.setEnabled(idle and not manual)
        c.pause_button.setEnabled(not idle)
        c.stop_button.setEnabled(not idle)
        c.custom_hint.setVisible(c.dataset_key() == "custom")
        self.data_plot.set_editable(idle and c.dataset_key() == "custom")

    # ----- dataset, landscape and the idle readouts ----------------------------------------------
    def _dataset(self) -> Dataset:
        c = self.controls
        key = c.dataset_key()
        if key == "noisy":
            return noisy_line(c.points_spin.value(), noise=c.noise_spin.value(),
                              seed=c.seed_spin.value())
        if key == "custom":
            return custom_dataset(self._custom_points)
        return notebook_dataset()

    @QtCore.Slot()
    def _refresh_setup(self) -> None:
        """Redraw what depends on the setup: points, landscape, and (with no run) the readouts."""
        config = self._run_config if self._worker is not None else self.config()
        dataset = config.dataset
        self.data_plot.set_points(dataset.x, dataset.y)
        start = (config.w0, config.b0)
        try:
            dataset.validate()
        except ValueError as exc:
            self.message.show_message("This dataset cannot be trained.", str(exc))
            return
        if self.message.isVisible() and self._run_config is None:
            self.message.hide()
        optimum = least_squares_fit(dataset.x, dataset.y)
        w_range, b_range = landscape_window(start, optimum)
        self.landscape_plot.set_landscape(*loss_landscape(dataset, config.loss, w_range, b_range))
        self.landscape_plot.set_marks(start, optimum)
        if not len(self.history):
            _, _, at_start = loss_landscape(dataset, config.loss, (start[0],) * 2,
                                            (start[1],) * 2, n=2)
            self.readouts.show_values(0, float(at_start[0, 0]), *start, 0.0, 0.0)
            self.data_plot.set_line(*start)

    # ----- small helpers ------------------------------------------------------------------------
    @staticmethod
    def _legend_name(config: TrainConfig) -> str:
        return f"{config.optimizer}, lr {config.lr:g}"

    def _status(self, text: str) -> None:
        window = self.window()
        if isinstance(window, QtWidgets.QMainWindow):
            window.statusBar().showMessage(text, 8000)

    def _ask_path(self, caption: str, name: str, filters: str) -> str:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, caption, name, filters)
        return path

    @QtCore.Slot()
    def _ask_export_script(self) -> None:
        if path := self._ask_path("Export training script", "training.py", "Python (*.py)"):
            self._export(self.export_script, path)

    @QtCore.Slot()
    def _ask_export_png(self) -> None:
        if path := self._ask_path("Export loss plot", "loss.png", "PNG image (*.png)"):
            self._export(self.export_loss_png, path)

    @QtCore.Slot()
    def _ask_export_csv(self) -> None:
        if path := self._ask_path("Export loss table", "loss.csv", "CSV (*.csv)"):
            self._export(self.export_loss_csv, path)

    def _export(self, method, path: str) -> None:
        try:
            method(path)
        except (OSError, ValueError) as exc:
            self.message.show_message("Export failed.", str(exc))
            return
        self._status(f"Saved {path}")

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.shutdown()
        super().closeEvent(event)
