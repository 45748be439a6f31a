"""The Training Lab's readouts row, its notebook log, its divergence banner and error message.

Each readout value is its own QLabel holding only a number (captions are separate labels): its
text() is exact (float() gives back the value torch holds), and it paints the short float32 form.
A caption under them says which parameters they are (the start, or after which epoch), and
`predictionsLabel` shows the notebook's `print(y_predicted)`.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.training.session import Readout
from playground.ui.widgets.messages import strip_palette
from playground.ui.widgets.number_text import ExactNumberLabel

LOG_MAX_LINES = 20_000  # the window keeps the newest lines; Copy takes the whole log
FLUSH_RECORDS = 2_000  # a hidden log is written every this many records (400 lines)

READOUTS = (
    ("epochLabel", "epoch", "The epoch just trained, counted from 0 like the notebook's loop."),
    ("lossLabel", "loss", "The loss of that epoch, computed before its update (as the notebook "
                          "prints it)."),
    ("wLabel", "w", "The weight w after the update: the slope of the fitted line."),
    ("bLabel", "b", "The bias b after the update: where the fitted line crosses x = 0."),
    ("wGradLabel", "∂L/∂w", "w.grad: how fast the loss rises as w grows; the step moves against "
                            "it."),
    ("bGradLabel", "∂L/∂b", "b.grad: how fast the loss rises as b grows; the step moves against "
                            "it."),
)

# (background, text) for light and dark themes.


def _fixed_digits_font() -> QtGui.QFont:
    # Only the family is set, so the size still follows the application font (View > zoom).
    font = QtGui.QFont()
    font.setFamilies([QtGui.QFontDatabase.systemFont(
        QtGui.QFontDatabase.SystemFont.FixedFont).family()])
    return font


class Readouts(QtWidgets.QWidget):
    """epoch, loss, w, b, w.grad, b.grad and the log-y switch; `progress` is placed by the lab."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(4, 0, 4, 0)
        grid.setVerticalSpacing(2)
        self.values: dict[str, ExactNumberLabel] = {}
        digits = _fixed_digits_font()
        # Pairs stacked in columns: (epoch, loss), (w, b), (w.grad, b.grad).
        for i, (name, caption, tip) in enumerate(READOUTS):
            cap = QtWidgets.QLabel(caption)
            cap.setToolTip(tip)
            cap.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight
                             | QtCore.Qt.AlignmentFlag.AlignVCenter)
            value = ExactNumberLabel()
            value.setObjectName(name)
            value.setFont(digits)
            value.setToolTip(tip)
            row, column = i % 2, 2 * (i // 2)
            grid.addWidget(cap, row, column)
            grid.addWidget(value, row, column + 1)
            self.values[name] = value
        for column in (1, 3):
            grid.setColumnMinimumWidth(column + 1, 4 * self.fontMetrics().averageCharWidth())
        grid.setColumnStretch(6, 1)  # the spare width goes between the numbers and the switch
        self.log_y_check = QtWidgets.QCheckBox("Log loss axis")
        self.log_y_check.setObjectName("logYCheck")
        self.log_y_check.setToolTip(
            "Plot the loss on a log scale: a steady exponential decrease becomes a straight line.")
        grid.addWidget(self.log_y_check, 0, 7)  # row 1 of this column is left for a button
        self.caption = QtWidgets.QLabel()
        self.caption.setObjectName("readoutsCaption")
        self.caption.setWordWrap(True)
        self.caption.setToolTip("Which parameters the readouts and the fitted line show.")
        grid.addWidget(self.caption, 2, 0, 1, 8)
        predictions_caption = QtWidgets.QLabel("print(y_predicted)")
        predictions_caption.setFont(digits)
        self.predictions = QtWidgets.QLabel()
        self.predictions.setObjectName("predictionsLabel")
        self.predictions.setFont(digits)
        self.predictions.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.predictions_note = QtWidgets.QLabel()
        self.predictions_note.setObjectName("predictionsNote")
        self.predictions_note.setWordWrap(True)  # wraps instead of widening a 720p window
        tip = ("The notebook's last output: the prediction w·x + b of the last epoch's forward "
               "pass, made with w and b before that epoch's update (so not the fitted line).")
        for label in (predictions_caption, self.predictions, self.predictions_note):
            label.setToolTip(tip)
        self.predictions_row = QtWidgets.QWidget()
        # The note goes under the tensor, so the row never sets the window's minimum width.
        row = QtWidgets.QGridLayout(self.predictions_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.setVerticalSpacing(0)
        row.addWidget(predictions_caption, 0, 0)
        row.addWidget(self.predictions, 0, 1)
        row.setColumnStretch(1, 1)
        row.addWidget(self.predictions_note, 1, 0, 1, 2)
        grid.addWidget(self.predictions_row, 3, 0, 1, 8)
        # Its room is kept while hidden: showing it at a run's end (and hiding it at the next
        # start) would otherwise resize every plot above, a relayout of ~10 ms of the GUI thread.
        policy = self.predictions_row.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.predictions_row.setSizePolicy(policy)
        self.predictions_row.hide()
        self.progress = QtWidgets.QProgressBar()
        self.progress.setObjectName("progressBar")
        self.progress.setToolTip("Epochs trained out of the run's total.")
        self.progress.setFormat("%v / %m epochs")
        self.progress.setValue(0)
        self._fit_widths()

    def show_values(self, epoch: float, loss: float, w: float, b: float,
                    w_grad: float, b_grad: float) -> None:
        v = self.values
        v["epochLabel"].set_number(int(epoch))
        for name, value in (("lossLabel", loss), ("wLabel", w), ("bLabel", b),
                            ("wGradLabel", w_grad), ("bGradLabel", b_grad)):
            v[name].set_number(value)

    def show_readout(self, readout: Readout) -> None:
        """The session's readout: the numbers, and a caption saying which parameters they are."""
        self.show_values(readout.epoch or 0, readout.loss, readout.w, readout.b,
                         readout.w_grad, readout.b_grad)
        self.caption.setText(readout.caption)

    def show_predictions(self, text: str, note: str) -> None:
        """`print(y_predicted)` as the notebook prints it, and which parameters made it; no
        text hides the row, which keeps its last text and room (torch prints many points on
        two lines: the next run's predictions then take the same room, and nothing moves)."""
        if text:
            self.predictions.setText(text)
            self.predictions_note.setText(f"({note})" if note else "")
        self.predictions_row.setVisible(bool(text))

    def set_progress(self, done: int, total: int, exact: bool = False) -> None:
        """Move the bar in steps of 1% of the run (and at its ends), and let it paint with the
        rest of the window: QProgressBar.setValue repaints at once (about 1 ms), on its own."""
        bar = self.progress
        if bar.maximum() != total:
            bar.setMaximum(total)
        step = max(total // 100, 1)
        if exact or done // step != bar.value() // step or done in (0, total):
            # With updates off, setValue's synchronous repaint() is skipped; turning them back
            # on schedules an ordinary update(), painted in the same pass as the plots.
            bar.setUpdatesEnabled(False)
            bar.setValue(done)
            bar.setUpdatesEnabled(True)

    def _fit_widths(self) -> None:
        # Room for "-1.2345678e-05" so the row does not jump while numbers change.
        # A fixed width also keeps a changing number from asking the whole window to re-layout.
        for name, label in self.values.items():
            sample = "0000000" if name == "epochLabel" else "-1.2345678e-05"
            label.setFixedWidth(label.fontMetrics().horizontalAdvance(sample) + 4)
        # torch prints more than a few points on two lines: room for both from the start.
        self.predictions.setMinimumHeight(2 * self.predictions.fontMetrics().lineSpacing())

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.FontChange:
            self._fit_widths()


class TrainingLog(QtWidgets.QWidget):
    """The notebook-style log (`trainingLog`, read-only) and its copy button (`copyLogButton`)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QtWidgets.QPlainTextEdit()
        self.text.setObjectName("trainingLog")
        self.text.setReadOnly(True)
        self.text.setFont(_fixed_digits_font())
        self.text.setMaximumBlockCount(LOG_MAX_LINES)  # a million-epoch run stays light
        self.text.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setToolTip(
            "What the notebook's loop prints: the epoch and its loss tensor every 10 epochs, "
            "then print(y_predicted) once the run ends.")
        self.copy_button = QtWidgets.QPushButton("Copy log")
        self.copy_button.setObjectName("copyLogButton")
        self.copy_button.setToolTip("Copy the whole log to the clipboard.")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.addWidget(self.text, 1)
        row = QtWidgets.QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.copy_button)
        layout.addLayout(row)
        self._due: tuple[Callable[[int, int], list[str]], int] | None = None  # see follow()

    def clear(self) -> None:
        self._due = None
        self.text.clear()

    def follow(self, lines_from: Callable[[int, int], list[str]], first: int,
               records: int | None = None, now: bool = False) -> None:
        """Lines from record `first` on are due (`lines_from(first, most)` writes at least the
        newest `most` of them): appended at once while the log is on screen (or `now`); behind
        its tab, once FLUSH_RECORDS of the run's `records` are due (a few hundred lines at a
        time, so no run's end formats thousands at once), else on flush() or when shown."""
        if self._due is None or first < self._due[1]:
            self._due = (lines_from, first)
        if now or self.isVisible() or (
                records is not None and records - self._due[1] >= FLUSH_RECORDS):
            self.flush()

    def flush(self) -> None:
        """Append the lines follow() left due."""
        if self._due is not None:
            lines_from, first = self._due
            self._due = None
            self.append_lines(lines_from(first, LOG_MAX_LINES))

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.flush()

    def append_lines(self, lines: list[str]) -> None:
        """Append lines in one edit (one layout pass, however many lines)."""
        if lines:
            self.text.appendPlainText("\n".join(lines))
            # The cursor at the last line's start, not its end: the log follows the newest line
            # and stays at the start of its lines instead of scrolling sideways.
            cursor = self.text.textCursor()
            cursor.movePosition(QtGui.QTextCursor.MoveOperation.End)
            cursor.movePosition(QtGui.QTextCursor.MoveOperation.StartOfBlock)
            self.text.setTextCursor(cursor)
            self.text.horizontalScrollBar().setValue(0)


class _Notice(QtWidgets.QFrame):
    """A coloured strip with a wrapped message and a dismiss button."""

    level = "warning"

    def __init__(self, object_name: str, label_name: str) -> None:
        super().__init__()
        self.setObjectName(object_name)
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.row = QtWidgets.QHBoxLayout(self)
        self.label = QtWidgets.QLabel()
        self.label.setObjectName(label_name)
        self.label.setWordWrap(True)
        self.label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.row.addWidget(self.label, 1)
        self.dismiss_button = QtWidgets.QToolButton()
        self.dismiss_button.setText("✕")
        self.dismiss_button.setAutoRaise(True)
        self.dismiss_button.setToolTip("Hide this message.")
        self.dismiss_button.clicked.connect(self.hide)
        self.row.addWidget(self.dismiss_button)
        self.set_dark(False)
        self.hide()

    def set_dark(self, dark: bool) -> None:
        self.setPalette(strip_palette(self.palette(), self.level, dark))

    def _set(self, headline: str, detail: str) -> None:
        body = f"<b>{html.escape(headline)}</b>"
        if detail:
            body += f"<br>{html.escape(detail)}"
        self.label.setText(body)
        self.show()


class DivergenceBanner(_Notice):
    """Shown only after a run diverged: what happened, and a one-click fix."""

    def __init__(self) -> None:
        super().__init__("divergenceBanner", "divergenceText")
        self.lower_lr_button = QtWidgets.QPushButton("Lower the learning rate ×0.1 and restart")
        self.lower_lr_button.setObjectName("lowerLrButton")
        self.lower_lr_button.setToolTip(
            "Divide the learning rate by ten and train again: smaller steps stop overshooting.")
        self.row.insertWidget(1, self.lower_lr_button)

    def show_divergence(self, reason: str, explanation: str) -> None:
        self._set(f"Training diverged. {reason}", explanation)


class MessageBox(_Notice):
    """Errors from the worker (torch's own text and what it means), kept visible in the window."""

    level = "error"

    def __init__(self) -> None:
        super().__init__("trainingMessage", "trainingMessageLabel")

    def show_message(self, headline: str, detail: str = "") -> None:
        self._set(headline, detail)
