"""The learning rate as a spin box (exact values) beside a log-scale slider (feel for size).

Learning rates that matter differ by powers of ten, so the slider moves in log10(lr): its
value is log10(lr) in [-5, 0], i.e. lr from 1e-5 to 1. The spin box holds the exact value and
is the single source of truth; the slider only mirrors it.
"""

from __future__ import annotations

import math

from PySide6 import QtCore, QtWidgets
from superqt import QDoubleSlider
from superqt.utils import signals_blocked

from playground.core.limits import LR_RANGE

LR_MIN, LR_MAX = LR_RANGE
LR_DECIMALS = 6


class LrSpinBox(QtWidgets.QDoubleSpinBox):
    """Six decimals of precision, shown without trailing zeros (0.001, not 0.001000)."""

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt override)
        text = f"{value:.{self.decimals()}f}".rstrip("0").rstrip(".")
        return text or "0"


class LearningRateControl(QtWidgets.QWidget):
    """`lrSpin` (QDoubleSpinBox) and `lrSlider` (QDoubleSlider holding log10(lr)) kept in step."""

    lrChanged = QtCore.Signal(float)

    def __init__(self, lr: float = LR_MIN, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.spin = LrSpinBox()
        self.spin.setObjectName("lrSpin")
        self.spin.setDecimals(LR_DECIMALS)  # 0.0009 must stay 0.0009, not round to 0.001
        self.spin.setRange(LR_MIN, LR_MAX)
        self.spin.setStepType(QtWidgets.QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.spin.setKeyboardTracking(False)  # typing "0.05" should not train at 0.0 then 0.05
        self.spin.setToolTip(
            "Learning rate: how far each step moves w and b along minus the gradient; "
            "it can be changed while a run trains and applies from the next epoch.")

        self.slider = QDoubleSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setObjectName("lrSlider")
        self.slider.setRange(math.log10(LR_MIN), math.log10(LR_MAX))
        self.slider.setSingleStep(0.05)
        self.slider.setPageStep(0.5)
        self.slider.setToolTip(
            "The same learning rate on a log scale (one notch per power of ten): drag it "
            "during a run to see the loss curve bend, too far right and training diverges.")

        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)

        self.spin.valueChanged.connect(self._on_spin)
        self.slider.valueChanged.connect(self._on_slider)
        self.set_lr(lr)

    def lr(self) -> float:
        """The exact learning rate (the spin box's value)."""
        return float(self.spin.value())

    def set_lr(self, lr: float) -> None:
        """Set both widgets; emits lrChanged once if the value changed."""
        self.spin.setValue(lr)
        self._mirror_to_slider(self.spin.value())

    def _mirror_to_slider(self, lr: float) -> None:
        with signals_blocked(self.slider):
            self.slider.setValue(math.log10(max(lr, LR_MIN)))

    @QtCore.Slot(float)
    def _on_spin(self, lr: float) -> None:
        self.lrChanged.emit(float(lr))  # the running loop first: the slider is only a mirror
        self._mirror_to_slider(lr)

    @QtCore.Slot(float)
    def _on_slider(self, log_lr: float) -> None:
        # Two significant digits: a slider position means "about this size", not 0.00123456.
        lr = float(f"{10.0 ** log_lr:.2g}")
        with signals_blocked(self.spin):
            self.spin.setValue(lr)
        self.lrChanged.emit(self.lr())
