"""The Training Lab's right side: the run's banners, its four plots and the notebook's log,
and the readouts under them. The lab draws into these; this only builds and themes them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from PySide6 import QtWidgets

from playground.ui.graph.loss_dialog import LossGraphButton
from playground.ui.training.data_plot import DataPlot
from playground.ui.training.landscape import LandscapePlot
from playground.ui.training.plots import LossPlot, LrPlot
from playground.ui.training.readouts import DivergenceBanner, MessageBox, Readouts, TrainingLog


class PlotArea(QtWidgets.QWidget):
    """Loss and lr plots on the left, data plot over landscape/log tabs on the right."""

    def __init__(self, session_of: Callable[[], Any],
                 parent: QtWidgets.QWidget | None = None, *, in_steps: bool = False) -> None:
        """`session_of()`: the session whose loss graph the Loss graph button shows.

        `in_steps`: the caller runs `build_steps`, one plot per step (each pyqtgraph plot is
        tens of ms of the GUI thread, so the window's start-up builds them in separate event
        loop turns); otherwise everything is built here.
        """
        super().__init__(parent)
        self.build_steps: Iterator[str] = self._build_steps(session_of)
        if not in_steps:
            for _step in self.build_steps:
                pass

    def _build_steps(self, session_of: Callable[[], Any]) -> Iterator[str]:
        self.loss_plot = LossPlot()
        yield "loss plot"
        self.lr_plot = LrPlot()
        yield "lr plot"
        self.data_plot = DataPlot()
        yield "data plot"
        self.landscape_plot = LandscapePlot()
        yield "landscape plot"
        self.readouts = Readouts()
        self.log = TrainingLog()
        self.banner = DivergenceBanner()
        self.message = MessageBox()

        # The landscape and the notebook's log share the lower right corner as tabs.
        self.side_tabs = QtWidgets.QTabWidget()
        self.side_tabs.setObjectName("trainingSideTabs")
        self.side_tabs.setDocumentMode(True)
        self.side_tabs.addTab(self.landscape_plot, "Loss landscape")
        self.side_tabs.addTab(self.log, "Notebook log")
        self.side_tabs.setTabToolTip(0, "The loss over (w, b), with the path the run took.")
        self.side_tabs.setTabToolTip(
            1, "What the notebook prints: the loss every 10 epochs, then print(y_predicted).")

        left = QtWidgets.QVBoxLayout()
        left.addWidget(self.loss_plot, 3)
        left.addWidget(self.lr_plot, 1)
        right = QtWidgets.QVBoxLayout()
        right.addWidget(self.data_plot, 1)
        right.addWidget(self.side_tabs, 1)
        grid = QtWidgets.QHBoxLayout()
        grid.addLayout(left, 3)
        grid.addLayout(right, 2)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)  # laid out as if directly in the lab
        layout.addWidget(self.banner)
        layout.addWidget(self.message)
        layout.addLayout(grid, 1)
        layout.addWidget(self.readouts)
        self.loss_graph_button = LossGraphButton(self, session_of)
        self.readouts.layout().addWidget(self.loss_graph_button, 1, 7)
        yield "plot area"

    def set_dark(self, dark: bool) -> None:
        """Follow the window's theme: plot backgrounds, axes and curve colours."""
        for plot in (self.loss_plot, self.lr_plot, self.data_plot, self.landscape_plot):
            plot.set_dark(dark)
        self.banner.set_dark(dark)
        self.message.set_dark(dark)

    def clear_run(self, epochs: int) -> None:
        """Back to before any run (Reset, an opened session): empty plots with no legend entry
        for the current run, the default axes for `epochs`, no log, banner or message, and
        "0 / epochs" in the progress bar."""
        for plot in (self.loss_plot, self.lr_plot):
            plot.clear_current()
            plot.set_epochs(epochs)
        self.loss_plot.reset_view()
        self.log.clear()
        self.banner.hide()
        self.message.hide()
        self.readouts.set_progress(0, epochs)
