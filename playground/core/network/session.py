"""NetworkSession: the Network Lab's model (data, network, runs, the worker), with no Qt.

Shaped like the Training Lab's TrainingSession: views connect to `session.events` and call
`poll()` from their redraw timer; every event fires on the thread that calls poll() or the
method, never on the worker. The worker is the Training Lab's TrainingWorker running this lab's
loop, and hands over plain records and numpy snapshots only.

Changing the data, the features, the layers or any other setting the run's numbers depend on
stops and forgets the current run and says so (`events.notice`); the learning rate reaches a
running loop at its next epoch, and the epoch count and speed change nothing already trained.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from playground.core.events import Event
from playground.core.network import loop
from playground.core.network.config import NetConfig, build_model, feature_matrix
from playground.core.network.datasets import (
    CUSTOM,
    IMPORTED,
    DataSettings,
    Point,
    Split,
    parse_points,
    read_points,
)
from playground.core.network.loop import EpochRecord, Snapshot
from playground.core.training.config import check_lr
from playground.core.training.loop import RunEnd, TrainControl
from playground.core.training.session import DEFAULT_SPEED, SPEEDS
from playground.core.training.worker import TrainingWorker, WorkerControls, check_speed

FORMAT_VERSION = 1
MAX_EARLIER_RUNS = 5
# Settings a run's numbers do not depend on: changing them keeps the run on screen.
LIVE_SETTINGS = ("lr", "epochs")
__all__ = ["SPEEDS", "NetworkSession", "NetRun"]


@dataclass
class NetRun:
    """One run: its settings, its per-epoch measures, how it ended, its live lr changes."""

    config: NetConfig
    data: DataSettings
    records: list[EpochRecord] = field(default_factory=list)
    end: RunEnd | None = None
    lr_changes: list[tuple[int, float]] = field(default_factory=list)
    # column name -> (the records list read, its values so far)
    _columns: dict[str, tuple[list, np.ndarray]] = field(default_factory=dict, repr=False,
                                                         compare=False)

    @property
    def epochs_done(self) -> int:
        return len(self.records)

    def column(self, name: str) -> np.ndarray:
        """One measure per epoch (a name of loop.RECORD_COLUMNS) as a float64 array (the
        records read before are kept: a live run's curves read only the new epochs)."""
        records = self.records
        known = self._columns.get(name)
        if known is None or known[0] is not records or len(known[1]) > len(records):
            known = (records, np.zeros(0))
        done = len(known[1])
        if done < len(records):
            new = np.fromiter((getattr(r, name) for r in records[done:]), dtype=np.float64,
                              count=len(records) - done)
            known = (records, np.concatenate([known[1], new]))
            self._columns[name] = known
        return known[1]

    @property
    def last(self) -> EpochRecord | None:
        return self.records[-1] if self.records else None

    def to_dict(self) -> dict[str, Any]:
        rows = [[None if v != v else v for v in (getattr(r, c) for c in loop.RECORD_COLUMNS)]
                for r in self.records]
        return {"config": self.config.to_dict(), "data": self.data.to_dict(), "records": rows,
                "end": None if self.end is None else self.end.to_dict(),
                "lr_changes": [[e, lr] for e, lr in self.lr_changes]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetRun:
        try:
            records = []
            for row in data["records"]:
                values = [float("nan") if v is None else float(v) for v in row]
                if len(values) != len(loop.RECORD_COLUMNS):
                    raise ValueError("a record has the wrong number of columns")
                records.append(EpochRecord(int(values[0]), *values[1:]))
            end = data.get("end")
            return cls(NetConfig.from_dict(data["config"]), DataSettings.from_dict(data["data"]),
                       records,
                       RunEnd.from_dict(end) if end else RunEnd("stopped", "Loaded unfinished."),
                       [(int(e), float(lr)) for e, lr in data.get("lr_changes", [])])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"a saved network run is malformed: {exc}") from exc


class NetworkEvents:
    """The session's events (core/events.py): fired on the caller's thread, never the worker's."""

    def __init__(self) -> None:
        self.setup_changed = Event()  # (): data or settings changed (the view re-reads them)
        self.notice = Event()  # (text): something the learner should be told (a reset run)
        self.run_started = Event()  # (run)
        self.records_arrived = Event()  # (run, index of the first new record)
        self.snapshot = Event()  # (Snapshot): a newer picture of the model
        self.run_ended = Event()  # (run)
        self.paused = Event()  # (bool)
        self.speed_changed = Event()  # (epochs per second or None)
        self.replaced = Event()  # (): replace_with() put another session's state in place


class NetworkSession(WorkerControls):
    """The Network Lab's model (see the module doc)."""

    def __init__(self, data: DataSettings | None = None, config: NetConfig | None = None,
                 speed: float | None = DEFAULT_SPEED) -> None:
        self.events = NetworkEvents()
        self._data = data or DataSettings()
        self._data.validate()
        self._config = config or NetConfig()
        self._config.validate()
        self._split = self._data.split()
        self._speed = check_speed(speed)
        self.current: NetRun | None = None
        self.earlier: list[NetRun] = []
        self.latest: Snapshot | None = None  # the newest picture of the current run's model
        self._worker: TrainingWorker | None = None
        self._picture_request: loop.PictureRequest | None = None
        self._setup_picture: tuple[tuple, Snapshot] | None = None  # (what it shows, picture)
        self._last_lr = self._config.lr

    # ----- setup ------------------------------------------------------------------------------
    @property
    def config(self) -> NetConfig:
        return self._config

    @property
    def data_settings(self) -> DataSettings:
        return self._data

    @property
    def split(self) -> Split:
        return self._split

    def data(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(x_train, y_train, x_test, y_test): float32 tensors of the raw points and labels."""
        s = self._split
        return (torch.from_numpy(s.x_train.copy()), torch.from_numpy(s.y_train.copy()),
                torch.from_numpy(s.x_test.copy()), torch.from_numpy(s.y_test.copy()))

    def initial_state(self) -> dict[str, torch.Tensor]:
        """The model's state_dict at the start of the current run (the setup's when none)."""
        run = self.current
        config, seed = (run.config, run.data.seed) if run else (self._config, self._data.seed)
        return build_model(config, seed).state_dict()

    def update(self, **changes: Any) -> None:
        """Change NetConfig settings; lr reaches a running loop, most others reset the run."""
        if "lr" in changes:
            changes["lr"] = check_lr(changes["lr"])
        config = self._config.replace(**changes)
        config.validate()
        if config == self._config:
            return
        resets = [name for name in changes if name not in LIVE_SETTINGS
                  and getattr(config, name) != getattr(self._config, name)]
        self._config = config
        if "lr" in changes and self._worker is not None:
            self._worker.control.lr = config.lr
        if resets:
            self._reset_run(_what_changed(resets))
        self.events.setup_changed.emit()

    def set_lr(self, lr: float) -> None:
        """The learning rate: the setup's, and the running loop's from its next epoch."""
        self.update(lr=lr)

    def set_data(self, **changes: Any) -> None:
        """Change the data settings (kind, noise, ratio, points, seed); resets the run."""
        data = self._data.replace(**changes)
        if data == self._data:
            return
        split = data.split()  # ValueError here changes nothing
        self._data, self._split = data, split
        self._reset_run("The data changed")
        self.events.setup_changed.emit()

    def regenerate(self) -> None:
        """New points: the next seed."""
        self.set_data(seed=self._data.seed + 1)

    def set_custom_points(self, points: list[Point] | tuple[Point, ...]) -> None:
        """The points placed by hand; shows them (kind "Custom points")."""
        self.set_data(kind=CUSTOM, custom=tuple((float(a), float(b), float(c))
                                                for a, b, c in points))

    def import_text(self, text: str) -> None:
        """Use pasted CSV/TSV text; ImportRefused (line, reason) changes nothing."""
        points, task = parse_points(text)
        self.set_data(kind=IMPORTED, imported=points, imported_task=task)

    def import_file(self, path: str | Path) -> None:
        """Use a CSV/TSV file; ImportRefused (line, reason) changes nothing."""
        points, task = read_points(path)
        self.set_data(kind=IMPORTED, imported=points, imported_task=task)

    def _reset_run(self, why: str) -> None:
        had_run = self._worker is not None or self.current is not None
        self.shutdown()
        self.current = None
        self.latest = None
        if had_run:
            self.events.notice.emit(f"{why}: the run was reset.")

    # ----- lifecycle --------------------------------------------------------------------------
    def start(self, paused: bool = False) -> NetRun:
        """Start a run of the setup on the worker thread; ValueError if it cannot be trained."""
        if self._worker is not None:
            raise RuntimeError("a run is already going; stop it first")
        config, data, split = self._config, self._data, self._split
        config.validate()
        if self.current is not None and self.current.epochs_done:
            self.earlier.append(self.current)
            del self.earlier[:-MAX_EARLIER_RUNS]
        run = NetRun(config, data)
        control = TrainControl(config.lr, self._speed)
        if paused:
            control.pause()
        self.current = run
        self.latest = None
        self._last_lr = config.lr
        request = self._picture_request = loop.PictureRequest()
        self._worker = TrainingWorker(
            config, control,
            source=lambda: loop.train(config, split, data.seed, control, picture=request))
        self._worker.start()
        self.events.run_started.emit(run)
        if paused:
            self.events.paused.emit(True)
        return run

    def reset(self) -> None:
        """Stop any run and forget every run: back to the setup's untrained network."""
        self.shutdown()
        self.current = None
        self.latest = None
        self.earlier.clear()
        self.events.setup_changed.emit()

    def want_picture(self) -> None:
        """The view has painted the last picture: the worker makes the next one at its next
        epoch end (so a full-speed run computes only the pictures that are painted)."""
        if self._picture_request is not None:
            self._picture_request.ask()

    def wait_paused(self, timeout: float) -> bool:
        return self._worker is not None and self._worker.control.wait_paused(timeout)

    def poll(self) -> bool:
        """Take the worker's records and newest snapshot; fire the events. True while running."""
        worker = self._worker
        if worker is None:
            return False
        items, end = worker.drain()
        run = self.current
        assert run is not None
        first = len(run.records)
        newest: Snapshot | None = None
        for item in items:
            if isinstance(item, EpochRecord):
                run.records.append(item)
                if item.lr != self._last_lr:
                    run.lr_changes.append((item.epoch, item.lr))
                    self._last_lr = item.lr
            else:
                newest = item
        if len(run.records) > first:
            self.events.records_arrived.emit(run, first)
        if newest is not None:
            self.latest = newest
            self.events.snapshot.emit(newest)
        if end is not None:
            worker.join(1.0)
            self._worker = None
            run.end = end
            self.events.run_ended.emit(run)
        return self._worker is not None

    def wait(self, timeout: float) -> bool:
        """Block until the run ends, then poll it in (Qt-free callers); True once ended."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
            self.poll()
        return self._worker is None

    def shutdown(self, timeout: float = 1.0) -> bool:
        if self._worker is None:
            return True
        self._worker.control.stop()
        return self.wait(timeout)

    # ----- what the views draw ----------------------------------------------------------------
    def picture(self) -> Snapshot:
        """The newest snapshot of the run, or the untrained setup's (computed here, once)."""
        if self.latest is not None:
            return self.latest
        key = (self._config, self._data.seed, self.split.classification)
        if self._setup_picture is None or self._setup_picture[0] != key:
            model = build_model(self._config, self._data.seed)
            grid = feature_matrix(loop.grid_points(), self._config.ordered_features)
            self._setup_picture = key, loop.snapshot(model, self._config, grid, -1, key[2])
        return self._setup_picture[1]

    def to_script(self) -> str:
        """A plain .py that rebuilds the data and the network and prints each epoch's losses."""
        from playground.core.network.export import network_script

        run = self.current
        if run is not None and run.epochs_done:
            return network_script(run.data, run.config, epochs=run.epochs_done,
                                  lr_changes=dict(run.lr_changes))
        return network_script(self._data, self._config)

    def replace_with(self, other: NetworkSession) -> None:
        """Take over another session's state (a session file was opened); views follow."""
        if not self.shutdown(5.0):
            raise RuntimeError("the network run did not stop; try again in a moment")
        self._data, self._config, self._split = other._data, other._config, other._split
        self._speed = other._speed
        self.current, self.earlier = other.current, list(other.earlier)
        self.latest = None
        self._last_lr = self._config.lr
        self.events.replaced.emit()

    # ----- plain data ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"version": FORMAT_VERSION, "data": self._data.to_dict(),
                "config": self._config.to_dict(), "speed": self._speed,
                "current": None if self.current is None else self.current.to_dict(),
                "earlier": [run.to_dict() for run in self.earlier]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetworkSession:
        """Rebuild from to_dict(); ValueError names what is malformed."""
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            raise ValueError(f"a network session must be a mapping with version {FORMAT_VERSION}")
        try:
            session = cls(DataSettings.from_dict(data["data"]),
                          NetConfig.from_dict(data["config"]), data.get("speed", DEFAULT_SPEED))
            current = data.get("current")
            session.current = NetRun.from_dict(current) if current else None
            session.earlier = [NetRun.from_dict(r) for r in data.get("earlier", [])][
                -MAX_EARLIER_RUNS:]
        except (KeyError, TypeError) as exc:
            raise ValueError(f"a network session is malformed: {exc}") from exc
        return session


_NAMES = {f.name: f.name.replace("_", " ") for f in fields(NetConfig)}


def _what_changed(names: list[str]) -> str:
    if "features" in names:
        return "The input features changed"
    if "layers" in names:
        return "The layers changed"
    return "The " + ", ".join(_NAMES.get(n, n) for n in names) + " changed"

