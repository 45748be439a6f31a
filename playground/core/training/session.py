"""TrainingSession: the Training Lab's model, everything a saved session would hold, with no Qt.

It holds the setup (a TrainConfig and the DataSetup it draws its points from), the current run's
records, up to five earlier runs with their configs and learning-rate changes, and the run's
lifecycle on the plain worker thread. Views connect to `session.events` and call `poll()` from
their redraw timer: every event fires on the thread that calls poll() or the method, never on
the worker, so a Qt view can touch its widgets in the callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.core.events import Event
from playground.core.limits import MAX_EARLIER_RUNS
from playground.core.training import loop
from playground.core.training.checkpoints import CheckpointSink
from playground.core.training.config import TrainConfig, check_lr
from playground.core.training.datasets import DataSetup, notebook_dataset
from playground.core.training.history import record_row
from playground.core.training.landscape import landscape_window, least_squares_fit, loss_landscape
from playground.core.training.loop import PointEval, RunEnd, TrainControl, evaluate
from playground.core.training.notebook_log import LOG_EVERY, log_lines, predictions_text
from playground.core.training.race import Race, race
from playground.core.training.rewind import StepState
from playground.core.training.run import Run, runs_from_data, runs_to_data
from playground.core.training.worker import TrainingWorker, WorkerControls, check_speed

# Epochs per second by default: the notebook's 100 epochs take about 17 s, so a learner who
# starts dragging the learning rate a second or two in still changes the curve's steep part
# (at 30 epochs/s the run was over in 3.3 s, flat by the time a hand reached the slider).
DEFAULT_SPEED = 6.0
NOTEBOOK_RUN_SECONDS = 15.0  # the least the default pace gives the notebook's 100-epoch run
SPEEDS: tuple[float | None, ...] = (1.0, 3.0, 6.0, 10.0, 30.0, 100.0, 300.0, 1000.0, None)
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Landscape:
    """The loss surface around the setup's start: losses[i_w, j_b] at ws x bs, and its marks."""

    ws: np.ndarray
    bs: np.ndarray
    losses: np.ndarray
    start: tuple[float, float]
    optimum: tuple[float, float] | None  # the least-squares line; None if x has one value


@dataclass(frozen=True)
class Readout:
    """What the readouts show, and which parameters they are."""

    epoch: int | None  # None: no epoch trained yet (the starting point)
    loss: float
    w: float
    b: float
    w_grad: float
    b_grad: float
    caption: str


class TrainingEvents:
    """The session's events (core/events.py): fired on the caller's thread, never the worker's."""

    def __init__(self) -> None:
        self.setup_changed = Event()  # (config): the next run's setup changed
        self.run_started = Event()  # (run)
        self.records_arrived = Event()  # (run, index of the first new record)
        self.run_ended = Event()  # (run): run.end says why
        self.paused = Event()  # (bool): held between epochs, or running again
        self.runs_changed = Event()  # (): the earlier runs changed (a start kept one, or reset)
        self.speed_changed = Event()  # (epochs per second, or None for full speed)
        self.replaced = Event()  # (): replace_with() put another session's whole state in place
        self.epoch_shown = Event()  # (epoch or None): the epoch the views show (None: latest)
        self.race_started = Event()  # (race)
        self.race_arrived = Event()  # (race): the racers' new epochs are in
        self.race_ended = Event()  # (race): race.end says why


