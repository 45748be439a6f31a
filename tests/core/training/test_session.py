"""TrainingSession without Qt: the whole run lifecycle, its events, earlier runs and plain data.

Waiting is done on the session's own signals (the worker's end, the loop's "held" event), never
by sleeping; nothing here asserts on wall-clock time.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from playground.core.limits import MAX_EARLIER_RUNS
from playground.core.training.config import TrainConfig
from playground.core.training.datasets import DataSetup, noisy_line
from playground.core.training.session import TrainingSession

TIMEOUT = 30.0  # only reached when something is broken


def plain_sgd(lrs: list[float], x=(10.0, 5.0), y=(10.0, 5.0), w0=1.0, b0=1.0):
    """The notebook's loop in plain torch; lrs[i] is epoch i's rate. Returns losses, w, b."""
    xt, yt = torch.tensor(x), torch.tensor(y)
    w = torch.tensor([w0], requires_grad=True)
    b = torch.tensor([b0], requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=lrs[0])
    losses = []
    for lr in lrs:
        for group in opt.param_groups:
            group["lr"] = lr
        loss = F.mse_loss(w * xt + b, yt)
        loss.backward()
        losses.append(loss.item())
        opt.step()
        opt.zero_grad()
    return losses, w.item(), b.item()


class Recorder:
    """Every event the session fires, in order."""

    def __init__(self, session: TrainingSession) -> None:
        self.seen: list[tuple] = []
        e = session.events
        e.setup_changed.connect(lambda config: self.seen.append(("setup", config)))
        e.run_started.connect(lambda run: self.seen.append(("started", run)))
        e.records_arrived.connect(lambda run, first: self.seen.append(("records", first)))
        e.run_ended.connect(lambda run: self.seen.append(("ended", run.end.status)))
        e.paused.connect(lambda paused: self.seen.append(("paused", paused)))
        e.runs_changed.connect(lambda: self.seen.append(("runs",)))

    def kinds(self) -> list[str]:
        return [event[0] for event in self.seen]


@pytest.fixture
def session():
    s = TrainingSession(speed=None)
    yield s
    assert s.shutdown(TIMEOUT), "the worker did not stop"


def test_defaults_come_from_train_config_only() -> None:
    s = TrainingSession()
    assert s.config == TrainConfig()
    assert s.data == DataSetup()
    assert s.speed is not None and s.speed <= 60  # slow enough to watch the first run
    assert s.current is None and s.earlier == [] and not s.is_running()


def test_a_whole_run_completes_and_matches_plain_torch(session) -> None:
    events = Recorder(session)
    run = session.start()
    assert session.is_running()
    assert session.wait(TIMEOUT)
    assert run.end.status == "completed" and run.epochs_done == 100
    expected, w, b = plain_sgd([0.001] * 100)
    assert run.history.column("loss").tolist() == expected
    assert (run.history.last("w"), run.history.last("b")) == (w, b)
    kinds = events.kinds()
    assert kinds[0] == "started" and kinds[-1] == "ended" and "records" in kinds
    assert events.seen[-1] == ("ended", "completed")


def test_pause_step_resume_stop_with_the_held_event(session) -> None:
    events = Recorder(session)
    session.update(epochs=1_000_000)
    session.step()  # idle: starts a paused run and trains exactly one epoch
    assert session.is_running() and session.paused
    assert session.wait_paused(TIMEOUT)
    session.poll()
    assert session.current.epochs_done == 1
    session.step()
    assert session.wait_paused(TIMEOUT)
    session.poll()
    assert session.current.epochs_done == 2
    session.poll()  # held: nothing more arrives
    assert session.current.epochs_done == 2

    session.resume()
    assert not session.paused
    session.pause()
    assert session.wait_paused(TIMEOUT)
    session.poll()
    held = session.current.epochs_done
    session.poll()
    assert session.current.epochs_done == held  # parked, not creeping on
    session.stop()
    assert session.wait(TIMEOUT)
    run = session.current
    assert run.end.status == "stopped" and run.epochs_done == held
    expected, w, _ = plain_sgd([0.001] * held)
    assert run.history.column("loss").tolist() == expected
    assert run.history.last("w") == w
    assert ("paused", True) in events.seen and ("paused", False) in events.seen


def test_live_lr_reaches_the_loop_and_is_recorded_as_a_change(session) -> None:
    session.update(epochs=30)
    session.step()
    for _ in range(9):
        session.step()
    assert session.wait_paused(TIMEOUT)
    session.set_lr(0.004)  # the setup's rate too, for the next run
    assert session.config.lr == 0.004
    session.resume()
    assert session.wait(TIMEOUT)
    run = session.current
    lrs = run.history.column("lr").tolist()
    assert lrs == [0.001] * 10 + [0.004] * 20
    assert run.lr_changes == [(10, 0.004)]
    assert run.config.lr == 0.001  # the run keeps the config it started with
    expected, _, _ = plain_sgd(lrs)
    assert run.history.column("loss").tolist() == expected
    assert run.label() == "SGD, lr 0.001 → 0.004 (lr changed once)"


def test_bad_settings_are_refused_and_leave_the_setup_unchanged(session) -> None:
    before = session.config
    with pytest.raises(ValueError, match="learning rate"):
        session.set_lr(0.0)
    with pytest.raises(ValueError, match="noisy line"):
        session.set_data(kind="noisy", points=0)
    assert session.config == before
    session.set_data(kind="custom", custom=())
    with pytest.raises(ValueError, match="no points"):
        session.start()
    assert not session.is_running()
    assert session.readout() is None  # no data: nothing to show, not a made-up number
    session.set_custom_points([(1.0, 2.0)])
    assert session.readout() is not None


def test_earlier_runs_keep_their_configs_up_to_five(session) -> None:
    session.update(epochs=5)
    rates = [0.001 * (i + 1) for i in range(MAX_EARLIER_RUNS + 2)]
    for lr in rates:
        session.set_lr(lr)
        session.start()
        assert session.wait(TIMEOUT)
    assert session.current.config.lr == rates[-1]
    assert [run.config.lr for run in session.earlier] == rates[-1 - MAX_EARLIER_RUNS:-1]
    for run in session.earlier:
        expected, _, _ = plain_sgd([run.config.lr] * 5)
        assert run.history.column("loss").tolist() == expected
    session.reset()
    assert session.current is None and session.earlier == []


def test_speed_paces_the_worker_and_full_speed_does_not(session) -> None:
    session.set_speed(0.001)  # one epoch per 1000 s: the first runs at once, the next waits
    session.update(epochs=3)
    session.start()
    assert session.control.epochs_per_second == 0.001
    assert not session.wait(0.3)  # a bounded wait that must run out: the loop is pacing
    assert session.current.epochs_done <= 1
    session.set_speed(None)  # reaches the running loop, which stops waiting
    assert session.control.epochs_per_second is None
    assert session.wait(TIMEOUT)
    assert session.current.end.status == "completed"


def test_start_point_readout_has_the_real_gradients() -> None:
    s = TrainingSession()
    w = torch.ones(1, requires_grad=True)
    b = torch.ones(1, requires_grad=True)
    x = torch.tensor([10.0, 5.0])
    loss = F.mse_loss(w * x + b, x)
    loss.backward()
    readout = s.readout()
    assert readout.epoch is None
    assert (readout.w_grad, readout.b_grad) == (w.grad.item(), b.grad.item()) == (15.0, 2.0)
    assert (readout.loss, readout.w, readout.b) == (loss.item(), 1.0, 1.0)
    assert "initial" in readout.caption


def test_predictions_are_the_notebooks_last_output(session) -> None:
    assert session.predictions() == ("", "")
    session.start()
    assert session.wait(TIMEOUT)
    text, note = session.predictions()
    assert text == "tensor([9.8048, 5.3858], grad_fn=<AddBackward0>)"  # the notebook's output
    assert "epoch 99" in note and "before its update" in note
    # Computed as the notebook does: the last forward pass, before that epoch's update.
    h = session.current.history
    w, b = h.column("w")[-2], h.column("b")[-2]
    expected = torch.tensor([w], dtype=torch.float32) * torch.tensor([10.0, 5.0]) + torch.tensor(
        [b], dtype=torch.float32)
    assert text.startswith(str(expected.detach())[:-1])
    log = session.log_text().splitlines()
    assert log[:2] == ["Epoch 0", "Loss tensor(1., grad_fn=<MseLossBackward0>)"]
    assert log[-3:] == ["Epoch 90", "Loss tensor(0.0938, grad_fn=<MseLossBackward0>)", text]
    readout = session.readout()
    assert readout.epoch == 99 and "after its update" in readout.caption


def test_a_setup_change_returns_the_readouts_to_the_new_start(session) -> None:
    session.update(epochs=5)
    session.start()
    assert session.wait(TIMEOUT)
    assert session.shows_run()
    session.set_lr(0.002)  # does not change the surface: the run stays on screen
    assert session.shows_run()
    session.set_data(kind="noisy")
    assert not session.shows_run()
    assert session.readout().epoch is None
    assert session.predictions() == ("", "")


def test_labels_say_what_the_run_really_was(session) -> None:
    session.update(epochs=3, optimizer="Adam", loss="L1", forget_zero_grad=True)
    session.set_data(kind="noisy", points=12)
    session.start()
    assert session.wait(TIMEOUT)
    assert session.current.label() == (
        "Adam, lr 0.001, L1 loss, Noisy line: 12 points, no zero_grad")


def test_round_trip_through_plain_data(session) -> None:
    session.update(epochs=40, optimizer="Momentum", seed=3)
    session.set_data(kind="noisy", points=9, noise=0.5)
    session.start()
    assert session.wait(TIMEOUT)
    session.update(epochs=20)
    session.step()
    assert session.wait_paused(TIMEOUT)
    session.set_lr(0.002)
    session.step()
    assert session.wait_paused(TIMEOUT)
    session.stop()
    assert session.wait(TIMEOUT)
    session.set_speed(10.0)

    data = json.loads(json.dumps(session.to_dict()))  # plain data, JSON-safe
    again = TrainingSession.from_dict(data)
    assert again.config == session.config and again.data == session.data
    assert again.speed == 10.0
    assert again.to_dict() == data
    for mine, theirs in zip([*session.earlier, session.current],
                            [*again.earlier, again.current], strict=True):
        assert theirs.config == mine.config and theirs.end == mine.end
        assert theirs.lr_changes == mine.lr_changes
        np.testing.assert_array_equal(theirs.history.rows(), mine.history.rows())
    assert again.config.dataset == noisy_line(9, noise=0.5, seed=3)


def test_round_trip_keeps_a_missing_grad_as_none() -> None:
    s = TrainingSession(TrainConfig(optimizer="Manual", out_of_place_update=True), speed=None)
    s.start()
    assert s.wait(TIMEOUT)
    assert s.current.end.status == "error"
    data = json.loads(json.dumps(s.to_dict(), allow_nan=False))
    assert TrainingSession.from_dict(data).current.epochs_done == 1


@pytest.mark.parametrize("bad", [{}, {"version": 99}, {"version": 1, "config": {"lr": "x"}},
                                 {"version": 1, "config": {}, "data": {"kind": "moon"}}])
def test_malformed_plain_data_is_refused_clearly(bad) -> None:
    with pytest.raises(ValueError):
        TrainingSession.from_dict(bad)


def test_landscape_is_the_setups_surface() -> None:
    s = TrainingSession()
    land = s.landscape(n=11)
    assert land.start == (1.0, 1.0) and land.optimum == pytest.approx((1.0, 0.0))
    assert land.ws[0] < 1.0 < land.ws[-1] and land.bs[0] < 0.0 < land.bs[-1]
    x = torch.tensor([10.0, 5.0])
    for i, j in [(0, 0), (5, 7), (10, 10)]:
        w = torch.tensor([land.ws[i]], dtype=torch.float32)
        b = torch.tensor([land.bs[j]], dtype=torch.float32)
        assert land.losses[i, j] == pytest.approx(F.mse_loss(w * x + b, x).item(), rel=1e-6)
    s.set_data(kind="custom", custom=())
    assert s.landscape() is None
