"""The Training Lab's exports: the run as a plain-torch script, the loss plot as a PNG and the
loss table as CSV. Every file is written atomically (a failed export keeps the old file whole);
the export buttons ask for a path and report a failure in the lab's message strip."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtWidgets

from playground.core.export.training_script import session_to_script
from playground.core.files import atomic
from playground.ui.widgets import file_dialogs

if TYPE_CHECKING:
    from playground.core.training.history import RunHistory
    from playground.core.training.session import TrainingSession
    from playground.ui.training.plots import LossPlot
    from playground.ui.training.readouts import MessageBox

COLUMNS = ("epoch", "loss", "lr", "w", "b")


def write_loss_png(plot: LossPlot, path: str | Path) -> None:
    """Save the loss plot as a PNG with pyqtgraph's ImageExporter."""
    import pyqtgraph.exporters  # imported on demand: only exports need it

    exporter = pyqtgraph.exporters.ImageExporter(plot.getPlotItem())
    with atomic.atomic_path(path) as tmp:  # the old PNG stays whole if this fails
        exporter.export(str(tmp))
        if tmp.stat().st_size == 0:  # the exporter does not report a failed write
            raise OSError(f"the image could not be written to {path}")


def write_loss_csv(history: RunHistory, path: str | Path) -> None:
    """Save a run's records as CSV columns epoch, loss, lr, w, b."""
    columns = [history.column(n) for n in COLUMNS]

    def write(handle) -> None:
        writer = csv.writer(handle)
        writer.writerow(list(COLUMNS))
        for epoch, loss, lr, w, b in zip(*columns, strict=True):
            writer.writerow([int(epoch), repr(float(loss)), repr(float(lr)),
                             repr(float(w)), repr(float(b))])

    atomic.write_with(path, write, newline="")


def write_script(session: TrainingSession, path: str | Path) -> None:
    """The run on screen (or the setup) as a script that prints what it showed."""
    atomic.write_text(path, session_to_script(session))


class ExportDialogs:
    """What the export buttons do: ask for a path, write, say how it went."""

    def __init__(self, parent: QtWidgets.QWidget, message: MessageBox,
                 status: Callable[[str], None]) -> None:
        self._parent = parent
        self._message = message
        self._status = status

    def connect(self, script: QtWidgets.QAbstractButton, png: QtWidgets.QAbstractButton,
                csv_: QtWidgets.QAbstractButton, lab: QtWidgets.QWidget) -> None:
        """Wire the three export buttons to ask for a path and call the lab's writer."""
        for button, args in (
                (script, ("Export training script", "training.py", "Python (*.py)", "script")),
                (png, ("Export loss plot", "loss.png", "PNG image (*.png)", "loss_png")),
                (csv_, ("Export loss table", "loss.csv", "CSV (*.csv)", "loss_csv"))):
            caption, name, filters, what = args
            button.clicked.connect(
                lambda _checked=False, c=caption, n=name, f=filters, w=what:
                self.ask(c, n, f, getattr(lab, f"export_{w}")))

    def ask(self, caption: str, name: str, filters: str,
            write: Callable[[str], None]) -> None:
        """Ask for a path, then `save` there."""
        path = file_dialogs.save_path(self._parent, caption, name, filters)
        if path:
            self.save(write, path)

    def save(self, write: Callable[[str], None], path: str) -> bool:
        """Write `path`; a failure is shown in the lab's message strip (False)."""
        try:
            write(path)
        except (OSError, ValueError) as exc:
            self._message.show_message("Export failed.", str(exc))
            return False
        self._status(f"Saved {path}")
        return True
