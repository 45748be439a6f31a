"""Start-up: the window shows before torch loads, then the labs fill in.

Importing this module (and `main_window`) costs no torch and no pyqtgraph. Everything that
needs them is imported by `load_lab_modules()`, once, and handed back as one `LabModules`
object the window builds from. The launcher's deferred window runs it on a plain thread
(`LabsLoader`) after its first paint, with torch's shared libraries loaded first through ctypes
so the GUI thread can still repaint meanwhile.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

_lock = threading.Lock()
_loaded: LabModules | None = None


@dataclass(frozen=True)
class LabModules:
    """The torch-backed classes and data the window builds its labs from."""

    Workspace: type  # noqa: N815 (a class, named as one)
    TrainingSession: type  # noqa: N815
    TensorLab: type  # noqa: N815
    TrainingLab: type  # noqa: N815
    NetworkSession: type  # noqa: N815
    NetworkLab: type  # noqa: N815
    LessonsDock: type  # noqa: N815
    SessionActions: type  # noqa: N815
    Recovery: type  # noqa: N815
    Menus: type  # noqa: N815
    EditCommands: type  # noqa: N815
    LabTabs: type  # noqa: N815
    Lab: type  # noqa: N815
    lab_tips: dict
    default_statements: tuple[str, ...]
    seed_statement: str
    load_lessons: Callable[..., tuple[list, list]]
    warm_up_in_background: Callable[[], threading.Thread]


@dataclass(frozen=True)
class LabModels:
    """The labs' Qt-free models and the lessons: built on the loader thread in a deferred
    start, so the GUI thread is left only the widgets."""

    workspace: Any
    training_session: Any
    network_session: Any
    lessons: tuple[list, list]  # (lessons, errors), as load_lessons returns them


def prepare_models(labs: LabModules, workspace: Any = None, load_default: bool = True
                   ) -> LabModels:
    """The models the window's labs show (no widget, no Qt: any thread may call this)."""
    if workspace is None:
        workspace = labs.Workspace()
        if load_default:
            for statement in labs.default_statements:
                workspace.run(statement)
    warm_caches()
    return LabModels(workspace, labs.TrainingSession(), labs.NetworkSession(),
                     labs.load_lessons())


def warm_caches() -> None:
    """Read what the labs' widgets would otherwise read from disk on the GUI thread."""
    import pyqtgraph as pg

    pg.colormap.get("viridis")  # the loss landscape's colours, cached by pyqtgraph
    import numpy.ma  # noqa: F401 (numpy imports it at the first unique(): the Network Lab's)


def load_lab_modules() -> LabModules:
    """Import torch and every module that needs it (seconds on a cold start), once."""
    global _loaded
    with _lock:
        if _loaded is not None:
            return _loaded
        from playground.core.lessons.format import load_lessons
        from playground.core.network.session import NetworkSession
        from playground.core.tensorlab.statements import DEFAULT_SESSION
        from playground.core.tensorlab.workspace import SEED_STATEMENT, Workspace
        from playground.core.training.session import TrainingSession
        from playground.core.training.worker import warm_up_in_background
        from playground.ui.lessons.dock import LessonsDock
        from playground.ui.network.lab import NetworkLab
        from playground.ui.tensor.lab import TensorLab
        from playground.ui.training.lab import TrainingLab
        from playground.ui.window.autosave import Recovery
        from playground.ui.window.commands import EditCommands
        from playground.ui.window.menus import Menus
        from playground.ui.window.navigation import LAB_TIPS, Lab, LabTabs
        from playground.ui.window.session_actions import SessionActions

        _loaded = LabModules(
            Workspace=Workspace,
            TrainingSession=TrainingSession,
            TensorLab=TensorLab,
            TrainingLab=TrainingLab,
            NetworkSession=NetworkSession,
            NetworkLab=NetworkLab,
            LessonsDock=LessonsDock,
            SessionActions=SessionActions,
            Recovery=Recovery,
            Menus=Menus,
            EditCommands=EditCommands,
            LabTabs=LabTabs,
            Lab=Lab,
            lab_tips=LAB_TIPS,
            # The notebook's first cell, so the window opens on a grad_fn chain worth clicking.
            default_statements=tuple(DEFAULT_SESSION),
            seed_statement=SEED_STATEMENT,
            load_lessons=load_lessons,
            warm_up_in_background=warm_up_in_background,
        )
        return _loaded


class Stepwise:
    """Builds `cls(*args)` one part per `step()`, so a start-up stage never holds the GUI
    thread for a whole lab; `built` is the object once the last part has run.

    A class that offers it is built in parts (`cls(*args, in_steps=True)`, then its
    `build_steps` iterator, as TensorLab does); any other class in one step.
    """

    def __init__(self, cls: type, *args: Any) -> None:
        self.built: Any = None
        self._parts = self._build(cls, args)

    @staticmethod
    def _build(cls: type, args: tuple) -> Iterator[Any]:
        if "in_steps" in inspect.signature(cls).parameters:
            built = cls(*args, in_steps=True)
            for _part in built.build_steps:
                yield None
        else:
            built = cls(*args)
        yield built

    def step(self) -> bool:
        """Build the next part; True while parts remain."""
        if self.built is None:
            self.built = next(self._parts)
        return self.built is None

    def finish(self) -> Any:
        """The rest of the parts at once; the object."""
        while self.step():
            pass
        return self.built


