"""File > Open, Save and Export: the whole session read from and written to files.

Each action returns the line the window shows when it worked and raises a `SessionError`
(`OpenError`, `WriteError`) saying why when it did not; the window shows that text (status bar,
and a message box when a dialog asked). A failure changes nothing: a bad file or a statement
torch refuses leaves both labs as they were, and a failed write leaves any old file whole.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from playground.core.export import whole_session
from playground.core.files import atomic
from playground.core.files.session_file import (
    SessionFile,
    read_session_file,
    session_document,
    write_session_file,
)
from playground.core.labs import Lab
from playground.core.network import export as network_export
from playground.ui.window.errors import OpenError, SessionError, WriteError
from playground.ui.window.replay_progress import ReplayProgress

if TYPE_CHECKING:
    from playground.core.network.session import NetworkSession
    from playground.core.tensorlab.workspace import Workspace
    from playground.core.training.session import TrainingSession
    from playground.ui.lessons.panel import LessonsPanel
    from playground.ui.network.lab import NetworkLab
    from playground.ui.tensor.lab import TensorLab
    from playground.ui.training.lab import TrainingLab


__all__ = ["OpenError", "SessionActions", "SessionError", "WriteError"]


class SessionActions:
    """Open, save and export over the two labs and the lessons panel the window hands in."""

    def __init__(
        self,
        workspace: Workspace,
        training_session: TrainingSession,
        tensor_lab: TensorLab,
        training_lab: TrainingLab,
        lessons: LessonsPanel,
        shown_lab: Callable[[], Lab],
        show_lab: Callable[[Lab], None],
        remember: Callable[[str | Path], None],
        network_lab: NetworkLab | None = None,
        network_session: NetworkSession | None = None,
        before_apply: Callable[[], None] | None = None,
    ) -> None:
        """`shown_lab()` names the lab on screen; `show_lab` brings one forward; `remember`
        lists a file opened or saved in Open Recent; `network_lab` (with its session) is saved
        and opened too when given, or `network_session` alone while the lab is still to be
        built (`add_network_lab`); `before_apply()` runs before a session is put in place (the
        window builds its Network Lab then, so the lab shows the opened session)."""
        self.workspace = workspace
        self.training_session = training_session
        self.tensor_lab = tensor_lab
        self.training_lab = training_lab
        self.lessons = lessons
        self._shown_lab = shown_lab
        self._show_lab = show_lab
        self._remember = remember
        self.source: Path | None = None  # the session file last opened or saved: never exported over
        self.network_lab = network_lab
        self.network_session: NetworkSession | None = (
            network_session if network_lab is None else network_lab.session)
        self._before_apply = before_apply
        # Undo, Open and every other replay of the log run off the GUI thread, with Cancel.
        self.replay_progress = ReplayProgress(tensor_lab)
        self.replay_progress.install(workspace)

    def add_network_lab(self, network_lab: NetworkLab) -> None:
        """The Network Lab, built after the others, with the session handed in before."""
        self.network_lab = network_lab
        self.network_session = network_lab.session

    # ----- reading ---------------------------------------------------------------------------
    def read(self, path: str | Path) -> SessionFile:
        """The session file at `path`, checked whole before anything is replaced."""
        try:
            return read_session_file(path)
        except ValueError as exc:
            raise OpenError(str(exc)) from exc

    def open(self, path: str | Path) -> str:
        """Replace the session with the saved one at `path` (both labs, the lab, the step)."""
        done = self.apply(self.read(path), path)
        self._remember(path)
        self.source = Path(path)
        return done

    def apply(self, state: SessionFile, path: str | Path, *, capped: bool = True) -> str:
        """Replace the session with `state`; `capped=False` skips the load's work budget (the
        learner's own autosave), a file from elsewhere is held to it."""
        if self._before_apply is not None:
            self._before_apply()
        # The statements are the only part that can still fail: replay them first, so a failure
        # leaves both labs untouched; the Training Lab's part was fully checked when read.
        replaced = len(self.workspace.log) > 1
        result = (self.workspace.load(state.statements) if capped
                  else self.workspace.load(state.statements, work_budget=None))
        if not result.ok:
            text = result.messages[0].text if result.messages else "unknown error"
            raise OpenError(f"Could not replay {path}: {text}")
        if state.current is not None and state.current in self.workspace.names:
            self.workspace.current = state.current
        notes = []
        if state.training is not None:
            try:
                self.training_session.replace_with(state.training)
            except RuntimeError as exc:
                notes.append(f"the Training Lab was kept: {exc}")
        if state.network is not None and self.network_session is not None:
            try:
                self.network_session.replace_with(state.network)
            except RuntimeError as exc:
                notes.append(f"the Network Lab was kept: {exc}")
        shown = Lab(state.lab) if state.lab in (Lab.TRAINING, Lab.NETWORK) else Lab.TENSOR
        if shown is Lab.NETWORK and self.network_session is None:
            shown = Lab.TENSOR
        self._show_lab(shown)
        if state.lesson is not None and not self._set_lesson_position(state.lesson, state.step):
            notes.append(f"lesson {state.lesson!r} is not in this build")
        hint = " (Edit > Restore Previous Session brings back what you had)" if replaced else ""
        extra = f" ({'; '.join(notes)})" if notes else ""
        return f"Opened {path}{extra}{hint}"

    # ----- writing ---------------------------------------------------------------------------
    def document(self) -> dict:
        """The whole session as plain data, as Save writes it (autosave and tests use it)."""
        lesson, step = self._lesson_position()
        return session_document(self.workspace.log, self.training_session,
                                current=self.workspace.current, lab=self._shown_lab(),
                                lesson=lesson, step=step, network=self.network_session)

    def save(self, path: str | Path) -> str:
        """Save the whole session atomically."""
        with _writing(path):
            write_session_file(path, self.document())
        self._remember(path)
        self.source = Path(path)
        return f"Saved the session to {path}"

    def export_script(self, path: str | Path) -> str:
        """Write the lab on screen as a plain script that prints the values the window shows."""
        with _writing(path):
            self._not_the_session(path)
            if self._shown_lab() is Lab.TRAINING:
                self.training_lab.export_script(path)
                return f"Exported the training run to {path}"
            if self._shown_lab() is Lab.NETWORK and self.network_lab is not None:
                self.network_lab.export_script(path)
                return f"Exported the Network Lab's run to {path}"
            self.tensor_lab.save_script(path)
            return f"Exported the Tensor Lab's code to {path}"

    def export_python(self, path: str | Path) -> str:
        """Both labs as one plain script."""
        with _writing(path):
            self._not_the_session(path)
            text = whole_session.to_script(self.workspace, self.training_session,
                                                self._lesson_note())
            if self.network_session is not None and network_export.in_use(self.network_session):
                text += "\n\n" + network_export.session_part(self.network_session,
                                                             self._hidden_builtins())
            whole_session.write_script(path, text)
        return f"Exported the session as a script to {path}"

    def export_notebook(self, path: str | Path) -> str:
        """Both labs as a Jupyter notebook."""
        with _writing(path):
            self._not_the_session(path)
            notebook = whole_session.to_notebook(self.workspace, self.training_session,
                                                      self._lesson_note())
            if self.network_session is not None and network_export.in_use(self.network_session):
                notebook.cells.extend(network_export.notebook_cells(self.network_session,
                                                                    self._hidden_builtins()))
            whole_session.write_notebook(path, notebook)
        return f"Exported the session as a notebook to {path}"

    def export_loss_csv(self, path: str | Path) -> str:
        """The training run's records as CSV columns (epoch, loss, lr, w, b)."""
        with _writing(path):
            self._not_the_session(path)
            self.training_lab.export_loss_csv(path)
        return f"Exported the training run's losses to {path}"

    def export_loss_png(self, path: str | Path) -> str:
        """The loss plot as a PNG picture."""
        with _writing(path):
            self._not_the_session(path)
            self.training_lab.export_loss_png(path)
        return f"Exported the loss plot to {path}"

    def _hidden_builtins(self) -> list[str]:
        """Python's names (range, len, ...) that a Tensor Lab tensor took, to give back."""
        return sorted(name for name in self.workspace.names if name in vars(builtins))

    def _not_the_session(self, path: str | Path) -> None:
        # An export over the session file it came from would destroy the session.
        atomic.check_target(path, [self.source] if self.source is not None else [])

    # ----- the lesson step ---------------------------------------------------------------------
    def _lesson_note(self) -> whole_session.LessonNote | None:
        return whole_session.lesson_note(*self._lesson_position())

    def _lesson_position(self) -> tuple[str | None, int | None]:
        lesson, step = self.lessons.position
        if lesson is None:
            return None, None
        return str(lesson), int(step)

    def _set_lesson_position(self, lesson_id: str, step: int | None) -> bool:
        lessons = {lesson.id: lesson for lesson in self.lessons.lessons}
        if lesson_id not in lessons:
            return False
        last = len(lessons[lesson_id].steps) - 1
        self.lessons.go_to(lesson_id, min(max(step or 0, 0), max(last, 0)))
        return True


class _writing:
    """Turns a failed write into a `WriteError` that says nothing was lost."""

    def __init__(self, path: str | Path) -> None:
        self._path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, _tb: object) -> bool:
        if isinstance(exc, atomic.TargetRefused):  # already names the file and says why
            raise WriteError(f"{exc} The session is still open and unchanged.") from exc
        if isinstance(exc, OSError):
            why = exc.strerror or str(exc)
            raise WriteError(
                f"Could not save {self._path}: {why}. The session is still open and unchanged; "
                f"any existing file there was left as it was.") from exc
        if isinstance(exc, ValueError):
            raise WriteError(str(exc)) from exc
        return False
