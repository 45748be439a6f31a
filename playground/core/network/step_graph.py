"""The Network Lab's "Step graph": one mini-batch step's loss as the real autograd graph.

The network is rebuilt with the weights the views show (the newest snapshot, or the untrained
model), its first mini-batch of the next epoch is pushed through the rule's forward and loss,
and the graph builder the Tensor Lab uses draws the result: `AddmmBackward0` per layer, the
activation's node, the loss's node and one `AccumulateGrad` per weight and bias. Leaves are
named by layer (`L1.weight`, `L1.bias`, ...), and `groups` gathers each `nn.Linear` layer's
nodes (its `AddmmBackward0`, the activation after it, the `AccumulateGrad` of its weight and
bias, the weight's transpose and the leaves) under a caption ("Layer 1"), which the graph view
boxes, so a deep network's graph reads layer by layer.
`record()` runs the real backward with every node hooked (core/graph/recording.py), for Step
backward and Play.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
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
    groups: dict[str, str] = field(default_factory=dict)  # node key -> "Layer 1", ...
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
    return StepGraph(tensors, graph, caption, layer_groups(graph, len(linear_layers(model))))


def layer_groups(graph: AutogradGraph, n_layers: int) -> dict[str, str]:
    """Each layer's nodes, found along the real graph's edges from its named leaves: the
    weight's and bias's AccumulateGrad, the weight's TBackward0, the AddmmBackward0 using them
    and the activation feeding the next layer's AddmmBackward0."""
    labels = {n.key: n.label for n in graph.nodes}
    parents: dict[str, list[str]] = defaultdict(list)
    children: dict[str, list[str]] = defaultdict(list)
    for e in graph.edges:
        parents[e.target].append(e.source)
        children[e.source].append(e.target)
    groups: dict[str, str] = {}
    addmm: dict[int, str] = {}
    for i in range(1, n_layers + 1):
        caption = f"Layer {i}" + (" (output)" if i == n_layers else "")
        mine: list[str] = []
        for name in ("weight", "bias"):
            leaf = f"t:L{i}.{name}"
            if leaf not in labels:
                continue
            mine.append(leaf)
            for acc in parents[leaf]:
                if labels[acc] == "AccumulateGrad":
                    mine.append(acc)
                    for up in parents[acc]:  # the weight's transpose, or the Addmm for the bias
                        if labels[up] == "TBackward0":
                            mine.append(up)
                            mine += [a for a in parents[up] if labels[a] == "AddmmBackward0"]
                        elif labels[up] == "AddmmBackward0":
                            mine.append(up)
        found = [k for k in mine if labels[k] == "AddmmBackward0"]
        if found:
            addmm[i] = found[0]
        if i == n_layers and "t:out" in labels:
            mine.append("t:out")
        for k in mine:
            groups.setdefault(k, caption)
    # The activation after layer i sits between its Addmm and the next layer's.
    for i in range(1, n_layers):
        if i in addmm and i + 1 in addmm:
            for act in children[addmm[i + 1]]:
                if act not in groups and addmm[i] in children[act]:
                    groups[act] = f"Layer {i}"
    return groups
