"""A race in lockstep: each racer's numbers equal its solo run and a plain torch loop's; the
ranking follows the final losses, the epoch near the best, and divergence."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from playground.core.training import RunEnd, TrainConfig, TrainControl, noisy_line, train
from playground.core.training.history import record_row
from playground.core.training.race import near_best_epoch, race, standings

DATA = noisy_line(16, noise=0.3, seed=2)


def solo(config):
    return [record_row(r) for r in train(config)]


def drain(configs, control=None):
    rows = {i: [] for i in range(len(configs))}
    ends = {}
    gen = race(configs, control)
    while True:
        try:
            items = next(gen)
        except StopIteration as stop:
            return rows, ends, stop.value
        for i, item in items:
            if isinstance(item, RunEnd):
                ends[i] = item
            else:
                assert i not in ends
                rows[i].append(item)


@pytest.mark.parametrize("batch_size", [None, 5])
def test_each_racer_equals_its_solo_run(batch_size) -> None:
    base = TrainConfig(dataset=DATA, epochs=60, batch_size=batch_size)
    configs = [base.replace(optimizer=o, lr=lr) for o, lr in (
        ("SGD", 0.01), ("Momentum", 0.005), ("Adam", 0.05), ("RMSprop", 0.01),
        ("Adagrad", 0.3), ("Manual", 0.01))]
    rows, ends, end = drain(configs)
    assert end.status == "completed"
    for i, config in enumerate(configs):
        assert rows[i] == solo(config)
        assert ends[i].status == "completed"


def test_a_racer_equals_a_plain_torch_loop() -> None:
    config = TrainConfig(dataset=DATA, optimizer="Adam", lr=0.05, epochs=30)
    rows, _, _ = drain([TrainConfig(dataset=DATA, lr=0.01, epochs=30), config])
    x, y = torch.tensor(DATA.x), torch.tensor(DATA.y)
    w = torch.tensor([1.0], requires_grad=True)
    b = torch.tensor([1.0], requires_grad=True)
    opt = torch.optim.Adam([w, b], lr=0.05)
    for row in rows[1]:
        loss = F.mse_loss(w * x + b, y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        assert row[1:4] == (loss.item(), w.item(), b.item())


def test_a_diverging_racer_stops_and_the_others_go_on() -> None:
    base = TrainConfig(epochs=80)  # the notebook's two points
    configs = [base.replace(lr=0.001), base.replace(lr=0.5), base.replace(optimizer="Adam",
                                                                           lr=0.01)]
    rows, ends, end = drain(configs)
    assert end.status == "completed"
    assert ends[1].status == "diverged" and len(rows[1]) < 80
    assert rows[1] == solo(configs[1])  # the solo run stops at the same epoch
    assert len(rows[0]) == len(rows[2]) == 80
    table = standings([(c, np.array([r[1] for r in rows[i]]), ends[i].status)
                       for i, c in enumerate(configs)])
    assert [s.index for s in table][-1] == 1
    finals = [s.final_loss for s in table[:2]]
    assert finals == sorted(finals)
    assert table[0].final_loss == rows[table[0].index][-1][1]
    name, loss, near, outcome = table[0].cells()
    assert (name, float(loss), outcome) == (configs[table[0].index].optimizer,
                                            table[0].final_loss, "completed")
    assert int(near) == table[0].near_best_epoch


def test_stop_and_pause_reach_the_race() -> None:
    control = TrainControl(0.01)
    control.pause()
    control.step()
    control.step()
    gen = race([TrainConfig(epochs=50), TrainConfig(optimizer="Adam", epochs=50)], control)
    assert len(next(gen)) == 2 and len(next(gen)) == 2
    control.stop()
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value.status == "stopped"


def test_a_racer_that_cannot_start_ends_alone() -> None:
    rows, ends, end = drain([TrainConfig(epochs=5), TrainConfig(optimizer="Nope", epochs=5)])
    assert ends[1].status == "error" and "Nope" in ends[1].reason
    assert len(rows[0]) == 5 and rows[1] == []


def test_near_best_epoch_is_the_first_within_one_percent() -> None:
    losses = np.array([10.0, 5.0, 2.02, 2.019, 2.0, 2.5])
    assert near_best_epoch(losses) == 2
    assert near_best_epoch(np.array([])) is None
    assert near_best_epoch(np.array([0.0, 0.0])) == 0
    assert math.isnan(standings([(TrainConfig(), np.array([]), "running")])[0].final_loss)
