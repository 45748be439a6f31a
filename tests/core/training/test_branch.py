"""TrainingSession's rewind, branch and race against plain torch loops written here: a run
rewound to epoch k and continued differently equals a plain loop that changes at k; a race's
runs equal solo runs; both survive a save and load."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F

from playground.core.training import DataSetup, TrainConfig, noisy_line, train
from playground.core.training.history import record_row
from playground.core.training.notebook_log import predictions_text
from playground.core.training.session import TrainingSession

TIMEOUT = 30.0  # only reached when something is broken
DATA = noisy_line(10, noise=0.4, seed=5)
OPTIMIZERS = {
    "SGD": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "Momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
    "Adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
}


def plain(phases, epochs):
    """Plain torch, full batch; phases = [(first epoch, optimiser, lr)]: a new optimiser is
    built fresh at its phase, the same one only gets the new rate."""
    x, y = torch.tensor(DATA.x), torch.tensor(DATA.y)
    w = torch.tensor([1.0], requires_grad=True)
    b = torch.tensor([1.0], requires_grad=True)
    opt = name = None
    rows = []
    for epoch in range(epochs):
        _, opt_name, lr = [p for p in phases if p[0] <= epoch][-1]
        if opt_name != name:
            opt, name = OPTIMIZERS[opt_name]([w, b], lr), opt_name
        for group in opt.param_groups:
            group["lr"] = lr
        loss = F.mse_loss(w * x + b, y)
        loss.backward()
        grads = (w.grad.item(), b.grad.item())
        opt.step()
        opt.zero_grad()
        rows.append((float(epoch), loss.item(), w.item(), b.item(), lr, *grads))
    return rows


def rows(run):
    return [tuple(r) for r in run.history.rows()]


@pytest.fixture
def session():
    s = TrainingSession(TrainConfig(lr=0.01, epochs=40, seed=5),
                        DataSetup(kind="noisy", points=10, noise=0.4), speed=None)
    assert s.config.dataset == DATA
    yield s
    assert s.shutdown(TIMEOUT), "the worker did not stop"


def finished(s: TrainingSession):
    s.start()
    assert s.wait(TIMEOUT)
    return s.current


def test_showing_an_epoch_shows_its_records(session) -> None:
    run = finished(session)
    seen = []
    session.events.epoch_shown.connect(seen.append)
    session.show_epoch(12)
    r = session.readout()
    h = run.history
    assert r.epoch == 12
    assert (r.loss, r.w, r.b, r.w_grad, r.b_grad) == tuple(
        float(h.column(n)[12]) for n in ("loss", "w", "b", "w_grad", "b_grad"))
    text, caption = session.predictions()
    w, b = float(h.column("w")[11]), float(h.column("b")[11])
    assert text == predictions_text(run.config, w, b) and "epoch 12" in caption
    assert run.params_before(12) == (w, b)
    session.step_back()
    assert session.shown_epoch == 11 and session.readout().w == float(h.column("w")[11])
    session.show_epoch(10_000)  # clamped to the last recorded epoch
    assert session.shown_epoch == 39
    session.show_epoch(None)
    assert seen == [12, 11, 39, None]
    assert session.update_text().startswith("Epoch 39's last update (SGD, lr 0.01):")


@pytest.mark.parametrize(("optimizer", "then", "k"), [
    ("SGD", "SGD", 15), ("Momentum", "Momentum", 0), ("Adam", "Adam", 31),
    ("SGD", "Adam", 20), ("Adam", "Momentum", 7)])
def test_start_from_a_shown_epoch_continues_exactly(session, optimizer, then, k) -> None:
    session.update(optimizer=optimizer)
    parent = finished(session)
    session.show_epoch(k)
    session.update(optimizer=then, lr=0.004, epochs=55)
    run = session.start()
    assert session.wait(TIMEOUT) and run.end.status == "completed"
    assert rows(run) == plain([(0, optimizer, 0.01), (k + 1, then, 0.004)], 55)
    assert rows(parent) == plain([(0, optimizer, 0.01)], 40)
    assert session.earlier[-1] is parent and run.parent is parent and run.branched_at == k
    assert session.shown_epoch is None
    assert run.config_at(k).optimizer == optimizer and run.config_at(k + 1).optimizer == then
    assert run.label().endswith(f"from epoch {k}")
    assert run.lr_changes == [(k + 1, 0.004)] or optimizer != then


def test_a_paused_run_is_stopped_and_left_by_the_branch(session) -> None:
    session.start(paused=True)
    for _ in range(6):
        session.step()
        assert session.wait_paused(TIMEOUT)
    while session.current.epochs_done < 6:
        session.poll()
    parent = session.current
    session.show_epoch(3)
    session.update(lr=0.02)
    run = session.start()
    assert session.wait(TIMEOUT)
    assert parent.end.status == "stopped" and session.earlier[-1] is parent
    assert rows(run) == plain([(0, "SGD", 0.01), (4, "SGD", 0.02)], 40)


def test_a_branch_needs_epochs_left_and_the_same_problem(session) -> None:
    finished(session)
    session.show_epoch(39)
    with pytest.raises(ValueError, match="Epochs above 40"):
        session.start()
    assert session.earlier == [] and not session.is_running()
    session.set_data(kind="noisy", noise=0.1)  # other data: Start trains a new run from 0
    session.update(epochs=50)
    run = session.start()
    assert session.wait(TIMEOUT)
    assert run.branched_at is None and run.epochs_done == 50


def test_a_branch_of_a_branch_and_the_update_formula_after_loading(session) -> None:
    finished(session)
    session.show_epoch(9)
    session.update(optimizer="Momentum", lr=0.005, epochs=50)
    first = session.start()
    assert session.wait(TIMEOUT)
    assert first.branched_at == 9
    session.show_epoch(30)
    session.update(optimizer="Adam", lr=0.02, epochs=60)
    second = session.start()
    assert session.wait(TIMEOUT)
    expected = plain([(0, "SGD", 0.01), (10, "Momentum", 0.005), (31, "Adam", 0.02)], 60)
    assert rows(second) == expected
    assert [first_epoch for first_epoch, _ in second.segments] == [0, 10, 31]

    loaded = TrainingSession.from_dict(json.loads(json.dumps(session.to_dict())))
    again = loaded.current
    assert rows(again) == expected and again.branched_at == 30
    assert again.parent is loaded.earlier[-1] and loaded.earlier[-1].parent is loaded.earlier[0]
    assert [c.optimizer for _, c in again.segments] == ["SGD", "Momentum", "Adam"]
    # The loaded run holds no checkpoints but its start: replay goes through both branch points.
    for epoch in (5, 20, 45, 59):
        assert again.update_text(epoch) == second.update_text(epoch)
        a, b = again.state_after(epoch), second.state_after(epoch)
        assert (a.w, a.b, a.layout, a.values.tolist()) == (b.w, b.b, b.layout, b.values.tolist())
    assert loaded.shows_run()
    loaded.show_epoch(45)
    loaded.update(epochs=70)
    third = loaded.start()
    assert loaded.wait(TIMEOUT)
    assert rows(third) == plain([(0, "SGD", 0.01), (10, "Momentum", 0.005), (31, "Adam", 0.02)],
                                70)


def test_older_saved_runs_load_as_runs_of_one_segment(session) -> None:
    finished(session)
    data = session.to_dict()
    del data["race"]
    for key in ("branched_at", "segments", "parent"):
        data["current"].pop(key, None)
    loaded = TrainingSession.from_dict(data)
    assert loaded.race is None and loaded.current.branched_at is None
    assert loaded.current.segments == ((0, loaded.current.config),)


def test_a_race_equals_solo_runs_and_survives_saving(session) -> None:
    seen = []
    session.events.race_started.connect(lambda r: seen.append("started"))
    session.events.race_ended.connect(lambda r: seen.append("ended"))
    race = session.start_race([("SGD", 0.01), ("Adam", 0.05), ("Momentum", 0.002),
                               ("SGD", 5.0)])
    assert session.is_running()
    assert session.wait(TIMEOUT)
    assert seen == ["started", "ended"] and race.end.status == "completed"
    for run in race.runs:
        assert rows(run) == [record_row(r) for r in train(run.config)]
    assert [r.end.status for r in race.runs] == ["completed"] * 3 + ["diverged"]
    table = race.standings()
    assert table[-1].index == 3 and table[-1].outcome == "diverged"
    assert table[0].final_loss <= table[1].final_loss <= table[2].final_loss
    assert rows(race.runs[0]) == [tuple(r) for r in plain([(0, "SGD", 0.01)], 40)]
    loaded = TrainingSession.from_dict(json.loads(json.dumps(session.to_dict())))
    assert [rows(r) for r in loaded.race.runs] == [rows(r) for r in race.runs]
    assert loaded.race.standings() == table
    with pytest.raises(ValueError, match="at least one"):
        session.start_race([])
    with pytest.raises(ValueError, match="unknown optimizer"):
        session.start_race([("Nope", 0.1)])
    assert not session.is_running()


def test_a_race_can_be_stopped(session) -> None:
    session.set_speed(30.0)
    race = session.start_race([("SGD", 0.01), ("Adam", 0.01)])
    session.stop()
    assert session.wait(TIMEOUT)
    assert race.end.status == "stopped"
    assert all(run.end.status == "stopped" for run in race.runs)
    session.reset()
    assert session.race is None


@pytest.mark.parametrize("change", [
    {"branched_at": 99}, {"branched_at": -1}, {"segments": []},
    {"segments": [[5, TrainConfig().to_dict()]]},
    {"segments": [[0, TrainConfig(optimizer="Nope").to_dict()]]},
    {"branched_at": None},
])
def test_a_malformed_branch_is_refused_by_name(session, change) -> None:
    finished(session)
    session.show_epoch(10)
    session.update(epochs=45)
    session.start()
    assert session.wait(TIMEOUT)
    data = json.loads(json.dumps(session.to_dict()))
    data["current"].update(change)
    if change.get("branched_at", 0) is None:
        del data["current"]["branched_at"]
    with pytest.raises(ValueError, match="malformed"):
        TrainingSession.from_dict(data)
