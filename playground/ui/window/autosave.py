"""Autosave and recovery, File > Open Recent, and the restore banner, for the main window.

Autosave: a few seconds after the last change (a restarted single-shot QTimer: a debounce) the
window's whole session is written atomically to `autosave-<pid>-<n>.gradplay.json` in the
user's data folder (QStandardPaths.AppDataLocation). A clean close deletes it, so a file whose
process is no longer running was left by a crash or a kill: the next window offers it back.
The pid in the name keeps two running copies of the app from taking each other's file.
A save killed mid-write leaves its temporary (`.gp-<pid>-<random>.tmp.json`, as big as the
session); the next start deletes those whose process is gone.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets

from playground.core.files import atomic
from playground.core.files.session_file import SUFFIX, write_session_file
from playground.ui.widgets.qt_parts import qt_part
from playground.ui.window.errors import SessionError

if TYPE_CHECKING:
    from playground.core.network.session import NetworkSession
    from playground.core.tensorlab.workspace import Workspace
    from playground.core.training.run import Run
    from playground.core.training.session import TrainingSession
    from playground.ui.lessons.panel import LessonsPanel
    from playground.ui.window.session_actions import SessionActions

AUTOSAVE_DELAY_MS = 3000
# While a run trains, its records arrive many times a second: save it every RUN_INTERVAL_MS
# (not postponed by each batch), and only while short, since a save costs the GUI thread about
# 8 ms per 1,000 records. The run's end is always saved.
RUN_INTERVAL_MS = 15_000
RUN_RECORDS_LIMIT = 5_000
AUTOSAVE_PREFIX = "autosave-"
RECENT_KEY = "sessions/recent"
MAX_RECENT = 8
_window_numbers = itertools.count()


def default_autosave_dir() -> Path:
    """The user's data folder for this app (XDG_DATA_HOME on Linux)."""
    location = QtCore.QStandardPaths.writableLocation(
        QtCore.QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location or QtCore.QDir.tempPath()) / "autosave"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, but someone else's
    return True


def orphaned_autosaves(directory: Path) -> list[Path]:
    """Autosave files whose process is gone (a crash or a kill), newest first."""
    found = []
    try:
        candidates = list(directory.glob(f"{AUTOSAVE_PREFIX}*{SUFFIX}"))
    except OSError:
        return []
    for path in candidates:
        pid_text = path.name[len(AUTOSAVE_PREFIX):].split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid() or _pid_alive(int(pid_text)):
            continue
        try:
            found.append((path.stat().st_mtime, path))
        except OSError:
            continue
    return [path for _mtime, path in sorted(found, reverse=True)]


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Delete the temporaries saves killed mid-write left in `directory` (their process is
    gone), and return them: each can be as big as a whole session, and nothing else would."""
    stale = atomic.stale_temporaries(directory, _pid_alive)
    with contextlib.suppress(OSError):  # temporaries of builds before the short names
        for path in directory.glob(f".{AUTOSAVE_PREFIX}*.tmp*"):
            pid_text = path.name[len(AUTOSAVE_PREFIX) + 1:].split("-", 1)[0]
            if pid_text.isdigit() and int(pid_text) != os.getpid() and \
                    not _pid_alive(int(pid_text)):
                stale.append(path)
    removed = []
    for path in stale:
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


class Autosaver(QtCore.QObject):
    """Writes `document()` to this window's autosave file, debounced; `discard()` on close."""

    saved = QtCore.Signal(str)  # the autosave file, after each successful write
    failed = QtCore.Signal(str)  # why a write failed (the window shows it once)

    def __init__(self, directory: Path, document: Callable[[], dict],
                 parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.directory = Path(directory)
        self.path = self.directory / f"{AUTOSAVE_PREFIX}{os.getpid()}-{next(_window_numbers)}{SUFFIX}"
        self._document = document
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_DELAY_MS)
        self._timer.timeout.connect(self.save_now)
        self._reported = False
        self.enabled = True

    def schedule(self, *_args: object) -> None:
        """A change happened: write once nothing has changed for AUTOSAVE_DELAY_MS."""
        if self.enabled:
            self._timer.start(AUTOSAVE_DELAY_MS)  # restarting the single shot: the debounce

    def schedule_during_run(self, records: int) -> None:
        """Records arrived: save within RUN_INTERVAL_MS unless a save is already due."""
        if self.enabled and records <= RUN_RECORDS_LIMIT and not self._timer.isActive():
            self._timer.start(RUN_INTERVAL_MS)

    def pending(self) -> bool:
        return self._timer.isActive()

    @QtCore.Slot()
    def save_now(self) -> bool:
        """Write the autosave at once; False (and `failed`) if it could not be written."""
        self._timer.stop()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_session_file(self.path, self._document())
        except (OSError, ValueError) as exc:
            if not self._reported:  # once per window: a full disk must not spam the status bar
                self._reported = True
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                self.failed.emit(f"Autosave to {self.path} failed: {why}")
            return False
        self._reported = False
        self.saved.emit(str(self.path))
        return True

    def discard(self) -> None:
        """A clean close: stop the timer and delete this window's autosave."""
        self.enabled = False
        self._timer.stop()
        with contextlib.suppress(OSError):  # read-only data folder: next start offers it back
            self.path.unlink(missing_ok=True)


