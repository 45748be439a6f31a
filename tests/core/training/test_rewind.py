"""Checkpoints and rewind against plain torch loops written here: a run rewound to epoch k and
continued with a new rate, optimiser or batch size gives exactly the numbers of a plain loop that
changes at k, epoch for epoch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from playground.core.training import TrainConfig, noisy_line, train
from playground.core.training.checkpoints import (
    BASE_EVERY,
    CheckpointSink,
    CheckpointStore,
    start_checkpoint,
)
from playground.core.training.rewind import state_after

OPTIMIZERS = {
    "SGD": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "Momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
    "Adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
    "RMSprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr),
    "Adagrad": lambda p, lr: torch.optim.Adagrad(p, lr=lr),
}
DATA = noisy_line(12, noise=0.5, seed=3)


def plain(phases, epochs, data=DATA, seed=0, zero_grad=True):
    """The loop in plain torch; phases[i] = (first epoch, optimiser, lr, batch size): at each
    phase's first epoch the rate changes, a different optimiser is built afresh (the same one
    keeps its state), and a generator is seeded the first time mini-batches are used."""
    x, y = torch.tensor(data.x), torch.tensor(data.y)
    w = torch.tensor([1.0], requires_grad=True)
    b = torch.tensor([1.0], requires_grad=True)
    opt = name = gen = None
    rows = []
    for epoch in range(epochs):
        starting = [p for p in phases if p[0] == epoch]
        _, opt_name, lr, batch = [p for p in phases if p[0] <= epoch][-1]
        if starting:
            if opt_name != name:
                opt, name = OPTIMIZERS[opt_name]([w, b], lr), opt_name
            for group in opt.param_groups:
                group["lr"] = lr
            if batch is not None and gen is None:
                gen = torch.Generator().manual_seed(seed)
        if batch is None:
            loss = F.mse_loss(w * x + b, y)
            loss.backward()
            grads = (w.grad.item(), b.grad.item())
            opt.step()
            if zero_grad:
                opt.zero_grad()
            value = loss.item()
        else:
            perm = torch.randperm(len(x), generator=gen)
            total = 0.0
            for start in range(0, len(x), batch):
                idx = perm[start : start + batch]
                loss = F.mse_loss(w * x[idx] + b, y[idx])
                loss.backward()
                grads = (w.grad.item(), b.grad.item())
                opt.step()
                if zero_grad:
                    opt.zero_grad()
                total += loss.item() * len(idx)
            value = total / len(x)
        rows.append((epoch, value, w.item(), b.item(), lr, *grads))
    return rows


def run(config, start=None, sink=None):
    records, gen = [], train(config, None, start, sink)
    while True:
        try:
            r = next(gen)
        except StopIteration as stop:
            assert stop.value.status == "completed", stop.value
            return [(r.epoch, r.loss, r.w, r.b, r.lr, r.w_grad, r.b_grad) for r in records]
        records.append(r)


def recorded(config, every=BASE_EVERY):
    """Train `config` to its end, keeping checkpoints: (rows, store, lrs)."""
    sink = CheckpointSink(every)
    rows = run(config, sink=sink)
    store = CheckpointStore(start_checkpoint(config.w0, config.b0, config.optimizer))
    store.interval = every
    for ckpt in sink.drain():
        store.add(ckpt)
    return rows, store, [r[4] for r in rows]


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("k", [0, 7, 30, 31, 32, 45])
def test_a_new_rate_from_epoch_k_keeps_the_optimiser_state(optimizer, k) -> None:
    config = TrainConfig(dataset=DATA, optimizer=optimizer, lr=0.01, epochs=70)
    rows, store, lrs = recorded(config)
    assert rows == plain([(0, optimizer, 0.01, None)], 70)
    state = state_after([(0, config)], store, lrs, k)
    branch = run(config.replace(lr=0.003, epochs=90), start=state)
    expected = plain([(0, optimizer, 0.01, None), (k + 1, optimizer, 0.003, None)], 90)
    assert branch == expected[k + 1 :]


@pytest.mark.parametrize(("first", "then"), [("SGD", "Adam"), ("Adam", "Momentum"),
                                              ("Momentum", "RMSprop"), ("RMSprop", "Adagrad")])
def test_a_new_optimiser_from_epoch_k_starts_fresh(first, then) -> None:
    config = TrainConfig(dataset=DATA, optimizer=first, lr=0.01, epochs=50)
    rows, store, lrs = recorded(config)
    k = 20
    state = state_after([(0, config)], store, lrs, k)
    branch = run(config.replace(optimizer=then, lr=0.02), start=state)
    assert branch == plain([(0, first, 0.01, None), (k + 1, then, 0.02, None)], 50)[k + 1 :]


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_mini_batches_continue_with_the_generator_where_it_was(optimizer) -> None:
    config = TrainConfig(dataset=DATA, optimizer=optimizer, lr=0.01, epochs=45, batch_size=4)
    rows, store, lrs = recorded(config)
    assert rows == plain([(0, optimizer, 0.01, 4)], 45)
    k = 22
    state = state_after([(0, config)], store, lrs, k)
    branch = run(config.replace(lr=0.005, batch_size=5), start=state)
    assert branch == plain([(0, optimizer, 0.01, 4), (k + 1, optimizer, 0.005, 5)], 45)[k + 1 :]


def test_going_to_mini_batches_after_full_batch_seeds_the_generator_then() -> None:
    config = TrainConfig(dataset=DATA, optimizer="Momentum", lr=0.01, epochs=40)
    _, store, lrs = recorded(config)
    state = state_after([(0, config)], store, lrs, 9)
    branch = run(config.replace(batch_size=3), start=state)
    assert branch == plain([(0, "Momentum", 0.01, None), (10, "Momentum", 0.01, 3)], 40)[10:]


def test_forgotten_zero_grad_carries_the_accumulated_gradient() -> None:
    config = TrainConfig(dataset=DATA, optimizer="Momentum", lr=0.001, epochs=30,
                         forget_zero_grad=True)
    rows, store, lrs = recorded(config)
    assert rows == plain([(0, "Momentum", 0.001, None)], 30, zero_grad=False)
    state = state_after([(0, config)], store, lrs, 17)
    assert state.w_grad is not None
    branch = run(config.replace(lr=0.0005), start=state)
    expected = plain([(0, "Momentum", 0.001, None), (18, "Momentum", 0.0005, None)], 30,
                     zero_grad=False)
    assert branch == expected[18:]


def test_manual_update_continues_too() -> None:
    config = TrainConfig(dataset=DATA, optimizer="Manual", lr=0.01, epochs=30)
    rows, store, lrs = recorded(config)
    state = state_after([(0, config)], store, lrs, 12)
    branch = run(config.replace(optimizer="SGD", lr=0.02), start=state)
    assert branch == plain([(0, "SGD", 0.01, None), (13, "SGD", 0.02, None)], 30)[13:]


def test_replayed_state_equals_the_state_the_loop_had() -> None:
    """Every epoch's replayed state equals a checkpoint the loop took at that very epoch."""
    config = TrainConfig(dataset=DATA, optimizer="Adam", lr=0.01, epochs=40, batch_size=5)
    _, every_epoch, _ = recorded(config, every=1)
    _, sparse, lrs = recorded(config)
    for ckpt in list(every_epoch)[1:]:
        replayed = state_after([(0, config)], sparse, lrs, ckpt.epoch)
        assert (replayed.w, replayed.b, replayed.w_grad, replayed.b_grad, replayed.layout,
                replayed.gen_state, replayed.limit) == (ckpt.w, ckpt.b, ckpt.w_grad,
                                                        ckpt.b_grad, ckpt.layout,
                                                        ckpt.gen_state, ckpt.limit)
        assert np.array_equal(replayed.values, ckpt.values)


