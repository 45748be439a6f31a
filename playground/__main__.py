"""Command line: launch the window, or render it to a PNG with --screenshot and exit.

Every bad argument ends the process with exit status 2 and one line on stderr saying why,
checked before Qt or torch is loaded where it can be (no traceback, no crash).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
from pathlib import Path

HEADLESS_PLATFORMS = {"offscreen", "minimal", "vnc", "eglfs", "linuxfb"}
NO_DISPLAY_MESSAGE = """\
Gradient Playground needs a display, and none was found (DISPLAY and WAYLAND_DISPLAY are unset).
On a headless machine you can:
  * render the window to a picture:   python -m playground --screenshot window.png
  * run it on a virtual screen:       xvfb-run -a python -m playground
    (Debian: apt-get install xvfb libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1)
"""


MIN_SIDE, MAX_SIDE = 200, 8192  # pixels; 100000x100000 would be a 40 GB image


class UsageError(Exception):
    """A bad command-line argument: its text is the one line the user sees."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse prints the whole usage first; one line says it better.
        raise UsageError(message)


def parse_size(text: str) -> tuple[int, int]:
    """WIDTHxHEIGHT in pixels, each between MIN_SIDE and MAX_SIDE; UsageError otherwise."""
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise UsageError(f"--size wants WIDTHxHEIGHT in pixels, e.g. 1280x720; got {text!r}")
    width, height = (int(p) for p in parts)
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise UsageError(f"--size {text}: width and height must each be between {MIN_SIDE} "
                         f"and {MAX_SIDE} pixels")
    return width, height


def check_screenshot_path(path: Path) -> None:
    """Refuse a --screenshot target whose folder cannot be created or written."""
    if path.suffix.lower() != ".png":
        raise UsageError(f"--screenshot {path}: the file name must end in .png")
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--screenshot {path}: cannot create {folder} "
                         f"({exc.strerror or exc})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"--screenshot {path}: the folder {folder} is not writable")
    if path.is_dir():
        raise UsageError(f"--screenshot {path}: that is a folder")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The options; UsageError (one line) for anything argparse or our checks refuse."""
    parser = _Parser(
        prog="gradient-playground",
        description="Learn PyTorch autograd by clicking: a desktop playground.")
    parser.add_argument("--screenshot", metavar="FILE.png", type=Path,
                        help="render the main window offscreen to FILE.png and exit")
    parser.add_argument("--lab", choices=("tensor", "training"), default=None,
                        help="which lab to show first")
    parser.add_argument("--session", metavar="FILE.json", type=Path,
                        help="open a saved session before showing the window")
    parser.add_argument("--demo", action="store_true",
                        help="in the Training Lab, run the default training once before showing")
    parser.add_argument("--theme", choices=("system", "light", "dark"), default=None,
                        help="colour scheme for this run")
    parser.add_argument("--size", default="1360x860", metavar="WxH",
                        help="window size for --screenshot (default 1360x860)")
    args = parser.parse_args(argv)
    args.size_px = parse_size(args.size)
    if args.screenshot is not None:
        check_screenshot_path(args.screenshot)
    return args


def has_display() -> bool:
    """True when Qt can open a window here, or the user chose a headless platform."""
    platform = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0]
    if platform:
        return True
    if sys.platform != "linux":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str] | None = None) -> int:
    """Entry point of `gradient-playground` and `python -m playground`."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["export"]:  # `export SESSION --to py|ipynb -o OUT`: no window at all
        from playground.export_cli import main as export_main

        return export_main(argv[1:])
    try:
        args = parse_args(argv)
        if args.session is not None:
            _check_session(args.session)
    except UsageError as exc:
        sys.stderr.write(f"gradient-playground: error: {exc}\n")
        return 2
    if args.screenshot is not None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    elif not has_display():
        sys.stderr.write(NO_DISPLAY_MESSAGE)
        return 2

    from PySide6 import QtCore, QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("Gradient Playground")
    app.setOrganizationName("GradientPlayground")
    app.setStyle("Fusion")

    from playground.ui import MainWindow  # no torch yet: the window shows before it loads
    from playground.ui.widgets.theme import ThemeMode

    if args.screenshot is None:
        return _launch(app, MainWindow, ThemeMode, args)
    # Screenshots must not depend on (or change) the user's saved geometry and preferences.
    tmp_settings = Path(QtCore.QDir.tempPath()) / "gradient-playground-screenshot.ini"
    tmp_settings.unlink(missing_ok=True)
    settings = QtCore.QSettings(str(tmp_settings), QtCore.QSettings.Format.IniFormat)
    # A screenshot offers no crashed session and autosaves into a throw-away folder.
    scratch = tempfile.mkdtemp(prefix="gradient-playground-screenshot-")
    window = MainWindow(settings=settings, autosave_dir=scratch)  # waits for everything anyway
    if args.theme:
        window.set_theme(ThemeMode(args.theme))
    if args.session is not None and not _open_session(window, args.session):
        window.close()
        return 2
    if args.lab:
        _show_lab(window, args.lab)
    return _screenshot(app, window, args)


