"""The learning rate as a spin box (exact values) beside a log-scale slider (feel for size).

Learning rates that matter differ by powers of ten, so the slider moves in log10(lr): its
value is log10(lr) in [-5, 0], i.e. lr from 1e-5 to 1, with a labelled tick at each power of
ten (`lrDecadeScale`). The spin box holds the exact value and is the single source of truth;
the slider only mirrors it.

One drag is one change: while the handle is held the spin box previews the rate, and
`lrChanged` fires once, with the value where the drag ended, when it is released. A running
loop that followed every value it passed through would record (and the plots would mark) a
change per epoch of the drag. Keys, the wheel and clicks on the groove change it at once.
"""

from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets
from superqt import QDoubleSlider
from superqt.utils import signals_blocked

from playground.core.limits import LR_RANGE

LR_MIN, LR_MAX = LR_RANGE
LR_DECIMALS = 6
DECADE_PX = 60  # the least width a power of ten gets on the slider: a small drag, a small change
DECADES = round(math.log10(LR_MAX / LR_MIN))


class LrSpinBox(QtWidgets.QDoubleSpinBox):
    """Six decimals of precision, shown without trailing zeros (0.001, not 0.001000)."""

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt override)
        text = f"{value:.{self.decimals()}f}".rstrip("0").rstrip(".")
        return text or "0"


def _decade_text(power: int) -> str:
    """1e-5 as "0.00001", 1 as "1": the rates as the spin box writes them."""
    return f"{10.0 ** power:.{max(-power, 0)}f}"


class DecadeScale(QtWidgets.QWidget):
    """The powers of ten under the slider, each label centred on where the handle stands for
    that rate (the slider's own style says where: its groove less the handle's length)."""

    def __init__(self, slider: QtWidgets.QSlider) -> None:
        super().__init__()
        self.setObjectName("lrDecadeScale")
        self._slider = slider
        self.powers = list(range(round(math.log10(LR_MIN)), round(math.log10(LR_MAX)) + 1))
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding,
                           QtWidgets.QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt override)
        metrics = self.fontMetrics()
        widest = max(metrics.horizontalAdvance(_decade_text(p)) for p in self.powers)
        return QtCore.QSize(len(self.powers) * (widest + 8), metrics.height() + 2)

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt override)
        return QtCore.QSize(0, self.sizeHint().height())

    def positions(self) -> list[float]:
        """The x (in this widget) of each power of ten's handle centre."""
        slider = self._slider
        option = QtWidgets.QStyleOptionSlider()
        slider.initStyleOption(option)
        style = slider.style()
        handle = style.subControlRect(QtWidgets.QStyle.ComplexControl.CC_Slider, option,
                                      QtWidgets.QStyle.SubControl.SC_SliderHandle, slider)
        groove = style.subControlRect(QtWidgets.QStyle.ComplexControl.CC_Slider, option,
                                      QtWidgets.QStyle.SubControl.SC_SliderGroove, slider)
        span = max(groove.width() - handle.width(), 1)
        left = slider.mapTo(self.parentWidget(), QtCore.QPoint(groove.left(), 0)).x() - self.x()
        first, last = self.powers[0], self.powers[-1]
        return [left + handle.width() / 2 + span * (p - first) / (last - first)
                for p in self.powers]

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QtGui.QPainter(self)
        painter.setPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
        metrics = self.fontMetrics()
        for power, x in zip(self.powers, self.positions(), strict=True):
            text = _decade_text(power)
            width = metrics.horizontalAdvance(text)
            left = min(max(x - width / 2, 0), self.width() - width)
            painter.drawText(QtCore.QPointF(left, metrics.ascent() + 1), text)
        painter.end()


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
        self.slider.setTickPosition(QtWidgets.QSlider.TickPosition.TicksBelow)
        self.slider.setTickInterval(1.0)  # one tick per power of ten
        self.slider.setMinimumWidth(DECADES * DECADE_PX + 40)
        self.slider.setToolTip(
            "The same learning rate on a log scale (one tick per power of ten): drag it "
            "during a run to see the loss curve bend, too far right and training diverges. "
            "The run takes the rate where you let go.")
        self.scale = DecadeScale(self.slider)

        layout = QtWidgets.QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setVerticalSpacing(0)
        layout.addWidget(self.slider, 0, 0)
        layout.addWidget(self.spin, 0, 1)
        layout.addWidget(self.scale, 1, 0)
        layout.setColumnStretch(0, 1)

        self._dragging = False
        self._drag_start = 0.0
        self.spin.valueChanged.connect(self._on_spin)
        self.slider.valueChanged.connect(self._on_slider)
        self.slider.sliderPressed.connect(self._on_pressed)
        self.slider.sliderReleased.connect(self._on_released)
        self.set_lr(lr)

    def lr(self) -> float:
        """The exact learning rate (the spin box's value; mid-drag, the rate being previewed)."""
        return float(self.spin.value())

    @property
    def dragging(self) -> bool:
        """True while the slider's handle is held: the shown rate is not applied yet."""
        return self._dragging

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
        if not self._dragging:  # a held handle previews; its release applies
            self.lrChanged.emit(self.lr())

    @QtCore.Slot()
    def _on_pressed(self) -> None:
        self._dragging = True
        self._drag_start = self.lr()

    @QtCore.Slot()
    def _on_released(self) -> None:
        self._dragging = False
        if self.lr() != self._drag_start:
            self.lrChanged.emit(self.lr())  # one drag, one change: where it ended

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.scale.update()


def learning_rate_row(control: LearningRateControl) -> QtWidgets.QWidget:
    """`learningRateRow`: "Learning rate" and the control, a full-width row (the lab puts it
    above the plots, where five powers of ten get 60 px or more each at 1280x720)."""
    row = QtWidgets.QWidget(objectName="learningRateRow")
    layout = QtWidgets.QHBoxLayout(row)
    layout.setContentsMargins(4, 0, 4, 0)
    label = QtWidgets.QLabel("Learning rate")
    label.setBuddy(control.spin)
    layout.addWidget(label, 0, QtCore.Qt.AlignmentFlag.AlignTop)
    layout.addWidget(control, 1)
    return row
