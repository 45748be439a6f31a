"""The loop keeps the last step of a run's last epoch (and of every paced or stepped epoch), so the
update formula at a run's end needs no replay: what it keeps is exactly what a replay from the
nearest checkpoint gives. Longer replays are handed out as a job for another thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from playground.core.training import DataSetup, TrainConfig, noisy_line
from playground.core.training.checkpoints import Checkpoint
from playground.core.training.rewind import last_step
from playground.core.training.run import SYNC_REPLAY_POINTS
from playground.core.training.session import TrainingSession

TIMEOUT = 30.0  # only reached when something is broken


def same_state(a: Checkpoint, b: Checkpoint) -> bool:
    return (a.epoch, a.w, a.b, a.w_grad, a.b_grad, a.optimizer, a.layout, a.gen_state, a.limit) == (
        b.epoch, b.w, b.b, b.w_grad, b.b_grad, b.optimizer, b.layout, b.gen_state, b.limit
    ) and np.array_equal(a.values, b.values)


def replayed(run, epoch):
    return last_step(run.segments, run.checkpoints, run.history.column("lr"), epoch)


def finished(config: TrainConfig, speed=None, data=None) -> TrainingSession:
    session = TrainingSession(config, data, speed=speed)
    session.start()
    assert session.wait(TIMEOUT)
    assert session.current.end.status == "completed"
    return session


@pytest.mark.parametrize("optimizer", ["SGD", "Momentum", "Adam", "RMSprop", "Manual"])
@pytest.mark.parametrize("batch_size", [None, 3])
def test_a_finished_runs_last_step_is_kept_and_equals_its_replay(optimizer, batch_size) -> None:
    config = TrainConfig(lr=0.01, epochs=45, optimizer=optimizer, batch_size=batch_size, seed=2)
    session = finished(config, data=DataSetup(kind="noisy", points=10, noise=0.4))
    run = session.current
    last = run.epochs_done - 1
    known = run.known_step
    assert known is not None and known.epoch == last
    again = replayed(run, last)
    assert known.lr == again.lr
    assert same_state(known.before, again.before) and same_state(known.after, again.after)
    text = session.update_text()
    assert text.startswith(f"Epoch {last}'s last update ({optimizer}")
    run.known_step = None  # the same text from a replay
    assert session.update_text() == text


def test_a_full_speed_run_keeps_no_step_before_its_last_epoch() -> None:
    session = TrainingSession(TrainConfig(epochs=1_000_000), speed=None)
    session.start()
    while not session.wait(0.01) and session.current.epochs_done < 100:
        pass  # polls the records in until some epochs have trained
    session.stop()
    assert session.wait(TIMEOUT)
    run = session.current
    assert run.end.status == "stopped" and run.known_step is None
    # the formula is still written, by a replay
    assert session.update_text().startswith(f"Epoch {run.epochs_done - 1}'s last update (SGD")


def test_stepped_epochs_keep_their_steps() -> None:
    session = TrainingSession(TrainConfig(epochs=100, optimizer="Adam"), speed=None)
    for epoch in range(3):
        session.step()
        assert session.wait_paused(TIMEOUT)
        session.poll()
        run = session.current
        assert run.epochs_done == epoch + 1
        assert run.known_step is not None and run.known_step.epoch == epoch
        again = replayed(run, epoch)
        assert same_state(run.known_step.before, again.before)
        assert same_state(run.known_step.after, again.after)
    session.stop()
    assert session.wait(TIMEOUT)


def test_a_long_replay_is_a_job_for_another_thread_with_the_same_text() -> None:
    data = noisy_line(2_000, seed=0)
    config = TrainConfig(dataset=data, batch_size=500, epochs=20, lr=0.001)
    session = finished(config)
    run = session.current
    assert session.update_text_later() is None  # the last epoch's step is kept: cheap now
    session.show_epoch(12)
    assert (12 - run.checkpoints.nearest(11).epoch) * 2_000 > SYNC_REPLAY_POINTS
    job = session.update_text_later()
    assert job is not None
    texts = []
    thread = threading.Thread(target=lambda: texts.append(job()))
    thread.start()
    thread.join(TIMEOUT)
    assert texts == [session.update_text()]
    assert texts[0].startswith("Epoch 12's last update (SGD")
    session.show_epoch(0)  # a short replay is done where asked
    assert session.update_text_later() is None
