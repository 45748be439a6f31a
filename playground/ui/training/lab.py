"""The Training Lab: a view of a TrainingSession (the notebook's regression, trained live).

`TrainingLab(session)` is handed its model, as `TensorLab(workspace)` is. Controls write to the
session and follow its events; plots draw from its runs. A single-shot QTimer on the GUI thread
polls the session (which drains the worker's batched records), redraws, and schedules itself
again on a frame-time budget; when the session reports the run's end, the lab draws the final
state, updates banners and emits `runFinished(status)` on the GUI thread.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets
from superqt.utils import QSignalDebouncer

from playground.core.export.training_script import session_to_script
from playground.core.training.config import TrainConfig
from playground.core.training.history import RunHistory
from playground.core.training.session import Run, TrainingSession
from playground.core.training.worker import warm_up_in_background
from playground.ui.training import exports, rewind_race
from playground.ui.training.controls import TrainingControls
from playground.ui.training.lr_slider import learning_rate_row
from playground.ui.training.pacing import REDRAW_INTERVAL_MS, FramePacer
from playground.ui.training.plot_area import PlotArea
from playground.ui.widgets.messages import show_status

LANDSCAPE_DEBOUNCE_MS = 120


class TrainingLab(QtWidgets.QWidget):
    """The Training Lab tab (objectName `trainingLab`); see docs/automation.md for its contract."""

    runFinished = QtCore.Signal(str)

    def __init__(self, session: TrainingSession | None = None,
                 parent: QtWidgets.QWidget | None = None, *, in_steps: bool = False,
                 warm_up: bool = True) -> None:
        """`in_steps`: the caller runs `build_steps` (the window's start-up, one part per
        event-loop turn, so none holds the GUI thread long); else the lab is whole at once.
        `warm_up=False`: the caller starts warm_up_in_background() when it suits it."""
        super().__init__(parent)
        self.setObjectName("trainingLab")
        self.session = session if session is not None else TrainingSession()
        if warm_up:
            warm_up_in_background()  # torch._dynamo's ~1 s import, off the GUI thread, once
        self.build_steps: Iterator[str] = self._build_steps()
        if not in_steps:
            for _step in self.build_steps:
                pass

    def _build_steps(self) -> Iterator[str]:
        s = self.session
        self.controls = TrainingControls(s.config, s.data, s.speed)
        yield "controls"
        self.plots = PlotArea(lambda: self.session, in_steps=True)
        yield from self.plots.build_steps  # one pyqtgraph plot per step
        # What the lab draws into (and tests and docs/automation.md reach) under short names.
        self.loss_plot, self.lr_plot = self.plots.loss_plot, self.plots.lr_plot
        self.data_plot, self.landscape_plot = self.plots.data_plot, self.plots.landscape_plot
        self.readouts, self.log = self.plots.readouts, self.plots.log
        self.banner, self.message = self.plots.banner, self.plots.message
        self.side_tabs, self.loss_graph_button = self.plots.side_tabs, self.plots.loss_graph_button
        self.export_dialogs = exports.ExportDialogs(self, self.message, self._status)
        self._build_layout()

        self._setup_problem = False  # the message strip shows a setup problem (not a run's)
        self._drawn_changes = 0  # lr-change markers already drawn for the current run
        self._tick = 0  # redraw counter: the side plots take turns
        self._pacer = FramePacer()
        self._dirty = False  # records arrived since the last redraw

        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)  # re-armed by each tick with the budgeted interval
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self._on_tick)
        # Spin arrows fire many changes a second: redraw the landscape once they settle.
        self._setup_debouncer = QSignalDebouncer(parent=self)
        self._setup_debouncer.setTimeout(LANDSCAPE_DEBOUNCE_MS)
        self._setup_debouncer.triggered.connect(self._refresh_landscape)

        self._connect_controls()
        self._follow_session()
        self._show_earlier()
        self._show_loaded_run()
        self._update_enabled()
        self._refresh_setup()
        yield "wiring"
        self._refresh_landscape()
        yield "landscape"
        self.timeline, self.race_panel = rewind_race.attach(self)

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

        self.controls.run_layout.addWidget(self.readouts.progress, 5, 0, 1, 2)
        right = QtWidgets.QVBoxLayout()  # the learning rate's full-width row above the plots
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(learning_rate_row(self.controls.lr))
        right.addWidget(self.plots, 1)
        layout = QtWidgets.QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(right, 1)

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

    # ----- wiring: controls write to the session, the view follows its events -------------------
    def _connect_controls(self) -> None:
        c, s = self.controls, self.session
        c.start_button.clicked.connect(self.start)
        c.pause_button.clicked.connect(self._toggle_pause)
        c.step_button.clicked.connect(self._step)
        c.stop_button.clicked.connect(self.stop)
        c.reset_button.clicked.connect(self.reset)
        self.export_dialogs.connect(c.export_script_button, c.export_png_button,
                                    c.export_csv_button, self)
        c.speed_combo.currentIndexChanged.connect(lambda _i: s.set_speed(c.speed()))
        c.lr.lrChanged.connect(self._guard(s.set_lr))
        c.optimizer_combo.currentTextChanged.connect(self._guard(lambda v: s.update(optimizer=v)))
        c.loss_combo.currentTextChanged.connect(self._guard(lambda v: s.update(loss=v)))
        c.dataset_combo.currentIndexChanged.connect(
            self._guard(lambda _i: s.set_data(kind=c.dataset_key())))
        c.points_spin.valueChanged.connect(self._guard(lambda v: s.set_data(points=v)))
        c.noise_spin.valueChanged.connect(self._guard(lambda v: s.set_data(noise=v)))
        c.seed_spin.valueChanged.connect(self._guard(lambda v: s.update(seed=v)))
        c.w0_spin.valueChanged.connect(self._guard(lambda v: s.update(w0=v)))
        c.b0_spin.valueChanged.connect(self._guard(lambda v: s.update(b0=v)))
        c.batch_spin.valueChanged.connect(self._guard(lambda v: s.update(batch_size=v or None)))
        c.epochs_spin.valueChanged.connect(self._guard(lambda v: s.update(epochs=v)))
        c.forget_zero_grad_check.toggled.connect(
            self._guard(lambda v: s.update(forget_zero_grad=v)))
        c.out_of_place_check.toggled.connect(
            self._guard(lambda v: s.update(out_of_place_update=v)))
        c.new_optimizer_check.toggled.connect(
            self._guard(lambda v: s.update(new_optimizer_each_epoch=v)))
        self.readouts.log_y_check.toggled.connect(self.loss_plot.set_log_y)
        self.banner.lower_lr_button.clicked.connect(self._lower_lr_and_restart)
        self.data_plot.pointsEdited.connect(self._on_points_edited)
        self.log.copy_button.clicked.connect(self.copy_log)

    def _guard(self, write):
        """Wrap a write to the session: a refused value is shown, and the widget set back."""
        def apply(*args) -> None:
            try:
                write(*args)
            except ValueError as exc:
                self.message.show_message("That setting was not applied.", str(exc))
                self.controls.show_setup(self.session.config, self.session.data)
        return apply

    def _follow_session(self) -> None:
        e = self.session.events
        e.setup_changed.connect(self._on_setup_changed)
        e.run_started.connect(self._on_run_started)
        e.records_arrived.connect(self._on_records)
        e.run_ended.connect(self._on_run_ended)
        e.paused.connect(self._on_paused)
        e.runs_changed.connect(self._show_earlier)
        e.speed_changed.connect(self.controls.show_speed)
        e.replaced.connect(self._on_replaced)

    # ----- public API ---------------------------------------------------------------------------
    def config(self) -> TrainConfig:
        """The run the controls describe: the session's setup (start() reports problems)."""
        return self.session.config

    @property
    def history(self) -> RunHistory:
        """The current run's records (empty before the first run)."""
        run = self.session.current
        return run.history if run is not None else RunHistory()

    def is_running(self) -> bool:
        """True from start() until runFinished has been emitted (paused runs count)."""
        return self.session.is_running()

    def start(self) -> None:
        """Start a run with the session's setup (ignored while one is running)."""
        self._begin_run(paused=False)

    def stop(self) -> None:
        """Ask the running loop to end after its current epoch; runFinished("stopped") follows."""
        self.session.stop()

    def reset(self) -> None:
        """Stop any run and clear every plot back to the initial w and b."""
        self.session.reset()  # runs_changed and setup_changed redraw the rest
        self.plots.clear_run(self.session.config.epochs)  # the Epochs box's N, default axes
        self._drawn_changes = 0
        self._refresh_setup()

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Stop the worker and wait for it (the main window's close); True once none is left."""
        if not self.session.is_running():
            return True
        return self.session.shutdown(timeout_ms / 1000.0)  # run_ended emits runFinished

    def set_dark(self, dark: bool) -> None:
        """Follow the window's theme: plot backgrounds, axes and curve colours."""
        self.plots.set_dark(dark)

    def script_text(self) -> str:
        """The run on screen (or the setup) as a plain-torch script that prints what it showed."""
        return session_to_script(self.session)

    def export_script(self, path: str | Path) -> None:
        """Write script_text() to a .py file (atomically: a failed save keeps the old file)."""
        exports.write_script(self.session, path)

    def export_loss_png(self, path: str | Path) -> None:
        """Save the loss plot as a PNG."""
        exports.write_loss_png(self.loss_plot, path)

    def export_loss_csv(self, path: str | Path) -> None:
        """Save the current run as CSV columns epoch, loss, lr, w, b."""
        exports.write_loss_csv(self.history, path)

    def copy_log(self) -> None:
        """Put the whole notebook-style log on the clipboard."""
        QtWidgets.QApplication.clipboard().setText(self.session.log_text())
        self._status("Notebook log copied to the clipboard.")

    # ----- run lifecycle ------------------------------------------------------------------------
    def _begin_run(self, *, paused: bool) -> bool:
        if self.session.is_running() and self.session.shown_epoch is None:
            return False
        try:
            self.session.config.validate()
        except ValueError as exc:
            self.message.show_message("These settings cannot be trained.", str(exc))
            return False
        # Everything alive now (torch, Qt, plots) lives for the whole session: freezing it keeps
        # the full garbage collections a run's records trigger from walking it (100+ ms stalls).
        gc.freeze()
        self.session.start(paused=paused)  # run_started sets up the plots and the timer
        return True

    def _on_run_started(self, run: Run) -> None:
        config = run.config
        self.loss_plot.clear_current()
        self.loss_plot.set_current_name(run.label() + " (now)")
        self.lr_plot.clear_current()
        self.loss_plot.set_epochs(config.epochs)
        self.lr_plot.set_epochs(config.epochs)
        self.landscape_plot.set_path(np.empty(0), np.empty(0))
        self.banner.hide()
        self.message.hide()
        self._setup_problem = False
        self.log.clear()
        self.readouts.show_predictions("", "")
        self.readouts.set_progress(0, config.epochs)
        self._drawn_changes = 0
        self._tick = 0
        self._pacer.start()
        self._timer.start(REDRAW_INTERVAL_MS)
        self.controls.pause_button.setText("Pause")
        self._update_enabled()
        self._status(f"Training {config.optimizer}, lr {config.lr:g}, {config.epochs} epochs…")

    @QtCore.Slot()
    def _on_tick(self) -> None:
        """Timer tick: poll the session (records and the run's end arrive as events), redraw."""
        if not self.session.is_running():
            return
        try:
            # Records polled by anyone since the last redraw set _dirty too; at the run's end
            # run_ended draws the final state.
            if self.session.poll() and self._dirty:
                self._pacer.measure(first=not self._tick)
                self._redraw()
        finally:
            if self.session.is_running():  # re-armed even if a redraw raised: never stall
                self._timer.start(self._pacer.next_interval_ms(self.session.speed is None))

    def _on_records(self, run: Run, first: int) -> None:
        self._dirty = True
        new_changes = run.lr_changes[self._drawn_changes:]
        for epoch, lr in new_changes:
            self.loss_plot.add_lr_marker(float(epoch), lr)
        self._drawn_changes = len(run.lr_changes)
        if new_changes:  # the status bar and the legend follow the rate the loop now uses
            self._status(f"Training {run.config.optimizer}, lr {new_changes[-1][1]:g} from "
                         f"epoch {new_changes[-1][0]}, {run.config.epochs} epochs…")
            self.loss_plot.set_current_name(run.label() + " (now)")
        self.log.follow(self.session.log_lines, first, run.epochs_done)

    def _on_run_ended(self, run: Run) -> None:
        self._timer.stop()
        end = run.end
        assert end is not None
        if run.epochs_done:
            self._redraw(everything=True)  # the final state, whatever tick this is
        if run.epochs_done:  # what is left of the log, with the final predictions
            self.log.follow(self.session.log_lines, run.epochs_done, now=True)
        self.loss_plot.set_current_name(run.label(), diverged=end.status == "diverged")
        self.controls.pause_button.setText("Pause")
        self.readouts.set_progress(run.epochs_done, run.config.epochs, exact=True)
        self._update_enabled()
        if end.status == "diverged":
            self.banner.show_divergence(end.reason, end.explanation)
        elif end.status == "error":
            self.message.show_message(end.reason, end.explanation)
            self._setup_problem = False
        self._status(f"Run {end.status}: {end.reason}" if end.reason else f"Run {end.status}")
        self.runFinished.emit(end.status)

    def _on_paused(self, paused: bool) -> None:
        self.controls.pause_button.setText("Resume" if paused else "Pause")

    def _redraw(self, everything: bool = False) -> None:
        run = self.session.current
        if run is None or not run.epochs_done:
            return
        self._dirty = False
        h = run.history
        epochs = h.column("epoch")
        self.loss_plot.set_current(epochs, h.column("loss"))
        self.loss_plot.set_records(epochs, h.column("loss"), h.column("w"), h.column("b"))
        self._tick += 1
        # The side plots change slowly: one per tick in turn (at Full speed every other tick: 0.5,
        # 1.5 and 2.5 match none), so a frame repaints two plots at most (1-2 ms of GIL each).
        side = self._tick % 3 if self.session.speed is not None else self._tick % 6 / 2
        if everything or side == 0:
            self.data_plot.set_line(h.last("w"), h.last("b"))
        if everything or side == 1:
            self.landscape_plot.set_path(h.column("w"), h.column("b"))
        if everything or side == 2:
            self.lr_plot.set_current(epochs, h.column("lr"))
        else:
            self.lr_plot.set_current_data(epochs, h.column("lr"))  # keeps getData() current
        self._show_readout()
        if everything or self.session.speed is not None:  # cheap at a watchable pace only
            self.readouts.show_predictions(*self.session.predictions())
        self.readouts.set_progress(len(h), run.config.epochs)

    def _show_readout(self) -> None:
        readout = self.session.readout()
        if readout is not None:
            self.readouts.show_readout(readout)

    # ----- controls -----------------------------------------------------------------------------
    @QtCore.Slot()
    def _toggle_pause(self) -> None:
        if not self.session.is_running():
            return
        if self.session.paused:
            self.session.resume()
        else:
            self.session.pause()

    @QtCore.Slot()
    def _step(self) -> None:
        if not self.session.is_running() and not self._begin_run(paused=True):
            return
        self.session.step()  # one epoch, then paused

    @QtCore.Slot()
    def _lower_lr_and_restart(self) -> None:
        lr = self.controls.lr.lr()
        self.controls.lr.set_lr(max(lr * 0.1, self.controls.lr.spin.minimum()))
        self.start()

    @QtCore.Slot()
    def _on_points_edited(self) -> None:
        try:
            self.session.set_custom_points(self.data_plot.points.points_xy())
        except ValueError as exc:
            self.message.show_message("Those points were not applied.", str(exc))

    def _on_setup_changed(self, _config: TrainConfig) -> None:
        self.controls.show_setup(self.session.config, self.session.data)
        self._update_enabled()
        if not self.session.is_running():
            self._refresh_setup()
            self._setup_debouncer.throttle()

    def _update_enabled(self) -> None:
        c = self.controls
        running, s = self.session.is_running(), self.session
        idle = not running or (s.paused and s.shown_epoch is not None)  # or set up a branch
        config, kind = self.session.config, self.session.data.kind
        manual = config.optimizer == "Manual"
        for widget in (c.dataset_combo, c.seed_spin, c.w0_spin, c.b0_spin, c.loss_combo,
                       c.optimizer_combo, c.batch_spin, c.epochs_spin, c.forget_zero_grad_check,
                       c.start_button):
            widget.setEnabled(idle)
        c.points_spin.setEnabled(idle and kind == "noisy")
        c.noise_spin.setEnabled(idle and kind == "noisy")
        c.out_of_place_check.setEnabled(idle and manual)
        c.new_optimizer_check.setEnabled(idle and not manual)
        c.pause_button.setEnabled(running)
        c.stop_button.setEnabled(running)
        c.custom_hint.setVisible(kind == "custom")
        self.data_plot.set_editable(idle and kind == "custom")

    # ----- earlier runs, setup, landscape and the idle readouts ----------------------------------
    def _show_earlier(self) -> None:
        """Draw the session's earlier runs (names from the model: what each run really was)."""
        self.loss_plot.clear_earlier()
        for run in self.session.earlier:
            h, diverged = run.history, getattr(run.end, "status", "") == "diverged"
            self.loss_plot.add_earlier(run.label(), h.column("epoch"), h.column("loss"),
                                       diverged=diverged)  # read-only views: never change

    def _on_replaced(self) -> None:
        """An opened session file replaced the whole model: draw it as a new lab would."""
        self._timer.stop()
        self.plots.clear_run(self.session.config.epochs)
        self._setup_problem = False
        self.controls.show_setup(self.session.config, self.session.data)
        self.controls.show_speed(self.session.speed)
        self._show_earlier()
        self._show_loaded_run()
        self._update_enabled()
        self._refresh_setup()
        self._refresh_landscape()

    def _show_loaded_run(self) -> None:
        """A session handed over with a finished run (a loaded one): draw it as it ended."""
        run = self.session.current
        if run is None or not run.epochs_done or self.session.is_running():
            return
        self.loss_plot.set_current_name(run.label(),
                                        diverged=getattr(run.end, "status", "") == "diverged")
        self.loss_plot.set_epochs(run.config.epochs)
        self.lr_plot.set_epochs(run.config.epochs)
        for epoch, lr in run.lr_changes:
            self.loss_plot.add_lr_marker(float(epoch), lr)
        self._drawn_changes = len(run.lr_changes)
        self._redraw(everything=True)
        self.log.follow(self.session.log_lines, 0, now=True)  # the newest lines it keeps

    def _refresh_setup(self) -> None:
        """What follows the setup at once: points, the start (or the run), banners, readouts."""
        session = self.session
        config = session.config
        dataset = config.dataset
        self.data_plot.set_points(dataset.x, dataset.y)
        try:
            dataset.validate()
        except ValueError as exc:
            self.message.show_message("This dataset cannot be trained.", str(exc))
            self._setup_problem = True
            return
        if self._setup_problem:  # points are back: the old complaint no longer holds
            self.message.hide()
            self._setup_problem = False
        if session.shows_run():
            self._redraw(everything=True)
            return
        # The setup no longer matches the run on screen: show the new starting point, and drop
        # what belonged to the old run's surface (its path and its divergence).
        self.landscape_plot.set_path(np.empty(0), np.empty(0))
        self.banner.hide()
        self.readouts.show_predictions("", "")
        self._show_readout()
        self.data_plot.set_line(config.w0, config.b0)

    @QtCore.Slot()
    def _refresh_landscape(self) -> None:
        """The loss surface for the setup's data and loss (debounced: it costs a few ms)."""
        if self.session.is_running():
            return
        landscape = self.session.landscape()
        if landscape is None:
            return
        self.landscape_plot.set_landscape(landscape.ws, landscape.bs, landscape.losses)
        self.landscape_plot.set_marks(landscape.start, landscape.optimum)

    # ----- small helpers ------------------------------------------------------------------------
    def _status(self, text: str) -> None:
        show_status(self, text, 8000)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.shutdown()
        super().closeEvent(event)
