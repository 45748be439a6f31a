"""The Training Lab's left column: every setting of a run, in group boxes, each with a tooltip.

Only widgets live here. They start from, and are set back to, the session's setup
(`show_setup`); the lab writes their changes to the session and decides what is enabled.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from superqt.utils import signals_blocked

from playground.core.limits import (
    BATCH_RANGE,
    EPOCHS_RANGE,
    MAX_NOISY_POINTS,
    NOISE_RANGE,
    PARAM_RANGE,
    SEED_RANGE,
)
from playground.core.training.config import TrainConfig
from playground.core.training.datasets import DataSetup
from playground.core.training.session import DEFAULT_SPEED, SPEEDS
from playground.core.training.tables import LOSS_SPECS, OPTIMIZER_SPECS
from playground.ui.training.lr_slider import LearningRateControl

# datasetCombo's item data; the first item is the notebook's two points (automation contract).
DATASETS = (
    ("notebook", "Notebook: x = y = [10, 5]"),
    ("noisy", "Noisy line"),
    ("custom", "Custom points"),
)

_TOOLTIP_ROLE = QtCore.Qt.ItemDataRole.ToolTipRole

FULL_SPEED = "Full speed"


def speed_text(speed: float | None) -> str:
    """speedCombo's text for a speed: "30 epochs/s", or "Full speed" for no pacing."""
    if speed is None:
        return FULL_SPEED
    return f"{speed:g} epoch/s" if speed == 1 else f"{speed:g} epochs/s"


def _button(text: str, name: str, tip: str) -> QtWidgets.QPushButton:
    button = QtWidgets.QPushButton(text)
    button.setObjectName(name)
    button.setToolTip(tip)
    return button


def _form(box: QtWidgets.QGroupBox) -> QtWidgets.QFormLayout:
    form = QtWidgets.QFormLayout(box)
    form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


