"""The Network Lab's training loop: the training rule (docs/network_lab.md) as a generator.

`train(config, split, seed, control)` yields an `EpochRecord` (plain floats) after every epoch
and, when the view asks for one (a `PictureRequest`; or every `snapshot_interval` seconds
without one), after a single step and at the end, a `Snapshot`: the output over a GRID x GRID
grid of the input plane, every hidden neuron's output over a coarser grid, and the weights,
biases and last gradients as numpy arrays. The snapshot is computed here, on the worker, only
when a repaint will use it, so the GUI thread only paints arrays and a full-speed run pays one
grid forward pass per repaint, none for the epochs in between. The generator returns a
`RunEnd` (the Training Lab's), and reads the Training Lab's `TrainControl` for the live
learning rate, pause, step and stop.

Divergence, as in the Training Lab: an epoch whose train loss is not finite or exceeds 1e6 x
max(first epoch's train loss, 1) ends the run with "diverged" and is not yielded.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from playground.core.network.config import NetConfig, build_model, feature_matrix, linear_layers
from playground.core.network.datasets import Split
from playground.core.training.loop import DIVERGENCE_FACTOR, RunEnd, TrainControl
from playground.core.training.tables import OPTIMIZER_SPECS

GRID = 50  # the decision boundary's resolution (the view scales it up smoothly)
THUMB_STEP = 2  # neuron thumbnails sample every 2nd grid point: 25 x 25
EXTENT = 6.0  # the input plane drawn: [-6, 6] x [-6, 6]
# Without a PictureRequest: the most pictures a second (more than the 30 repaints promised).
SNAPSHOT_INTERVAL = 1 / 42
# An asked-for picture waits for the epoch's end, unless the epoch is slower than this.
MID_EPOCH_WAIT = 1 / 60


class PictureRequest:
    """The view's standing order for the next picture: `ask()` after painting one, and the
    worker makes the next at its next epoch end (or mid-epoch once the ask is older than
    MID_EPOCH_WAIT). A plain attribute read on the worker's hot path; no lock, as one flag
    written by one thread and cleared by the other loses nothing (a late ask is kept)."""

    def __init__(self) -> None:
        self.asked_at: float | None = time.monotonic()  # None: no picture wanted

    def ask(self) -> None:
        if self.asked_at is None:
            self.asked_at = time.monotonic()


@dataclass(frozen=True, slots=True)
class EpochRecord:
    """One epoch's measures after its updates (accuracies NaN for regression)."""

    epoch: int
    train_loss: float
    test_loss: float
    train_accuracy: float
    test_accuracy: float
    lr: float


