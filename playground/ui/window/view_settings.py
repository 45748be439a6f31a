"""View > Zoom and Theme, and what the window remembers between runs (QSettings).

Zoom scales the application font by ZOOM_STEP per step, so every widget follows it; the base
size is captured once per process so zooming never compounds across windows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets

from playground.ui.widgets.theme import ThemeMode, apply_theme, is_dark
from playground.ui.widgets.window_fit import place_window

if TYPE_CHECKING:
    from playground.ui.tensor.lab import TensorLab
    from playground.ui.training.lab import TrainingLab

ZOOM_STEP = 1.15
ZOOM_LIMITS = (-4, 8)
GEOMETRY_KEY = "window/geometry"
TAB_KEY = "window/tab"
ZOOM_KEY = "view/zoom"
THEME_KEY = "view/theme"

_base_point_size: float | None = None


class ViewSettings:
    """The zoom step and theme mode in force, and the QSettings they are kept in."""

    def __init__(self, settings: QtCore.QSettings) -> None:
        global _base_point_size
        if _base_point_size is None:
            _base_point_size = QtWidgets.QApplication.font().pointSizeF()
        self.settings = settings
        self.zoom = 0
        self.theme = ThemeMode.SYSTEM
        self._tensor_lab: TensorLab | None = None
        self._training_lab: TrainingLab | None = None
        self._theme_shown: Callable[[ThemeMode], None] = lambda _mode: None

    def follow(self, tensor_lab: TensorLab, training_lab: TrainingLab,
               theme_shown: Callable[[ThemeMode], None]) -> None:
        """The labs follow zoom and theme from now on; `theme_shown` ticks the theme's menu item."""
        self._tensor_lab, self._training_lab = tensor_lab, training_lab
        self._theme_shown = theme_shown

    def set_zoom(self, steps: int) -> int:
        """Scale the application font to `steps` (clamped to ZOOM_LIMITS); returns the percent."""
        self.zoom = max(ZOOM_LIMITS[0], min(ZOOM_LIMITS[1], steps))
        factor = ZOOM_STEP**self.zoom
        font = QtWidgets.QApplication.font()
        font.setPointSizeF(_base_point_size * factor)
        QtWidgets.QApplication.setFont(font)
        if self._tensor_lab is not None:
            self._tensor_lab.follow_font(font)
        return round(100 * factor)

    def set_theme(self, mode: ThemeMode) -> None:
        """Switch between the system's scheme and a forced light or dark one."""
        self.theme = ThemeMode(mode)
        apply_theme(self.theme)
        if self._tensor_lab is None:  # a deferred window: the labs take it once built
            return
        self._theme_shown(self.theme)
        dark = is_dark(self.theme)
        self._tensor_lab.set_dark(dark)
        self._training_lab.set_dark(dark)

    def follow_system_scheme(self, *_args: object) -> None:
        """The system switched light/dark: follow it unless a scheme is forced."""
        if self.theme is ThemeMode.SYSTEM:
            self.set_theme(ThemeMode.SYSTEM)

    # ----- remembered between runs ------------------------------------------------------------
    def place(self, window: QtWidgets.QWidget) -> None:
        """Size and place `window` on its screen: the remembered geometry only if it fits."""
        geometry = self.settings.value(GEOMETRY_KEY)
        place_window(window, geometry if isinstance(geometry, (QtCore.QByteArray, bytes)) else None)

    def saved_theme(self) -> ThemeMode:
        """The remembered theme (the system's for a missing or unknown value)."""
        try:
            return ThemeMode(str(self.settings.value(THEME_KEY, ThemeMode.SYSTEM.value)))
        except ValueError:
            return ThemeMode.SYSTEM

    def saved_zoom(self) -> int:
        try:
            return int(self.settings.value(ZOOM_KEY, 0))
        except (TypeError, ValueError):
            return 0

    def saved_tab(self) -> int | None:
        with contextlib.suppress(TypeError, ValueError):
            return int(self.settings.value(TAB_KEY, 0))
        return None

    def save(self, window: QtWidgets.QWidget, tab: int) -> bool:
        """Remember geometry, zoom, theme and tab; False if the settings file was not written."""
        self.settings.setValue(GEOMETRY_KEY, window.saveGeometry())
        self.settings.setValue(ZOOM_KEY, self.zoom)
        self.settings.setValue(THEME_KEY, self.theme.value)
        self.settings.setValue(TAB_KEY, tab)
        self.settings.sync()  # QSettings writes through QSaveFile: atomic, and status says how
        return self.settings.status() == QtCore.QSettings.Status.NoError