def _launch(app, main_window_class, theme_mode, args: argparse.Namespace) -> int:
    """Show the window at once, then load torch and the labs on a thread (`defer=True`); the
    options that need the labs (--session, --lab, --demo) apply when they have filled in.

    No garbage collection until the labs are ready: importing torch triggers hundreds of
    collections (about 0.3 s of CPU), and each full one walks every object torch made holding
    the GIL (100-200 ms, a frozen window). At `labsReady` what start-up made, which lives as
    long as the app, is frozen (`gc.freeze()`): later full collections, during a run too, no
    longer walk it. The price: the few thousand unreachable objects start-up left (cycles
    from imports) are never freed."""
    gc.disable()
    window = main_window_class(defer=True)
    if args.theme:
        window.set_theme(theme_mode(args.theme))
    window.show()
    status = []

    def labs_ready() -> None:
        gc.freeze()
        gc.enable()
        if args.theme:
            window.set_theme(theme_mode(args.theme))
        if args.session is not None and not _open_session(window, args.session):
            status.append(2)
            window.close()
            return
        if args.lab:
            _show_lab(window, args.lab)
        if args.demo:
            _show_lab(window, "training")
            window.training_lab.start()

    window.labsReady.connect(labs_ready)
    code = app.exec()
    return status[0] if status else code


def _open_session(window, path: Path) -> bool:
    """Open `path` in the window; a failure is one line on stderr (False)."""
    from playground.ui.window.errors import SessionError

    try:
        window.statusBar().showMessage(window.sessions.open(path), 8000)
    except SessionError as exc:
        message = " ".join(str(exc).split())  # one line
        sys.stderr.write(f"gradient-playground: error: {message}\n")
        return False
    return True


def _show_lab(window, name: str) -> None:
    from playground.core.labs import Lab  # the labs are built: torch is already in

    window.navigator.show_lab(Lab(name))


def _check_session(path: Path) -> None:
    """Read the session file before any window exists, so a bad one costs one line, not a GUI."""
    from playground.core.files.session_file import read_session_file

    try:
        read_session_file(path)
    except ValueError as exc:
        raise UsageError(" ".join(str(exc).split())) from None


def _screenshot(app, window, args: argparse.Namespace) -> int:
    from PySide6 import QtCore

    width, height = args.size_px
    window.resize(width, height)
    window.show()
    app.processEvents()
    if args.demo:
        _show_lab(window, "training")
        loop = QtCore.QEventLoop()
        window.training_lab.runFinished.connect(lambda _status: loop.quit())
        QtCore.QTimer.singleShot(60_000, loop.quit)
        window.training_lab.start()
        loop.exec()
    for _ in range(5):  # let layouts and plots settle before grabbing
        app.processEvents()
    from playground.core.files import atomic

    image = window.grab()
    window.close()
    try:
        with atomic.atomic_path(args.screenshot) as tmp:
            if not image.save(str(tmp), "PNG"):
                raise OSError("the image could not be encoded")
    except OSError as exc:
        sys.stderr.write(f"gradient-playground: error: could not write {args.screenshot}: "
                         f"{exc.strerror or exc}\n")
        return 1
    print(f"wrote {args.screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