class TrainingControls(QtWidgets.QWidget):
    """Group boxes Run, Optimiser, Pitfalls, Export, Data, Model & loss (top to bottom)."""

    def __init__(self, config: TrainConfig, data: DataSetup, speed: float | None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        data_box, model, optimiser = self._data_box(), self._model_box(), self._optimiser_box()
        pitfalls, run, export = self._pitfalls_box(), self._run_box(), self._export_box()
        # What a learner reaches for while a run goes (Start/Stop, speed, the learning rate)
        # comes first, then the pitfalls and exports, so all of it stays in view on a
        # 720-pixel-high screen; data and model settings follow (the column scrolls).
        for box in (run, optimiser, pitfalls, export, data_box, model):
            layout.addWidget(box)
        layout.addStretch(1)
        self.show_setup(config, data)
        self.show_speed(speed)

    def show_setup(self, config: TrainConfig, data: DataSetup) -> None:
        """Set every widget to the session's setup without echoing changes back to it.

        A widget that already shows the value is left alone, so one being typed into keeps
        its text and cursor.
        """
        spins = (
            (self.points_spin, data.points), (self.noise_spin, data.noise),
            (self.seed_spin, config.seed), (self.w0_spin, config.w0), (self.b0_spin, config.b0),
            (self.batch_spin, config.batch_size or 0), (self.epochs_spin, config.epochs),
        )
        for spin, value in spins:
            if spin.value() != value:
                with signals_blocked(spin):
                    spin.setValue(value)
        for combo, text in ((self.loss_combo, config.loss),
                            (self.optimizer_combo, config.optimizer)):
            if combo.currentText() != text:
                with signals_blocked(combo):
                    combo.setCurrentText(text)
        if self.dataset_key() != data.kind:
            with signals_blocked(self.dataset_combo):
                self.dataset_combo.setCurrentIndex(max(self.dataset_combo.findData(data.kind), 0))
        for check, on in ((self.forget_zero_grad_check, config.forget_zero_grad),
                          (self.out_of_place_check, config.out_of_place_update),
                          (self.new_optimizer_check, config.new_optimizer_each_epoch)):
            if check.isChecked() != on:
                with signals_blocked(check):
                    check.setChecked(on)
        if self.lr.lr() != config.lr and not self.lr.dragging:  # a held handle previews its own
            with signals_blocked(self.lr):
                self.lr.set_lr(config.lr)

    def show_speed(self, speed: float | None) -> None:
        with signals_blocked(self.full_speed_button):
            self.full_speed_button.setChecked(speed is None)
        with signals_blocked(self.speed_combo):
            index = self.speed_combo.findData(speed if speed is not None else 0.0)
            if index < 0:  # a speed from a saved session that the list does not offer
                self.speed_combo.addItem(speed_text(speed), speed)
                index = self.speed_combo.count() - 1
            self.speed_combo.setCurrentIndex(index)

    def speed(self) -> float | None:
        """The chosen epochs per second; None for full speed."""
        return float(self.speed_combo.currentData()) or None

    @QtCore.Slot(bool)
    def _toggle_full_speed(self, on: bool) -> None:
        """Full speed in one click through speedCombo (whose change the lab applies); off
        again, back to the pace it had."""
        combo = self.speed_combo
        if on:
            if self.speed() is not None:
                self._paced_index = combo.currentIndex()
            combo.setCurrentIndex(combo.findData(0.0))
        else:
            combo.setCurrentIndex(self._paced_index)

    # ----- groups -----------------------------------------------------------------------------
    def _data_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Data")
        form = _form(box)
        self.dataset_combo = QtWidgets.QComboBox()
        self.dataset_combo.setObjectName("datasetCombo")
        for key, label in DATASETS:
            self.dataset_combo.addItem(label, key)
        self.dataset_combo.setToolTip(
            "The points the line is fitted to: the notebook's two points, a noisy line, or "
            "points you place on the data plot.")
        form.addRow("Dataset", self.dataset_combo)

        self.points_spin = QtWidgets.QSpinBox()
        self.points_spin.setObjectName("pointsSpin")
        self.points_spin.setRange(1, MAX_NOISY_POINTS)
        self.points_spin.setToolTip(
            "How many points the noisy line y = 2x + 1 + noise has; more points average "
            "the noise away.")
        form.addRow("Points", self.points_spin)

        self.noise_spin = QtWidgets.QDoubleSpinBox()
        self.noise_spin.setObjectName("noiseSpin")
        self.noise_spin.setRange(*NOISE_RANGE)
        self.noise_spin.setSingleStep(0.1)
        self.noise_spin.setToolTip(
            "Standard deviation of the Gaussian noise added to each y: no line fits noisy "
            "points exactly, so the loss stops above zero.")
        form.addRow("Noise σ", self.noise_spin)

        self.seed_spin = QtWidgets.QSpinBox()
        self.seed_spin.setObjectName("seedSpin")
        self.seed_spin.setRange(*SEED_RANGE)
        self.seed_spin.setToolTip(
            "Random seed for the noisy line's noise and the mini-batch shuffle order: the same "
            "seed gives exactly the same run.")
        form.addRow("Seed", self.seed_spin)

        self.custom_hint = QtWidgets.QLabel(
            "On the data plot: click to add a point, drag one to move it, right-click to remove.")
        self.custom_hint.setObjectName("customPointsHint")
        self.custom_hint.setWordWrap(True)
        form.addRow(self.custom_hint)
        return box

    def _model_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Model && loss")
        form = _form(box)
        self.w0_spin = self._param_spin(
            "w0Spin", "Initial weight w before training (the notebook starts at 1).")
        self.b0_spin = self._param_spin(
            "b0Spin", "Initial bias b before training (the notebook starts at 1).")
        form.addRow("Initial w", self.w0_spin)
        form.addRow("Initial b", self.b0_spin)
        self.loss_combo = QtWidgets.QComboBox()
        self.loss_combo.setObjectName("lossCombo")
        for i, spec in enumerate(LOSS_SPECS.values()):
            self.loss_combo.addItem(spec.name)
            self.loss_combo.setItemData(i, spec.tooltip, _TOOLTIP_ROLE)
        self.loss_combo.setToolTip(
            "The loss measures how far the predictions w·x + b are from y; its gradient is "
            "what every optimiser follows.")
        form.addRow("Loss", self.loss_combo)
        return box

    @staticmethod
    def _param_spin(name: str, tip: str) -> QtWidgets.QDoubleSpinBox:
        spin = QtWidgets.QDoubleSpinBox()
        spin.setObjectName(name)
        spin.setRange(*PARAM_RANGE)
        spin.setDecimals(3)
        spin.setSingleStep(0.1)
        spin.setToolTip(tip)
        return spin

    def _optimiser_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Optimiser")
        form = _form(box)
        self.optimizer_combo = QtWidgets.QComboBox()
        self.optimizer_combo.setObjectName("optimizerCombo")
        for i, spec in enumerate(OPTIMIZER_SPECS.values()):
            self.optimizer_combo.addItem(spec.name)
            self.optimizer_combo.setItemData(i, spec.tooltip, _TOOLTIP_ROLE)
        self.optimizer_combo.setToolTip(
            "How a gradient becomes a step: by hand, or one of torch.optim's rules, created "
            "once per run.")
        form.addRow("Optimiser", self.optimizer_combo)

        # The lab lays it out in a full-width row above the plots: five powers of ten need
        # the room (a small drag must be a small change), which this column does not have.
        self.lr = LearningRateControl()

        self.batch_spin = QtWidgets.QSpinBox()
        self.batch_spin.setObjectName("batchSizeSpin")
        self.batch_spin.setRange(*BATCH_RANGE)
        self.batch_spin.setSpecialValueText("full batch")
        self.batch_spin.setToolTip(
            "Points per update: 0 uses every point each step (full batch); smaller batches, "
            "shuffled by the seed, take several noisier steps per epoch.")
        form.addRow("Batch size", self.batch_spin)

        self.epochs_spin = QtWidgets.QSpinBox()
        self.epochs_spin.setObjectName("epochsSpin")
        self.epochs_spin.setRange(*EPOCHS_RANGE)
        self.epochs_spin.setGroupSeparatorShown(True)
        self.epochs_spin.setToolTip(
            "Epochs: how many passes over the data; the notebook trains for 100.")
        form.addRow("Epochs", self.epochs_spin)
        return box

    def _pitfalls_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Pitfalls")
        column = QtWidgets.QVBoxLayout(box)
        self.forget_zero_grad_check = QtWidgets.QCheckBox("Forget zero_grad()")
        self.forget_zero_grad_check.setObjectName("forgetZeroGradCheck")
        self.forget_zero_grad_check.setToolTip(
            "Skip zeroing the gradients: backward() adds into .grad, so every step uses the "
            "sum of all gradients so far.")
        self.out_of_place_check = QtWidgets.QCheckBox("Out-of-place update (Manual)")
        self.out_of_place_check.setObjectName("outOfPlaceCheck")
        self.out_of_place_check.setToolTip(
            "Write w = w - lr * w.grad instead of w -= ...: w becomes a new non-leaf tensor "
            "whose .grad is None, and the next epoch fails (Manual optimiser only).")
        self.new_optimizer_check = QtWidgets.QCheckBox("New optimiser every epoch")
        self.new_optimizer_check.setObjectName("newOptimizerCheck")
        self.new_optimizer_check.setToolTip(
            "Create the optimiser inside the loop, as the notebook does: harmless for SGD, "
            "but Momentum and Adam lose their memory every epoch.")
        for check in (self.forget_zero_grad_check, self.out_of_place_check,
                      self.new_optimizer_check):
            column.addWidget(check)
        return box

    def _run_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Run")
        grid = QtWidgets.QGridLayout(box)
        self.start_button = _button(
            "Start", "startButton",
            "Train from the initial w and b on a background thread; the plots update live.")
        self.pause_button = _button(
            "Pause", "pauseButton", "Hold the run between epochs, or carry on from where it is.")
        self.step_button = _button(
            "Step", "stepButton",
            "Run exactly one epoch and pause (starts a paused run when none is going).")
        self.stop_button = _button(
            "Stop", "stopButton", "End the run after the current epoch; its curve stays.")
        self.reset_button = _button(
            "Reset", "resetButton",
            "Stop any run and clear every plot, back to the initial w and b.")
        grid.addWidget(self.start_button, 0, 0, 1, 2)
        grid.addWidget(self.pause_button, 1, 0)
        grid.addWidget(self.step_button, 1, 1)
        grid.addWidget(self.stop_button, 2, 0)
        grid.addWidget(self.reset_button, 2, 1)
        self.speed_combo = QtWidgets.QComboBox()
        self.speed_combo.setObjectName("speedCombo")
        for speed in SPEEDS:
            self.speed_combo.addItem(speed_text(speed), 0.0 if speed is None else speed)
        self.speed_combo.setToolTip(
            "How fast training goes: slow enough to watch each epoch (and drag the learning "
            "rate meanwhile), up to full speed with no pause between epochs. Changes apply at "
            "once, even during a run.")
        self.full_speed_button = _button(
            FULL_SPEED, "fullSpeedButton",
            "One click to train with no pause between epochs; click again for the watchable "
            "pace it had before.")
        self.full_speed_button.setCheckable(True)
        self.full_speed_button.toggled.connect(self._toggle_full_speed)
        self._paced_index = self.speed_combo.findData(DEFAULT_SPEED)  # what "off" returns to
        speed_label = QtWidgets.QLabel("Speed")
        speed_label.setBuddy(self.speed_combo)
        grid.addWidget(speed_label, 3, 0)
        grid.addWidget(self.speed_combo, 3, 1)
        grid.addWidget(self.full_speed_button, 4, 0, 1, 2)
        self.run_layout = grid  # the lab adds the progress bar below the buttons
        return box

    def _export_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Export")
        row = QtWidgets.QHBoxLayout(box)
        self.export_script_button = _button(
            "Script…", "exportScriptButton",
            "Save this run as a plain PyTorch script that prints the same losses, learning-"
            "rate changes included.")
        self.export_png_button = _button(
            "PNG…", "exportPngButton", "Save the loss plot as a PNG image.")
        self.export_csv_button = _button(
            "CSV…", "exportCsvButton",
            "Save the current run's epoch, loss, lr, w and b as a CSV table.")
        for button in (self.export_script_button, self.export_png_button,
                       self.export_csv_button):
            row.addWidget(button)
        return box

    def dataset_key(self) -> str:
        return str(self.dataset_combo.currentData())
