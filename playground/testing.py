"""pytest plugin (entry point `pytest11`): a `playground_window` factory for GUI tests.

Modelled on napari's `make_napari_viewer`: each call opens a MainWindow with throw-away
settings; at teardown every window is closed, and the test fails if a training worker was
still running (a leaked thread aborts the process when Qt tears down).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playground.ui.main_window import MainWindow


@pytest.fixture
def playground_window(qtbot, tmp_path_factory) -> Iterator[Callable[..., MainWindow]]:
    """Factory: `window = playground_window()` opens the default state, shown offscreen."""
    from PySide6 import QtCore, QtWidgets

    from playground.ui.main_window import MainWindow

    windows: list[MainWindow] = []
    settings_dir = tmp_path_factory.mktemp("playground-settings")

    def factory(*, show: bool = True, **kwargs: Any) -> MainWindow:
        if "settings" not in kwargs:
            ini = settings_dir / f"window{len(windows)}.ini"
            kwargs["settings"] = QtCore.QSettings(str(ini), QtCore.QSettings.Format.IniFormat)
        window = MainWindow(**kwargs)
        windows.append(window)
        if show:
            window.show()
            qtbot.waitExposed(window)
            # Window shortcuts (Ctrl+Z, Ctrl+B, ...) only fire in the active window.
            window.activateWindow()
            with contextlib.suppress(Exception):  # some platforms never report activation
                qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is window,
                                timeout=2000)
        return window

    yield factory

    still_running = [w for w in windows if w.training_lab.is_running()]
    for window in windows:
        window.shutdown()
        window.close()
        window.deleteLater()
    if still_running:
        pytest.fail(
            f"{len(still_running)} window(s) still had a training worker running at teardown; "
            "stop the run (or wait for runFinished) before the test ends.")
