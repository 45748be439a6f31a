"""The Network Lab's loop against the training rule written here as a plain torch loop:
every epoch's train and test loss (and accuracy) equal, for each optimiser, activation,
regularisation and batch mode."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from playground.core.network.config import NET_OPTIMIZERS, NetConfig
from playground.core.network.datasets import DataSettings
from playground.core.network.loop import (
    GRID,
    THUMB_STEP,
    EpochRecord,
    PictureRequest,
    Snapshot,
    train,
)
from playground.core.training.loop import TrainControl

EPOCHS = 4


def drain(gen):
    items = []
    try:
        while True:
            items.append(next(gen))
    except StopIteration as stop:
        return items, stop.value


def plain_loop(split, seed, *, features, layers, activation, regularization, rate, optimizer,
               lr, batch_size, epochs, classification=True):
    """The rule, spelled out with nothing from the playground."""
    columns = {
        "x1": lambda x: x[:, 0], "x2": lambda x: x[:, 1], "x1²": lambda x: x[:, 0] ** 2,
        "x2²": lambda x: x[:, 1] ** 2, "x1·x2": lambda x: x[:, 0] * x[:, 1],
        "sin x1": lambda x: torch.sin(x[:, 0]), "sin x2": lambda x: torch.sin(x[:, 1]),
    }
    chosen = [name for name in columns if name in features]

    def feats(x):
        return torch.stack([columns[n](x) for n in chosen], dim=1)

    x_train, y_train = feats(torch.tensor(split.x_train)), torch.tensor(split.y_train)
    x_test, y_test = feats(torch.tensor(split.x_test)), torch.tensor(split.y_test)
    torch.manual_seed(seed)
    sizes = [len(chosen), *layers, 1]
    act = {"ReLU": nn.ReLU, "Tanh": nn.Tanh, "Sigmoid": nn.Sigmoid, "Linear": None}[activation]
    mods = []
    for i in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[i], sizes[i + 1]))
        if act is not None and i < len(sizes) - 2:
            mods.append(act())
    model = nn.Sequential(*mods)
    make = {
        "SGD": lambda p: torch.optim.SGD(p, lr=lr),
        "Momentum": lambda p: torch.optim.SGD(p, lr=lr, momentum=0.9),
        "Adam": lambda p: torch.optim.Adam(p, lr=lr),
        "RMSprop": lambda p: torch.optim.RMSprop(p, lr=lr),
        "Adagrad": lambda p: torch.optim.Adagrad(p, lr=lr),
    }[optimizer]
    opt = make(model.parameters())

    def loss_of(out, y):
        if classification:
            return F.binary_cross_entropy_with_logits(out.squeeze(1), y)
        return F.mse_loss(out.squeeze(1), y)

    n = len(y_train)
    g = torch.Generator().manual_seed(seed)
    rows = []
    for _ in range(epochs):
        if batch_size == 0 or batch_size >= n:
            batches = [torch.arange(n)]
        else:
            perm = torch.randperm(n, generator=g)
            batches = [perm[s:s + batch_size] for s in range(0, n, batch_size)]
        for idx in batches:
            opt.zero_grad()
            loss = loss_of(model(x_train[idx]), y_train[idx])
            weights = [m.weight for m in model if isinstance(m, nn.Linear)]
            if regularization == "L1":
                loss = loss + rate * sum(w.abs().sum() for w in weights)
            elif regularization == "L2":
                loss = loss + rate * sum((w ** 2).sum() for w in weights)
            loss.backward()
            opt.step()
        with torch.no_grad():
            o_tr, o_te = model(x_train), model(x_test)
            acc_tr = ((o_tr.squeeze(1) > 0) == (y_train > 0.5)).float().mean().item()
            acc_te = ((o_te.squeeze(1) > 0) == (y_test > 0.5)).float().mean().item()
            rows.append((loss_of(o_tr, y_train).item(), loss_of(o_te, y_test).item(),
                         acc_tr, acc_te))
    return rows


CASES = (
    [dict(optimizer=o) for o in NET_OPTIMIZERS]
    + [dict(activation=a) for a in ("ReLU", "Sigmoid", "Linear")]
    + [dict(regularization="L1", reg_rate=0.01), dict(regularization="L2", reg_rate=0.01)]
    + [dict(batch_size=0), dict(batch_size=7), dict(batch_size=10_000)]
    + [dict(layers=()), dict(layers=(3, 5, 2)),
       dict(features=("x1", "x2", "x1²", "x2²", "x1·x2", "sin x1", "sin x2"))]
)


@pytest.mark.parametrize("changes", CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in
                                                                 c.items()))
def test_every_epoch_matches_the_plain_loop(changes):
    data = DataSettings(kind="XOR", noise=10, n_points=120, seed=3)
    split = data.split()
    config = NetConfig(epochs=EPOCHS, lr=0.05).replace(**changes)
    items, end = drain(train(config, split, data.seed))
    assert end.status == "completed"
    expected = plain_loop(split, data.seed, features=config.features, layers=config.layers,
                          activation=config.activation, regularization=config.regularization,
                          rate=config.reg_rate, optimizer=config.optimizer, lr=config.lr,
                          batch_size=config.batch_size, epochs=EPOCHS)
    got = [(r.train_loss, r.test_loss, r.train_accuracy, r.test_accuracy) for r in items]
    assert got == expected
    assert [r.epoch for r in items] == list(range(EPOCHS))


def test_regression_uses_mse_and_has_no_accuracy():
    data = DataSettings(kind="Plane", noise=20, n_points=80, seed=1)
    split = data.split()
    config = NetConfig(epochs=3, layers=(3,), optimizer="Adam")
    items, end = drain(train(config, split, data.seed))
    expected = plain_loop(split, data.seed, features=config.features, layers=config.layers,
                          activation="Tanh", regularization="None", rate=0.0, optimizer="Adam",
                          lr=config.lr, batch_size=config.batch_size, epochs=3,
                          classification=False)
    assert [(r.train_loss, r.test_loss) for r in items] == [e[:2] for e in expected]
    assert all(math.isnan(r.train_accuracy) for r in items)


def test_snapshots_come_with_the_grid_and_every_neuron():
    data = DataSettings(kind="Circle", n_points=60)
    config = NetConfig(epochs=3, layers=(4, 2), activation="ReLU")
    items, end = drain(train(config, data.split(), 0, snapshot_interval=0.0))
    snaps = [i for i in items if isinstance(i, Snapshot)]
    records = [i for i in items if isinstance(i, EpochRecord)]
    assert len(records) == 3 and snaps[0].epoch == -1 and snaps[-1].epoch == 2
    last = snaps[-1]
    assert last.output.shape == (GRID, GRID)
    assert [n.shape for n in last.neurons] == [(4, 25, 25), (2, 25, 25)]
    assert [w.shape for w in last.weights] == [(4, 2), (2, 4), (1, 2)]
    assert all(g is not None for g in last.grads)
    # the grid's corner is (-6, -6): its output is the model's there
    from playground.core.network.config import build_model
    model = build_model(config, 0)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in last.state.items()})
    with torch.no_grad():
        corner = model(torch.tensor([[-6.0, -6.0]])).item()
        top_right = model(torch.tensor([[6.0, 6.0]])).item()
    assert last.output[0, 0] == pytest.approx(corner, abs=1e-5)
    assert last.output[-1, -1] == pytest.approx(top_right, abs=1e-5)


def test_live_lr_applies_at_the_next_epoch():
    data = DataSettings(kind="Gaussian", n_points=60)
    config = NetConfig(epochs=3, lr=0.01, batch_size=0)
    control = TrainControl(0.01)
    gen = train(config, data.split(), 0, control)
    first = next(gen)
    control.lr = 0.5
    rest, _ = drain(gen)
    assert first.lr == 0.01 and [r.lr for r in rest] == [0.5, 0.5]


def test_a_huge_rate_diverges_and_the_bad_epoch_is_not_yielded():
    data = DataSettings(kind="Plane", n_points=100)
    config = NetConfig(epochs=50, lr=1.0, layers=(4,), activation="Linear",
                       features=("x1", "x2", "x1²", "x2²"), batch_size=0)
    items, end = drain(train(config, data.split(), 0))
    assert end.status == "diverged"
    assert items and all(math.isfinite(r.train_loss) for r in items)


def test_invalid_settings_end_with_an_error_not_an_exception():
    data = DataSettings(n_points=20)
    items, end = drain(train(NetConfig(features=()), data.split(), 0))
    assert items == [] and end.status == "error" and "feature" in end.reason


def test_snapshots_carry_colour_indices_made_on_the_worker():
    data = DataSettings(kind="XOR", n_points=60)
    config = NetConfig(epochs=2, layers=(3,), activation="Tanh")
    items, _ = drain(train(config, data.split(), 0, snapshot_interval=0.0))
    last = [i for i in items if isinstance(i, Snapshot)][-1]
    # Computed here with torch: the probability of class 1 on [-1, 1], as 0-255 indices.
    out = torch.from_numpy(last.output)
    prob = torch.sigmoid(out) * 2 - 1
    expected = ((prob + 1) * 127.5).round().to(torch.uint8).numpy()
    assert last.output_index.dtype == np.uint8
    assert np.array_equal(last.output_index, expected)
    # Thumbnails: each neuron's output (x2 descending, as an image) and the output's tanh.
    neurons = torch.from_numpy(last.neurons[0]).clamp(-1, 1)
    assert np.array_equal(last.neuron_index[0],
                          ((neurons.flip(1) + 1) * 127.5).round().to(torch.uint8).numpy())
    thumb = torch.tanh(out[::THUMB_STEP, ::THUMB_STEP]).flip(0)
    assert np.array_equal(last.output_thumb_index,
                          ((thumb + 1) * 127.5).round().to(torch.uint8).numpy())


def test_pictures_come_only_when_asked_for():
    data = DataSettings(kind="XOR", n_points=60)
    config = NetConfig(epochs=6, layers=(3,), batch_size=0)
    # Asked once (at creation): the picture before the first epoch answers it; then none until
    # the last epoch's, which every run shows.
    items, end = drain(train(config, data.split(), 0, picture=PictureRequest()))
    assert end.status == "completed"
    assert [i.epoch for i in items if isinstance(i, Snapshot)] == [-1, 5]
    # Asked again on epoch 1's record: that epoch's picture follows its record.
    request = PictureRequest()
    pictures = []
    for item in train(config, data.split(), 0, picture=request):
        if isinstance(item, Snapshot):
            pictures.append(item.epoch)
        elif item.epoch == 1:
            request.ask()
    assert pictures == [-1, 1, 5] and request.asked_at is None
