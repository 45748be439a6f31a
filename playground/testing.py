"""pytest plugin (entry point `pytest11`): a `playground_window` factory for GUI tests.

Modelled on napari's `make_napari_viewer`: each call opens a MainWindow with throw-away
settings; at teardown every window is closed, and the test fails if a training worker was
still running (a leaked thread aborts the process when Qt tears down).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playground.ui.window.main_window import MainWindow


@pytest.fixture
def playground_window(qtbot, tmp_path_factory) -> Iterator[Callable[..., MainWindow]]:
    """Factory: `window = playground_window()` opens the default state, shown offscreen."""
    from PySide6 import QtCore, QtWidgets

    from playground.ui.window.main_window import MainWindow

    windows: list[MainWindow] = []
    settings_dir = tmp_path_factory.mktemp("playground-settings")
    # Zoom and theme change application-wide state; put it back so tests stay independent.
    app = QtWidgets.QApplication.instance()
    saved_font, saved_palette = QtWidgets.QApplication.font(), QtWidgets.QApplication.palette()
    saved_sheet = app.styleSheet() if app is not None else ""

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

    still_running = [w for w in windows if w.training_lab is not None and (
        w.training_lab.is_running() or w.network_lab.is_running())]
    for window in windows:
        window.shutdown()
        window.close()
        window.deleteLater()
    QtWidgets.QApplication.setFont(saved_font)
    QtWidgets.QApplication.setPalette(saved_palette)
    if app is not None:
        app.setStyleSheet(saved_sheet)
    if still_running:
        pytest.fail(
            f"{len(still_running)} window(s) still had a training worker running at teardown; "
            "stop the run (or wait for runFinished) before the test ends.")


# ----- helpers for GUI tests that drive the window through docs/automation.md's objectNames -----


def find(root: Any, name: str, cls: Any = None) -> Any:
    """The child of `root` with objectName `name` (any QWidget unless `cls` says); fails if none."""
    from PySide6 import QtWidgets

    widget = root.findChild(cls or QtWidgets.QWidget, name)
    assert widget is not None, f"no child named {name}"
    return widget


def click(qtbot: Any, root: Any, name: str) -> None:
    """Left-click the enabled button `name`, as a user would."""
    from PySide6 import QtCore

    button = find(root, name)
    assert button.isEnabled(), f"{name} is disabled"
    qtbot.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)


def type_statement(qtbot: Any, root: Any, text: str) -> None:
    """Type `text` into the Tensor Lab's statement line and press Return."""
    from PySide6 import QtCore

    edit = find(root, "statementEdit")
    edit.clear()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, QtCore.Qt.Key.Key_Return)


def table_cells(root: Any, name: str) -> list[float]:
    """Every cell of a value table read row by row, as floats (the documented table format)."""
    model = find(root, name).model()
    return [
        float(model.index(r, c).data())
        for r in range(model.rowCount())
        for c in range(model.columnCount())
    ]


def select_tensor(qtbot: Any, root: Any, name: str) -> None:
    """Click `name`'s row in the tensor list."""
    from PySide6 import QtCore

    view = find(root, "tensorList")
    model = view.model()
    rows = [r for r in range(model.rowCount()) if model.index(r, 0).data().startswith(name)]
    assert rows, f"{name} not in the list"
    rect = view.visualRect(model.index(rows[0], 0))
    qtbot.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())


def full_speed(widget: Any) -> None:
    """Set the Training Lab's `speedCombo` (found under `widget`) to `Full speed`: no pacing,
    for tests that wait for a whole run."""
    from PySide6 import QtWidgets

    combo = widget.findChild(QtWidgets.QComboBox, "speedCombo")
    if combo is None:
        raise LookupError("no speedCombo under this widget")
    index = combo.findText("Full speed")
    if index < 0:
        raise LookupError("speedCombo has no 'Full speed' item")
    combo.setCurrentIndex(index)


def settle(widget: Any, rounds: int = 3) -> None:
    """Paint `widget` and run the events that follow, `rounds` times: layouts and plot axes
    take their final size only after a paint has measured them."""
    from PySide6 import QtWidgets

    for _ in range(rounds):
        widget.grab()
        QtWidgets.QApplication.processEvents()


def dead_pid() -> int:
    """The id of a process that has ended (an autosave named after it counts as orphaned)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, timeout=60, check=True)
    return int(proc.stdout)


def run_on_screen(script: str, folder: Path, *args: str, size: tuple[int, int] = (1280, 720),
                  timeout: float = 300, cwd: str | Path | None = None) -> dict:
    """Run `script` (Python source) in a child process whose Qt sees one offscreen screen of
    `size`, with its own settings in `folder`; return the JSON its last output line printed.

    The child gets `folder` and then `args` as its argv; the platform's screen size comes
    from a configfile, which is how Qt's offscreen platform is given a 1280x720 desktop.
    """
    config = folder / "screen.json"
    config.write_text(json.dumps({"screens": [{
        "name": "Projector", "x": 0, "y": 0, "width": size[0], "height": size[1],
        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("QT_")}
    env.update(QT_QPA_PLATFORM=f"offscreen:configfile={config}",
               XDG_CONFIG_HOME=str(folder / "config"), HOME=str(folder))
    result = subprocess.run([sys.executable, "-c", script, str(folder), *args], env=env,
                            capture_output=True, text=True, timeout=timeout, check=False,
                            cwd=None if cwd is None else str(cwd))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def inside(inner: list[int], outer: list[int]) -> bool:
    """Whether rectangle `inner` (x, y, w, h) lies wholly within `outer`."""
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return x >= ox and y >= oy and x + w <= ox + ow and y + h <= oy + oh
