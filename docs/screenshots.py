"""Render the documentation's screenshots: the window at the size it opens on a 1280x720 and a
1920x1080 screen, light and dark, at 100% and 152% zoom: the Tensor Lab with the Lessons dock
open mid-lesson, the Training Lab after a run, and the Tensor Lab's Graph tab mid-backward.

Run with `make screenshot` (offscreen; no display needed). Qt fixes a process's screens when
its QApplication starts, so each screen size is rendered by a child process whose offscreen
screen is read from a JSON configfile. Every picture is drawn by the real window, opened the
way a learner's opens (`window_fit` picks its size), so what the docs show is what they see.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "screenshots"
SIZES = ((1280, 720), (1920, 1080))
THEMES = ("light", "dark")
ZOOMS = ((0, 100), (3, 152))  # (View > Zoom steps, the percentage it gives)
# The README's three pictures: the labs as a learner gets them on a classroom projector, and
# the lessons beside the Tensor Lab on a common desktop screen.
README = {"tensor-lab": "tensor-lab-1920x1080-light-100.png",
          "training-lab": "training-lab-1280x720-light-100.png",
          "graph": "graph-1280x720-light-100.png"}
LESSON, LESSON_STEP = "05-accumulation", 2  # "Two more passes without clearing", run
GRAPH_STEPS = 3  # Step backward clicks before the graph picture is taken


def _settle(app, rounds: int = 5) -> None:
    from PySide6 import QtCore

    for _ in range(rounds):
        app.processEvents()
        QtCore.QThread.msleep(20)


def _window(settings_dir: Path, theme: str):
    from PySide6 import QtCore

    from playground.ui import MainWindow
    from playground.ui.widgets.theme import ThemeMode

    ini = settings_dir / f"{len(list(settings_dir.iterdir()))}.ini"
    window = MainWindow(settings=QtCore.QSettings(str(ini), QtCore.QSettings.Format.IniFormat),
                        autosave_dir=str(settings_dir / "autosave"))
    window.set_theme(ThemeMode(theme))
    return window


def _lesson(app, window) -> None:
    """The Lessons dock open beside the Tensor Lab, a lesson step run."""
    window.lessons_dock.show()
    panel = window.lessons_dock.panel
    panel.go_to(LESSON, LESSON_STEP - 1)
    panel.run_current_step()
    window.tabs.setCurrentWidget(window.tensor_lab)


def _train(app, window) -> None:
    from PySide6 import QtCore

    from playground.testing import full_speed

    window.tabs.setCurrentWidget(window.training_lab)
    full_speed(window.training_lab)
    loop = QtCore.QEventLoop()
    window.training_lab.runFinished.connect(lambda _status: loop.quit())
    window.training_lab.start()
    loop.exec()


def _graph(app, window) -> None:
    from PySide6 import QtWidgets

    window.tensor_lab.show_graph()
    _settle(app)
    button = window.findChild(QtWidgets.QPushButton, "stepBackwardButton")
    for _ in range(GRAPH_STEPS):
        button.click()
        _settle(app, 2)


PREPARE = {"tensor-lab": _lesson, "training-lab": _train, "graph": _graph}


def shoot(name: str, size: tuple[int, int], theme: str, zoom: int) -> Path:
    """One picture of the window as it opens on this process's screen."""
    from PySide6 import QtWidgets

    app = QtWidgets.QApplication.instance()
    with tempfile.TemporaryDirectory() as tmp:
        window = _window(Path(tmp), theme)
        window.show()
        window.set_zoom(zoom)
        _settle(app)
        PREPARE[name](app, window)
        _settle(app, 8)
        path = OUT / f"{name}-{size[0]}x{size[1]}-{theme}-{round(100 * 1.15 ** zoom)}.png"
        window.grab().save(str(path))
        window.shutdown()
        window.close()
        window.deleteLater()
        _settle(app, 2)
    return path


def render_screen(size: tuple[int, int]) -> int:
    """In a child whose offscreen screen is `size`: every picture for that screen."""
    from PySide6 import QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    OUT.mkdir(exist_ok=True)
    for theme in THEMES:
        for zoom, _percent in ZOOMS:
            for name in PREPARE:
                print("wrote", shoot(name, size, theme, zoom), flush=True)
    return 0


def main() -> int:
    for width, height in SIZES:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "screen.json"
            config.write_text(json.dumps({"screens": [{
                "name": f"{width}x{height}", "x": 0, "y": 0, "width": width, "height": height,
                "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
            env = {k: v for k, v in os.environ.items() if not k.startswith("QT_")}
            env.update(QT_QPA_PLATFORM=f"offscreen:configfile={config}",
                       XDG_CONFIG_HOME=str(Path(tmp) / "config"), HOME=tmp)
            done = subprocess.run([sys.executable, str(Path(__file__).resolve()),
                                   f"{width}x{height}"], env=env, cwd=str(ROOT), check=False)
            if done.returncode != 0:
                return done.returncode
    for name, source in README.items():
        (HERE / f"screenshot-{name}.png").write_bytes((OUT / source).read_bytes())
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1:  # the child: one screen size
        w, h = (int(n) for n in sys.argv[1].split("x"))
        raise SystemExit(render_screen((w, h)))
    raise SystemExit(main())
