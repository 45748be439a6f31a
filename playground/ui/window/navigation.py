"""Which lab is on screen, and bringing one forward: what the menus, session actions and a
lesson step (the lessons dock's `LabNavigator`) ask of the window's tabs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6 import QtWidgets

from playground.core.labs import Lab

if TYPE_CHECKING:
    from playground.core.tensorlab.workspace import Message
    from playground.ui.network.lab import NetworkLab
    from playground.ui.tensor.lab import TensorLab
    from playground.ui.training.lab import TrainingLab

LAB_TITLES = {Lab.TENSOR: "Tensor Lab", Lab.TRAINING: "Training Lab",
              Lab.NETWORK: "Network Lab"}
LAB_TIPS = {Lab.TENSOR: "Build tensors, derive new ones and watch autograd fill .grad.",
            Lab.TRAINING: "Train the notebook's linear regression live on a worker thread.",
            Lab.NETWORK: "Add hidden layers and watch a real torch.nn network's decision "
                         "boundary form, as in TensorFlow Playground."}


class LabTabs:
    """The window's lab tabs with the labs in them."""

    def __init__(self, tabs: QtWidgets.QTabWidget, tensor_lab: TensorLab,
                 training_lab: TrainingLab, network_lab: NetworkLab | None = None,
                 build_lab: Callable[[Lab], None] | None = None) -> None:
        """`build_lab(lab)`: builds a lab not yet handed in (it then calls `add_lab`), for a
        window that builds its Network Lab after the others."""
        self.tabs = tabs
        self._labs: dict[Lab, QtWidgets.QWidget] = {Lab.TENSOR: tensor_lab,
                                                     Lab.TRAINING: training_lab}
        if network_lab is not None:
            self._labs[Lab.NETWORK] = network_lab
        self._build_lab = build_lab
        self.tensor_lab = tensor_lab
        tabs.currentChanged.connect(self._size_by_shown_lab)
        self._size_by_shown_lab()

    def _size_by_shown_lab(self, *_args: object) -> None:
        """Only the lab on screen sets the window's minimum size: a hidden lab's page is
        Ignored by the tab widget's stack, so a wide lab behind another tab never makes the
        window wider (or keeps it from fitting a 1280x720 screen with Lessons open)."""
        current = self.tabs.currentWidget()
        ignored = QtWidgets.QSizePolicy.Policy.Ignored
        for page in self._labs.values():
            if page is current:
                page.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred,
                                   QtWidgets.QSizePolicy.Policy.Preferred)
            else:
                page.setSizePolicy(ignored, ignored)
        self.tabs.updateGeometry()

    def add_lab(self, lab: Lab, page: QtWidgets.QWidget) -> None:
        """A lab built later, already in its tab."""
        self._labs[lab] = page
        self._size_by_shown_lab()

    def shown_lab(self) -> Lab:
        """The lab on screen."""
        current = self.tabs.currentWidget()
        return next((lab for lab, page in self._labs.items() if page is current), Lab.TENSOR)

    def training_shown(self) -> bool:
        return self.shown_lab() is Lab.TRAINING

    def show_tensor_lab(self) -> None:
        self.show_lab(Lab.TENSOR)

    def show_lab(self, lab: Lab) -> None:
        """Bring `lab` on screen (built first if it was not yet)."""
        if lab not in self._labs and self._build_lab is not None:
            self._build_lab(lab)
        self.tabs.setCurrentWidget(self._labs[lab])

    def show_graph(self) -> None:
        """Bring the Tensor Lab's autograd graph on screen."""
        self.show_lab(Lab.TENSOR)
        self.tensor_lab.show_graph()

    def show_tensor_messages(self, messages: list[Message]) -> None:
        """Show torch's messages in the Tensor Lab's message strip."""
        self.tensor_lab.show_messages(messages)