def loading_menus(window: QtWidgets.QMainWindow) -> list[QtWidgets.QMenu]:
    """While torch loads: File with Quit, the other menus shown but disabled."""
    file_menu = window.menuBar().addMenu("&File")
    quit_action = file_menu.addAction("&Quit", window.close)
    quit_action.setShortcut(QtGui.QKeySequence.StandardKey.Quit)
    menus = [file_menu]
    for title in ("&Edit", "&View", "&Help"):
        menu = window.menuBar().addMenu(title)
        menu.setEnabled(False)
        menus.append(menu)
    return menus


def put_lab(tabs: QtWidgets.QTabWidget, index: int, lab: QtWidgets.QWidget, title: str,
            tip: str) -> None:
    """Tab `index` becomes `lab`, replacing a deferred window's "Loading PyTorch…" page."""
    placeholder = tabs.widget(index)
    current = tabs.currentIndex()
    tabs.insertTab(index, lab, title)
    tabs.setTabToolTip(index, tip)
    if placeholder is not None:
        tabs.removeTab(index + 1)
        placeholder.deleteLater()
        tabs.setCurrentIndex(current)


class LabsLoader(QtCore.QObject):
    """Runs `load_lab_modules`, then `prepare(modules)` (Qt-free work: the labs' models), on a
    plain thread and reports on the GUI thread when done; `prepared` holds what it returned."""

    finished = QtCore.Signal(str)  # "" once loaded, else what went wrong

    def __init__(self, parent: QtCore.QObject | None = None,
                 prepare: Callable[[LabModules], Any] | None = None) -> None:
        super().__init__(parent)
        self.started = False
        self._prepare = prepare
        self.prepared: Any = None

    def start(self) -> None:
        """Start loading, once; later calls do nothing."""
        if self.started:
            return
        self.started = True
        threading.Thread(target=self._run, name="load-labs", daemon=True).start()

    def _run(self) -> None:
        try:
            preload_torch_libraries()
            modules = load_lab_modules()
            if self._prepare is not None:
                self.prepared = self._prepare(modules)
            error = ""
        except Exception as exc:  # noqa: BLE001 (shown in the window, never a silent hang)
            error = f"{type(exc).__name__}: {exc}"
        with contextlib.suppress(RuntimeError):  # the window may be gone already
            self.finished.emit(error)


def preload_torch_libraries() -> None:
    """dlopen torch's big shared libraries through a ctypes call, which releases the GIL.

    Imported the usual way, their loading (libtorch_cpu.so is hundreds of MB to relocate)
    holds the GIL for 0.2-0.5 s and the window cannot even repaint meanwhile; loaded first like
    this, `import torch` finds them in memory. Linux only; any failure just skips the head start.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import importlib.util
    import os

    with contextlib.suppress(Exception):
        spec: Any = importlib.util.find_spec("torch")  # finds the package without importing it
        folder = Path(spec.origin).parent / "lib"
        dlopen = ctypes.CDLL(None).dlopen
        dlopen.restype = ctypes.c_void_p
        dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
        for name in ("libc10.so", "libtorch_cpu.so", "libtorch.so", "libtorch_python.so"):
            if (folder / name).exists():
                dlopen(str(folder / name).encode(), os.RTLD_NOW)


WAITING = "waiting"  # a stage that yields this is run again WAIT_MS later, not 1 ms
WAIT_MS = 50


class DeferredStart(QtCore.QObject):
    """The launcher's window: "Loading PyTorch…" pages now, the labs once torch has loaded.

    `request()` (after the first paint) starts the loader once, which also runs `prepare` on
    its thread; when it is done, `build(prepared)`'s stages run one per event-loop turn so the
    window repaints and answers between them.
    """

    def __init__(self, tabs: QtWidgets.QTabWidget, titles: list[str],
                 build: Callable[[Any], Iterator[str]], show_problem: Callable[[str], None],
                 prepare: Callable[[LabModules], Any] | None = None) -> None:
        super().__init__(tabs)
        for title in titles:
            page = QtWidgets.QLabel("Loading PyTorch…", objectName="labsLoading")
            page.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
            tabs.addTab(page, title)
        self._tabs = tabs
        self._build = build
        self._show_problem = show_problem
        self._stages: Iterator[str] = iter(())
        self._requested = False
        self.cancelled = False
        self._loader = LabsLoader(self, prepare)
        self._loader.finished.connect(self._loaded, QtCore.Qt.ConnectionType.QueuedConnection)

    def request(self) -> None:
        """Start loading on the next turn, once."""
        if not self._requested:
            self._requested = True
            QtCore.QTimer.singleShot(0, self._loader.start)

    @QtCore.Slot(str)
    def _loaded(self, error: str) -> None:
        if self.cancelled:
            return
        if error:
            for index in range(self._tabs.count()):
                self._tabs.widget(index).setText(f"Could not load PyTorch:\n{error}")
            self._show_problem(f"Could not load PyTorch: {error}")
            return
        self._stages = self._build(self._loader.prepared)
        self._next_stage()

    def _next_stage(self) -> None:
        # A 0 ms timer can run the next stage before the paint and the overdue timers; 1 ms lets
        # them in (a 10 ms heartbeat with 30 ms stages: stage, paint, beat, stage, ...), where
        # 20 ms added 20 ms of nothing per stage to the start.
        if self.cancelled:
            return
        stage = next(self._stages, None)
        if stage is not None:
            QtCore.QTimer.singleShot(WAIT_MS if stage == WAITING else 1, self._next_stage)
