"""Numbers as text: exact for automation (float() gives back the very value torch holds),
short for the eye (the fewest digits that still identify the float32)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets


def exact_text(value: Any) -> str:
    """Text that float() turns back into exactly `value` (Python's repr of the float)."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return repr(float(value))


FLOAT32_MAX = float(np.finfo(np.float32).max)


def short_text(value: Any) -> str:
    """What a person reads: numpy's shortest text for the element's own dtype."""
    if isinstance(value, float):
        if abs(value) > FLOAT32_MAX and math.isfinite(value):
            return repr(float(value))  # a float64 beyond float32's range: never show it as inf
        return str(np.float32(value))
    return str(value)


class ExactNumberLabel(QtWidgets.QLabel):
    """A readout whose text() is exact_text(value) while it paints the shorter short_text.

    Tests compare the readout with torch's own float; learners see 0.9678643, not the
    float64 spelling of the same float32, 0.9678642749786377.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("0", parent)
        self._shown = "0"

    def set_number(self, value: float | int) -> None:
        self._shown = short_text(value)
        self.setText(exact_text(value))  # a changed text already asks the layout to re-measure

    def shown_text(self) -> str:
        return self._shown

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt API)
        metrics = self.fontMetrics()
        margins = self.contentsMargins()
        return QtCore.QSize(
            metrics.horizontalAdvance(self._shown) + margins.left() + margins.right() + 2,
            metrics.height() + margins.top() + margins.bottom())

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt API)
        return self.sizeHint()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt API)
        painter = QtGui.QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(), int(self.alignment()),
                                  self.palette(), self.isEnabled(), self._shown,
                                  self.foregroundRole())