RECORD_COLUMNS = ("epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "lr")


@dataclass(frozen=True)
class Snapshot:
    """The model as the views draw it, as plain numpy arrays (safe to hand across threads)."""

    epoch: int  # -1: before the first epoch
    output: np.ndarray  # (GRID, GRID) raw model output, row i = x2 ascending, column j = x1
    neurons: tuple[np.ndarray, ...]  # per hidden layer: (n, GRID/THUMB_STEP, GRID/THUMB_STEP)
    weights: tuple[np.ndarray, ...]  # per nn.Linear: (out, in)
    biases: tuple[np.ndarray, ...]
    grads: tuple[np.ndarray | None, ...]  # each weight's gradient from the last step
    state: dict[str, np.ndarray]  # the model's state_dict as numpy (for the Step graph)
    # Ready to paint, made here so the GUI thread does no per-pixel work: colour indices 0-255
    # (orange -1 .. blue +1) for the view's lookup table. The heatmap's rows as `output`'s (the
    # probability of class 1 for classification, the output clipped for regression); the
    # thumbnails' rows top-down (x2 descending), as an image is drawn.
    output_index: np.ndarray | None = None  # (GRID, GRID) uint8
    neuron_index: tuple[np.ndarray, ...] = ()  # per hidden layer: (n, side, side) uint8
    output_thumb_index: np.ndarray | None = None  # (side, side) uint8, tanh of the output
    # Every hidden neuron's thumbnail then the output's, one contiguous (n + 1, side, side)
    # uint8 array (neuron_index and output_thumb_index are views of it): one copy paints all.
    thumbs_index: np.ndarray | None = None


def grid_points(n: int = GRID) -> torch.Tensor:
    """The (n*n, 2) points of the drawn plane, x1 varying fastest."""
    axis = torch.linspace(-EXTENT, EXTENT, n)
    x2, x1 = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([x1.reshape(-1), x2.reshape(-1)], dim=1)


def batch_loss(out: torch.Tensor, y: torch.Tensor, classification: bool) -> torch.Tensor:
    """The rule's data loss (no regularisation term)."""
    if classification:
        return F.binary_cross_entropy_with_logits(out.squeeze(1), y)
    return F.mse_loss(out.squeeze(1), y)


def penalty(model: torch.nn.Sequential, config: NetConfig) -> torch.Tensor | None:
    """The regularisation term over the nn.Linear weights (not the biases), or None."""
    if config.regularization == "None":
        return None
    weights = [layer.weight for layer in linear_layers(model)]
    if config.regularization == "L1":
        return config.reg_rate * sum(w.abs().sum() for w in weights)
    return config.reg_rate * sum((w ** 2).sum() for w in weights)


def colour_index(values: torch.Tensor) -> np.ndarray:
    """Values in [-1, 1] (clipped) as uint8 indices into a 256-colour lookup table."""
    scaled = values.clamp(-1.0, 1.0).add_(1.0).mul_(127.5).round_()  # in place: one buffer
    return scaled.to(torch.uint8).contiguous().numpy()


def snapshot(model: torch.nn.Sequential, config: NetConfig, grid_features: torch.Tensor,
             epoch: int, classification: bool = True) -> Snapshot:
    """Evaluate the model over the grid (one forward pass, every layer's output kept on the
    way) and copy everything the views draw, coloured-index images included (all thumbnails
    coloured in one pass)."""
    side = int(round(math.sqrt(grid_features.shape[0])))
    grids: list[torch.Tensor] = []
    with torch.no_grad():
        # Neurons by rows, points by columns: each neuron's outputs are one contiguous row,
        # its picture a plain reshape (and the matrix products run faster this way round).
        h = grid_features.T.contiguous()
        hidden_seen = 0
        for module in model:
            is_linear = isinstance(module, torch.nn.Linear)
            h = torch.addmm(module.bias[:, None], module.weight, h) if is_linear else module(h)
            hidden_seen += is_linear
            # A hidden neuron's output is after its activation (or its Linear, when none).
            if hidden_seen <= len(config.layers) and (
                    not is_linear or config.activation == "Linear"):
                grids.append(h.reshape(-1, side, side)[:, ::THUMB_STEP, ::THUMB_STEP])
        out = h.reshape(side, side)
        output = out.numpy()  # h is this pass's own tensor: nothing else holds or changes it
        shown = torch.sigmoid(out) * 2 - 1 if classification else out
        output_index = colour_index(shown)
        values = torch.cat([*grids, torch.tanh(out[::THUMB_STEP, ::THUMB_STEP])[None]])
        thumbs_index = colour_index(values.flip(1))  # image rows: x2 descending
    bounds = [0]
    for g in grids:
        bounds.append(bounds[-1] + g.shape[0])
    spans = list(zip(bounds[:-1], bounds[1:], strict=True))  # each layer's rows
    floats = values.numpy()
    neurons = tuple(floats[a:b] for a, b in spans)
    neuron_index = tuple(thumbs_index[a:b] for a, b in spans)
    weights: list[np.ndarray] = []
    biases: list[np.ndarray] = []
    grads: list[np.ndarray | None] = []
    state: dict[str, np.ndarray] = {}  # the state_dict's names, sharing the copies above
    for name, module in model.named_children():
        if isinstance(module, torch.nn.Linear):
            w, b = module.weight.detach().numpy().copy(), module.bias.detach().numpy().copy()
            weights.append(w)
            biases.append(b)
            grad = module.weight.grad
            grads.append(None if grad is None else grad.numpy().copy())
            state[f"{name}.weight"], state[f"{name}.bias"] = w, b
    return Snapshot(epoch, output, neurons, tuple(weights), tuple(biases), tuple(grads), state,
                    output_index, neuron_index, thumbs_index[-1], thumbs_index)


def train(
    config: NetConfig,
    split: Split,
    seed: int,
    control: TrainControl | None = None,
    snapshot_interval: float | None = None,
    picture: PictureRequest | None = None,
) -> Generator[EpochRecord | Snapshot, None, RunEnd]:
    """Train as the rule says, yielding records, and snapshots when asked (`picture`) or
    every `snapshot_interval` seconds."""
    try:
        config.validate()
    except ValueError as exc:
        return RunEnd("error", str(exc), "The network's settings are invalid; fix them and "
                                         "start again.")
    try:
        pictures = None if snapshot_interval is None and picture is None else _Pictures(
            snapshot_interval or 0.0, picture)
        return (yield from _run(config, split, seed, control, pictures))
    except Exception as exc:  # any torch failure ends the run with torch's own text
        return RunEnd("error", str(exc) or type(exc).__name__, "")


class _Pictures:
    """When the next snapshot is due: asked for by the view, or by the clock without one."""

    def __init__(self, interval: float, request: PictureRequest | None) -> None:
        self.interval = interval
        self.request = request
        self.last = -math.inf

    def due(self, mid_epoch: bool) -> bool:
        request = self.request
        if request is None:
            return time.monotonic() - self.last >= self.interval
        asked = request.asked_at
        return asked is not None and (not mid_epoch or time.monotonic() - asked >= MID_EPOCH_WAIT)

    def made(self) -> None:
        """A snapshot was just made (call before yielding it: a new ask then waits for it)."""
        self.last = time.monotonic()
        if self.request is not None:
            self.request.asked_at = None


def _run(config: NetConfig, split: Split, seed: int, control: TrainControl | None,
         pictures: _Pictures | None) -> Generator[EpochRecord | Snapshot, None, RunEnd]:
    classification = split.classification
    features = config.ordered_features
    x_train = feature_matrix(torch.from_numpy(split.x_train), features)
    y_train = torch.from_numpy(split.y_train)
    x_test = feature_matrix(torch.from_numpy(split.x_test), features)
    y_test = torch.from_numpy(split.y_test)
    model = build_model(config, seed)
    lr = config.lr if control is None else control.lr
    optimizer = OPTIMIZER_SPECS[config.optimizer].make(list(model.parameters()), lr)
    opt_lr = lr
    n_train = x_train.shape[0]
    batch = config.batch_size
    whole = batch == 0 or batch >= n_train
    gen = None if whole else torch.Generator().manual_seed(seed)
    grid = feature_matrix(grid_points(), features) if pictures is not None else None
    limit = math.inf
    if pictures is not None:
        first = snapshot(model, config, grid, -1, classification)
        pictures.made()
        yield first

    for epoch in range(config.epochs):
        if control is not None:
            if not control.wait_for_epoch():
                return RunEnd("stopped", f"Stopped by the user before epoch {epoch}.")
            lr = control._lr
        if lr != opt_lr:
            for group in optimizer.param_groups:
                group["lr"] = lr
            opt_lr = lr
        with torch.enable_grad():  # grad mode is thread-local; never inherit a caller's no_grad
            if whole:
                _step(model, optimizer, config, x_train, y_train, classification)
            else:
                perm = torch.randperm(n_train, generator=gen)
                for start in range(0, n_train, batch):
                    idx = perm[start:start + batch]
                    _step(model, optimizer, config, x_train[idx], y_train[idx], classification)
                    # A slow epoch does not hold a picture back: it follows mid-epoch
                    # (labelled with the last whole epoch), so the redraw rate holds.
                    if pictures is not None and epoch > 0 and start + batch < n_train \
                            and pictures.due(mid_epoch=True):
                        picture = snapshot(model, config, grid, epoch - 1, classification)
                        pictures.made()
                        yield picture
        with torch.no_grad():
            out_train = model(x_train)
            out_test = model(x_test)
            train_loss = batch_loss(out_train, y_train, classification).item()
            test_loss = batch_loss(out_test, y_test, classification).item()
            if classification:
                train_acc = ((out_train.squeeze(1) > 0) == (y_train > 0.5)).float().mean().item()
                test_acc = ((out_test.squeeze(1) > 0) == (y_test > 0.5)).float().mean().item()
            else:
                train_acc = test_acc = math.nan
        if epoch == 0 and math.isfinite(train_loss):
            limit = DIVERGENCE_FACTOR * max(train_loss, 1.0)
        if not (math.isfinite(train_loss) and train_loss <= limit):
            return RunEnd(
                "diverged",
                f"The loss blew up at epoch {epoch} (train loss {train_loss:.3g}) with learning "
                f"rate {lr:g}.",
                "Each step overshoots by more than it corrects; lower the learning rate "
                "(try x0.1).")
        yield EpochRecord(epoch, train_loss, test_loss, train_acc, test_acc, lr)
        if pictures is not None:
            last = epoch == config.epochs - 1
            stepping = control is not None and control.paused
            if last or stepping or pictures.due(mid_epoch=False):
                picture = snapshot(model, config, grid, epoch, classification)
                pictures.made()
                yield picture
    return RunEnd("completed", f"Trained {config.epochs} epochs.")


def _step(model: torch.nn.Sequential, optimizer: torch.optim.Optimizer, config: NetConfig,
          x: torch.Tensor, y: torch.Tensor, classification: bool) -> None:
    """One optimiser step: zero_grad, forward, loss (+ penalty), backward, step."""
    optimizer.zero_grad()
    loss = batch_loss(model(x), y, classification)
    extra = penalty(model, config)
    if extra is not None:
        loss = loss + extra
    loss.backward()
    optimizer.step()