class RestoreBanner(QtWidgets.QToolBar):
    """A non-modal bar above the labs: "restore the session a crash left?" (objectName
    `autosaveBanner`; buttons `autosaveRestoreButton`, `autosaveDiscardButton`)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Recovered session", parent)
        self.setObjectName("autosaveBanner")
        self.setMovable(False)
        self.setFloatable(False)
        self.toggleViewAction().setVisible(False)  # not a toolbar the user lists or hides
        self.text = QtWidgets.QLabel(objectName="autosaveBannerText")
        self.text.setWordWrap(True)
        self.restore_button = QtWidgets.QPushButton("Restore", objectName="autosaveRestoreButton")
        self.restore_button.setToolTip("Open the autosaved session in place of this one.")
        self.discard_button = QtWidgets.QPushButton("Discard", objectName="autosaveDiscardButton")
        self.discard_button.setToolTip("Delete the autosaved session and keep this one.")
        box = QtWidgets.QWidget()
        layout = QtWidgets.QHBoxLayout(box)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.restore_button)
        layout.addWidget(self.discard_button)
        self.addWidget(box)
        extension = qt_part(self, QtWidgets.QToolButton, "qt_toolbar_ext_button")
        if extension is not None:  # Qt's overflow arrow, shown only when the window is narrow
            extension.setToolTip("Show the rest of the recovery bar.")
        self.hide()

    def offer(self, path: Path) -> None:
        stamp = QtCore.QDateTime.fromSecsSinceEpoch(int(path.stat().st_mtime)).toString(
            "yyyy-MM-dd hh:mm") if path.exists() else "earlier"
        self.text.setText(f"Gradient Playground did not close cleanly last time. Restore the "
                          f"session autosaved at {stamp}?")
        self.text.setToolTip(str(path))
        self.show()


class Recovery(QtCore.QObject):
    """This window's autosave, and the sessions earlier crashes left behind (`orphans`).

    Every change to the session (either lab, the tab, the lesson step) schedules an autosave.
    `restore()` reopens the newest leftover (what the banner's Restore does), `discard()`
    deletes them all (its Discard).
    """

    def __init__(self, directory: str | Path | None, sessions: SessionActions,
                 window: QtWidgets.QMainWindow, problem: Callable[[str], None]) -> None:
        """`problem` shows why a restore or an autosave failed."""
        super().__init__(window)
        directory = Path(directory) if directory is not None else default_autosave_dir()
        self.autosaver = Autosaver(directory, sessions.document, self)
        self.autosaver.failed.connect(problem)
        self.banner = RestoreBanner(window)
        window.addToolBar(QtCore.Qt.ToolBarArea.TopToolBarArea, self.banner)
        self.banner.restore_button.clicked.connect(self.restore)
        self.banner.discard_button.clicked.connect(self.discard)
        self._sessions = sessions
        self._say = window.statusBar().showMessage
        self._problem = problem
        remove_stale_temporaries(directory)
        self.orphans = orphaned_autosaves(directory)

    def start(self, restore: bool | None) -> None:
        """What to do with a leftover: None offers it in the banner, True restores it at
        once, False deletes it."""
        if not self.orphans:
            return
        if restore is None:
            self.banner.offer(self.orphans[0])
        elif restore:
            self.restore()
        else:
            self.discard()

    def watch(self, workspace: Workspace, training: TrainingSession,
              tabs: QtWidgets.QTabWidget, lessons: LessonsPanel,
              network: NetworkSession | None = None) -> None:
        """Autosave after every change these make."""
        change = self.autosaver.schedule
        workspace.changed.connect(change)
        if network is not None:
            for event in (network.events.setup_changed, network.events.run_started,
                          network.events.run_ended, network.events.speed_changed,
                          network.events.replaced):
                event.connect(change)
        events = training.events
        for event in (events.setup_changed, events.run_started, events.run_ended,
                      events.runs_changed, events.speed_changed, events.replaced):
            event.connect(change)
        events.records_arrived.connect(self._records_arrived)
        tabs.currentChanged.connect(change)
        lessons.lesson_list.currentRowChanged.connect(change)
        for button in (lessons.prev_button, lessons.next_button, lessons.run_button):
            button.clicked.connect(change)

    def _records_arrived(self, run: Run, _first: int) -> None:
        self.autosaver.schedule_during_run(run.epochs_done)

    def restore(self) -> bool:
        """Open the newest leftover, then delete the others; False if there is none or it is
        bad (then the leftovers stay and the window says why)."""
        self.banner.hide()
        if not self.orphans:
            return False
        path = self.orphans[0]
        try:  # the learner's own autosave is not held to the load's work budget
            self._sessions.apply(self._sessions.read(path), path, capped=False)
        except SessionError as exc:
            self._problem(str(exc))
            return False
        self.discard()
        self._say("Restored the session autosaved before the last crash.", 8000)
        self.autosaver.schedule()  # it now lives in this window's own autosave
        return True

    def discard(self) -> None:
        """Delete the sessions a crash left."""
        self.banner.hide()
        for path in self.orphans:
            with contextlib.suppress(OSError):
                path.unlink()
        self.orphans = []


class RecentSessions:
    """File > Open Recent (`menuRecent`): up to MAX_RECENT paths kept in QSettings."""

    def __init__(self, menu: QtWidgets.QMenu, settings: QtCore.QSettings,
                 open_path: Callable[[str], object]) -> None:
        self.menu = menu
        self._settings = settings
        self._open_path = open_path
        self.menu.aboutToShow.connect(self.rebuild)
        self.rebuild()

    def paths(self) -> list[str]:
        value = self._settings.value(RECENT_KEY, [])
        if isinstance(value, str):  # an ini file gives a one-item list back as a string
            value = [value] if value else []
        if not isinstance(value, (list, tuple)):
            return []
        return [str(p) for p in value if isinstance(p, str) and p][:MAX_RECENT]

    def add(self, path: str | Path) -> None:
        text = str(Path(path).absolute())
        paths = [text, *[p for p in self.paths() if p != text]][:MAX_RECENT]
        self._store(paths)

    def remove(self, path: str) -> None:
        self._store([p for p in self.paths() if p != path])

    def clear(self) -> None:
        self._store([])

    def _store(self, paths: list[str]) -> None:
        self._settings.setValue(RECENT_KEY, paths)
        self.rebuild()

    def rebuild(self) -> None:
        self.menu.clear()
        paths = self.paths()
        for i, path in enumerate(paths):
            action = self.menu.addAction(f"&{i + 1} {Path(path).name}")
            action.setObjectName(f"actionRecent{i}")
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self._open_path(p))
        if paths:
            self.menu.addSeparator()
        clear = self.menu.addAction("&Clear Menu")
        clear.setObjectName("actionClearRecent")
        clear.setEnabled(bool(paths))
        clear.triggered.connect(self.clear)