class TrainingSession(WorkerControls):
    """The Training Lab's model: setup, runs and the worker that trains (see the module doc)."""

    def __init__(
        self,
        config: TrainConfig | None = None,
        data: DataSetup | None = None,
        speed: float | None = DEFAULT_SPEED,
    ) -> None:
        self.events = TrainingEvents()
        config = config or TrainConfig()
        if data is None:
            # A given dataset other than the notebook's becomes custom points.
            points = tuple(zip(config.dataset.x, config.dataset.y, strict=True))
            data = DataSetup() if config.dataset == notebook_dataset() else DataSetup(
                kind="custom", custom=points)
            self._data = data
            self._config = config
        else:
            data.validate()
            self._data = data
            self._config = config.replace(dataset=data.dataset(config.seed))
        self._speed = check_speed(speed)
        self.current: Run | None = None
        self.earlier: list[Run] = []  # oldest first, at most MAX_EARLIER_RUNS
        self._worker: TrainingWorker | None = None
        self._last_lr = self._config.lr
        self._shown: int | None = None  # a rewound epoch of the current run (None: the latest)
        self._sink: CheckpointSink | None = None  # where the running loop leaves checkpoints
        self.race: Race | None = None  # the latest race (kept until the next race or reset)
        self._racing = False  # the worker is running self.race

    # ----- setup ---------------------------------------------------------------------------
    @property
    def config(self) -> TrainConfig:
        """The setup: the TrainConfig the next start() trains with."""
        return self._config

    @property
    def data(self) -> DataSetup:
        return self._data

    def update(self, **changes: Any) -> None:
        """Change setup values (TrainConfig fields except dataset); lr reaches a running loop."""
        if "dataset" in changes:
            raise ValueError("set the data with set_data() or set_custom_points()")
        config = self._config.replace(**changes)
        if "lr" in changes:
            config = config.replace(lr=check_lr(config.lr))
            if self._worker is not None:
                self._worker.control.lr = config.lr  # live: used from the next epoch
        if "seed" in changes and self._data.kind == "noisy":
            config = config.replace(dataset=self._data.dataset(config.seed))
        self._set_config(config)

    def set_lr(self, lr: float) -> None:
        """The learning rate: the setup's, and the running loop's from its next epoch."""
        self.update(lr=lr)

    def set_data(self, **changes: Any) -> None:
        """Change the data setup (kind, points, noise, custom); the dataset is rebuilt."""
        data = DataSetup(**{**self._data.__dict__, **changes})
        data.validate()
        self._data = data
        self._set_config(self._config.replace(dataset=data.dataset(self._config.seed)))

    def set_custom_points(self, points: list[tuple[float, float]]) -> None:
        """The points placed by hand (used when the data kind is "custom")."""
        self.set_data(custom=tuple((float(x), float(y)) for x, y in points))

    def _set_config(self, config: TrainConfig) -> None:
        if config != self._config:
            self._config = config
            self.events.setup_changed.emit(config)

    # ----- lifecycle ------------------------------------------------------------------------
    @property
    def control(self) -> TrainControl | None:
        """The running loop's live controls (None when idle)."""
        return None if self._worker is None else self._worker.control

    def start(self, paused: bool = False) -> Run:
        """Start a run with the setup on the worker thread; ValueError if it cannot be trained.
        With epoch k shown (show_epoch) it is a branch: it continues from the exact state after
        k with the setup as it is now; the run it left (stopped if going) stays as an earlier run.
        """
        k = self._shown
        if self._worker is not None and (k is None or self._racing):
            raise RuntimeError("a run is already going; stop it first")
        config = self._config
        config.validate()
        parent = self.current if k is not None and self.shows_run() else None
        run, state = (Run(config), None) if parent is None or k is None else parent.branch(
            k, config)
        if not self.shutdown(5.0):
            raise RuntimeError("the run did not stop; try again in a moment")
        if self.current is not None and self.current.epochs_done:
            self.earlier.append(self.current)
            del self.earlier[:-MAX_EARLIER_RUNS]
            self.events.runs_changed.emit()
        control = TrainControl(config.lr, self._speed)
        if paused:
            control.pause()  # before the thread exists, so not even one epoch slips through
        self.current = run
        self._last_lr = config.lr if parent is None else float(run.history.last("lr"))
        sink = self._sink = CheckpointSink(run.checkpoints.interval)
        # Looked up on the module at run time, so a test can swap in a failing loop.
        self._worker = TrainingWorker(config, control, source=lambda: loop.train(
            config, control, state, sink), row=record_row)
        self._worker.start()
        self._set_shown(None)
        self.events.run_started.emit(run)
        if paused:
            self.events.paused.emit(True)
        return run

    def start_race(self, entries: Sequence[tuple[str, float]]) -> Race:
        """Race (optimiser, rate) entries from the setup's start on one worker, in lockstep."""
        if self._worker is not None:
            raise RuntimeError("a run is already going; stop it first")
        self.race = Race.of(self._config, entries)
        configs = self.race.configs
        self._racing = True
        control = TrainControl(configs[0].lr, self._speed)
        self._worker = TrainingWorker(configs, control, source=lambda: race(configs, control))
        self._worker.start()
        self.events.race_started.emit(self.race)
        return self.race

    def reset(self) -> None:
        """Stop any run and forget every run: back to the setup's starting point."""
        self.shutdown()
        self.current = None
        self.earlier.clear()
        self.race = None
        self._set_shown(None)
        self.events.runs_changed.emit()
        self.events.setup_changed.emit(self._config)

    def wait_paused(self, timeout: float) -> bool:
        """Block until the running loop is held by a pause (for tests and scripts)."""
        return self._worker is not None and self._worker.control.wait_paused(timeout)

    def poll(self) -> bool:
        """Take the worker's new records (and its end); fire the events. True while running."""
        worker = self._worker
        if worker is None:
            return False
        rows, end = worker.drain()
        if self._racing:
            return self._poll_race(worker, rows, end)
        run = self.current
        assert run is not None and run.checkpoints is not None
        if self._sink is not None:
            for ckpt in self._sink.drain():
                run.checkpoints.add(ckpt)
            self._sink.every = run.checkpoints.interval  # the store may have thinned
        step = worker.control.last_step  # the loop's latest kept step (one tuple, or None)
        if step is not None and (run.known_step is None or run.known_step.epoch != step[0]):
            run.known_step = StepState(*step)
        if rows:
            first = len(run.history)
            run.history.extend(rows)
            self._note_lr_changes(run, first)
            self.events.records_arrived.emit(run, first)
        if end is not None:
            worker.join(1.0)  # it has returned its RunEnd; this only reaps the thread
            self._worker = None
            run.end = end
            self.events.run_ended.emit(run)
        return self._worker is not None

    def _poll_race(self, worker: TrainingWorker, batches: list, end: RunEnd | None) -> bool:
        assert self.race is not None
        if batches:
            self.race.add(batches)
            self.events.race_arrived.emit(self.race)
        if end is not None:
            worker.join(1.0)
            self._worker, self._racing = None, False
            self.race.finish(end)
            self.events.race_ended.emit(self.race)
        return self._worker is not None

    def wait(self, timeout: float) -> bool:
        """Block until the run ends, then poll it in (Qt-free callers); True once it has ended."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
            self.poll()
        return self._worker is None

    def shutdown(self, timeout: float = 1.0) -> bool:
        """Stop the worker and wait for it (closing the window); True once none is left."""
        if self._worker is None:
            return True
        self._worker.control.stop()
        return self.wait(timeout)

    def _note_lr_changes(self, run: Run, first: int) -> None:
        lrs = run.history.column("lr")[first:]
        epochs = run.history.column("epoch")[first:]
        previous = np.concatenate(([self._last_lr], lrs[:-1]))
        for i in np.flatnonzero(lrs != previous):
            run.lr_changes.append((int(epochs[i]), float(lrs[i])))
        self._last_lr = float(lrs[-1])

    # ----- what the window shows ---------------------------------------------------------------
    @property
    def shown_epoch(self) -> int | None:
        """The epoch the views show: one chosen by show_epoch(), or None for the latest."""
        return self._shown

    def show_epoch(self, epoch: int | None) -> None:
        """Show epoch `epoch` (clamped; None: the latest): views follow, Start continues it."""
        if epoch is not None:
            if self.current is None or not self.current.epochs_done:
                raise ValueError("the current run has no recorded epoch to show")
            epoch = min(max(int(epoch), 0), self.current.epochs_done - 1)
        self._set_shown(epoch)

    def step_back(self) -> None:
        """Show the epoch before the one shown (the latest when none is chosen)."""
        n = self._epoch_on_screen()
        if n is not None:
            self.show_epoch(max(n - 1, 0))

    def _set_shown(self, epoch: int | None) -> None:
        if epoch != self._shown:
            self._shown = epoch
            self.events.epoch_shown.emit(epoch)

    def _epoch_on_screen(self) -> int | None:
        if not self.shows_run() or self.current is None:
            return None  # no run on screen
        return self.current.epochs_done - 1 if self._shown is None else self._shown

    def update_text(self) -> str:
        """The update of the epoch on screen as formulas with torch's numbers ("" if none)."""
        n = self._epoch_on_screen()
        return "" if n is None or self.current is None else self.current.update_text(n)

    def update_text_later(self) -> Callable[[], str] | None:
        """None when update_text() is cheap now; else a function writing it from what is
        kept now, safe on another thread (see Run.update_text_later)."""
        n = self._epoch_on_screen()
        return None if n is None or self.current is None else self.current.update_text_later(n)

    def shows_run(self) -> bool:
        """True when the current run's records belong to the setup on screen (same data, loss
        and start); after such a change the window shows the new starting point instead."""
        run = self.current
        if run is None or not run.epochs_done:
            return False
        a, b = run.config, self._config
        return (a.dataset, a.loss, a.w0, a.b0) == (b.dataset, b.loss, b.w0, b.b0)

    def starting_point(self) -> PointEval:
        """Loss and gradients at the setup's initial w and b (ValueError if no data)."""
        return evaluate(self._config, self._config.w0, self._config.b0)

    def landscape(self, n: int = 60) -> Landscape | None:
        """The setup's loss surface, framing the start and the optimum; None without data."""
        config = self._config
        try:
            config.dataset.validate()
        except ValueError:
            return None
        start = (config.w0, config.b0)
        optimum = least_squares_fit(config.dataset.x, config.dataset.y)
        w_range, b_range = landscape_window(start, optimum)
        ws, bs, losses = loss_landscape(config.dataset, config.loss, w_range, b_range, n)
        return Landscape(ws, bs, losses, start, optimum)

    def readout(self) -> Readout | None:
        """The readouts' values and what they are; None when the setup has no valid data."""
        if self.shows_run():
            run = self.current
            assert run is not None
            n = self._epoch_on_screen() or 0
            h = run.history
            loss, w, b, w_grad, b_grad = (float(h.column(name)[n]) for name in (
                "loss", "w", "b", "w_grad", "b_grad"))
            return Readout(
                n, loss, w, b, w_grad, b_grad,
                f"After epoch {n}: loss and gradients from its forward and backward pass; "
                f"w, b after its update (the fitted line uses these).")
        try:
            start = self.starting_point()
        except ValueError:
            return None
        c = self._config
        return Readout(None, start.loss, c.w0, c.b0, start.w_grad, start.b_grad,
                       "Before training: loss and gradients at the initial w and b "
                       "(the fitted line uses these).")

    def predictions(self) -> tuple[str, str]:
        """(`print(y_predicted)` as the notebook prints it, which parameters made it); empty
        before the first epoch of the setup on screen."""
        if not self.shows_run():
            return "", ""
        run = self.current
        assert run is not None
        n = self._epoch_on_screen() or 0
        w, b = run.params_before(n)
        return (predictions_text(run.config, w, b),
                f"epoch {n}'s forward pass, with w, b before its update")

    def log_lines(self, first: int = 0, most: int | None = None) -> list[str]:
        """The notebook-style log (every tenth epoch) for the current run's records from
        index `first` on, plus the final predictions once the run has ended; with `most`,
        only about the newest `most` lines (a window keeping that many shows the same)."""
        run = self.current
        if run is None:
            return []
        h = run.history
        if most is not None:  # the records that can still print one of the newest lines
            first = max(first, len(h) - LOG_EVERY * (most // 2 + 1))
        epochs = h.column("epoch")[first:]
        logged = np.flatnonzero(epochs % LOG_EVERY == 0)  # the printed epochs, picked in numpy
        if most is not None:
            logged = logged[max(len(logged) - most // 2, 0):]  # two lines per printed epoch
        lines = log_lines(run.config, epochs[logged].astype(int).tolist(),
                          h.column("loss")[first:][logged].tolist())
        if run.end is not None and run.epochs_done and first <= run.epochs_done:
            w, b = run.params_before_last()
            lines.append(predictions_text(run.config, w, b))
        return lines

    def log_text(self) -> str:
        """The whole log as one text (for the clipboard)."""
        return "\n".join(self.log_lines())

    def replace_with(self, other: TrainingSession) -> None:
        """Take over another session's setup, speed and runs (a session file was opened).

        The model object stays the same, so every view and panel holding it follows along.
        RuntimeError if a running loop does not stop in time (then nothing is replaced).
        """
        if not self.shutdown(5.0):
            raise RuntimeError("the training run did not stop; try again in a moment")
        self._config, self._data, self._speed = other._config, other._data, other._speed
        self.current, self.earlier = other.current, list(other.earlier)[-MAX_EARLIER_RUNS:]
        self.race, self._shown = other.race, None
        self._last_lr = self._config.lr
        self.events.replaced.emit()

    # ----- plain data ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Everything a saved session keeps, as JSON-ready plain data."""
        current, earlier = runs_to_data(self.current, self.earlier)
        return {
            "version": FORMAT_VERSION,
            "config": self._config.to_dict(),
            "data": self._data.to_dict(),
            "speed": self._speed,
            "current": current,
            "earlier": earlier,
            "race": None if self.race is None else self.race.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingSession:
        """Rebuild from to_dict()'s output; ValueError names what is malformed."""
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            raise ValueError(f"a training session must be a mapping with version {FORMAT_VERSION}")
        try:
            session = cls(TrainConfig.from_dict(data["config"]),
                          DataSetup.from_dict(data["data"]), data.get("speed", DEFAULT_SPEED))
            session.current, earlier = runs_from_data(data.get("current"),
                                                      list(data.get("earlier", [])))
            session.earlier = earlier[-MAX_EARLIER_RUNS:]
            race_data = data.get("race")
            session.race = Race.from_dict(race_data) if race_data else None
        except (KeyError, TypeError) as exc:
            raise ValueError(f"a training session is malformed: {exc}") from exc
        return session

