"""pytest plugin (entry point `pytest11`): a `playground_window` factory for GUI tests.

Modelled on napari's `make_napari_viewer`: each call opens a MainWindow with throw-away
settings; at teardown every window is closed, and the test fails if a training worker was
still running (a leaked thread aborts the process when Qt tears down).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
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
    result = run_python(["-c", script, str(folder), *args], env=env, timeout=timeout, cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def inside(inner: list[int], outer: list[int]) -> bool:
    """Whether rectangle `inner` (x, y, w, h) lies wholly within `outer`."""
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return x >= ox and y >= oy and x + w <= ox + ow and y + h <= oy + oh


# ----- child Python processes, forked from a warm interpreter --------------------------------------

# A server with torch (and the torch._dynamo that torch.optim loads on its first step) already
# imported; each child is forked from it, so it starts in milliseconds instead of paying the
# 2-4 CPU-s of those imports again. Nothing of the playground is imported there.
_WARM_SERVER = r"""
import atexit, json, os, runpy, sys, traceback, types
import numpy, torch, torch._dynamo, torch.optim  # what every exported script imports and uses
out = sys.stdout
for line in sys.stdin:
    job = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.chdir(job["cwd"])
            os.environ.clear()
            os.environ.update(job["env"])
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            for fd, path in ((1, job["stdout"]), (2, job["stderr"])):
                os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
            sys.stdin = open(0, closefd=False)
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
            sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace",
                              closefd=False)
            args = job["args"]
            try:
                if args[0] == "-c":
                    sys.argv = ["-c", *args[2:]]
                    sys.path[0] = ""
                    main = types.ModuleType("__main__")
                    sys.modules["__main__"] = main
                    exec(compile(args[1], "<string>", "exec"), main.__dict__)
                elif args[0] == "-m":
                    sys.argv = [args[1], *args[2:]]
                    sys.path[0] = os.getcwd()
                    runpy.run_module(args[1], run_name="__main__", alter_sys=True)
                else:
                    sys.argv = list(args)
                    sys.path[0] = os.path.dirname(os.path.abspath(args[0]))
                    runpy.run_path(args[0], run_name="__main__")
                code = 0
            except SystemExit as stop:
                if stop.code is None or isinstance(stop.code, int):
                    code = stop.code or 0
                else:
                    print(stop.code, file=sys.stderr)
                    code = 1
            except BaseException:
                traceback.print_exc()
                code = 1
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
    out.write(f"{pid}\n")
    out.flush()
    _, status, usage = os.wait4(pid, 0)
    out.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_utime + usage.ru_stime}\n")
    out.flush()
"""
# What Python or torch read once at start: a child asking for other values gets a real process.
_READ_AT_START = ("PYTHON", "OMP_", "MKL_", "TORCH", "CUDA", "KMP_", "LD_")
_warm: subprocess.Popen | None = None
_warm_lines = bytearray()  # what the server has written and has not been read yet
warm_child_seconds = 0.0  # CPU seconds of every child run_python forked so far (for reports)
_warm_start_vars: dict[str, str] = {}  # the server's values of what is read at start


def _start_vars(env: dict[str, str] | os._Environ) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(_READ_AT_START)}


def _warm_server() -> subprocess.Popen:
    global _warm
    if _warm is None or _warm.poll() is not None:
        _warm = subprocess.Popen([sys.executable, "-c", _WARM_SERVER], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, bufsize=0, cwd=tempfile.gettempdir())
        _warm_lines.clear()
        _warm_start_vars.clear()
        _warm_start_vars.update(_start_vars(os.environ))
        atexit.register(_stop_warm_server, _warm)
    return _warm


def _stop_warm_server(server: subprocess.Popen) -> None:
    """End the server as a script ends (its input closed) and wait for it."""
    with contextlib.suppress(OSError):
        server.stdin.close()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    server.stdout.close()


def _warm_line(server: subprocess.Popen, timeout: float | None) -> list[str] | None:
    """The server's next line, split; None when `timeout` seconds pass first."""
    fd = server.stdout.fileno()
    while b"\n" not in _warm_lines:
        if not select.select([fd], [], [], timeout)[0]:
            return None
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RuntimeError("the warm Python server ended")
        _warm_lines.extend(chunk)
    line, _, rest = bytes(_warm_lines).partition(b"\n")
    _warm_lines[:] = rest
    return line.decode().split()


def run_python(args: Sequence[str], *, cwd: str | Path | None = None,
               env: dict[str, str] | None = None, timeout: float = 120
               ) -> subprocess.CompletedProcess[str]:
    """`subprocess.run([sys.executable, *args], capture_output=True, text=True)`: plain Python
    running a script (`path`, `-c code` or `-m module`, then its arguments) in a process of its
    own, forked from a warm interpreter that has imported torch (and nothing of the app), so the
    child skips torch's seconds of imports. A child whose environment differs from the server's
    in what Python or torch read at start (PYTHON*, OMP_*, ...) gets a real new process instead.
    """
    argv = [str(a) for a in args]
    env = dict(os.environ if env is None else env)
    server = _warm_server()
    if _start_vars(env) != _warm_start_vars or (argv[0] not in ("-c", "-m")
                                                and argv[0].startswith("-")):
        return subprocess.run([sys.executable, *argv], capture_output=True, text=True,
                              timeout=timeout, check=False, env=env, cwd=cwd)
    with tempfile.TemporaryDirectory(prefix="playground-child-") as folder:
        out, err = Path(folder, "stdout"), Path(folder, "stderr")
        job = {"args": argv, "env": env, "cwd": str(Path(cwd or os.getcwd()).resolve()),
               "stdout": str(out), "stderr": str(err)}
        server.stdin.write((json.dumps(job) + "\n").encode())
        server.stdin.flush()
        pid = int(_warm_line(server, None)[0])
        ended = _warm_line(server, timeout)
        if ended is None:
            os.kill(pid, signal.SIGKILL)
            _warm_line(server, None)
            raise subprocess.TimeoutExpired([sys.executable, *argv], timeout)
        global warm_child_seconds
        warm_child_seconds += float(ended[1])
        return subprocess.CompletedProcess(
            [sys.executable, *argv], int(ended[0]), out.read_text(encoding="utf-8", errors="replace"),
            err.read_text(encoding="utf-8", errors="replace"))
