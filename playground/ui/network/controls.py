"""The Network Lab's settings column: data, features, network, training and the run buttons.

Widgets only: the lab reads them and writes the session. Every objectName here is part of the
automation contract in docs/automation.md.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from playground.core.network.config import (
    ACTIVATIONS,
    FEATURE_NAMES,
    NET_OPTIMIZERS,
    REGULARIZATIONS,
    NetConfig,
    layers_text,
)
from playground.core.network.datasets import DATA_KINDS, MAX_POINTS, MIN_POINTS, DataSettings
from playground.core.network.session import SPEEDS
from playground.core.training.tables import OPTIMIZER_SPECS
from playground.ui.training.controls import speed_text
from playground.ui.training.lr_slider import LearningRateControl

FEATURE_OBJECT_NAMES = {
    "x1": "featureX1Check", "x2": "featureX2Check", "x1²": "featureX1SqCheck",
    "x2²": "featureX2SqCheck", "x1·x2": "featureX1X2Check", "sin x1": "featureSinX1Check",
    "sin x2": "featureSinX2Check",
}
FEATURE_TEXT = {"x1": "x₁", "x2": "x₂", "x1²": "x₁²", "x2²": "x₂²", "x1·x2": "x₁·x₂",
                "sin x1": "sin x₁", "sin x2": "sin x₂"}


def _named(widget: QtWidgets.QWidget, name: str, tip: str = "") -> QtWidgets.QWidget:
    widget.setObjectName(name)
    if tip:
        widget.setToolTip(tip)
    return widget


def _spin(name: str, lo: int, hi: int, tip: str, suffix: str = "") -> QtWidgets.QSpinBox:
    spin = QtWidgets.QSpinBox()
    spin.setRange(lo, hi)
    spin.setSuffix(suffix)
    spin.setKeyboardTracking(False)  # typing "500" must not regenerate at 5 and 50 first
    return _named(spin, name, tip)  # type: ignore[return-value]


class NetworkControls(QtWidgets.QWidget):
    """The column of settings; `load()` shows a session's settings without emitting."""

    def __init__(self, data: DataSettings, config: NetConfig, speed: float | None) -> None:
        super().__init__()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.setSpacing(6)
        layout.addWidget(self._data_box())
        layout.addWidget(self._features_box())
        layout.addWidget(self._network_box())
        layout.addWidget(self._training_box())
        layout.addStretch(1)
        self.load(data, config, speed)

    def _data_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Data")
        form = QtWidgets.QFormLayout(box)
        self.dataset_combo = _named(QtWidgets.QComboBox(), "netDatasetCombo",
                                    "The points to learn: four classification sets, two "
                                    "regression sets (as TensorFlow Playground defines them), "
                                    "points you place, or a file you import.")
        for kind in DATA_KINDS:
            self.dataset_combo.addItem(kind)
        self.noise_spin = _spin("netNoiseSpin", 0, 50, "How much the points are jittered.", " %")
        self.ratio_spin = _spin("netTrainRatioSpin", 10, 90,
                                "The share of points trained on; the rest test the network.",
                                " %")
        self.points_spin = _spin("netPointsSpin", MIN_POINTS, MAX_POINTS,
                                 "How many points the set has.")
        self.points_spin.setSingleStep(50)
        self.seed_spin = _spin("netSeedSpin", 0, 999_999,
                               "One seed makes the points, the shuffle into train and test, "
                               "the initial weights and the batch order.")
        self.regenerate_button = _named(QtWidgets.QPushButton("Regenerate"), "regenerateButton",
                                        "New points: the next seed.")
        self.import_button = _named(QtWidgets.QPushButton("Import…"), "importDataButton",
                                    "Use a CSV or TSV file, or text copied to the clipboard: "
                                    "columns x1, x2, label (a header is optional).")
        menu = QtWidgets.QMenu(self.import_button)
        self.import_file_action = menu.addAction("From a file…")
        self.import_file_action.setObjectName("netImportFileAction")
        self.import_paste_action = menu.addAction("Paste from the clipboard")
        self.import_paste_action.setObjectName("netImportPasteAction")
        self.import_button.setMenu(menu)
        self.test_check = _named(QtWidgets.QCheckBox("Show test points"), "showTestCheck",
                                 "Draw the test points (black edge) on the boundary.")
        self.discretize_check = _named(QtWidgets.QCheckBox("Discretize"), "discretizeCheck",
                                       "Paint the boundary in two colours: the class the "
                                       "network would predict.")
        self.message = _named(QtWidgets.QLabel(), "netImportMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        form.addRow("Data set", self.dataset_combo)
        form.addRow("Noise", self.noise_spin)
        form.addRow("Train", self.ratio_spin)
        form.addRow("Points", self.points_spin)
        form.addRow("Seed", self.seed_spin)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.regenerate_button)
        row.addWidget(self.import_button)
        form.addRow(row)
        checks = QtWidgets.QHBoxLayout()
        checks.addWidget(self.test_check)
        checks.addWidget(self.discretize_check)
        form.addRow(checks)
        form.addRow(self.message)
        return box

    def _features_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Input features")
        grid = QtWidgets.QGridLayout(box)
        self.feature_checks: dict[str, QtWidgets.QCheckBox] = {}
        for i, name in enumerate(FEATURE_NAMES):
            check = _named(QtWidgets.QCheckBox(FEATURE_TEXT[name]), FEATURE_OBJECT_NAMES[name],
                           f"Feed {name} to the network (computed from each point's x1, x2).")
            self.feature_checks[name] = check
            # As wide as its box and text: a click beside a short label must not look live.
            check.setSizePolicy(QtWidgets.QSizePolicy.Policy.Maximum,
                                QtWidgets.QSizePolicy.Policy.Fixed)
            grid.addWidget(check, i // 4, i % 4)
        return box

    def _network_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Network")
        form = QtWidgets.QFormLayout(box)
        self.layers_edit = _named(QtWidgets.QLineEdit(), "layerSizesEdit",
                                  "Neurons per hidden layer, e.g. 4, 2 (0-6 layers of 1-16); "
                                  "empty for none. Return applies; + and − on the diagram too.")
        self.layers_edit.setPlaceholderText("none")
        self.add_layer_button = _named(QtWidgets.QPushButton("+ layer"), "netAddLayerButton",
                                       "Add a hidden layer.")
        self.remove_layer_button = _named(QtWidgets.QPushButton("− layer"),
                                          "netRemoveLayerButton", "Remove the last hidden layer.")
        self.activation_combo = _named(QtWidgets.QComboBox(), "activationCombo",
                                       "The function between the layers (none after the last).")
        self.activation_combo.addItems(list(ACTIVATIONS))
        self.reg_combo = _named(QtWidgets.QComboBox(), "regularizationCombo",
                                "A penalty on the weights (not the biases) added to the loss.")
        self.reg_combo.addItems(list(REGULARIZATIONS))
        self.reg_rate_spin = _named(QtWidgets.QDoubleSpinBox(), "regRateSpin",
                                    "The penalty's rate.")
        self.reg_rate_spin.setDecimals(4)
        self.reg_rate_spin.setRange(0.0, 10.0)
        self.reg_rate_spin.setSingleStep(0.001)
        self.reg_rate_spin.setKeyboardTracking(False)
        layer_row = QtWidgets.QHBoxLayout()
        layer_row.addWidget(self.layers_edit, 1)
        layer_row.addWidget(self.add_layer_button)
        layer_row.addWidget(self.remove_layer_button)
        form.addRow("Hidden", layer_row)
        form.addRow("Activation", self.activation_combo)
        reg_row = QtWidgets.QHBoxLayout()
        reg_row.addWidget(self.reg_combo, 1)
        reg_row.addWidget(self.reg_rate_spin)
        form.addRow("Regularize", reg_row)
        return box

    def _training_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Training")
        form = QtWidgets.QFormLayout(box)
        self.optimizer_combo = _named(QtWidgets.QComboBox(), "netOptimizerCombo",
                                      "How each step turns the gradients into updates "
                                      "(the Training Lab's optimisers).")
        for name in NET_OPTIMIZERS:
            self.optimizer_combo.addItem(name)
            self.optimizer_combo.setItemData(self.optimizer_combo.count() - 1,
                                             OPTIMIZER_SPECS[name].tooltip,
                                             QtCore.Qt.ItemDataRole.ToolTipRole)
        self.lr = LearningRateControl()
        self.lr.spin.setObjectName("netLrSpin")
        self.lr.slider.setObjectName("netLrSlider")
        self.batch_spin = _spin("netBatchSpin", 0, 10_000,
                                "Points per optimiser step; 0 (or the train size and more) is "
                                "the whole train set, unshuffled.")
        self.batch_spin.setSpecialValueText("all")
        self.epochs_spin = _spin("netEpochsSpin", 1, 100_000, "How many epochs a run trains.")
        self.speed_combo = _named(QtWidgets.QComboBox(), "netSpeedCombo",
                                  "Epochs per second; Full speed does not wait between "
                                  "epochs. Applies at once, even during a run.")
        for speed in SPEEDS:
            self.speed_combo.addItem(speed_text(speed), 0.0 if speed is None else speed)
        form.addRow("Optimizer", self.optimizer_combo)
        # the lab puts the learning rate in a wide row of its own: its slider needs the room
        form.addRow("Batch size", self.batch_spin)
        form.addRow("Epochs", self.epochs_spin)
        return box  # the lab puts the speed beside the run buttons

    def widgets(self) -> list[QtWidgets.QWidget]:
        return [self.dataset_combo, self.noise_spin, self.ratio_spin, self.points_spin,
                self.seed_spin, self.layers_edit, self.activation_combo, self.reg_combo,
                self.reg_rate_spin, self.optimizer_combo, self.lr.spin, self.lr.slider,
                self.batch_spin, self.epochs_spin, self.speed_combo,
                *self.feature_checks.values()]

    def load(self, data: DataSettings, config: NetConfig, speed: float | None) -> None:
        """Show these settings (signals blocked: loading is not a user's change)."""
        blocked = [w.blockSignals(True) for w in self.widgets()]
        try:
            self.dataset_combo.setCurrentText(data.kind)
            self.noise_spin.setValue(data.noise)
            self.ratio_spin.setValue(data.train_ratio)
            self.points_spin.setValue(data.n_points)
            self.seed_spin.setValue(data.seed)
            generated = data.kind not in ("Custom points", "Imported")
            self.noise_spin.setEnabled(generated)
            self.points_spin.setEnabled(generated)
            for name, check in self.feature_checks.items():
                check.setChecked(name in config.features)
            if not self.layers_edit.hasFocus():
                self.layers_edit.setText(layers_text(config.layers))
            self.activation_combo.setCurrentText(config.activation)
            self.reg_combo.setCurrentText(config.regularization)
            self.reg_rate_spin.setValue(config.reg_rate)
            self.reg_rate_spin.setEnabled(config.regularization != "None")
            self.optimizer_combo.setCurrentText(config.optimizer)
            self.lr.set_lr(config.lr)
            self.batch_spin.setValue(config.batch_size)
            self.epochs_spin.setValue(config.epochs)
            self.speed_combo.setCurrentIndex(max(0, self.speed_combo.findText(speed_text(speed))))
        finally:
            for w, was in zip(self.widgets(), blocked, strict=True):
                w.blockSignals(was)
        self.add_layer_button.setEnabled(len(config.layers) < 6)
        self.remove_layer_button.setEnabled(bool(config.layers))
