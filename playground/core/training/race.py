"""Race: several optimisers from the same start on the same data, in lockstep on one worker.

Each racer is its own `loop.Model` (its own w, b, optimiser and mini-batch generator, seeded as
a solo run's would be), so a racer's numbers are exactly those of the same config run alone:
the lockstep only interleaves their epochs. `race()` is a generator like `train()`: per epoch it
yields one list of `(racer index, record row or RunEnd)` and ends with one RunEnd for the race;
a racer that diverges or fails gets its RunEnd in the list and simply stops. Only plain floats
cross to the GUI thread. `standings()` ranks finished racers by final loss, then how soon each
came within 1 % of its own best; diverged or failed racers rank last.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.core.training.config import TrainConfig, check_lr
from playground.core.training.loop import (
    DIVERGED_EXPLANATION,
    Model,
    RunEnd,
    TrainControl,
)
from playground.core.training.run import Run

NEAR_BEST = 0.01  # "within 1 % of its best loss"
_NAN = float("nan")  # a missing grad, as record_row writes it
RaceItem = tuple[int, "tuple[float, ...] | RunEnd"]


def race(
    configs: Sequence[TrainConfig], control: TrainControl | None = None
) -> Generator[list[RaceItem], None, RunEnd]:
    """Train every config in lockstep, epoch by epoch; each racer keeps its own rate (the live
    rate does not apply to a race; pause, step, stop and pacing do)."""
    if not configs:
        return RunEnd("error", "A race needs at least one optimiser.")
    models: dict[int, Model] = {}
    ended: list[RaceItem] = []
    for i, config in enumerate(configs):
        try:
            config.validate()
            models[i] = Model(config, config.lr)
        except Exception as exc:  # a racer that cannot start ends at once; the others run
            ended.append((i, RunEnd("error", str(exc) or type(exc).__name__)))
    if ended:
        yield ended
    epochs = max(c.epochs for c in configs)
    for epoch in range(epochs):
        if not models:
            break
        if control is not None and not control.wait_for_epoch():
            return RunEnd("stopped", f"Stopped by the user before epoch {epoch}.")
        items: list[RaceItem] = []
        for i in list(models):
            model = models[i]
            config = model.config
            if epoch >= config.epochs:
                del models[i]
                items.append((i, RunEnd("completed", f"Trained {config.epochs} epochs.")))
                continue
            item = _epoch(model, epoch, config.lr)
            if isinstance(item, RunEnd):
                del models[i]
            items.append((i, item))
        yield items
    if models:
        yield [(i, RunEnd("completed", f"Trained {models[i].config.epochs} epochs."))
               for i in models]
    return RunEnd("completed", f"Raced {len(configs)} optimisers.")


def _epoch(model: Model, epoch: int, lr: float) -> tuple[float, ...] | RunEnd:
    """One racer's epoch as a record row (record_row's, built directly: this runs per racer per
    epoch on the worker), or its RunEnd (as train() would end it)."""
    try:
        loss, w_grad, b_grad = model.run_epoch(epoch, lr)
        w, b = model.w.item(), model.b.item()
    except Exception as exc:
        return RunEnd("error", str(exc) or type(exc).__name__)
    if not (math.isfinite(loss) and math.isfinite(w) and math.isfinite(b)
            and loss <= model.limit):
        return RunEnd("diverged", f"The loss blew up at epoch {epoch} (loss {loss:.3g}) with "
                      f"learning rate {lr:g}.", DIVERGED_EXPLANATION)
    return (epoch, loss, w, b, lr, _NAN if w_grad is None else w_grad,
            _NAN if b_grad is None else b_grad)


@dataclass(frozen=True)
class Standing:
    """One racer's line in the ranking table."""

    index: int  # the racer's position in the race
    optimizer: str
    lr: float
    final_loss: float  # NaN before any epoch
    near_best_epoch: int | None  # first epoch within 1 % of its best loss
    outcome: str  # "completed", "stopped", "diverged", "error" or "running"

    def cells(self) -> tuple[str, str, str, str]:
        """Its ranking-table row: optimiser, final loss (float()-parsable: repr, or "nan"),
        the epoch near its best ("" before any), outcome."""
        return (self.optimizer, repr(self.final_loss),
                "" if self.near_best_epoch is None else str(self.near_best_epoch), self.outcome)


