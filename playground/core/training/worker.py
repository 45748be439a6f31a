"""Runs the core's `train()` generator on a background thread and hands records over in batches.

A plain `threading.Thread` with a lock-protected list, no Qt signals: the worker appends one
tuple of floats per epoch and its owner (the TrainingSession, polled by the GUI's redraw timer)
swaps the whole list out at <= 60 Hz, so a loop doing thousands of epochs a second never floods
the event loop, and nothing Qt lives on the worker thread (no QThread to be "destroyed while
still running").
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Generator
from typing import Any

import numpy as np

from playground.core.training import loop
from playground.core.training.history import record_row
from playground.core.training.loop import RunEnd, TrainControl

_warm_lock = threading.Lock()
_warm_thread: threading.Thread | None = None


def warm_up_in_background() -> threading.Thread:
    """Start the core's warm-up (pays torch's one-off optimiser imports) once per process."""
    global _warm_thread
    with _warm_lock:
        if _warm_thread is None:
            _warm_thread = threading.Thread(target=_warm, name="torch-warm-up", daemon=True)
            _warm_thread.start()
        return _warm_thread


def _warm() -> None:
    # A failed warm-up only costs time on the first run; the run itself reports real errors.
    with contextlib.suppress(Exception):
        loop.warm_up()
        # numpy's first unique() imports numpy.ma (~70 ms): the landscape path's thinning
        # would pay it on the GUI thread in the first run's first redraws.
        np.unique(np.arange(3))


class TrainingWorker:
    """One run of `train(config, control)` on a daemon thread.

    `drain()` (GUI thread) returns the records produced since the last call and, once the
    generator has finished, its `RunEnd`. Live controls go through `control`, never through here.
    Another lab passes its own `source` (a generator of plain records returning a RunEnd) and
    `row` (how a yielded item is stored; the identity when given a source).
    """

    def __init__(self, config: Any, control: TrainControl,
                 source: Callable[[], Generator[Any, None, RunEnd]] | None = None,
                 row: Callable[[Any], Any] | None = None) -> None:
        self.config = config
        self.control = control
        self._source = source
        self._row = row if row is not None else (record_row if source is None else _same)
        self._lock = threading.Lock()
        self._records: list[Any] = []
        self._end: RunEnd | None = None
        self._thread = threading.Thread(target=self._run, name="training-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Ask the loop to end after the current epoch (also wakes it if paused)."""
        self.control.stop()

    def join(self, timeout_s: float) -> bool:
        """Wait for the thread; True once it has ended."""
        if self._thread.ident is not None:
            self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def drain(self) -> tuple[list[Any], RunEnd | None]:
        """Take every record produced so far; the RunEnd is returned only with the last batch."""
        with self._lock:
            records, self._records = self._records, []
            end = self._end
        return records, end

    def _run(self) -> None:
        end: RunEnd
        try:
            # torch's intra-op thread count is process-wide and decides how big reductions are
            # summed, so the worker leaves it alone: the Tensor Lab's numbers must not depend on
            # whether a run has happened (this model's ops are below torch's parallel grain).
            # Looked up on the module at run time, so a test can swap in a failing loop.
            generator = (self._source() if self._source is not None
                         else loop.train(self.config, self.control))
            lock = self._lock
            to_row = self._row
            while True:
                try:
                    r = next(generator)
                except StopIteration as stop:
                    end = stop.value
                    break
                row = to_row(r)
                with lock:
                    # drain() swaps the list out, so append to whichever list is current.
                    self._records.append(row)
        except Exception as exc:  # any failure must reach the window, not vanish
            end = RunEnd(
                "error",
                f"{type(exc).__name__}: {exc}",
                "The training loop raised an unexpected error; the run was stopped.",
            )
        if end is None:  # a generator that returned nothing still finished
            end = RunEnd("completed", "", "")
        with self._lock:
            self._end = end


def _same(item: Any) -> Any:
    return item


def check_speed(speed: float | None) -> float | None:
    """A pace in epochs per second (> 0 and finite), or None for full speed; else ValueError."""
    if speed is None:
        return None
    speed = float(speed)
    if not (speed > 0 and speed != float("inf")):
        raise ValueError("the speed must be epochs per second > 0, or None for full speed")
    return speed


class WorkerControls:
    """Pace, pause, resume, step and stop for a lab model's one worker, the same for every lab.

    A model using it has `_worker` (a TrainingWorker while a run goes, else None), `_speed`,
    `events.paused` and `events.speed_changed`, and `start(paused=...)`.
    """

    _worker: TrainingWorker | None
    _speed: float | None
    events: Any

    @property
    def speed(self) -> float | None:
        """Epochs per second the worker is paced to; None is full speed (no pacing)."""
        return self._speed

    def set_speed(self, epochs_per_second: float | None) -> None:
        """Pace the run, live while it trains."""
        speed = check_speed(epochs_per_second)
        if speed != self._speed:
            self._speed = speed
            if self._worker is not None:
                self._worker.control.epochs_per_second = speed
            self.events.speed_changed.emit(speed)

    def is_running(self) -> bool:
        """True from start() until the run's end has been polled (paused runs count)."""
        return self._worker is not None

    @property
    def paused(self) -> bool:
        return self._worker is not None and self._worker.control.paused

    def pause(self) -> None:
        """Hold the run before its next epoch."""
        if self._worker is not None:
            self._worker.control.pause()
            self.events.paused.emit(True)

    def resume(self) -> None:
        """Let a paused run carry on."""
        if self._worker is not None:
            self._worker.control.resume()
            self.events.paused.emit(False)

    def step(self) -> None:
        """Train exactly one epoch, then hold (starts a paused run when none is going)."""
        if self._worker is None:
            self.start(paused=True)
        assert self._worker is not None
        self._worker.control.step()
        self.events.paused.emit(True)

    def stop(self) -> None:
        """End the run after its current epoch; run_ended("stopped") follows on a poll."""
        if self._worker is not None:
            self._worker.control.stop()
