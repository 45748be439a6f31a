"""The main window: menus, status bar, theme and zoom, and one tab per lab.

It owns the Tensor Lab's `Workspace` and hands it to the view; everything a menu does to tensors
goes through that workspace's one pipe (`run`, `undo`, `redo`, `reset`, `load`).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from playground import __version__
from playground.paths import resources_dir
from playground.ui.widgets.theme import ThemeMode, apply_theme, is_dark
from playground.ui.widgets.wheel_guard import install_wheel_guard
from playground.ui.widgets.window_fit import place_window

_loaded = threading.Lock()


def load_lab_modules() -> None:
    """Import torch and every module that needs it (seconds on a cold start), once.

    They are module globals filled in here rather than imported at the top, so importing this
    module costs no torch: the launcher shows the window first and calls this on a thread.
    """
    global whole_session, bundled_examples, SUFFIX, SessionFile, read_session_file
    global session_document, write_session_file, TrainingSession, SEED_STATEMENT, Workspace
    global LessonsDock, Autosaver, RecentSessions, RestoreBanner, default_autosave_dir
    global orphaned_autosaves, TensorLab, TrainingLab, DEFAULT_STATEMENTS
    with _loaded:
        if "TrainingLab" in globals():
            return
        from playground.core.export import whole_session
        from playground.core.files.session_file import (
            SUFFIX,
            SessionFile,
            read_session_file,
            session_document,
            write_session_file,
        )
        from playground.core.files.statement_log import bundled_examples
        from playground.core.tensorlab.statements import DEFAULT_SESSION
        from playground.core.tensorlab.workspace import SEED_STATEMENT, Workspace
        from playground.core.training.session import TrainingSession
        from playground.ui.lessons.dock import LessonsDock
        from playground.ui.tensor.lab import TensorLab
        from playground.ui.window.autosave import (
            Autosaver,
            RecentSessions,
            RestoreBanner,
            default_autosave_dir,
            orphaned_autosaves,
        )

        # The notebook's first cell, so the window opens on a grad_fn chain worth clicking.
        DEFAULT_STATEMENTS = DEFAULT_SESSION
        from playground.ui.training.lab import TrainingLab  # last: the "loaded" marker


def __getattr__(name: str):
    """`main_window.Workspace` and friends from outside still work: they load on first use."""
    if name.startswith("__"):
        raise AttributeError(name)
    load_lab_modules()
    try:
        return globals()[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


ICON_PATH = resources_dir() / "icon.svg"
ZOOM_STEP = 1.15
ZOOM_LIMITS = (-4, 8)


class _LabsLoader(QtCore.QObject):
    """Runs `load_lab_modules` on a plain thread and reports on the GUI thread when done."""

    finished = QtCore.Signal(str)  # "" once loaded, else what went wrong
    started = False

    def start(self) -> None:
        threading.Thread(target=self._run, name="load-labs", daemon=True).start()

    def _run(self) -> None:
        try:
            _preload_torch_libraries()
            load_lab_modules()
            error = ""
        except Exception as exc:  # noqa: BLE001 (shown in the window, never a silent hang)
            error = f"{type(exc).__name__}: {exc}"
        with contextlib.suppress(RuntimeError):  # the window may be gone already
            self.finished.emit(error)


def _preload_torch_libraries() -> None:
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
        spec = importlib.util.find_spec("torch")  # finds the package without importing it
        folder = Path(spec.origin).parent / "lib"
        dlopen = ctypes.CDLL(None).dlopen
        dlopen.restype = ctypes.c_void_p
        dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
        for name in ("libc10.so", "libtorch_cpu.so", "libtorch.so", "libtorch_python.so"):
            if (folder / name).exists():
                dlopen(str(folder / name).encode(), os.RTLD_NOW)


class MainWindow(QtWidgets.QMainWindow):
    """Gradient Playground's window; `MainWindow()` opens the default state."""

    _base_point_size: float | None = None
    labsReady = QtCore.Signal()  # the labs exist: at once, or once a deferred load is done

    def __init__(
        self,
        workspace: Workspace | None = None,
        settings: QtCore.QSettings | None = None,
        *,
        load_default: bool = True,
        restore_autosave: bool | None = None,
        autosave_dir: str | Path | None = None,
        defer: bool = False,
    ) -> None:
        """`restore_autosave`: what to do with a session a crash left behind: None offers it
        in a banner (`autosaveBanner`), True restores it at once, False deletes it.
        `autosave_dir`: where autosaves go (default: the user's data folder).
        `defer` (the launcher's): return at once with "Loading PyTorch…" in the lab tabs; torch
        and the labs load on a thread and fill in later (`labs_ready`, `labsReady`)."""
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("Gradient Playground")
        if ICON_PATH.exists():  # absent only in a wheel install without the repo's resources/
            self.setWindowIcon(QtGui.QIcon(str(ICON_PATH)))
        self._settings = settings or QtCore.QSettings("GradientPlayground", "Gradient Playground")
        if MainWindow._base_point_size is None:
            # Captured once per process so zoom never compounds across windows.
            MainWindow._base_point_size = QtWidgets.QApplication.font().pointSizeF()
        self._zoom = 0
        self._theme = ThemeMode.SYSTEM
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setObjectName("labTabs")
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self.labs_ready = False
        self._closed = False
        build = (workspace, load_default, restore_autosave, autosave_dir)
        if defer:
            self._load_in_background(build)
        else:
            self._build_labs(*build)

    def _load_in_background(self, build: tuple) -> None:
        """The frame now (tabs saying so, Quit, saved geometry and theme); the labs later."""
        for title in ("Tensor Lab", "Training Lab"):
            page = QtWidgets.QLabel("Loading PyTorch…")
            page.setObjectName("labsLoading")
            page.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
            self.tabs.addTab(page, title)
        # Menus whose actions need the labs stay disabled until the labs exist.
        file_menu = self.menuBar().addMenu("&File")
        quit_action = file_menu.addAction("&Quit", self.close)
        quit_action.setShortcut(QtGui.QKeySequence.StandardKey.Quit)
        self._loading_menus = [file_menu]
        for title in ("&Edit", "&View", "&Help"):
            menu = self.menuBar().addMenu(title)
            menu.setEnabled(False)
            self._loading_menus.append(menu)
        self.statusBar().showMessage("Loading PyTorch…")
        geometry = self._settings.value("window/geometry")
        place_window(self, geometry if isinstance(geometry, (QtCore.QByteArray, bytes)) else None)
        with contextlib.suppress(ValueError):
            apply_theme(ThemeMode(str(self._settings.value("view/theme", "system"))))
        self._pending_build = build
        self._loader = _LabsLoader(self)
        self._loader.finished.connect(self._labs_loaded, QtCore.Qt.ConnectionType.QueuedConnection)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt override)
        super().paintEvent(event)
        self._start_loading()  # after the first paint: torch's import must not delay the window

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if getattr(self, "_loader", None) is not None:
            QtCore.QTimer.singleShot(500, self._start_loading)  # in case no paint comes (minimized)

    def _start_loading(self) -> None:
        loader = getattr(self, "_loader", None)
        if loader is not None and not loader.started:
            loader.started = True
            QtCore.QTimer.singleShot(0, loader.start)

    @QtCore.Slot(str)
    def _labs_loaded(self, error: str) -> None:
        if self._closed:
            return
        if error:
            for index in range(self.tabs.count()):
                self.tabs.widget(index).setText(f"Could not load PyTorch:\n{error}")
            self._show_problem(f"Could not load PyTorch: {error}")
            return
        self._stages = self._build_stages(*self._pending_build)
        self._next_stage()

    def _next_stage(self) -> None:
        # One stage per event-loop turn, so the window repaints and answers between them (a
        # 0 ms timer would run before the paint and the overdue timers; 20 ms lets them in).
        if self._closed:
            return
        if next(self._stages, None) is not None:
            QtCore.QTimer.singleShot(20, self._next_stage)

    def _build_labs(
        self,
        workspace: Workspace | None,
        load_default: bool,
        restore_autosave: bool | None,
        autosave_dir: str | Path | None,
    ) -> None:
        """Both labs, the menus, settings and autosave: everything that needs torch."""
        for _stage in self._build_stages(workspace, load_default, restore_autosave, autosave_dir):
            pass

    def _build_stages(
        self,
        workspace: Workspace | None,
        load_default: bool,
        restore_autosave: bool | None,
        autosave_dir: str | Path | None,
    ) -> Iterator[str]:
        """`_build_labs` in steps: a deferred window runs one per event-loop turn."""
        load_lab_modules()
        self.workspace = workspace or Workspace()
        if load_default and workspace is None:
            for statement in DEFAULT_STATEMENTS:
                self.workspace.run(statement)

        self.tensor_lab = TensorLab(self.workspace)
        self._put_lab(0, self.tensor_lab, "Tensor Lab")
        self.tabs.setTabToolTip(0, "Build tensors, derive new ones and watch autograd fill .grad.")
        yield "tensor lab"
        self.training_session = TrainingSession()
        self.training_lab = TrainingLab(self.training_session)
        self._put_lab(1, self.training_lab, "Training Lab")
        self.tabs.setTabToolTip(1, "Train the notebook's linear regression live on a worker thread.")
        yield "training lab"
        for menu in getattr(self, "_loading_menus", ()):
            menu.deleteLater()
        self.menuBar().clear()
        self.lessons_dock = LessonsDock(self, self._settings)  # beside the labs, on the right

        self._build_menus()
        self.statusBar().showMessage(f"Gradient Playground {__version__}: ready", 5000)
        self.workspace.changed.connect(self._sync_actions)
        self.tabs.currentChanged.connect(self._sync_actions)
        self._sync_actions()
        self.lessons_dock.install()
        self._restore_settings()
        self._setup_autosave(autosave_dir, restore_autosave)
        QtGui.QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_system_scheme)
        install_wheel_guard()  # the wheel scrolls the page; it edits only a focused value widget
        self.labs_ready = True
        self.labsReady.emit()

    def _put_lab(self, index: int, lab: QtWidgets.QWidget, title: str) -> None:
        """Tab `index` becomes `lab`, replacing a deferred window's "Loading PyTorch…" page."""
        placeholder = self.tabs.widget(index)
        current = self.tabs.currentIndex()
        self.tabs.insertTab(index, lab, title)
        if placeholder is not None:
            self.tabs.removeTab(index + 1)
            placeholder.deleteLater()
            self.tabs.setCurrentIndex(current)

    # ----- menus -------------------------------------------------------------------------
    def _action(
        self,
        menu: QtWidgets.QMenu,
        text: str,
        slot,
        shortcut: QtGui.QKeySequence | str | list | None = None,
        tip: str = "",
        name: str = "",
    ) -> QtGui.QAction:
        action = QtGui.QAction(text, self)
        if isinstance(shortcut, list):
            action.setShortcuts(shortcut)
        elif shortcut is not None:
            action.setShortcut(shortcut)
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        if name:
            action.setObjectName(name)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        Key = QtGui.QKeySequence
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&New", self.new_session, Key.StandardKey.New,
                     "Start again from an empty workspace seeded with torch.manual_seed(0).",
                     "actionNew")
        self._action(file_menu, "&Open Session…", self._open_session_dialog, Key.StandardKey.Open,
                     "Open a saved session: both labs, the lab and the lesson step.",
                     "actionOpen")
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.setObjectName("menuRecent")
        self.recent_menu.setToolTipsVisible(True)
        self.recent = RecentSessions(self.recent_menu, self._settings, self._open_recent)
        examples = file_menu.addMenu("Open &Example")
        examples.setObjectName("menuExamples")
        examples.setToolTipsVisible(True)
        for example in bundled_examples():
            self._action(examples, example.title,
                         lambda _=False, path=example.path: self.open_session(path),
                         tip=example.summary, name=f"actionExample_{example.path.stem}")
        examples.setEnabled(not examples.isEmpty())
        self.save_action = self._action(
            file_menu, "&Save Session…", self._save_session_dialog, Key.StandardKey.Save,
            "Save the whole session (both labs, their runs, the lab and the lesson step) as a "
            f"{SUFFIX} file you can reopen later.", "actionSave")
        file_menu.addSeparator()
        self.export_action = self._action(
            file_menu, "&Export Python Script…", self._export_script_dialog, "Ctrl+E",
            "Save the lab on screen as a plain PyTorch script that prints the same values.",
            "actionExportScript")
        self._action(file_menu, "Export Session as &Python…", self._export_python_dialog, None,
                     "Save both labs as one plain PyTorch script: the statements with their "
                     "grads, then the training loop.", "actionExportPy")
        self._action(file_menu, "Export Session as &Notebook…", self._export_notebook_dialog,
                     None, "Save both labs as a Jupyter notebook (.ipynb), a cell per step.",
                     "actionExportNotebook")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, Key.StandardKey.Quit, "Close the window.",
                     "actionQuit")

        edit_menu = bar.addMenu("&Edit")
        self.undo_action = self._action(
            edit_menu, "&Undo", self.undo, Key.StandardKey.Undo,
            "Undo the last statement by replaying the log without it.", "actionUndo")
        self.redo_action = self._action(
            edit_menu, "&Redo", self.redo, ["Ctrl+Shift+Z", Key(Key.StandardKey.Redo)],
            "Run the undone statement again.", "actionRedo")
        self.restore_action = self._action(
            edit_menu, "Restore &Previous Session", self.restore_previous, None,
            "Bring back the session that File > New or Open replaced.", "actionRestoreSession")
        edit_menu.addSeparator()
        self.copy_action = self._action(
            edit_menu, "&Copy Code", self.copy_code, "Ctrl+Shift+C",
            "Copy the lab on screen as runnable PyTorch code.", "actionCopyCode")

        view_menu = bar.addMenu("&View")
        self._action(view_menu, "Zoom &In", lambda: self.set_zoom(self._zoom + 1),
                     [Key("Ctrl+="), Key("Ctrl++"), Key(Key.StandardKey.ZoomIn)],
                     "Make every font bigger, for projecting in a classroom.", "actionZoomIn")
        self._action(view_menu, "Zoom &Out", lambda: self.set_zoom(self._zoom - 1),
                     [Key("Ctrl+-"), Key(Key.StandardKey.ZoomOut)],
                     "Make every font smaller.", "actionZoomOut")
        self._action(view_menu, "&Reset Zoom", lambda: self.set_zoom(0), "Ctrl+0",
                     "Go back to the system font size.", "actionZoomReset")
        view_menu.addSeparator()
        theme_menu = view_menu.addMenu("&Theme")
        group = QtGui.QActionGroup(self)
        self.theme_actions: dict[ThemeMode, QtGui.QAction] = {}
        for mode, label in ((ThemeMode.SYSTEM, "Follow &System"), (ThemeMode.LIGHT, "&Light"),
                            (ThemeMode.DARK, "&Dark")):
            act = self._action(theme_menu, label, lambda _=False, m=mode: self.set_theme(m),
                               tip=f"Use the {mode.value} colour scheme.",
                               name=f"actionTheme{mode.value.title()}")
            act.setCheckable(True)
            group.addAction(act)
            self.theme_actions[mode] = act
        view_menu.addSeparator()
        self._action(view_menu, "&Tensor Lab", lambda: self.tabs.setCurrentIndex(0), "Ctrl+1",
                     "Show the Tensor Lab.", "actionShowTensorLab")
        self._action(view_menu, "T&raining Lab", lambda: self.tabs.setCurrentIndex(1), "Ctrl+2",
                     "Show the Training Lab.", "actionShowTrainingLab")
        view_menu.addAction(self.lessons_dock.toggleViewAction())

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Quick Tour", self._show_tour, "F1",
                     "What to click first, and what each lab teaches.", "actionTour")
        self._action(help_menu, "&About Gradient Playground", self._show_about,
                     tip="Versions of Gradient Playground, PyTorch and Qt.", name="actionAbout")

    def _training_shown(self) -> bool:
        return self.tabs.currentWidget() is self.training_lab

    def _sync_actions(self, *_args) -> None:
        """Enable the actions and name the lab each acts on, so no menu acts out of sight."""
        self.undo_action.setEnabled(self.workspace.can_undo)
        self.redo_action.setEnabled(self.workspace.can_redo)
        self.restore_action.setEnabled(self.workspace.can_restore)
        training = self._training_shown()
        # Undo, Redo and sessions work on the Tensor Lab's statement log only: say so when the
        # Training Lab is on screen (and show the Tensor Lab when they act).
        suffix = " (Tensor Lab)" if training else ""
        self.undo_action.setText(f"&Undo{suffix}")
        self.redo_action.setText(f"&Redo{suffix}")
        self.save_action.setText("&Save Session…")  # a session holds both labs
        self.export_action.setText(
            "&Export Training Script…" if training else "&Export Python Script…")
        self.copy_action.setText("&Copy Training Script" if training else "&Copy Code")

    # ----- workspace commands ---------------------------------------------------------------
    def new_session(self) -> None:
        """File > New: an empty workspace holding only the seed statement."""
        self.workspace.reset()
        hint = " (Edit > Restore Previous Session brings the old one back)"
        self.statusBar().showMessage(
            f"New session: {SEED_STATEMENT}{hint if self.workspace.can_restore else ''}", 8000)

    def restore_previous(self) -> None:
        """Edit > Restore Previous Session: undo a File > New or Open in one step."""
        if self.workspace.restore_previous():
            self.statusBar().showMessage("Restored the previous session.", 5000)

    def undo(self) -> None:
        """Edit > Undo: the Tensor Lab's last statement; the Tensor Lab comes on screen."""
        if self.workspace.undo():
            self.tabs.setCurrentWidget(self.tensor_lab)
            self.statusBar().showMessage(
                "Tensor Lab: undone (replayed the log without the last entry).", 4000)

    def redo(self) -> None:
        """Edit > Redo: the Tensor Lab's undone statement again, with the Tensor Lab shown."""
        if self.workspace.redo():
            self.tabs.setCurrentWidget(self.tensor_lab)
            self.statusBar().showMessage("Tensor Lab: redone.", 4000)

    def open_session(self, path: str | Path) -> bool:
        """Replace the session with a saved one (both labs, the lab and lesson step); a bad
        file or a statement torch refuses leaves everything as it was, with a message."""
        try:
            state = read_session_file(path)
        except ValueError as exc:
            self._show_problem(str(exc))
            return False
        if not self._apply_session(state, path):
            return False
        self.recent.add(path)
        return True

    def _apply_session(self, state: SessionFile, path: str | Path, *, capped: bool = True
                       ) -> bool:
        # The statements are the only part that can still fail: replay them first, so a failure
        # leaves both labs untouched; the Training Lab's part was fully checked when read.
        replaced = len(self.workspace.log) > 1
        # A file from elsewhere is held to the load's work budget; the learner's own autosave not.
        result = (self.workspace.load(state.statements) if capped
                  else self.workspace.load(state.statements, work_budget=None))
        if not result.ok:
            text = result.messages[0].text if result.messages else "unknown error"
            self._show_problem(f"Could not replay {path}: {text}")
            return False
        if state.current is not None and state.current in self.workspace.names:
            self.workspace.current = state.current
        notes = []
        if state.training is not None:
            try:
                self.training_session.replace_with(state.training)
            except RuntimeError as exc:
                notes.append(f"the Training Lab was kept: {exc}")
        self.tabs.setCurrentWidget(self.training_lab if state.lab == "training"
                                   else self.tensor_lab)
        if state.lesson is not None and not self._set_lesson_position(state.lesson, state.step):
            notes.append(f"lesson {state.lesson!r} is not in this build")
        hint = " (Edit > Restore Previous Session brings back what you had)" if replaced else ""
        extra = f" ({'; '.join(notes)})" if notes else ""
        self.statusBar().showMessage(f"Opened {path}{extra}{hint}", 8000)
        return True

    def session_document(self) -> dict:
        """The whole session as plain data, as Save writes it (autosave and tests use it)."""
        lesson, step = self._lesson_position()
        lab = "training" if self._training_shown() else "tensor"
        return session_document(self.workspace.log, self.training_session,
                                current=self.workspace.current, lab=lab, lesson=lesson, step=step)

    def save_session(self, path: str | Path) -> bool:
        """Save the whole session atomically; a failed write leaves the old file whole and the
        session open and unchanged, and says why in the window."""
        try:
            write_session_file(path, self.session_document())
        except (OSError, ValueError) as exc:
            self._show_problem(_write_failure(path, exc))
            return False
        self.recent.add(path)
        self.statusBar().showMessage(f"Saved the session to {path}", 5000)
        return True

    def _lesson_position(self) -> tuple[str | None, int | None]:
        """The lesson and step open in the Lessons panel (None, None without one)."""
        panel = getattr(getattr(self, "lessons_dock", None), "panel", None)
        lesson, step = getattr(panel, "position", (None, None))  # the panel's get/set pair
        if lesson is None:
            return None, None
        return str(lesson), int(step)

    def _set_lesson_position(self, lesson_id: str, step: int | None) -> bool:
        panel = getattr(getattr(self, "lessons_dock", None), "panel", None)
        lessons = {lesson.id: lesson for lesson in getattr(panel, "lessons", [])}
        if lesson_id not in lessons:
            return False
        last = len(lessons[lesson_id].steps) - 1
        panel.go_to(lesson_id, min(max(step or 0, 0), max(last, 0)))
        return True

    def _show_problem(self, text: str) -> None:
        """A refusal or failure: one line in the status bar, kept long enough to read."""
        self.statusBar().showMessage(" ".join(text.split()), 15000)

    def copy_code(self) -> None:
        """Copy the lab on screen as code: the statement log, or the training run's script."""
        if self._training_shown():
            text = self.training_lab.script_text()
            what = "Training script"
        else:
            view = self.tensor_lab.findChild(QtWidgets.QPlainTextEdit, "codeView")
            text = view.toPlainText() if view is not None else self.workspace.to_script()
            what = "Tensor Lab code"
        QtWidgets.QApplication.clipboard().setText(text)
        self.statusBar().showMessage(f"{what} copied to the clipboard.", 3000)

    def export_script(self, path: str | Path) -> bool:
        """Write the lab on screen as a plain script that prints the values the window shows;
        a failed write is reported in the window (False) and keeps any old file whole."""
        try:
            if self._training_shown():
                self.training_lab.export_script(path)
                done = f"Exported the training run to {path}"
            else:
                self.tensor_lab.save_script(path)
                done = f"Exported the Tensor Lab's code to {path}"
        except (OSError, ValueError) as exc:
            self._show_problem(_write_failure(path, exc))
            return False
        self.statusBar().showMessage(done, 5000)
        return True

    def _lesson_note(self) -> whole_session.LessonNote | None:
        return whole_session.lesson_note(*self._lesson_position())

    def export_python(self, path: str | Path) -> bool:
        """File > Export Session as Python: both labs as one plain script (False on failure)."""
        try:
            text = whole_session.session_script(self.workspace, self.training_session,
                                                  self._lesson_note())
            whole_session.write_script(path, text)
        except (OSError, ValueError) as exc:
            self._show_problem(_write_failure(path, exc))
            return False
        self.statusBar().showMessage(f"Exported the session as a script to {path}", 5000)
        return True

    def export_notebook(self, path: str | Path) -> bool:
        """File > Export Session as Notebook: both labs as a .ipynb (False on failure)."""
        try:
            notebook = whole_session.session_notebook(self.workspace, self.training_session,
                                                        self._lesson_note())
            whole_session.write_notebook(path, notebook)
        except (OSError, ValueError) as exc:
            self._show_problem(_write_failure(path, exc))
            return False
        self.statusBar().showMessage(f"Exported the session as a notebook to {path}", 5000)
        return True

    def _save_with_dialog(self, title: str, suggested: str, file_filter: str, write) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, title, suggested, file_filter)
        if path and not write(path):  # the writers report in the status bar; repeat it here
            QtWidgets.QMessageBox.warning(self, title, self.statusBar().currentMessage())

    def _export_script_dialog(self) -> None:
        suggested = "training.py" if self._training_shown() else "session.py"
        self._save_with_dialog("Export Python Script", suggested, "Python scripts (*.py)",
                               self.export_script)

    def _export_python_dialog(self) -> None:
        self._save_with_dialog("Export Session as Python", "session.py", "Python scripts (*.py)",
                               self.export_python)

    def _export_notebook_dialog(self) -> None:
        self._save_with_dialog("Export Session as Notebook", "session.ipynb",
                               "Jupyter notebooks (*.ipynb)", self.export_notebook)

    def _open_session_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Open Session", "", f"Gradient Playground sessions (*{SUFFIX} *.json)")
        if path and not self.open_session(path):
            QtWidgets.QMessageBox.warning(self, "Open Session", self.statusBar().currentMessage())

    def _save_session_dialog(self) -> None:
        def save(path: str) -> bool:
            if not path.lower().endswith(".json"):
                path += SUFFIX
            return self.save_session(path)

        self._save_with_dialog("Save Session", f"session{SUFFIX}",
                               f"Gradient Playground sessions (*{SUFFIX} *.json)", save)

    def _open_recent(self, path: str) -> None:
        if not Path(path).exists():
            self.recent.remove(path)
            self._show_problem(f"{path} no longer exists; it was removed from Open Recent.")
            return
        self.open_session(path)

    # ----- autosave and recovery ----------------------------------------------------------------
    def _setup_autosave(self, directory: str | Path | None, restore: bool | None) -> None:
        folder = Path(directory) if directory is not None else default_autosave_dir()
        self.autosaver = Autosaver(folder, self.session_document, self)
        self.autosaver.failed.connect(self._show_problem)
        self.autosave_banner = RestoreBanner(self)
        self.addToolBar(QtCore.Qt.ToolBarArea.TopToolBarArea, self.autosave_banner)
        self.autosave_banner.restore_button.clicked.connect(self.restore_autosave)
        self.autosave_banner.discard_button.clicked.connect(self.discard_autosave)
        change = self.autosaver.schedule
        self.workspace.changed.connect(change)
        events = self.training_session.events
        for event in (events.setup_changed, events.run_started, events.run_ended,
                      events.runs_changed, events.speed_changed, events.replaced):
            event.connect(change)
        events.records_arrived.connect(
            lambda run, _first: self.autosaver.schedule_during_run(run.epochs_done))
        self.tabs.currentChanged.connect(change)
        panel = self.lessons_dock.panel
        for name in ("lessonList", "prevStepButton", "nextStepButton", "runStepButton"):
            widget = panel.findChild(QtWidgets.QWidget, name)
            signal = getattr(widget, "currentRowChanged", None) or getattr(widget, "clicked", None)
            if signal is not None:
                signal.connect(change)
        self._orphans = orphaned_autosaves(folder)
        if self._orphans:
            if restore is None:
                self.autosave_banner.offer(self._orphans[0])
            elif restore:
                self.restore_autosave()
            else:
                self.discard_autosave()

    def restore_autosave(self) -> bool:
        """Open the newest session a crash left (what the banner's Restore does); the other
        leftovers are deleted once it has opened. False if there is none or it is bad."""
        self.autosave_banner.hide()
        if not self._orphans:
            return False
        path = self._orphans[0]
        try:
            state = read_session_file(path)
        except ValueError as exc:
            self._show_problem(str(exc))
            return False
        if not self._apply_session(state, path, capped=False):
            return False
        self.discard_autosave()
        self.statusBar().showMessage("Restored the session autosaved before the last crash.",
                                     8000)
        self.autosaver.schedule()  # it now lives in this window's own autosave
        return True

    def discard_autosave(self) -> None:
        """Delete the sessions a crash left (what the banner's Discard does)."""
        self.autosave_banner.hide()
        for path in self._orphans:
            with contextlib.suppress(OSError):
                path.unlink()
        self._orphans = []

    # ----- view: zoom and theme ---------------------------------------------------------------
    @property
    def zoom(self) -> int:
        return self._zoom

    def set_zoom(self, steps: int) -> None:
        """Scale the application font by ZOOM_STEP per step; every widget follows it."""
        steps = max(ZOOM_LIMITS[0], min(ZOOM_LIMITS[1], steps))
        self._zoom = steps
        font = QtWidgets.QApplication.font()
        font.setPointSizeF(self._base_point_size * ZOOM_STEP**steps)
        QtWidgets.QApplication.setFont(font)
        for lab in (self.tensor_lab, self.training_lab):
            if hasattr(lab, "set_zoom"):
                lab.set_zoom(ZOOM_STEP**steps)
        self.statusBar().showMessage(f"Zoom {round(100 * ZOOM_STEP**steps)}%", 2000)

    @property
    def theme(self) -> ThemeMode:
        return self._theme

    def set_theme(self, mode: ThemeMode) -> None:
        """Switch between the system's scheme and a forced light or dark one."""
        self._theme = ThemeMode(mode)
        apply_theme(self._theme)
        if not hasattr(self, "theme_actions"):  # deferred: the labs take it once built
            return
        self.theme_actions[self._theme].setChecked(True)
        dark = is_dark(self._theme)
        self.tensor_lab.set_dark(dark)
        self.training_lab.set_dark(dark)

    def _on_system_scheme(self, *_args) -> None:
        if self._theme is ThemeMode.SYSTEM:
            self.set_theme(ThemeMode.SYSTEM)

    # ----- help ----------------------------------------------------------------------------------
    def _show_tour(self) -> None:
        QtWidgets.QMessageBox.information(
            self, "Quick Tour",
            "<p><b>Tensor Lab</b>: the window opens on the notebook's first example "
            "(x → y = x + 10 → z = y·y·y → w = z.mean()). Select <i>w</i> and press "
            "<b>Backward</b> (Ctrl+B): x.grad fills in. Press it again to watch gradients "
            "accumulate; <b>Zero grads</b> sets them back to 0.</p>"
            "<p>Create leaves with the form on the left, type any PyTorch statement in the "
            "statement line, or click the quick operations. The code panel is always a "
            "runnable script of what you did; Ctrl+Z undoes a step. File &gt; Open Example "
            "replays the notebook's other autograd cells.</p>"
            "<p><b>Training Lab</b>: press Start to fit w·x + b to the notebook's points. Drag "
            "the learning-rate slider while it trains and watch the loss curve bend.</p>")

    def _show_about(self) -> None:
        import torch  # already loaded by the workspace; imported here for its version only

        QtWidgets.QMessageBox.about(
            self, "About Gradient Playground",
            f"<p><b>Gradient Playground {__version__}</b></p>"
            "<p>Learn PyTorch autograd by clicking, with real PyTorch underneath.</p>"
            f"<p>PyTorch {torch.__version__} · Qt {QtCore.qVersion()}</p>")

    # ----- persistence -------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        geometry = self._settings.value("window/geometry")
        saved = geometry if isinstance(geometry, (QtCore.QByteArray, bytes)) else None
        if not self.isVisible():  # a deferred window was placed before it was shown
            place_window(self, saved)  # fits the screen; a remembered size only if it fits
        try:
            zoom = int(self._settings.value("view/zoom", 0))
        except (TypeError, ValueError):
            zoom = 0
        theme = str(self._settings.value("view/theme", ThemeMode.SYSTEM.value))
        try:
            self.set_theme(ThemeMode(theme))
        except ValueError:
            self.set_theme(ThemeMode.SYSTEM)
        if zoom:
            self.set_zoom(zoom)
        tab = self._settings.value("window/tab", 0)
        with contextlib.suppress(TypeError, ValueError):
            self.tabs.setCurrentIndex(int(tab))

    def _save_settings(self) -> None:
        self._settings.setValue("window/geometry", self.saveGeometry())
        self._settings.setValue("view/zoom", self._zoom)
        self._settings.setValue("view/theme", self._theme.value)
        self._settings.setValue("window/tab", self.tabs.currentIndex())
        self._settings.sync()  # QSettings writes through QSaveFile: atomic, and status says how
        if self._settings.status() != QtCore.QSettings.Status.NoError:
            self.statusBar().showMessage(
                f"Could not save the window settings to {self._settings.fileName()}.", 8000)

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Stop every worker and wait for it; True when none is left running."""
        return self.training_lab.shutdown(timeout_ms)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self._closed = True
        if not self.labs_ready:  # closed while torch was still loading: nothing else to stop
            super().closeEvent(event)
            return
        self.shutdown()
        self._save_settings()
        self.autosaver.discard()  # a clean close: nothing to recover next time
        super().closeEvent(event)


def _write_failure(path: str | Path, exc: Exception) -> str:
    """One line for a failed save or export, saying that nothing was lost."""
    if isinstance(exc, OSError):
        why = exc.strerror or str(exc)
        return (f"Could not save {path}: {why}. The session is still open and unchanged; "
                f"any existing file there was left as it was.")
    return str(exc)
