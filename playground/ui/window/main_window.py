"""The main window: a shell holding one tab per lab, the lessons dock, menus and status bar.

It owns the Tensor Lab's `Workspace` and the Training Lab's `TrainingSession` and hands them to
the views; everything a menu does to tensors goes through that workspace's one pipe (`run`,
`undo`, `redo`, `reset`, `load`). The parts live beside it: start-up loading (`startup`), menus
(`menus`), open/save/export (`session_actions`), autosave and recovery (`autosave`), zoom,
theme and remembered settings (`view_settings`). Importing this module costs no torch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from playground import __version__
from playground.paths import resources_dir
from playground.ui.widgets.theme import ThemeMode, apply_theme
from playground.ui.widgets.wheel_guard import install_wheel_guard
from playground.ui.window.errors import SessionError
from playground.ui.window.startup import (
    WAITING,
    DeferredStart,
    LabModels,
    LabModules,
    Stepwise,
    load_lab_modules,
    loading_menus,
    prepare_models,
    put_lab,
)
from playground.ui.window.view_settings import ViewSettings

if TYPE_CHECKING:
    from playground.core.network.session import NetworkSession
    from playground.core.tensorlab.workspace import Workspace
    from playground.core.training.session import TrainingSession
    from playground.ui.lessons.dock import LessonsDock
    from playground.ui.network.lab import NetworkLab
    from playground.ui.tensor.lab import TensorLab
    from playground.ui.training.lab import TrainingLab
    from playground.ui.window.autosave import Autosaver, Recovery
    from playground.ui.window.commands import EditCommands
    from playground.ui.window.menus import Menus
    from playground.ui.window.navigation import LabTabs
    from playground.ui.window.session_actions import SessionActions

ICON_PATH = resources_dir() / "icon.svg"
LOADING_TITLES = ["Tensor Lab", "Training Lab", "Network Lab"]  # the tabs while torch loads
NETWORK_TAB = 2


class MainWindow(QtWidgets.QMainWindow):
    """Gradient Playground's window; `MainWindow()` opens the default state."""

    labsReady = QtCore.Signal()  # noqa: N815 (the labs exist: at once, or after a deferred load)

    def __init__(self, workspace: Workspace | None = None,
                 settings: QtCore.QSettings | None = None, *, load_default: bool = True,
                 restore_autosave: bool | None = None, autosave_dir: str | Path | None = None,
                 defer: bool = False) -> None:
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
        self.settings = settings or QtCore.QSettings("GradientPlayground", "Gradient Playground")
        self.view = ViewSettings(self.settings)
        self.tabs = QtWidgets.QTabWidget(objectName="labTabs")
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self.labs_ready = False
        # Filled in once the labs are built (at once, or after a deferred load).
        self.workspace: Workspace | None = None
        self.training_session: TrainingSession | None = None
        self.tensor_lab: TensorLab | None = None
        self.training_lab: TrainingLab | None = None
        self.network_session: NetworkSession | None = None
        self.network_lab: NetworkLab | None = None
        self.lessons_dock: LessonsDock | None = None
        self.menus: Menus | None = None
        self.sessions: SessionActions | None = None
        self.recovery: Recovery | None = None
        self.autosaver: Autosaver | None = None
        self.navigator: LabTabs | None = None
        self.commands: EditCommands | None = None
        self._deferred: DeferredStart | None = None
        self._labs: LabModules | None = None
        self._network_build: Stepwise | None = None  # the Network Lab's, once begun
        self._loading_menus: list[QtWidgets.QMenu] = []
        build = (workspace, load_default, restore_autosave, autosave_dir)
        if defer:
            self._load_in_background(build)
        else:
            for _stage in self._build_stages(*build):
                pass

    # ----- start-up --------------------------------------------------------------------------
    def _load_in_background(self, build: tuple) -> None:
        """The frame now (tabs saying so, Quit, saved geometry and theme); the labs later."""
        workspace, load_default = build[0], build[1]
        self._deferred = DeferredStart(
            self.tabs, LOADING_TITLES, lambda models: self._build_stages(*build, models=models),
            self.show_problem,
            prepare=lambda labs: prepare_models(labs, workspace, load_default))
        self._loading_menus = loading_menus(self)
        self.statusBar().showMessage("Loading PyTorch…")
        self.view.place(self)
        apply_theme(self.view.saved_theme())

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt override)
        super().paintEvent(event)
        if self._deferred is not None:  # after the first paint: torch must not delay the window
            self._deferred.request()

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._deferred is not None:  # in case no paint comes (minimized)
            QtCore.QTimer.singleShot(500, self._deferred.request)

    def _build_stages(self, workspace: Workspace | None, load_default: bool,
                      restore_autosave: bool | None, autosave_dir: str | Path | None, *,
                      models: LabModels | None = None) -> Iterator[str]:
        """The labs, the menus, settings and autosave: everything that needs torch, in steps.

        `models` were built on the loader thread (a deferred start), else they are built here.
        A deferred window is ready (`labsReady`) once the Tensor and Training Labs, the menus
        and the lessons are in; its Network Lab is built one step later, or at once when it is
        the lab to show or a session or lesson step needs it (`ensure_network_lab`)."""
        labs = load_lab_modules()
        self._labs = labs
        models = models or prepare_models(labs, workspace, load_default)
        self.workspace = models.workspace
        self.training_session = models.training_session
        self.network_session = models.network_session
        # Each lab is built in parts, one event-loop turn each, behind its loading page; it
        # takes its tab whole, in a turn of its own.
        tensor_lab = Stepwise(labs.TensorLab, self.workspace)
        while tensor_lab.step():
            yield "tensor lab: a part"
        self.tensor_lab = tensor_lab.built
        yield "tensor lab: whole"
        put_lab(self.tabs, 0, self.tensor_lab, LOADING_TITLES[0], labs.lab_tips[labs.Lab.TENSOR])
        yield "tensor lab"
        training_lab = Stepwise(labs.TrainingLab, self.training_session)
        while training_lab.step():
            yield "training lab: a part"
        self.training_lab = training_lab.built
        put_lab(self.tabs, 1, self.training_lab, LOADING_TITLES[1],
                labs.lab_tips[labs.Lab.TRAINING])
        yield "training lab"
        self.navigator = labs.LabTabs(self.tabs, self.tensor_lab, self.training_lab,
                                      build_lab=lambda _lab: self.ensure_network_lab())
        self.commands = labs.EditCommands(self.workspace, labs.seed_statement, self.navigator,
                                          self.training_lab, self.statusBar().showMessage)
        self.lessons_dock = labs.LessonsDock(self.workspace, self.training_session, self.navigator,
                                             self.settings, self,
                                             network_session=self.network_session,
                                             lessons=models.lessons)  # shown by install() below
        self.lessons_dock.panel.before_step = self.ensure_network_lab
        self.sessions = labs.SessionActions(
            self.workspace, self.training_session, self.tensor_lab, self.training_lab,
            self.lessons_dock.panel, self.navigator.shown_lab, self.navigator.show_lab,
            lambda path: self.menus.recent.add(path), network_session=self.network_session,
            before_apply=self.ensure_network_lab)
        yield "lessons and sessions"  # nothing on screen changed yet: the menus come next
        for menu in self._loading_menus:
            menu.deleteLater()
        self.menuBar().clear()
        self.menus = labs.Menus(self, self.settings, self.lessons_dock.toggleViewAction())
        self.statusBar().showMessage(f"Gradient Playground {__version__}: ready", 5000)
        self.workspace.changed.connect(self._sync_actions)
        self.tabs.currentChanged.connect(self._tab_changed)
        self._sync_actions()
        self.lessons_dock.install(self, self.tabs)
        self.view.follow(self.tensor_lab, self.training_lab, self.menus.check_theme)
        network_later = self._deferred is not None and self.view.saved_tab() != NETWORK_TAB
        if network_later:
            self.tabs.widget(NETWORK_TAB).setText("Loading the Network Lab…")
        else:
            self.ensure_network_lab()
        self._restore_settings()
        self.recovery = labs.Recovery(autosave_dir, self.sessions, self,
                                      self.show_problem)
        self.autosaver = self.recovery.autosaver
        self.recovery.watch(self.workspace, self.training_session, self.tabs,
                            self.lessons_dock.panel, self.network_session)
        self.recovery.start(restore_autosave)
        QtGui.QGuiApplication.styleHints().colorSchemeChanged.connect(
            self.view.follow_system_scheme)
        install_wheel_guard()  # the wheel scrolls the page; it edits only a focused value widget
        self.labs_ready = True
        self.labsReady.emit()
        if network_later:
            yield "ready"
            # torch's optimiser imports (a second or two on the Training Lab's warm-up thread)
            # hold the GIL in turns with this thread: the Network Lab is built after them.
            warm_up = labs.warm_up_in_background()
            while warm_up.is_alive() and self._network_build is None:
                yield WAITING
            if self._network_build is None:
                self._network_build = Stepwise(labs.NetworkLab, self.network_session)
            while self._network_build.step():  # done at once if an early need finished it
                yield "network lab: a part"
            self.ensure_network_lab()

    def ensure_network_lab(self) -> NetworkLab:
        """The Network Lab, built now if it was not yet (a deferred start builds it in parts
        after `labsReady`; showing its tab, opening a session or running a lesson step first
        finishes it at once)."""
        if self.network_lab is None:
            labs = self._labs
            if self._network_build is None:
                self._network_build = Stepwise(labs.NetworkLab, self.network_session)
            self.network_lab = self._network_build.finish()
            put_lab(self.tabs, NETWORK_TAB, self.network_lab, LOADING_TITLES[NETWORK_TAB],
                    labs.lab_tips[labs.Lab.NETWORK])
            self.navigator.add_lab(labs.Lab.NETWORK, self.network_lab)
            self.commands.add_network_lab(self.network_lab)
            self.sessions.add_network_lab(self.network_lab)
        return self.network_lab

    def _tab_changed(self, index: int) -> None:
        if index == NETWORK_TAB and self.network_lab is None:  # its tab before its turn
            self.ensure_network_lab()
        self._sync_actions()

    def _sync_actions(self, *_args: object) -> None:
        self.menus.sync(can_undo=self.workspace.can_undo, can_redo=self.workspace.can_redo,
                        can_restore=self.workspace.can_restore,
                        training=self.navigator.training_shown())

    def show_problem(self, text: str) -> None:
        """A refusal or failure: one line in the status bar, kept long enough to read."""
        self.statusBar().showMessage(" ".join(text.split()), 15000)

    # ----- File > New and the Edit menu (EditCommands) ------------------------------------
    def new_session(self) -> None:
        """File > New: an empty workspace holding only the seed statement, no training runs."""
        self.commands.new_session()

    def restore_previous(self) -> None:
        """Edit > Restore Previous Session: undo a File > New or Open in one step."""
        self.commands.restore_previous()

    def undo(self) -> None:
        """Edit > Undo: the Tensor Lab's last statement; the Tensor Lab comes on screen."""
        self.commands.undo()

    def redo(self) -> None:
        """Edit > Redo: the Tensor Lab's undone statement again, with the Tensor Lab shown."""
        self.commands.redo()

    def copy_code(self) -> None:
        """Edit > Copy Code: the lab on screen as code (statements or the training script)."""
        self.commands.copy_code()

    # ----- sessions: open, save, export (the failures are SessionErrors, shown here) ----------
    def perform(self, action: Callable[[], str], timeout_ms: int = 5000, *,
                title: str = "") -> bool:
        """Run a session action and show its line; a `SessionError` is shown as a problem (and
        in a message box titled `title` when a dialog asked). True when it worked."""
        try:
            done = action()
        except SessionError as exc:
            self.show_problem(str(exc))
            if title:
                QtWidgets.QMessageBox.warning(self, title, " ".join(str(exc).split()))
            return False
        self.statusBar().showMessage(done, timeout_ms)
        return True

    def open_session(self, path: str | Path) -> bool:
        """Replace the session with a saved one (both labs, the lab and lesson step); a bad
        file or a statement torch refuses leaves everything as it was, with a message."""
        return self.perform(lambda: self.sessions.open(path), 8000)

    def save_session(self, path: str | Path) -> bool:
        """Save the whole session atomically; a failed write leaves the old file whole and the
        session open and unchanged, and says why in the window."""
        return self.perform(lambda: self.sessions.save(path))

    def export_script(self, path: str | Path) -> bool:
        """Write the lab on screen as a plain script that prints the values the window shows."""
        return self.perform(lambda: self.sessions.export_script(path))

    def export_python(self, path: str | Path) -> bool:
        """File > Export > Whole session as a Python script: both labs as one plain script."""
        return self.perform(lambda: self.sessions.export_python(path))

    def export_notebook(self, path: str | Path) -> bool:
        """File > Export > Whole session as a Jupyter notebook: both labs as a .ipynb."""
        return self.perform(lambda: self.sessions.export_notebook(path))

    def session_document(self) -> dict:
        """The whole session as plain data, as Save writes it (autosave and tests use it)."""
        return self.sessions.document()

    # ----- autosave and recovery ----------------------------------------------------------------
    def restore_autosave(self) -> bool:
        """Open the newest session a crash left (what the banner's Restore does); the other
        leftovers are deleted once it has opened. False if there is none or it is bad."""
        return self.recovery.restore()

    def discard_autosave(self) -> None:
        """Delete the sessions a crash left (what the banner's Discard does)."""
        self.recovery.discard()

    # ----- view: zoom and theme ---------------------------------------------------------------
    @property
    def zoom(self) -> int:
        return self.view.zoom

    def set_zoom(self, steps: int) -> None:
        """Scale every font by ZOOM_STEP per step (View > Zoom In, Out, Reset)."""
        self.statusBar().showMessage(f"Zoom {self.view.set_zoom(steps)}%", 2000)

    @property
    def theme(self) -> ThemeMode:
        return self.view.theme

    def set_theme(self, mode: ThemeMode) -> None:
        """Switch between the system's scheme and a forced light or dark one."""
        self.view.set_theme(mode)

    def _restore_settings(self) -> None:
        if not self.isVisible():  # a deferred window was placed before it was shown
            self.view.place(self)  # fits the screen; a remembered size only if it fits
        zoom = self.view.saved_zoom()
        self.set_theme(self.view.saved_theme())
        if zoom:
            self.set_zoom(zoom)
        tab = self.view.saved_tab()
        if tab is not None:
            self.tabs.setCurrentIndex(tab)

    # ----- closing -------------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Stop every worker and wait for it; True when none is left running."""
        network_stopped = (self.network_lab.shutdown(timeout_ms) if self.network_lab is not None
                           else self.network_session.shutdown(timeout_ms / 1000))
        return self.training_lab.shutdown(timeout_ms) and network_stopped

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self._deferred is not None:
            self._deferred.cancelled = True
        if not self.labs_ready:  # closed while torch was still loading: nothing else to stop
            super().closeEvent(event)
            return
        self.shutdown()
        if not self.view.save(self, self.tabs.currentIndex()):
            self.statusBar().showMessage(
                f"Could not save the window settings to {self.settings.fileName()}.", 8000)
        self.autosaver.discard()  # a clean close: nothing to recover next time
        super().closeEvent(event)
