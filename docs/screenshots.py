"""Render the documentation's screenshots: each lab at 1280x720 and 1920x1080, light and dark,
at 100% and 152% zoom, plus the graph view mid-backward.

Run with `make screenshot` (offscreen; no display needed). Every picture is drawn by the real
window from the bundled examples, so what the docs show is what a learner sees.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtWidgets  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "screenshots"
SIZES = ((1280, 720), (1920, 1080))
THEMES = ("light", "dark")
ZOOMS = ((0, 100), (3, 152))  # (View > Zoom steps, the percentage it gives)


def _window(settings_dir: Path, theme: str):
    from playground.ui import MainWindow
    from playground.ui.widgets.theme import ThemeMode

    ini = settings_dir / f"{len(list(settings_dir.iterdir()))}.ini"
    window = MainWindow(settings=QtCore.QSettings(str(ini), QtCore.QSettings.Format.IniFormat),
                        autosave_dir=str(settings_dir / "autosave"))
    window.set_theme(ThemeMode(theme))
    return window


def _settle(app: QtWidgets.QApplication, rounds: int = 5) -> None:
    for _ in range(rounds):
        app.processEvents()
        QtCore.QThread.msleep(20)


def _train(app: QtWidgets.QApplication, window) -> None:
    from playground.testing import full_speed

    window.tabs.setCurrentWidget(window.training_lab)
    full_speed(window.training_lab)
    loop = QtCore.QEventLoop()
    window.training_lab.runFinished.connect(lambda _status: loop.quit())
    window.training_lab.start()
    loop.exec()


def _step_graph(app: QtWidgets.QApplication, window, steps: int) -> None:
    tabs = window.findChild(QtWidgets.QTabWidget, "tensorPlotTabs")
    graph = window.findChild(QtWidgets.QGraphicsView, "graphView")
    tabs.setCurrentIndex(next(i for i in range(tabs.count())
                              if tabs.widget(i).isAncestorOf(graph)))
    button = window.findChild(QtWidgets.QPushButton, "stepBackwardButton")
    for _ in range(steps):
        button.click()
        _settle(app, 2)


def shoot(name: str, size: tuple[int, int], theme: str, zoom: int, prepare) -> Path:
    app = QtWidgets.QApplication.instance()
    with tempfile.TemporaryDirectory() as tmp:
        window = _window(Path(tmp), theme)
        window.resize(*size)
        window.show()
        window.set_zoom(zoom)
        _settle(app)
        prepare(app, window)
        window.resize(*size)
        _settle(app)
        path = OUT / f"{name}-{size[0]}x{size[1]}-{theme}-{round(100 * 1.15 ** zoom)}.png"
        window.grab().save(str(path))
        window.shutdown()
        window.close()
        window.deleteLater()
        _settle(app, 2)
    return path


def main() -> int:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    OUT.mkdir(exist_ok=True)
    accumulation = ROOT / "resources" / "sessions" / "notebook_accumulation.json"

    def tensor_lab(_app, window) -> None:
        window.open_session(accumulation)

    def training_lab(app, window) -> None:
        _train(app, window)

    def graph(app, window) -> None:
        _step_graph(app, window, 3)

    for size in SIZES:
        for theme in THEMES:
            for zoom, _percent in ZOOMS:
                for name, prepare in (("tensor-lab", tensor_lab), ("training-lab", training_lab),
                                      ("graph", graph)):
                    print("wrote", shoot(name, size, theme, zoom, prepare))
    # The README's three pictures: 1280x720, light, 100%.
    for name in ("tensor-lab", "training-lab", "graph"):
        source = OUT / f"{name}-1280x720-light-100.png"
        (HERE / f"screenshot-{name}.png").write_bytes(source.read_bytes())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
