"""Parts of the Network Lab: custom points placed, removed and moved with the mouse on the
boundary plot (turned into a new point set for its session), and building in slices."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6 import QtCore, QtWidgets

from playground.core.network.datasets import CUSTOM, MAX_CUSTOM_POINTS

PlotT = TypeVar("PlotT", bound=Any)  # a plot with set_dark(dark)
STARTER_POINTS = ((-3.0, -3.0, 0.0), (3.0, 3.0, 1.0))  # Custom points chosen with none yet


class PointEditing:
    """Mixed into NetworkLab: needs its `session`, `_say(text, level)` and `_show_setup()`."""

    def _custom_points(self) -> list[tuple[float, float, float]]:
        d = self.session.data_settings
        if d.kind == CUSTOM:
            return list(d.custom)
        points = d.points()
        if d.task == "classification" and len(points) < MAX_CUSTOM_POINTS:
            return [tuple(p) for p in points.tolist()]  # editing a set starts from its points
        return []

    def _on_point_added(self, x1: float, x2: float, label: float) -> None:
        self._set_custom([*self._custom_points(), (x1, x2, label)])

    def _on_point_removed(self, index: int) -> None:
        points = self._custom_points()
        if len(points) <= 2:
            self._say("Custom points keep at least two points.", "warning")
            return
        del points[index]
        self._set_custom(points)

    def _on_point_moved(self, index: int, x1: float, x2: float) -> None:
        points = self._custom_points()
        if 0 <= index < len(points):
            points[index] = (x1, x2, points[index][2])
            self._set_custom(points)

    def _set_custom(self, points: list[tuple[float, float, float]]) -> None:
        try:
            self.session.set_custom_points(points)
        except ValueError as exc:
            self._say(str(exc), "error")
            self._show_setup()


class Slices:
    """Mixed into NetworkLab: `_slices`, the construction work still due, run one per
    event-loop turn from `_next_slice`, or all at once by `_complete()` when needed sooner;
    a plot built late takes the place of its placeholder in `_slots` (in the `_right` box)."""

    _slices: list[Callable[[], None]]
    _slots: tuple[QtWidgets.QWidget, ...]
    _right: QtWidgets.QBoxLayout
    _dark: bool | None

    def _next_slice(self) -> None:
        if self._slices:
            self._slices.pop(0)()
        if self._slices:
            QtCore.QTimer.singleShot(0, self, self._next_slice)  # type: ignore[call-overload]

    def _complete(self) -> None:
        """Run the construction slices still due (the lab is shown or used now)."""
        while self._slices:
            self._slices.pop(0)()

    def _place(self, plot: PlotT, slot: int) -> PlotT:
        """Put `plot` where its placeholder was, themed and at least as large."""
        if self._dark:
            plot.set_dark(True)
        plot.setMinimumSize(self._slots[slot].minimumSize())
        self._right.replaceWidget(self._slots[slot], plot)
        self._slots[slot].deleteLater()
        return plot
