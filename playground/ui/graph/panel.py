"""The Graph tab: the current tensor's real autograd graph, and its backward stepped node by node.

Follows the workspace (each statement redraws the graph, lazily while the tab is hidden). Step
backward runs the real backward through the workspace's statement pipe with every node hooked
(core.backward_steps), then plays the recording one node per click.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.graph.build import (
    AutogradGraph,
    build_workspace_graph,
    locate_error,
)
from playground.core.graph.recording import BackwardPlayer, record_workspace_backward
from playground.core.tensorlab.workspace import RunResult, Workspace
from playground.ui.graph.items import node_lines
from playground.ui.graph.view import GraphView

BackwardOptions = Callable[[], tuple[str, bool]]  # the gradient text and retain_graph


def no_backward_options() -> tuple[str, bool]:
    """A panel on its own: backward() with no gradient argument and no retain_graph."""
    return "", False


class GraphPanel(QtWidgets.QWidget):
    """Toolbar, step label and `graphView` over one Workspace."""

    ran = QtCore.Signal(object)  # the RunResult of a backward Step ran (for the lab's messages)

    def __init__(self, workspace: Workspace, parent: QtWidgets.QWidget | None = None, *,
                 backward_options: BackwardOptions = no_backward_options) -> None:
        """`backward_options()`: the Tensor Lab's gradient text and retain_graph, so Step
        backward writes the same statement its Backward button would."""
        super().__init__(parent)
        self.setObjectName("graphPanel")
        self._ws = workspace
        self._backward_options = backward_options
        self._root: str | None = None
        self._player: BackwardPlayer | None = None
        self._own_run = False
        self._dirty = True
        self._keys: tuple[str, ...] = ()
        self._fit_pending = False
        self._error_key: str | None = None
        self._timer = QtCore.QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._build()
        # A statement rebuilds the graph; a new current tensor only moves the highlight when it
        # is already drawn (a click on x in w's graph).
        self._ws.log_changed.connect(self._on_changed)
        self._ws.current_changed.connect(self._on_current_changed)
        self.refresh()

    def _fit_step_height(self) -> None:
        self.step_scroll.setFixedHeight(2 * self.fontMetrics().lineSpacing() + 4)

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.FontChange:  # View > Zoom
            self._fit_step_height()

    @property
    def graph(self) -> AutogradGraph:
        """The graph on screen."""
        return self.view.graph

    @property
    def player(self) -> BackwardPlayer | None:
        """The recorded backward being stepped, if any."""
        return self._player

    # ----- construction ------------------------------------------------------------------------

    def _build(self) -> None:
        def button(name: str, text: str, tip: str) -> QtWidgets.QPushButton:
            b = QtWidgets.QPushButton(text, objectName=name)
            b.setToolTip(tip)
            return b

        self.step_button = button(
            "stepBackwardButton", "Step backward",
            "Run one node of backward: the first click runs the real backward() on the graph's "
            "output with the Backward box's gradient and retain_graph (logged like the Backward "
            "button) and records every node; each click shows the next one.")
        self.play_button = button("playBackwardButton", "Play",
                                  "Play the remaining steps at the chosen speed; click to pause.")
        self.rewind_button = button("rewindBackwardButton", "|<",
                                    "Back to the start of the recorded backward.")
        self.speed_spin = QtWidgets.QDoubleSpinBox(objectName="graphSpeedSpin")
        self.speed_spin.setRange(0.5, 20.0)
        self.speed_spin.setValue(2.0)
        self.speed_spin.setSingleStep(0.5)
        self.speed_spin.setSuffix("/s")
        self.speed_spin.setDecimals(1)
        self.speed_spin.setToolTip("How fast Play walks through the steps.")
        self.saved_check = QtWidgets.QCheckBox("saved tensors", objectName="showSavedCheck")
        self.saved_check.setToolTip(
            "Draw each node's saved tensors (_saved_self, _saved_other, ...); after a backward "
            "without retain_graph they are freed.")
        self.zoom_in_button = button("graphZoomInButton", "+", "Zoom in (or Ctrl+wheel).")
        self.zoom_out_button = button("graphZoomOutButton", "−", "Zoom out (or Ctrl+wheel).")
        self.fit_button = button("graphFitButton", "Fit", "Fit the whole graph in view.")
        self.window_button = button("graphWindowButton", "Window",
                                    "Open the graph in a window of its own, as big as you like.")
        for b in (self.rewind_button, self.zoom_in_button, self.zoom_out_button, self.fit_button):
            b.setFixedWidth(b.fontMetrics().horizontalAdvance(b.text()) + 24)

        # Two short rows: the panel shares a ~400-pixel column with Grad history at 1280x720.
        first = QtWidgets.QHBoxLayout()
        for w in (self.step_button, self.play_button, self.rewind_button, self.speed_spin):
            first.addWidget(w)
        first.addStretch(1)
        second = QtWidgets.QHBoxLayout()
        second.addWidget(self.saved_check)
        second.addStretch(1)
        for w in (self.zoom_out_button, self.zoom_in_button, self.fit_button, self.window_button):
            second.addWidget(w)

        self.step_label = QtWidgets.QLabel(objectName="graphStepLabel")
        self.step_label.setWordWrap(True)
        self.step_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft
                                     | QtCore.Qt.AlignmentFlag.AlignTop)
        self.step_label.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.step_label.setToolTip("The node just run, the gradient that arrived, and what left.")
        # Two lines kept for the step text whatever its length (a longer one scrolls), so the
        # graph below keeps its height while stepping.
        self.step_scroll = QtWidgets.QScrollArea(objectName="graphStepScroll")
        self.step_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.step_scroll.setWidgetResizable(True)
        self.step_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.step_scroll.setWidget(self.step_label)
        self._fit_step_height()
        self.view = GraphView()
        self.view.setMinimumHeight(120)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)
        layout.addLayout(first)
        layout.addLayout(second)
        layout.addWidget(self.step_scroll)
        layout.addWidget(self.view, 1)

        self.step_button.clicked.connect(self.step)
        self.play_button.clicked.connect(self.toggle_play)
        self.rewind_button.clicked.connect(self.rewind)
        self.speed_spin.valueChanged.connect(self._apply_speed)
        self.saved_check.toggled.connect(lambda _on: self.refresh())
        self.zoom_in_button.clicked.connect(lambda: self.view.zoom(1.25))
        self.zoom_out_button.clicked.connect(lambda: self.view.zoom(0.8))
        self.fit_button.clicked.connect(self.view.fit)
        self.view.tensorClicked.connect(self._select)
        self.window_button.clicked.connect(self.open_window)

    def open_window(self) -> GraphWindow:
        """A separate, resizable window with its own graph panel on the same workspace."""
        # Parented to this window so it closes with it (and never keeps the app running).
        window = GraphWindow(self._ws, self.saved_check.isChecked(), self.window(),
                             backward_options=self._backward_options)
        window.show()
        return window

    def detach(self) -> None:
        """Stop following the workspace (before this panel goes away while it lives on)."""
        self._stop_playing()
        self._ws.log_changed.disconnect(self._on_changed)
        self._ws.current_changed.disconnect(self._on_current_changed)

    # ----- following the workspace ---------------------------------------------------------------

    def _on_changed(self) -> None:
        if not self._own_run:  # a statement from elsewhere: the recording no longer matches
            self._stop_playing()
            self._player = None
            self._error_key = None
        if self.isVisible():
            self.refresh()
        else:
            self._dirty = True

    def _on_current_changed(self) -> None:
        current = self._ws.current
        if current is not None and f"t:{current}" in self.view.items_by_key:
            self._show_position()
        elif self.isVisible():
            self.refresh()
        else:
            self._dirty = True

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        if self._dirty:
            self.refresh()
        QtCore.QTimer.singleShot(0, self._fit_if_new)

    def refresh(self) -> None:
        """Rebuild the graph from the workspace and redraw it with the stepping state."""
        self._dirty = False
        ws = self._ws
        current = ws.current if ws.current in ws.names else None
        show_saved = self.saved_check.isChecked()
        graph = AutogradGraph()
        # Keep the drawn output while the current tensor is part of its graph (a click on x).
        if self._root in ws.names and current is not None:
            graph = build_workspace_graph(ws, self._root, show_saved=show_saved)
            if f"t:{current}" not in graph.keys("tensor"):
                graph = AutogradGraph()
        if not graph.nodes:
            self._root = current
            graph = build_workspace_graph(ws, current, show_saved=show_saved)
        self.view.show_graph(graph)
        keys = tuple(n.key for n in graph.nodes)
        if keys != self._keys:
            self._keys = keys
            self._fit_pending = True
            QtCore.QTimer.singleShot(0, self._fit_if_new)
        self._show_position()

    def _fit_if_new(self) -> None:
        if self._fit_pending and self.isVisible():
            self._fit_pending = False
            self.view.fit(readable=True)

    def _select(self, name: str) -> None:
        if name in self._ws.names:
            self._ws.current = name  # the Tensor Lab follows the workspace

    # ----- stepping ------------------------------------------------------------------------------

    def _can_start(self) -> bool:
        root = self._root
        return root in self._ws.names and self._ws.tensor(root).requires_grad

    def step(self) -> None:
        """One node of backward; starts a new recorded backward when none is in progress."""
        if (self._player is None or self._player.done) and not self._start():
            self._stop_playing()
            self._update_buttons()
            return
        self._player.step()
        self._show_position()

    def _start(self) -> bool:
        """Run the real backward with hooks; False (and the error on the graph) if it failed."""
        name = self._root
        if name is None or name not in self._ws.names:
            return False
        self._error_key = None
        self._own_run = True
        gradient, retain = self._backward_options()
        try:
            result, recording = record_workspace_backward(self._ws, name, gradient, retain)
        except ValueError as exc:  # the statement could not be written
            self.step_label.setText(str(exc))
            return False
        finally:
            self._own_run = False
        self.ran.emit(result)
        if not result.ok:
            self._show_error(result)
            return False
        self._player = BackwardPlayer(recording)
        if not recording.steps:
            self.step_label.setText("backward() ran but no node was recorded.")
            return False
        return True

    def _show_error(self, result: RunResult) -> None:
        self._player = None
        self.refresh()  # the workspace may have rebuilt itself from the log after the failure
        text = result.messages[0].text if result.messages else "backward() failed."
        spot = locate_error(self.graph, text, self._ws.log)
        self._error_key = spot.key
        self._show_position()
        first = text.split(". ")[0].rstrip(".") + "."  # torch's first sentence; the lab shows all
        self.step_label.setText(f"{spot.text} {first}" if spot.text else text)

    def show_failure(self, result: RunResult) -> None:
        """Point at the graph when a statement run elsewhere (the Backward button, a typed line)
        failed with an error that names a node; other results are left alone."""
        if result.ok or not result.messages:
            return
        if locate_error(self.graph, result.messages[0].text, self._ws.log).reason != "other":
            self._stop_playing()
            self._show_error(result)

    def toggle_play(self) -> None:
        """Play the remaining steps (starting a backward if none is recorded), or pause."""
        if self._timer.isActive():
            self._stop_playing()
            return
        if (self._player is None or self._player.done) and not self._start():
            self._update_buttons()
            return
        self._apply_speed()
        self._timer.start()
        self.play_button.setText("Pause")
        self._tick()

    def _apply_speed(self) -> None:
        self._timer.setInterval(int(1000 / self.speed_spin.value()))

    def _tick(self) -> None:
        if self._player is None or self._player.done:
            self._stop_playing()
            return
        self._player.step()
        self._show_position()
        if self._player.done:
            self._stop_playing()

    def _stop_playing(self) -> None:
        self._timer.stop()
        self.play_button.setText("Play")

    def rewind(self) -> None:
        """Back to before the first node ran (the leaves show their .grad from before)."""
        self._stop_playing()
        if self._player is not None:
            self._player.rewind()
        self._show_position()

    # ----- showing the position ------------------------------------------------------------------

    def _show_position(self) -> None:
        graph = self.graph
        states: dict[str, str] = {}
        current = self._ws.current
        if current is not None and f"t:{current}" in self.view.items_by_key:
            states[f"t:{current}"] = "current"
        player = self._player
        if player is not None:
            for key in player.visited():
                states[key] = "visited"
            for acc_key, copy in player.leaf_grads().items():
                leaf_key = graph.leaf_of(acc_key)
                if leaf_key is not None:
                    node = dataclasses.replace(graph.node(leaf_key),
                                               grad=None if copy is None else copy.text())
                    self.view.set_lines(leaf_key, node_lines(node))
            step = player.current
            if step is not None:
                states[step.key] = "step"
                self.view.reveal(step.key)
                if (leaf := graph.leaf_of(step.key)) is not None:
                    states[leaf] = "step"
                    self.view.reveal(leaf)  # the .grad that just grew
                self.step_label.setText(f"{step.text()}   ({player.position}/{len(player.steps)})")
            else:
                self.step_label.setText(
                    f"Recorded backward of {player.recording.root}: {len(player.steps)} nodes. "
                    "Step backward shows them one by one.")
        elif self._error_key is None:
            self.step_label.setText(self._idle_text())
        if self._error_key is not None:
            states[self._error_key] = "error"
        self.view.set_states(states)
        self._update_buttons()

    def _idle_text(self) -> str:
        graph = self.graph
        if not graph.nodes:
            return "Create a tensor to see its graph."
        if not self._can_start():
            return f"{self._root} has no graph to go backward through (requires_grad=False)."
        note = f" {graph.note}" if graph.note else ""
        # One line: the graph's legend says which way forward and backward go.
        return f"Step backward runs {self._root}.backward() node by node.{note}"

    def _update_buttons(self) -> None:
        player = self._player
        in_progress = player is not None and not player.done
        can_step = in_progress or self._can_start()
        self.step_button.setEnabled(can_step)
        self.play_button.setEnabled(can_step or self._timer.isActive())
        self.rewind_button.setEnabled(player is not None and player.position > 0)


class GraphWindow(QtWidgets.QWidget):
    """The Graph tab's panel in a top-level window (a projector, a second screen)."""

    def __init__(self, workspace: Workspace, show_saved: bool = False,
                 parent: QtWidgets.QWidget | None = None, *,
                 backward_options: BackwardOptions = no_backward_options) -> None:
        # An ordinary window: title bar and close button asked for by name (some window managers
        # give a bare Qt.Window child none), a Close button too, and Esc or Ctrl+W close it.
        hints = QtCore.Qt.WindowType
        super().__init__(parent, hints.Window | hints.WindowTitleHint | hints.WindowSystemMenuHint
                         | hints.WindowMinMaxButtonsHint | hints.WindowCloseButtonHint)
        self.setObjectName("graphWindow")
        self.setWindowTitle("Autograd graph")
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        self.panel = GraphPanel(workspace, self, backward_options=backward_options)
        self.panel.saved_check.setChecked(show_saved)
        self.panel.window_button.hide()
        close = QtWidgets.QPushButton("Close", objectName="graphWindowCloseButton")
        close.setToolTip("Close this window (Esc, Ctrl+W); the Graph tab stays.")
        close.clicked.connect(self.close)
        for keys in ("Esc", "Ctrl+W"):
            QtGui.QShortcut(QtGui.QKeySequence(keys), self, self.close)
        buttons = QtWidgets.QHBoxLayout()
        buttons.setContentsMargins(4, 0, 4, 4)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.panel, 1)
        layout.addLayout(buttons)
        screen = parent.screen() if parent is not None else QtGui.QGuiApplication.primaryScreen()
        room = screen.availableGeometry().size() if screen is not None else QtCore.QSize(1100, 650)
        self.resize(min(1100, int(room.width() * 0.85)), min(650, int(room.height() * 0.8)))

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt API)
        self.panel.detach()  # the workspace outlives this window: stop calling into it
        super().closeEvent(event)
