"""The Network Lab's "Step graph": one mini-batch step's loss as the real autograd graph.

The network is rebuilt with the weights the views show (the newest snapshot, or the untrained
model), its first mini-batch of the next epoch is pushed through the rule's forward and loss,
and the graph builder the Tensor Lab uses draws the result: `AddmmBackward0` per layer, the
activation's node, the loss's node and one `AccumulateGrad` per weight and bias. Leaves are
named by layer (`L1.weight`, `L1.bias`, ...) so a deep network's graph reads layer by layer.
`record()` runs the real backward with every node hooked (core/graph/recording.py), for Step
backward and Play.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from playground.core.graph.build import AutogradGraph, build_graph
from playground.core.graph.recording import BackwardPlayer, record_backward
from playground.core.network.config import build_model, feature_matrix, linear_layers
from playground.core.network.loop import batch_loss, penalty


@dataclass
class StepGraph:
    """The tensors of one step (kept alive for its backward), its graph and a caption."""

    tensors: dict[str, torch.Tensor]
    graph: AutogradGraph
    caption: str
    _recorded: BackwardPlayer | None = None

    def record(self) -> BackwardPlayer:
        """Run the real loss.backward() once, hooked node by node; the player replays it."""
        if self._recorded is None:
            loss = self.tensors["loss"]
            names = {id(t): n for n, t in self.tensors.items()}
            _, recording = record_backward(loss, loss.backward, names, "loss")
            self._recorded = BackwardPlayer(recording)
        return self._recorded


def step_graph(session: Any) -> StepGraph:
    """The step graph of the model the session shows; ValueError if there is nothing to draw."""
    run = session.current
    config = run.config if run is not None else session.config
    data = run.data if run is not None else session.data_settings
    split = data.split()
    model = build_model(config, data.seed)
    picture = session.latest
    if picture is not None:
        model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in picture.state.items()})
    x = feature_matrix(torch.from_numpy(split.x_train), config.ordered_features)
    y = torch.from_numpy(split.y_train)
    n = len(y)
    size = config.batch_size
    if size == 0 or size >= n:
        idx = torch.arange(n)
        which = f"the whole train set ({n} points)"
    else:
        idx = torch.randperm(n, generator=torch.Generator().manual_seed(data.seed))[:size]
        which = f"a mini-batch of {size} points (the first in epoch 0's shuffled order)"
    tensors: dict[str, torch.Tensor] = {"x": x[idx], "y": y[idx]}
    for i, layer in enumerate(linear_layers(model), start=1):
        tensors[f"L{i}.weight"] = layer.weight
        tensors[f"L{i}.bias"] = layer.bias
    with torch.enable_grad():
        out = model(tensors["x"])
        loss = batch_loss(out, tensors["y"], split.classification)
        extra = penalty(model, config)
        if extra is not None:
            loss = loss + extra
    tensors["out"] = out
    tensors["loss"] = loss
    graph = build_graph(tensors, "loss")
    when = "the untrained network" if picture is None or picture.epoch < 0 else (
        f"the weights after epoch {picture.epoch}")
    caption = (f"One step's loss = {loss.item():.4g} over {which}, with {when}. "
               "Step backward runs the real loss.backward() node by node.")
    return StepGraph(tensors, graph, caption)
