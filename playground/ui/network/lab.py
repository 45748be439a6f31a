"""The Network Lab: a view of a NetworkSession (TensorFlow Playground's core on torch.nn).

`NetworkLab(session)` is handed its model. Settings write to the session and follow its events;
a QTimer on the GUI thread polls the session (the worker's epoch records and its newest
snapshot) and repaints: the loss curves from the records, the boundary and the diagram from the
snapshot's numpy arrays. The worker makes a snapshot only after the last one was painted, so a
full-speed run costs one grid forward pass and one repaint per tick, paced to the GUI's cost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.files import atomic
from playground.core.network.config import parse_layers
from playground.core.network.datasets import CUSTOM, IMPORTED, ImportRefused
from playground.core.network.session import NetRun, NetworkSession
from playground.core.training.worker import warm_up_in_background
from playground.ui.network.boundary import BoundaryPlot, NetLossPlot
from playground.ui.network.colours import lookup_table
from playground.ui.network.controls import NetworkControls
from playground.ui.network.diagram import NetworkDiagram, feature_images
from playground.ui.network.points import STARTER_POINTS, PointEditing, Slices
from playground.ui.training.lr_slider import learning_rate_row
from playground.ui.training.pacing import FramePacer
from playground.ui.widgets import file_dialogs
from playground.ui.widgets.messages import inline_message_style, show_status

PICTURES_PER_SECOND = 34  # live repaints (30 promised): one poll, and one picture, per tick
LONGEST_INTERVAL_MS = 100  # a costly repaint still leaves 10 a second
REDRAW_BUDGET = 0.2  # the share of the GUI thread's time the live run's repaints may take
CURVE_INTERVAL = 0.2  # seconds between loss-curve redraws while a run goes


def _button(text: str, name: str, tip: str) -> QtWidgets.QPushButton:
    button = QtWidgets.QPushButton(text, objectName=name)
    button.setToolTip(tip)
    return button


class NetworkLab(PointEditing, Slices, QtWidgets.QWidget):
    """The Network Lab tab (objectName `networkLab`); docs/automation.md has its contract."""

    runFinished = QtCore.Signal(str)

    def __init__(self, session: NetworkSession | None = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkLab")
        self.session = session if session is not None else NetworkSession()
        warm_up_in_background()
        s = self.session
        self.controls = NetworkControls(s.data_settings, s.config, s.speed)
        self.diagram = NetworkDiagram()
        # The two plots (pyqtgraph builds a plot's option menus with it: ~20 ms each) and the
        # first picture (the diagram's items, the untrained model over the grid, the points)
        # come in later slices, one event-loop turn each, or all at once before the lab is
        # first shown or drawn on: building the lab never stalls the GUI thread for long.
        self._slots = (QtWidgets.QWidget(), QtWidgets.QWidget())  # the plots' places till then
        self._slices: list[Callable[[], None]] = [
            self._add_boundary, self._add_loss_plot, self.session.picture, self._show_setup]
        self._dark: bool | None = None
        self._records_at = 0.0
        self._step_dialog = None
        self._build()
        self._connect()
        self._timer = QtCore.QTimer(self, singleShot=True)
        self._timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_tick)
        self._pacer = FramePacer()
        self._due = 0.0  # when the next tick was meant to come (time.monotonic())
        self._apply_theme()
        QtCore.QTimer.singleShot(0, self, self._next_slice)

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 (Qt API)
        self._complete()  # complete before it is first seen
        super().showEvent(event)

    def _add_boundary(self) -> None:
        self.boundary = self._place(BoundaryPlot(), 0)
        self.boundary.pointAdded.connect(self._on_point_added)
        self.boundary.pointRemoved.connect(self._on_point_removed)
        self.boundary.pointMoved.connect(self._on_point_moved)

    def _add_loss_plot(self) -> None:
        self.loss_plot = self._place(NetLossPlot(), 1)

    # ----- construction -------------------------------------------------------------------------
    def _build(self) -> None:
        c = self.controls
        self.start_button = _button("Start", "netStartButton", "Train the network on a worker "
                                    "thread, from the seed's initial weights.")
        self.pause_button = _button("Pause", "netPauseButton", "Hold the run before its next "
                                    "epoch; click again to carry on.")
        self.step_button = _button("Step", "netStepButton", "Train exactly one epoch, then hold.")
        self.stop_button = _button("Stop", "netStopButton", "End the run after this epoch.")
        self.reset_button = _button("Reset", "netResetButton",
                                    "Forget the runs: back to the untrained network.")
        self.step_graph_button = _button(
            "Step graph", "netStepGraphButton",
            "Show one mini-batch step's loss as the real autograd graph, and step through its "
            "backward node by node.")
        self.epoch_label = QtWidgets.QLabel("0", objectName="netEpochLabel")
        self.train_acc_label = QtWidgets.QLabel(objectName="trainAccuracyLabel")
        self.test_acc_label = QtWidgets.QLabel(objectName="testAccuracyLabel")
        self.loss_label = QtWidgets.QLabel(objectName="netLossLabel")
        self.status_label = QtWidgets.QLabel(objectName="netStatusLabel")
        self.status_label.setWordWrap(True)
        for label in (self.epoch_label, self.train_acc_label, self.test_acc_label):
            font = label.font()
            font.setPointSizeF(font.pointSizeF() * 1.5)
            font.setBold(True)
            label.setFont(font)

        bar = QtWidgets.QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.step_button, self.stop_button,
                  self.reset_button, self.step_graph_button):
            bar.addWidget(b)
        bar.addWidget(c.speed_combo)
        self.train_acc_caption = QtWidgets.QLabel("Train accuracy")
        self.test_acc_caption = QtWidgets.QLabel("Test accuracy")
        readouts = QtWidgets.QGridLayout()
        for col, (caption, value) in enumerate((
                (QtWidgets.QLabel("Epoch"), self.epoch_label),
                (self.train_acc_caption, self.train_acc_label),
                (self.test_acc_caption, self.test_acc_label))):
            readouts.addWidget(caption, 0, col)
            readouts.addWidget(value, 1, col)
        bar.addStretch(1)

        scroll = QtWidgets.QScrollArea(objectName="netSettingsScroll")
        scroll.setWidget(c)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setMinimumWidth(c.minimumSizeHint().width() + 18)
        scroll.setMaximumWidth(330)

        right = self._right = QtWidgets.QVBoxLayout()
        right.addLayout(readouts)
        right.addWidget(self._slots[0], 3)
        right.addWidget(self.loss_label)
        right.addWidget(self._slots[1], 2)
        self._slots[0].setMinimumSize(200, 170)
        self._slots[1].setMinimumHeight(100)

        middle = QtWidgets.QVBoxLayout()
        middle.addWidget(self.diagram, 1)
        middle.addWidget(self.status_label)

        views = QtWidgets.QHBoxLayout()
        views.addLayout(middle, 5)
        views.addLayout(right, 4)
        lr_row = learning_rate_row(c.lr)
        lr_row.setObjectName("netLearningRateRow")  # the Training Lab's row keeps its name
        wide = QtWidgets.QVBoxLayout()
        wide.addWidget(lr_row)
        wide.addLayout(views, 1)
        body = QtWidgets.QHBoxLayout()
        body.addWidget(scroll)
        body.addLayout(wide, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addLayout(body, 1)

    def _connect(self) -> None:
        c, s = self.controls, self.session
        c.dataset_combo.currentTextChanged.connect(self._on_dataset)
        c.noise_spin.valueChanged.connect(lambda v: self._set_data(noise=v))
        c.ratio_spin.valueChanged.connect(lambda v: self._set_data(train_ratio=v))
        c.points_spin.valueChanged.connect(lambda v: self._set_data(n_points=v))
        c.seed_spin.valueChanged.connect(lambda v: self._set_data(seed=v))
        c.regenerate_button.clicked.connect(self._regenerate)
        c.import_file_action.triggered.connect(self._on_import)
        c.import_paste_action.triggered.connect(
            lambda: self.import_text(QtWidgets.QApplication.clipboard().text()))
        c.test_check.toggled.connect(lambda _on: self._show_points())
        c.discretize_check.toggled.connect(self._on_discretize)
        for check in c.feature_checks.values():
            check.toggled.connect(lambda _on: self._on_features())
        c.layers_edit.returnPressed.connect(self._on_layers_text)
        c.add_layer_button.clicked.connect(self.diagram.add_layer)
        c.remove_layer_button.clicked.connect(self.diagram.remove_layer)
        self.diagram.layersRequested.connect(lambda layers: self._update(layers=layers))
        c.activation_combo.currentTextChanged.connect(lambda t: self._update(activation=t))
        c.reg_combo.currentTextChanged.connect(lambda t: self._update(regularization=t))
        c.reg_rate_spin.valueChanged.connect(lambda v: self._update(reg_rate=v))
        c.optimizer_combo.currentTextChanged.connect(lambda t: self._update(optimizer=t))
        c.lr.lrChanged.connect(lambda lr: self._update(lr=lr))
        c.batch_spin.valueChanged.connect(lambda v: self._update(batch_size=v))
        c.epochs_spin.valueChanged.connect(lambda v: self._update(epochs=v))
        c.speed_combo.currentIndexChanged.connect(self._on_speed)
        self.start_button.clicked.connect(self._on_start)
        self.pause_button.clicked.connect(self._on_pause)
        self.step_button.clicked.connect(self._on_step)
        self.stop_button.clicked.connect(s.stop)
        self.reset_button.clicked.connect(s.reset)
        self.step_graph_button.clicked.connect(self.show_step_graph)
        ev = s.events
        ev.setup_changed.connect(self._show_setup)
        ev.replaced.connect(self._show_setup)
        ev.notice.connect(self._notice)
        ev.run_started.connect(self._on_run_started)
        ev.records_arrived.connect(lambda run, first: self._records_arrived(run))
        ev.snapshot.connect(self._show_snapshot)
        ev.run_ended.connect(self._on_run_ended)
        ev.paused.connect(lambda _p: self._update_buttons())

    # ----- user changes -------------------------------------------------------------------------
    def _update(self, **changes) -> None:
        try:
            self.session.update(**changes)
        except ValueError as exc:
            self._say(str(exc), "error")
            self._show_setup()

    def _set_data(self, **changes) -> None:
        try:
            self.session.set_data(**changes)
        except ValueError as exc:
            self._say(str(exc), "error")
            self._show_setup()

    def _on_dataset(self, kind: str) -> None:
        s = self.session
        if kind == IMPORTED and not s.data_settings.imported:
            self._say("Nothing imported yet: use Import… to choose a file.", "warning")
            self._show_setup()
            return
        if kind == CUSTOM and len(s.data_settings.custom) < 2:
            self._say("Click the boundary plot to place points: left button class 1 (blue), "
                      "right button or Shift class 0 (orange); Ctrl+click removes one.",
                      "warning")
            self._set_data(kind=kind, custom=s.data_settings.custom or STARTER_POINTS)
            return
        self._set_data(kind=kind)

    def _regenerate(self) -> None:
        self.session.regenerate()

    def _on_features(self) -> None:
        chosen = tuple(n for n, c in self.controls.feature_checks.items() if c.isChecked())
        if not chosen:
            self._say("The network needs at least one input feature.", "error")
            self._show_setup()
            return
        self._update(features=chosen)

    def _on_layers_text(self) -> None:
        try:
            layers = parse_layers(self.controls.layers_edit.text())
        except ValueError as exc:
            self._say(f"Hidden layers: {exc}", "error")
            return
        self._update(layers=layers)

    def _on_discretize(self, on: bool) -> None:
        self._complete()
        self.boundary.discretize = on
        self._show_snapshot(self.session.picture())

    def _on_speed(self, index: int) -> None:
        value = float(self.controls.speed_combo.itemData(index))
        self.session.set_speed(value if value > 0 else None)

    def _on_import(self) -> None:
        path = file_dialogs.open_path(self, "Import points",
                                      "Tables (*.csv *.tsv *.txt);;All files (*)")
        if path:
            self.import_data(path)

    def import_data(self, path: str) -> bool:
        """Do what Import… does with `path`: True if the data changed; else the message says
        which line and why, and nothing changes."""
        return self._import(lambda: self.session.import_file(path),
                            QtCore.QFileInfo(path).fileName())

    def import_text(self, text: str) -> bool:
        """Import pasted CSV/TSV text, as import_data() does a file."""
        return self._import(lambda: self.session.import_text(text), "the pasted text")

    def _import(self, run, source: str) -> bool:
        try:
            run()
        except ImportRefused as exc:
            where = f"line {exc.line}: " if exc.line else ""
            self._say(f"Import refused ({source}), {where}{exc.reason}. The data shown before "
                      "stays.", "error")
            return False
        except ValueError as exc:
            self._say(f"Import refused ({source}): {exc}. The data shown before stays.", "error")
            return False
        self._say("", "")
        show_status(self, f"Imported {len(self.session.data_settings.imported)} points.")
        return True

    # ----- run buttons ----------------------------------------------------------------------------
    def _on_start(self) -> None:
        try:
            self.session.start()
        except (ValueError, RuntimeError) as exc:
            self._say(str(exc), "error")

    def _on_pause(self) -> None:
        s = self.session
        if s.paused:
            s.resume()
        else:
            s.pause()

    def _on_step(self) -> None:
        try:
            self.session.step()
        except (ValueError, RuntimeError) as exc:
            self._say(str(exc), "error")
        self._timer.start(0)

    def script_text(self) -> str:
        """The run on screen (or the setup) as a plain-torch script printing its losses."""
        return self.session.to_script()

    def export_script(self, path: str | Path) -> None:
        """Write script_text() to a .py file atomically (a failed save keeps the old file)."""
        atomic.write_text(path, self.script_text())

    def is_running(self) -> bool:
        return self.session.is_running()

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Stop the worker (the window is closing); True once none is left."""
        self._timer.stop()
        return self.session.shutdown(timeout_ms / 1000.0)

    # ----- following the session --------------------------------------------------------------
    def _show_setup(self) -> None:
        self._slices = [f for f in self._slices if f != self._show_setup]
        self._complete()  # the plots
        s = self.session
        self.controls.load(s.data_settings, s.config, s.speed)
        self.boundary.classification = s.split.classification
        self.boundary.editable = True
        classification = s.split.classification
        for w in (self.train_acc_label, self.test_acc_label, self.train_acc_caption,
                  self.test_acc_caption):
            w.setVisible(classification)
        self.loss_label.setText("Loss: binary cross-entropy (train solid, test dashed)"
                                if classification else
                                "Loss: mean squared error (train solid, test dashed)")
        features = s.config.ordered_features
        self.diagram.set_structure(features, s.config.layers, feature_images(features))
        self._show_points()
        run = s.current
        self._show_records(run)
        self._show_snapshot(s.picture())
        self._update_buttons()

    def _show_points(self) -> None:
        self._complete()
        split = self.session.split
        self.boundary.custom = np.asarray(
            self.session.data_settings.custom if self.session.data_settings.kind == CUSTOM
            else np.zeros((0, 3)), dtype=np.float64).reshape(-1, 3)
        self.boundary.show_points(split.x_train, split.y_train, split.x_test, split.y_test,
                                  self.controls.test_check.isChecked())

    def _show_records(self, run: NetRun | None) -> None:
        self._complete()
        if run is None or not run.records:
            self.loss_plot.show_losses(np.zeros(0), np.zeros(0), np.zeros(0))
            self.epoch_label.setText("0")
            self.train_acc_label.setText("nan")
            self.test_acc_label.setText("nan")
            return
        epochs = run.column("epoch")
        self.loss_plot.show_losses(epochs, run.column("train_loss"), run.column("test_loss"))
        last = run.records[-1]
        self.epoch_label.setText(str(last.epoch + 1))
        self.train_acc_label.setText(_acc(last.train_accuracy))
        self.test_acc_label.setText(_acc(last.test_accuracy))

    def _records_arrived(self, run: NetRun) -> None:
        # The curves and labels are read, not watched frame by frame: 5 redraws a second leave
        # the GIL to the worker (the run's end draws them once more, whole).
        now = time.monotonic()
        if now - self._records_at >= CURVE_INTERVAL or self.session.paused:
            self._records_at = now
            self._show_records(run)

    def _show_snapshot(self, snapshot) -> None:
        self._complete()
        self.boundary.show_output(snapshot.output, snapshot.output_index)
        self.diagram.show_snapshot(snapshot)
        self.session.want_picture()  # the worker makes the next one only now: none wasted

    def _on_run_started(self, run: NetRun) -> None:
        self._say("", "")
        self._show_records(run)
        self._pacer.start()
        self._due = time.monotonic()
        self._timer.start(0)
        self._update_buttons()

    def _on_run_ended(self, run: NetRun) -> None:
        self._timer.stop()
        self._show_records(run)
        self.diagram.show_snapshot(self.session.picture(), all_links=True)
        end = run.end
        if end is not None and end.status in ("diverged", "error"):
            self._say(f"{end.reason} {end.explanation}".strip(), "error")
        elif end is not None:
            self.status_label.setText(end.reason)
        self._update_buttons()
        self.runFinished.emit(end.status if end else "completed")

    def _on_tick(self) -> None:
        if not self.session.poll():
            return  # the run ended (its end was shown)
        # Ticks keep to PICTURES_PER_SECOND on average (a late one makes the next sooner),
        # unless the GUI thread's CPU per tick (the poll, the repaint it asked for, the last
        # paint) would take more than REDRAW_BUDGET of the time: the worker needs the GIL.
        self._pacer.measure(first=False)
        period = min(max(1.0 / PICTURES_PER_SECOND, self._pacer.frame_cost / REDRAW_BUDGET),
                     LONGEST_INTERVAL_MS / 1000.0)
        now = time.monotonic()
        self._due = max(self._due + period, now + period / 2)
        self._timer.start(int(round(1000.0 * (self._due - now))))

    def _notice(self, text: str) -> None:
        self._say(text, "warning")
        show_status(self, text)

    def _update_buttons(self) -> None:
        s = self.session
        running = s.is_running()
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Resume" if s.paused else "Pause")
        self.stop_button.setEnabled(running)

    def _say(self, text: str, level: str) -> None:
        """One message place under the diagram; import refusals also in netImportMessage."""
        message = self.controls.message
        if not text:
            message.hide()
            message.clear()
            self.status_label.clear()
            return
        self.status_label.setText(text)
        self.status_label.setStyleSheet(
            inline_message_style("netStatusLabel", level, bool(self._dark)))
        if text.startswith("Import refused"):
            message.setText(text)
            message.setStyleSheet(inline_message_style("netImportMessage", level,
                                                       bool(self._dark)))
            message.show()

    # ----- the Step graph -------------------------------------------------------------------------
    def show_step_graph(self):
        """Open (or raise) the Step graph window for the model shown now."""
        from playground.ui.network.step_graph import StepGraphDialog

        dialog = self._step_dialog
        if dialog is None:
            dialog = self._step_dialog = StepGraphDialog(self)
        dialog.show_session(self.session)
        dialog.show()
        dialog.raise_()
        return dialog

    # ----- theme ----------------------------------------------------------------------------------
    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() in (QtCore.QEvent.Type.PaletteChange,
                            QtCore.QEvent.Type.ApplicationPaletteChange):
            self._apply_theme()

    def _apply_theme(self) -> None:
        dark = self.palette().color(QtGui.QPalette.ColorRole.Window).lightness() < 128
        if dark == self._dark:
            return
        self._dark = dark
        for plot in (getattr(self, "boundary", None), getattr(self, "loss_plot", None)):
            if plot is not None:  # a plot built later takes the theme then
                plot.set_dark(dark)
        self.diagram.set_colours(lookup_table(dark),
                                 self.palette().color(QtGui.QPalette.ColorRole.WindowText))
        if self.diagram.features:  # laid out (the first picture has been shown)
            self.diagram.show_snapshot(self.session.picture())


def _acc(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:.3f}"
