"""The Training Lab's loss graph: one epoch's loss for y_hat = w * x + b as a real autograd graph.

Builds the forward pass the training loop runs (the loss from the one table of losses) at given
w and b over every data point, and hands it to the same graph builder the Tensor Lab's graph
view uses, with the last epoch's gradients on the leaves w and b.
"""

from __future__ import annotations

from typing import Any

import torch

from playground.core.graph.build import AutogradGraph, build_graph
from playground.core.training.tables import LOSS_SPECS


def loss_graph(config: Any, w: float, b: float, w_grad: float | None = None,
               b_grad: float | None = None, *, show_saved: bool = True) -> AutogradGraph:
    """The graph of `config.loss` at (w, b) over `config.dataset`; w.grad and b.grad are the
    given gradients, or (when not given) what a real backward of this loss leaves there."""
    x = torch.tensor(config.dataset.x, dtype=torch.float32)
    y = torch.tensor(config.dataset.y, dtype=torch.float32)
    wt = torch.tensor([float(w)], requires_grad=True)
    bt = torch.tensor([float(b)], requires_grad=True)
    with torch.enable_grad():  # grad mode is thread-local: never inherit a no_grad caller's
        y_hat = wt * x + bt
        loss = LOSS_SPECS[config.loss].function(y, y_hat)  # the notebook's loss(y, y_predicted)
    if w_grad is None or b_grad is None:
        loss.backward(retain_graph=True)  # keep the saved tensors to show them
    else:
        wt.grad = torch.tensor([float(w_grad)])
        bt.grad = torch.tensor([float(b_grad)])
    tensors = {"x": x, "y": y, "w": wt, "b": bt, "y_hat": y_hat, "loss": loss}
    graph = build_graph(tensors, "loss", show_saved=show_saved)
    if not config.full_batch:
        graph.note = ("Drawn over every point; with mini-batches each step's graph is the same "
                      "over that batch's points.")
    return graph


def session_loss_graph(session: Any) -> tuple[AutogradGraph, str]:
    """The loss graph the Training Lab's readouts describe, with a caption saying which pass:
    the last epoch's forward (w, b before its update) and its gradients, or the starting point.
    ValueError when the setup has no valid data."""
    readout = session.readout()
    if readout is None:
        raise ValueError("The data has no valid points, so there is no loss to draw.")
    if readout.epoch is None:
        config = session.config
        w, b = config.w0, config.b0
        caption = (f"Before training: {config.loss} loss at the initial w = {w:g}, b = {b:g}, "
                   "with the gradients one backward gives.")
    else:
        run = session.current
        config = run.config
        w, b = run.params_before_last()
        caption = (f"Epoch {readout.epoch}: its forward pass ({config.loss} loss at w = {w:.6g}, "
                   f"b = {b:.6g}, before its update) and the gradients its backward left.")
    graph = loss_graph(config, w, b, readout.w_grad, readout.b_grad)
    if graph.note:
        caption += " " + graph.note
    return graph, caption
