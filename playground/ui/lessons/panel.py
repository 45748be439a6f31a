"""The Lessons panel: pick a lesson, read a step, predict, Run step, compare with torch.

A thin view over the lesson data (core/lessons/format.py) and the runner (core/lessons/runner.py): Run step
sends the step's statements through `Workspace.run` and its setup through the TrainingSession,
so the labs update as if the learner had clicked. Where the learner is, and which steps they
have run, is kept in the QSettings handed in (`lessons/progress`).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.lessons.format import Lesson, Step, load_lessons
from playground.core.lessons.runner import (
    NotReady,
    Progress,
    StepOutcome,
    judge_answer,
    read_value,
    run_step,
    setup_code,
)
from playground.core.network.session import NetworkSession
from playground.core.tensorlab.workspace import Workspace
from playground.core.training.session import Run, TrainingSession
from playground.ui.tensor.code_panel import monospace_font

SETTINGS_KEY = "lessons/progress"


class LessonsPanel(QtWidgets.QWidget):
    """Lesson list, the current step, its predict-first question and Prev / Run step / Next."""

    # Which view a step wants on screen: "tensor", "graph" or "training".
    showRequested = QtCore.Signal(str)  # noqa: N815 (Qt naming)
    # A step ran (its StepOutcome), so the Tensor Lab can show torch's message too.
    stepRan = QtCore.Signal(object)  # noqa: N815 (Qt naming)

    def __init__(
        self,
        workspace: Workspace,
        session: TrainingSession | None,
        settings: QtCore.QSettings,
        folder: Path | None = None,
        parent: QtWidgets.QWidget | None = None,
        network: NetworkSession | None = None,
        lessons: tuple[list[Lesson], list[str]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("lessonsPanel")
        self._ws = workspace
        self._session = session
        self._network = network
        self._settings = settings
        self.before_step: Callable[[], None] = lambda: None  # the window builds a lab it drives
        # The shipped lessons unless told otherwise, or (lessons, errors) as load_lessons gave
        # them on the window's loader thread; a bad file is listed, never fatal.
        self.lessons, errors = lessons if lessons is not None else load_lessons(folder)
        self.progress = Progress.from_json(settings.value(SETTINGS_KEY), self.lessons)
        self._outcome: StepOutcome | None = None  # of the step on screen, once it ran
        self._pending: str | None = None  # the answer given, waiting for the value to exist
        self._build(errors)
        if session is not None:
            session.events.run_ended.connect(self._on_run_ended)
        if network is not None:
            network.events.run_ended.connect(self._on_run_ended)
        self._fill_list()
        start = self._index_of(self.progress.lesson)
        self._select_lesson(start if start is not None else 0, self.progress.step)

    # ----- public API -----------------------------------------------------------------------

    @property
    def lesson(self) -> Lesson | None:
        row = self.lesson_list.currentRow()
        return self.lessons[row] if 0 <= row < len(self.lessons) else None

    @property
    def step_index(self) -> int:
        return self.progress.step

    @property
    def step(self) -> Step | None:
        lesson = self.lesson
        return lesson.steps[self.progress.step] if lesson is not None else None

    @property
    def position(self) -> tuple[str | None, int]:
        """(lesson id, step index) on screen: what a saved session keeps; `go_to` restores it."""
        return self.progress.lesson, self.progress.step

    def go_to(self, lesson_id: str, step: int = 0) -> None:
        """Show step `step` of the lesson with id `lesson_id`."""
        index = self._index_of(lesson_id)
        if index is None:
            raise KeyError(f"No lesson {lesson_id!r}")
        self._select_lesson(index, step)

    def run_current_step(self) -> StepOutcome | None:
        """What Run step does: run the step through the labs' models and show what happened."""
        lesson, step = self.lesson, self.step
        if lesson is None or step is None:
            return None
        self.before_step()
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            outcome = run_step(lesson, self.progress.step, self._ws, self._session,
                               network=self._network)
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()
        self._outcome = outcome
        read = step.question.read if step.question is not None else None
        if read is not None and read.kind == "tensor" and read.name in self._ws.names:
            self._ws.current = read.name  # the Inspector shows what the question asks about
        if outcome.ok:
            self.progress.mark(lesson, self.progress.step)
            self._save()
            self._update_list_row(self.lesson_list.currentRow())
        self.showRequested.emit(step.view)
        self.stepRan.emit(outcome)
        self._show_outcome(step, outcome)
        if step.question is not None:
            answer = self._given_answer()
            self._pending = answer
            self._settle_question()
        self._update_buttons()
        return outcome

    def check_answer(self) -> None:
        """What Check does: run the step first if it has not run, then compare with torch."""
        self._pending = self._given_answer()
        if self._outcome is None:
            self.run_current_step()
        else:
            self._settle_question()

    # ----- construction --------------------------------------------------------------------

    def _build(self, errors: list[str]) -> None:
        self.lesson_list = QtWidgets.QListWidget(objectName="lessonList")
        self.lesson_list.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred,
                                       QtWidgets.QSizePolicy.Policy.Maximum)
        self.lesson_list.setMaximumHeight(8 * self.fontMetrics().height() + 8)
        self.lesson_list.setWordWrap(True)
        self.load_errors = QtWidgets.QLabel("\n".join(errors), objectName="lessonLoadErrors")
        self.load_errors.setWordWrap(True)
        self.load_errors.setVisible(bool(errors))
        self.load_errors.setStyleSheet("color: #c62828;")

        self.step_title = QtWidgets.QLabel(objectName="lessonStepTitle")
        self.step_title.setWordWrap(True)
        self.step_title.setTextFormat(QtCore.Qt.TextFormat.RichText)  # bold, yet zoom follows
        self.step_text = QtWidgets.QTextBrowser(objectName="lessonStepText")
        self.step_text.setOpenLinks(False)
        self.code_view = QtWidgets.QPlainTextEdit(objectName="lessonCode")
        self.code_view.setReadOnly(True)
        # Wrapped, and as tall as its wrapped lines: a long statement is read whole, not cut.
        self.code_view.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.code_view.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._code_fit: tuple[str, int, int] = ("", 0, 0)  # (text, width, lines) fitted last
        self.code_view.installEventFilter(self)  # a new width re-wraps it: fit its height again
        self.code_view.verticalScrollBar().rangeChanged.connect(
            lambda _low, high: high > 0 and self._fit_code_height())  # only ever to grow
        self.code_view.setToolTip("What Run step sends through the Tensor Lab's statement pipe.")

        self.question_box = QtWidgets.QGroupBox("Predict first", objectName="lessonQuestion")
        self.question_text = QtWidgets.QLabel(objectName="lessonQuestionText")
        self.question_text.setWordWrap(True)
        self.answer_edit = QtWidgets.QLineEdit(objectName="lessonAnswerEdit")
        self.answer_edit.setPlaceholderText("your answer, e.g. 0.5 or 1/2")
        self.answer_edit.setToolTip("Type what you expect torch to compute (a number or a "
                                    "fraction); Return checks it.")
        self.answer_edit.returnPressed.connect(self.check_answer)
        self.choice_box = QtWidgets.QWidget(objectName="lessonChoices")
        self.choice_layout = QtWidgets.QVBoxLayout(self.choice_box)
        self.choice_layout.setContentsMargins(0, 0, 0, 0)
        self.choice_group = QtWidgets.QButtonGroup(self)
        self.check_button = QtWidgets.QPushButton("Check", objectName="checkAnswerButton")
        self.check_button.setToolTip("Runs the step if it has not run yet, then compares your "
                                     "answer with the value torch computed.")
        self.check_button.clicked.connect(self.check_answer)
        self.verdict = QtWidgets.QLabel(objectName="lessonVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        q_layout = QtWidgets.QVBoxLayout(self.question_box)
        for part in (self.question_text, self.choice_box):
            q_layout.addWidget(part)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.answer_edit, 1)
        row.addWidget(self.check_button)
        q_layout.addLayout(row)
        q_layout.addWidget(self.verdict)
        self.result_view = QtWidgets.QTextBrowser(objectName="lessonResult")
        self.result_view.setPlaceholderText("What the step did appears here.")
        for view in (self.step_text, self.result_view):
            view.document().documentLayout().documentSizeChanged.connect(
                lambda _size: self._fit_text_heights())

        self.prev_button = QtWidgets.QPushButton("◀ Prev", objectName="prevStepButton")
        self.run_button = QtWidgets.QPushButton("Run step", objectName="runStepButton")
        self.next_button = QtWidgets.QPushButton("Next ▶", objectName="nextStepButton")
        self.run_button.setDefault(True)
        self.prev_button.setToolTip("The previous step (its statements do not run again).")
        self.next_button.setToolTip("The next step; after a lesson's last step, the next lesson.")
        self.run_button.setToolTip("Run the statements shown above through the Tensor Lab "
                                   "(or set up the Training Lab), as if you had typed them.")
        self.prev_button.clicked.connect(lambda: self._move(-1))
        self.next_button.clicked.connect(lambda: self._move(+1))
        self.run_button.clicked.connect(self.run_current_step)
        buttons = QtWidgets.QHBoxLayout()
        for button in (self.prev_button, self.run_button, self.next_button):
            buttons.addWidget(button)

        # The step scrolls as one page when the dock is short (720 px screens): its text, code,
        # choices and verdict keep their full height instead of being squashed to a sliver.
        page = QtWidgets.QWidget(objectName="lessonStepPage")
        page_layout = QtWidgets.QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        for part in (self.step_title, self.step_text, self.code_view, self.question_box,
                     self.result_view):
            page_layout.addWidget(part)
        page_layout.addStretch(1)
        self.step_scroll = QtWidgets.QScrollArea(objectName="lessonStepScroll")
        self.step_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.step_scroll.setWidgetResizable(True)
        self.step_scroll.setHorizontalScrollBarPolicy(
            QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # everything in it wraps
        self.step_scroll.setWidget(page)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.lesson_list)
        layout.addWidget(self.load_errors)
        layout.addWidget(self.step_scroll, 1)
        layout.addLayout(buttons)
        self.lesson_list.currentRowChanged.connect(self._on_row_changed)
        self._apply_fonts()

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.FontChange:  # View > Zoom
            self._apply_fonts()

    def _apply_fonts(self) -> None:
        self.code_view.setFont(monospace_font(self.font()))
        self.load_errors.setFont(self.font())  # style-sheeted: it keeps its font unless told
        self._fit_text_heights()
        self._fit_code_height()
        step = self.step if hasattr(self, "progress") else None
        if step is not None:  # Markdown's code spans keep the size they were made with
            self.step_text.setMarkdown(step.text)

    def _fit_text_heights(self) -> None:
        """The step's text and result as tall as their wrapped text (within readable bounds), so
        the question follows the text closely and the page scrolls when it all does not fit."""
        line = self.fontMetrics().lineSpacing()
        for view, least, most in ((self.step_text, 3, 16), (self.result_view, 2, 10)):
            document = view.document().documentLayout().documentSize().height()
            chrome = 2 * view.frameWidth() + 4
            height = int(min(max(document, least * line), most * line)) + chrome
            if view.minimumHeight() != height or view.maximumHeight() != height:
                view.setFixedHeight(height)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if watched is self.code_view and event.type() == QtCore.QEvent.Type.Resize:
            self._fit_code_height()
        return super().eventFilter(watched, event)

    def _fit_code_height(self) -> None:
        # Measured from the text, not the editor's lazy layout: every wrapped line in view.
        view = self.code_view
        metrics = QtGui.QFontMetrics(view.font())
        margin = int(view.document().documentMargin())
        width = max(view.viewport().width() - 2 * margin, metrics.averageCharWidth() * 8)
        flags = int(QtCore.Qt.TextFlag.TextWordWrap)
        lines = 0
        for text in view.toPlainText().split("\n"):
            box = metrics.boundingRect(QtCore.QRect(0, 0, width, 100_000), flags, text or " ")
            lines += max(1, round(box.height() / metrics.lineSpacing()))
        # The editor may break a long token where the measure above did not: its scroll range
        # (in lines) says how many more it holds. For the same text and width the box only
        # grows: shrinking back would bring the scroll range back, and with it this call.
        text, fitted_width, fitted_lines = self._code_fit
        if text == view.toPlainText() and fitted_width == width:
            lines = max(lines, fitted_lines)
        if (more := view.verticalScrollBar().maximum()) > 0:
            lines = max(lines, view.viewport().height() // metrics.lineSpacing() + more)
        self._code_fit = (view.toPlainText(), width, lines)
        chrome = 2 * view.frameWidth() + 2 * margin
        height = lines * metrics.lineSpacing() + chrome + 4
        if self.code_view.height() != height or self.code_view.minimumHeight() != height:
            self.code_view.setFixedHeight(height)

    # ----- list and steps ------------------------------------------------------------------

    def _index_of(self, lesson_id: str | None) -> int | None:
        for i, lesson in enumerate(self.lessons):
            if lesson.id == lesson_id:
                return i
        return None

    def _fill_list(self) -> None:
        for lesson in self.lessons:
            item = QtWidgets.QListWidgetItem()
            item.setToolTip(lesson.summary)
            self.lesson_list.addItem(item)
        for row in range(len(self.lessons)):
            self._update_list_row(row)

    def _update_list_row(self, row: int) -> None:
        item = self.lesson_list.item(row)
        if item is None:
            return
        lesson = self.lessons[row]
        if self.progress.completed(lesson):
            item.setText(f"✓ {lesson.title}")
        else:
            done = self.progress.steps_done(lesson)
            item.setText(f"{lesson.title}  ({done}/{len(lesson.steps)})" if done else lesson.title)

    def _select_lesson(self, row: int, step: int = 0) -> None:
        if not self.lessons:
            self._show_step()
            return
        self._next_step = step
        if self.lesson_list.currentRow() == row:
            self._on_row_changed(row)
        else:
            self.lesson_list.setCurrentRow(row)

    def _on_row_changed(self, row: int) -> None:
        if not 0 <= row < len(self.lessons):
            return
        lesson = self.lessons[row]
        step = getattr(self, "_next_step", None)
        self._next_step = None
        if step is None or not 0 <= step < len(lesson.steps):
            # A lesson picked from the list opens at its first step not yet run.
            done = self.progress.done.get(lesson.id, set())
            step = next((i for i in range(len(lesson.steps)) if i not in done), 0)
        self.progress.lesson = lesson.id
        self.progress.step = step
        self._save()
        self._show_step()

    def _move(self, delta: int) -> None:
        lesson = self.lesson
        if lesson is None:
            return
        step = self.progress.step + delta
        row = self.lesson_list.currentRow()
        if step >= len(lesson.steps) and row + 1 < len(self.lessons):
            self._select_lesson(row + 1, 0)
            return
        if step < 0 and row > 0:
            self._select_lesson(row - 1, len(self.lessons[row - 1].steps) - 1)
            return
        self.progress.step = max(0, min(step, len(lesson.steps) - 1))
        self._save()
        self._show_step()

    def _show_step(self) -> None:
        self._outcome = None
        self._pending = None
        lesson, step = self.lesson, self.step
        if lesson is None or step is None:
            self.step_title.setText("No lessons found.")
            self.step_text.setPlainText("")
            self._update_buttons()
            return
        index = self.progress.step
        self.step_title.setText(f"<b>{html.escape(lesson.title)}: step {index + 1} of "
                                f"{len(lesson.steps)} · {html.escape(step.title)}</b>")
        self.step_text.setMarkdown(step.text)
        self.code_view.setPlainText("\n".join(step.statements) or setup_code(step))
        self.code_view.setVisible(bool(step.statements or step.training))
        self._fit_code_height()
        self._show_question(step)
        ran = index in self.progress.done.get(lesson.id, set())
        self.result_view.setPlainText("You ran this step before; Run step runs it again."
                                      if ran else "")
        self._update_buttons()

    def _show_question(self, step: Step) -> None:
        question = step.question
        self.question_box.setVisible(question is not None)
        self.verdict.setText("")
        for button in self.choice_group.buttons():
            self.choice_group.removeButton(button)
            self.choice_layout.removeWidget(button)
            button.setParent(None)  # gone now, not at the next event-loop turn
            button.deleteLater()
        self.answer_edit.clear()
        if question is None:
            return
        self.question_text.setText(question.prompt)
        choice = question.kind == "choice"
        self.answer_edit.setVisible(not choice)
        self.choice_box.setVisible(choice)
        for i, text in enumerate(question.choices):
            button = QtWidgets.QRadioButton(text, objectName=f"lessonChoice{i}")
            button.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred,
                                 QtWidgets.QSizePolicy.Policy.Fixed)
            button.setToolTip("Pick what you expect, then Check or Run step.")
            self.choice_group.addButton(button, i)
            self.choice_layout.addWidget(button)

    def _update_buttons(self) -> None:
        lesson = self.lesson
        row = self.lesson_list.currentRow()
        has_step = lesson is not None
        self.run_button.setEnabled(has_step)
        self.prev_button.setEnabled(has_step and (self.progress.step > 0 or row > 0))
        last_lesson = row + 1 >= len(self.lessons)
        self.next_button.setEnabled(
            has_step and (self.progress.step + 1 < len(lesson.steps) or not last_lesson))

    # ----- outcomes and answers ---------------------------------------------------------------

    def _show_outcome(self, step: Step, outcome: StepOutcome) -> None:
        # torch's message first: it is what the step is about; housekeeping last.
        parts: list[str] = []
        if step.expect is not None:
            word = "error" if step.expect.level == "error" else "warning"
            if outcome.ok:
                parts.append(f"torch's {word}, as expected:\n{outcome.message}")
            else:
                parts.append(f"This step meant to show torch's {word} about "
                             f"“{step.expect.text}”, but got: {outcome.message}")
        elif not outcome.ok:
            parts.append(f"Unexpected: {outcome.message}")
        if step.instead:
            parts.append(f"What to do instead: {step.instead}")
        if step.training is not None and outcome.ok:
            started = " and started a run" if step.training.start else ""
            parts.append(f"Set up the Training Lab{started}.")
            if step.training.watch:
                parts.append(f"Watch: {step.training.watch}")
        if step.network is not None and outcome.ok:
            started = " and started a run" if step.network.start else ""
            parts.append(f"Set up the Network Lab{started}.")
            if step.network.watch:
                parts.append(f"Watch: {step.network.watch}")
        if step.statements:
            ran = sum(r.ok for r in outcome.results)
            parts.append(f"Ran {ran} of {len(step.statements)} statement(s) in the Tensor Lab.")
        if outcome.rebuilt:
            what = ("Started from a new workspace" if self.progress.step == 0
                    else "Set up the lesson's earlier steps first")
            parts.append(f"{what} (Edit > Restore Previous Session brings back what you had).")
        self.result_view.setPlainText("\n\n".join(parts))

    def _given_answer(self) -> str | None:
        step = self.step
        if step is None or step.question is None:
            return None
        if step.question.kind == "choice":
            button = self.choice_group.checkedButton()
            return button.text() if button is not None else None
        text = self.answer_edit.text().strip()
        return text or None

    def _settle_question(self) -> None:
        """Compare the answer given with torch's value, or reveal the value if none was given;
        wait for a training run to end when the value only exists then."""
        step = self.step
        if step is None or step.question is None or self._outcome is None:
            return
        question = step.question
        try:
            actual = read_value(question.read, self._ws, self._session, self._outcome,
                                self._network)
        except NotReady as exc:
            model = self._network if question.read.kind == "net" else self._session
            if question.read.needs_run_end and model is not None and model.is_running():
                self.verdict.setText("Checked when the run ends: watch it meanwhile.")
            else:
                self.verdict.setText(f"Cannot read {question.read_text}: {exc}")
            return
        verdict = judge_answer(question, self._pending, actual, question.read_text)
        if not verdict.settled:  # not a number: say the form, keep the question open
            self.verdict.setText(verdict.text)
            self.answer_edit.selectAll()
            self.answer_edit.setFocus()
            return
        self.verdict.setText(f"{verdict.text}\n{question.explanation}")

    def _on_run_ended(self, _run: Run) -> None:
        step = self.step
        if (self._outcome is not None and self._outcome.started_run and step is not None
                and step.question is not None and step.question.read.needs_run_end):
            self._settle_question()

    def _save(self) -> None:
        self._settings.setValue(SETTINGS_KEY, self.progress.to_json())
        self._settings.sync()