def test_the_state_before_epoch_0_is_the_start() -> None:
    config = TrainConfig(dataset=DATA, epochs=5)
    _, store, lrs = recorded(config)
    state = state_after([(0, config)], store, lrs, -1)
    assert (state.w, state.b, state.epoch) == (1.0, 1.0, -1)
    assert run(config, start=state) == run(config)


def test_unrecorded_epochs_and_out_of_place_runs_are_refused() -> None:
    config = TrainConfig(dataset=DATA, epochs=5)
    _, store, lrs = recorded(config)
    with pytest.raises(ValueError, match="not recorded"):
        state_after([(0, config)], store, lrs, 5)
    pitfall = TrainConfig(optimizer="Manual", out_of_place_update=True, epochs=1)
    with pytest.raises(ValueError, match="out-of-place"):
        state_after([(0, pitfall)], store, lrs, 0)


def test_the_store_thins_to_its_budget_and_keeps_pinned_checkpoints() -> None:
    config = TrainConfig(dataset=DATA, optimizer="Adam", lr=0.01, epochs=2000)
    sink = CheckpointSink(1)
    run(config, sink=sink)
    ckpts = sink.drain()
    one = ckpts[0].nbytes
    store = CheckpointStore(start_checkpoint(1.0, 1.0, "Adam"), budget=40 * one)
    store.interval = 1
    store.add(ckpts[100], pin=True)
    for ckpt in ckpts:
        store.add(ckpt)
    assert store.nbytes <= 40 * one
    assert store.interval > 1 and store.interval & (store.interval - 1) == 0  # a power of two
    epochs = [c.epoch for c in store]
    assert epochs[0] == -1 and 100 in epochs
    assert all(e in (-1, 100) or (e + 1) % store.interval == 0 for e in epochs)
    assert store.nearest(1234).epoch == max(e for e in epochs if e <= 1234)
    # Far apart as they are, replay still lands on exactly the loop's state.
    lrs = [0.01] * 2000
    replayed = state_after([(0, config)], store, lrs, 1234)
    assert (replayed.w, replayed.b) == (ckpts[1234].w, ckpts[1234].b)
    assert np.array_equal(replayed.values, ckpts[1234].values)