def near_best_epoch(losses: np.ndarray) -> int | None:
    """The first epoch whose loss is within NEAR_BEST of the run's best (None: no epochs)."""
    finite = losses[np.isfinite(losses)]
    if not len(finite):
        return None
    best = float(finite.min())
    hits = np.flatnonzero(losses <= best + NEAR_BEST * abs(best))
    return int(hits[0]) if len(hits) else None


def standings(entries: Sequence[tuple[TrainConfig, np.ndarray, str]]) -> list[Standing]:
    """Rank racers given (config, losses, outcome): finished ones by final loss, then by how
    soon they got near their best; diverged and failed ones last, in race order."""
    rows = []
    for i, (config, losses, outcome) in enumerate(entries):
        final = float(losses[-1]) if len(losses) else float("nan")
        rows.append(Standing(i, config.optimizer, config.lr, final, near_best_epoch(losses),
                             outcome))

    def key(s: Standing) -> tuple[int, float, int, int]:
        failed = s.outcome in ("diverged", "error") or not math.isfinite(s.final_loss)
        return (int(failed), 0.0 if failed else s.final_loss,
                s.near_best_epoch if s.near_best_epoch is not None else 1 << 62, s.index)

    return sorted(rows, key=key)


class Race:
    """A race's runs, one per racer in the order chosen, and how the race ended.

    The session feeds it the worker's batches (`add`); each racer is a plain Run, so its
    records, label, export and rewind work as for any run.
    """

    def __init__(self, configs: Sequence[TrainConfig]) -> None:
        self.runs: list[Run] = [Run(config) for config in configs]
        self.end: RunEnd | None = None  # the race's own end; each run has its own too

    @classmethod
    def of(cls, setup: TrainConfig, entries: Sequence[tuple[str, float]]) -> Race:
        """A race of (optimiser, rate) entries from `setup`; ValueError if one cannot train."""
        if not entries:
            raise ValueError("choose at least one optimiser to race")
        configs = [setup.replace(optimizer=name, lr=check_lr(lr)) for name, lr in entries]
        for config in configs:
            config.validate()
        return cls(configs)

    @property
    def configs(self) -> list[TrainConfig]:
        return [run.config for run in self.runs]

    def add(self, batches: Sequence[Sequence[RaceItem]]) -> None:
        """Take the worker's per-epoch lists of (racer, row or RunEnd)."""
        runs = self.runs
        rows: list[list[tuple[float, ...]]] = [[] for _ in runs]
        appends = [r.append for r in rows]
        for items in batches:
            for i, item in items:
                if isinstance(item, RunEnd):
                    runs[i].end = item
                else:
                    appends[i](item)
        for run, racer_rows in zip(runs, rows, strict=True):
            if racer_rows:
                run.history.extend(racer_rows)

    def finish(self, end: RunEnd) -> None:
        """The race ended: a racer still going ends as the race did (stopped, or an error)."""
        self.end = end
        for run in self.runs:
            if run.end is None:
                run.end = end

    def standings(self) -> list[Standing]:
        """The ranking table's rows, best first."""
        return standings([(run.config, run.history.column("loss"),
                           "running" if run.end is None else run.end.status)
                          for run in self.runs])

    def to_dict(self) -> dict[str, Any]:
        return {"runs": [run.to_dict() for run in self.runs],
                "end": None if self.end is None else self.end.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Race:
        try:
            race_ = cls([])
            race_.runs = [Run.from_dict(r) for r in data["runs"]]
            end = data.get("end")
            race_.end = RunEnd.from_dict(end) if end else RunEnd("stopped", "Loaded unfinished.")
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"a saved race is malformed: {exc}") from exc
        return race_
