"""The Network Lab's "Step graph" window: one step's loss as the real autograd graph, with
Step backward, Play and rewind as in the Tensor Lab's graph panel."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6 import QtCore, QtWidgets

from playground.core.graph.build import AutogradGraph
from playground.core.network.step_graph import StepGraph, step_graph
from playground.ui.graph.items import node_lines
from playground.ui.graph.view import GraphView


class StepGraphDialog(QtWidgets.QDialog):
    """A non-modal window: the graph, its caption, Step backward, Play and |<."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("netStepGraphDialog")
        self.setWindowTitle("Step graph")
        self.caption = QtWidgets.QLabel(objectName="netStepGraphCaption")
        self.caption.setWordWrap(True)
        self.view = GraphView()
        self.view.setObjectName("netStepGraphView")
        self.step_label = QtWidgets.QLabel(objectName="netGraphStepLabel")
        self.step_label.setWordWrap(True)
        self.step_button = QtWidgets.QPushButton("Step backward", objectName="netGraphStepButton")
        self.play_button = QtWidgets.QPushButton("Play", objectName="netGraphPlayButton")
        self.rewind_button = QtWidgets.QPushButton("|<", objectName="netGraphRewindButton")
        fit = QtWidgets.QPushButton("Fit", objectName="netGraphFitButton")
        close = QtWidgets.QPushButton("Close")
        row = QtWidgets.QHBoxLayout()
        for b in (self.step_button, self.play_button, self.rewind_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(fit)
        row.addWidget(close)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addLayout(row)
        layout.addWidget(self.step_label)
        layout.addWidget(self.view, 1)
        self.step: StepGraph | None = None
        self._player = None
        self._timer = QtCore.QTimer(self, interval=500)
        self._timer.timeout.connect(self._tick)
        self.step_button.clicked.connect(self.step_backward)
        self.play_button.clicked.connect(self.toggle_play)
        self.rewind_button.clicked.connect(self.rewind)
        fit.clicked.connect(self.view.fit)
        close.clicked.connect(self.close)
        self.resize(1000, 560)

    def show_session(self, session: Any) -> None:
        """Draw the step graph of the model the session shows now."""
        self._stop()
        try:
            self.step = step_graph(session)
        except ValueError as exc:
            self.step = None
            self.view.show_graph(AutogradGraph())
            self.caption.setText(str(exc))
            return
        self._player = None
        self.view.show_graph(self.step.graph, self.step.groups)
        self.caption.setText(self.step.caption)
        self._show_position()
        QtCore.QTimer.singleShot(0, self.view.fit)

    def step_backward(self) -> None:
        if self.step is None:
            return
        if self._player is None:
            self._player = self.step.record()
        self._player.step()
        self._show_position()

    def toggle_play(self) -> None:
        if self._timer.isActive():
            self._stop()
            return
        if self.step is None:
            return
        if self._player is None:
            self._player = self.step.record()
        if self._player.done:
            self._player.rewind()
        self._timer.start()
        self.play_button.setText("Pause")

    def rewind(self) -> None:
        self._stop()
        if self._player is not None:
            self._player.rewind()
        self._show_position()

    def _tick(self) -> None:
        if self._player is None or self._player.done:
            self._stop()
            return
        self._player.step()
        self._show_position()

    def _stop(self) -> None:
        self._timer.stop()
        self.play_button.setText("Play")

    def _show_position(self) -> None:
        player, graph = self._player, self.view.graph
        states: dict[str, str] = {}
        if player is None:
            self.step_label.setText("Step backward runs the real loss.backward() and shows each "
                                    "node it runs, from the loss back to every weight and bias.")
        else:
            for key in player.visited():
                states[key] = "visited"
            for acc_key, copy in player.leaf_grads().items():
                leaf_key = graph.leaf_of(acc_key)
                if leaf_key is not None:
                    node = dataclasses.replace(graph.node(leaf_key),
                                               grad=None if copy is None else copy.text())
                    self.view.set_lines(leaf_key, node_lines(node))
            current = player.current
            if current is not None:
                states[current.key] = "step"
                self.view.reveal(current.key)
                self.step_label.setText(
                    f"{current.text()}   ({player.position}/{len(player.steps)})")
            else:
                self.step_label.setText(f"Recorded: {len(player.steps)} nodes.")
        self.view.set_states(states)
        self.rewind_button.setEnabled(player is not None and player.position > 0)
        self.step_button.setEnabled(self.step is not None and (player is None or not player.done))

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self._stop()
        super().closeEvent(event)
