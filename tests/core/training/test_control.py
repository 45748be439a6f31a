"""TrainControl driven from another thread, the way the GUI drives a worker's train()."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import torch

from playground.core.training import (
    EpochRecord,
    RunEnd,
    TrainConfig,
    TrainControl,
    train,
    warm_up,
)
from playground.core.training.worker import TrainingWorker

TIMEOUT = 10.0  # generous: only reached if something is broken


class Worker:
    """Runs train() on a thread, collecting records; waiters block on a Condition, never sleep."""

    def __init__(self, config: TrainConfig, control: TrainControl) -> None:
        self.records: list[EpochRecord] = []
        self.end: RunEnd | None = None
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, args=(config, control), daemon=True)
        self._thread.start()

    def _run(self, config: TrainConfig, control: TrainControl) -> None:
        gen = train(config, control)
        while True:
            try:
                record = next(gen)
            except StopIteration as stop:
                with self._changed:
                    self.end = stop.value
                    self._changed.notify_all()
                return
            with self._changed:
                self.records.append(record)
                self._changed.notify_all()

    def wait_for(self, predicate, timeout: float = TIMEOUT) -> bool:
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    def join(self) -> None:
        self._thread.join(TIMEOUT)
        assert not self._thread.is_alive()


@pytest.fixture
def start_worker() -> Iterator[Callable[[TrainConfig, TrainControl], Worker]]:
    """Start workers; at teardown stop and join them, so a failing test leaves no thread behind."""
    started: list[tuple[Worker, TrainControl]] = []

    def start(config: TrainConfig, control: TrainControl) -> Worker:
        worker = Worker(config, control)
        started.append((worker, control))
        return worker

    yield start
    for worker, control in started:
        control.stop()
        worker.join()


def test_paused_before_start_then_single_steps(start_worker) -> None:
    control = TrainControl(lr=0.001)
    control.pause()
    worker = start_worker(TrainConfig(epochs=1000), control)
    # Paused from the start: the loop parks before epoch 0 and says so.
    assert control.wait_paused(TIMEOUT)
    assert worker.records == []
    control.step()
    assert worker.wait_for(lambda: len(worker.records) >= 1)
    assert control.wait_paused(TIMEOUT)  # parked again after exactly one epoch
    assert len(worker.records) == 1
    assert control.paused
    control.step()
    control.step()
    assert worker.wait_for(lambda: len(worker.records) >= 3)
    assert control.wait_paused(TIMEOUT)
    assert [r.epoch for r in worker.records] == [0, 1, 2]
    control.stop()
    assert worker.wait_for(lambda: worker.end is not None)
    worker.join()
    assert worker.end.status == "stopped"
    assert len(worker.records) == 3
    assert not control.held.is_set()  # a stopped loop is not "paused"


def test_pacing_holds_the_loop_until_the_speed_changes(start_worker) -> None:
    control = TrainControl(lr=0.001, epochs_per_second=0.001)  # 1000 s between epochs
    worker = start_worker(TrainConfig(epochs=5), control)
    assert worker.wait_for(lambda: len(worker.records) >= 1)
    # A bounded wait that must run out: the second epoch is 1000 s away.
    assert not worker.wait_for(lambda: len(worker.records) > 1, timeout=0.3)
    control.epochs_per_second = None  # full speed reaches the waiting loop at once
    assert worker.wait_for(lambda: worker.end is not None)
    assert worker.end.status == "completed" and len(worker.records) == 5
    with pytest.raises(ValueError, match="epochs per second"):
        control.epochs_per_second = -1.0


def test_pause_resume_and_stop_from_another_thread(start_worker) -> None:
    control = TrainControl(lr=0.0001)
    worker = start_worker(TrainConfig(lr=0.0001, epochs=10**9), control)
    assert worker.wait_for(lambda: len(worker.records) >= 20)
    control.pause()
    assert control.paused
    assert control.wait_paused(TIMEOUT)  # parked after the epoch in flight
    held = len(worker.records)
    control.resume()
    assert not control.paused
    assert worker.wait_for(lambda: len(worker.records) >= held + 20)
    control.stop()
    assert control.stopped
    assert worker.wait_for(lambda: worker.end is not None)
    worker.join()
    assert worker.end.status == "stopped"
    assert [r.epoch for r in worker.records] == list(range(len(worker.records)))


def test_stop_while_paused_ends_promptly(start_worker) -> None:
    control = TrainControl(lr=0.001)
    control.pause()
    worker = start_worker(TrainConfig(), control)
    control.stop()
    assert worker.wait_for(lambda: worker.end is not None, timeout=2.0)
    worker.join()
    assert worker.end == RunEnd("stopped", "Stopped by the user before epoch 0.")
    assert worker.records == []


def test_lr_set_from_another_thread_is_used_from_the_next_epoch(start_worker) -> None:
    control = TrainControl(lr=0.001)
    control.pause()
    worker = start_worker(TrainConfig(epochs=4), control)
    control.step()
    assert worker.wait_for(lambda: len(worker.records) >= 1)
    control.lr = 0.002
    control.resume()
    assert worker.wait_for(lambda: worker.end is not None)
    worker.join()
    assert [r.lr for r in worker.records] == [0.001, 0.002, 0.002, 0.002]
    assert worker.end.status == "completed"


def test_a_run_leaves_torchs_thread_count_and_big_sums_as_they_were() -> None:
    # The intra-op thread count is process-wide and decides how a large reduction is summed: a
    # run that changed it would change the Tensor Lab's numbers for the rest of the session.
    warm_up()
    before = torch.get_num_threads()
    x = torch.randn(200_000, generator=torch.Generator().manual_seed(3))
    sums_before = ((x @ x).item(), x.exp().mean().item())
    worker = TrainingWorker(TrainConfig(epochs=5), TrainControl(0.001, None))
    worker.start()
    assert worker.join(TIMEOUT)
    assert worker.drain()[1].status == "completed"
    assert torch.get_num_threads() == before
    assert ((x @ x).item(), x.exp().mean().item()) == sums_before
