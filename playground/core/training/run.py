"""Run: one training run as it really happened, and what it can be rewound and branched to.

A run holds its config, its records (every epoch's loss, w, b, rate and grads), how it ended,
its live rate changes and its checkpoints. A run continued from epoch k of another is a *branch*:
it starts with a copy of its parent's records 0..k (so every epoch it shows is its own history),
remembers where it left the parent (`branched_at`, `parent`) and the configs it ran with before
(`segments`), so replaying or exporting it goes through the parent's settings up to k and its
own from k + 1. Older saved runs, without these fields, load as runs of one segment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from playground.core.training.checkpoints import Checkpoint, CheckpointStore, start_checkpoint
from playground.core.training.config import TrainConfig
from playground.core.training.datasets import notebook_dataset
from playground.core.training.history import RunHistory
from playground.core.training.loop import RunEnd
from playground.core.training.rewind import StepState, last_step, segment_index, state_after
from playground.core.training.update import update_text

# Replays up to this many epochs x points run where they are asked for (a few ms); longer
# ones (thousands of points) are worth a thread: at 10,000 points an epoch takes ~20 ms.
SYNC_REPLAY_POINTS = 20_000


@dataclass(eq=False)
class Run:
    """One run: the config it started with, its records, how it ended, its live lr changes
    (and, for a branch, where it left its parent and the configs it ran with before)."""

    config: TrainConfig
    history: RunHistory = field(default_factory=RunHistory)
    end: RunEnd | None = None  # None while it is still going
    lr_changes: list[tuple[int, float]] = field(default_factory=list)  # (epoch, new rate)
    branched_at: int | None = None  # the parent's epoch this run continued from
    parent: Run | None = field(default=None, repr=False)  # None once the parent is gone
    earlier_segments: tuple[tuple[int, TrainConfig], ...] = ()  # (first epoch, config) before
    checkpoints: CheckpointStore | None = field(default=None, repr=False)
    # An epoch's last step as the training loop kept it (see TrainControl.last_step): the
    # update formula of that epoch needs no replay. Not saved: a loaded run replays.
    known_step: StepState | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.checkpoints is None:
            first = self.earlier_segments[0][1] if self.earlier_segments else self.config
            self.checkpoints = CheckpointStore(
                start_checkpoint(first.w0, first.b0, first.optimizer))
        if self.end is None:  # still to train: room for every epoch, so no copy while it runs
            self.history.reserve(self.config.epochs)

    @property
    def epochs_done(self) -> int:
        return len(self.history)

    @property
    def first_epoch(self) -> int:
        """The first epoch this run trained itself (after a branch: branched_at + 1)."""
        return 0 if self.branched_at is None else self.branched_at + 1

    @property
    def segments(self) -> tuple[tuple[int, TrainConfig], ...]:
        """Every (first epoch, config) the run's epochs were trained with, oldest first."""
        return (*self.earlier_segments, (self.first_epoch, self.config))

    def config_at(self, epoch: int) -> TrainConfig:
        """The config epoch `epoch` was trained with."""
        return self.segments[segment_index(self.segments, epoch)][1]

    @property
    def first_lr(self) -> float:
        """The rate epoch 0 used (the config's, unless it was moved before epoch 0 ran)."""
        return float(self.history.column("lr")[0]) if len(self.history) else self.config.lr

    def label(self) -> str:
        """What the run really was, for a legend: optimiser, lr (and its changes), the data."""
        c = self.config
        own_lrs = self.history.column("lr")[self.first_epoch:]
        first_lr = float(own_lrs[0]) if len(own_lrs) else c.lr
        text = f"{c.optimizer}, lr {first_lr:g}"
        changes = [change for change in self.lr_changes if change[0] > self.first_epoch]
        if changes:
            n = len(changes)  # "changed 10 times", never "10x" (which reads as "multiplied by")
            text += f" → {changes[-1][1]:g} (lr changed {'once' if n == 1 else f'{n} times'})"
        if c.loss != "MSE":
            text += f", {c.loss} loss"
        if not c.full_batch:
            text += f", batch {c.batch_size}"
        if c.dataset != notebook_dataset():
            text += f", {c.dataset.name}"
        pitfalls = [name for on, name in (
            (c.forget_zero_grad, "no zero_grad"),
            (c.optimizer == "Manual" and c.out_of_place_update, "out-of-place"),
            (c.optimizer != "Manual" and c.new_optimizer_each_epoch, "new optimiser each epoch"),
        ) if on]
        if pitfalls:
            text += ", " + ", ".join(pitfalls)
        if self.branched_at is not None:
            text += f", from epoch {self.branched_at}"
        if self.end is not None and self.end.status in ("stopped", "diverged", "error"):
            n = self.epochs_done
            text += f", {self.end.status} after {n} epoch{'' if n == 1 else 's'}"
        return text

    def params_before(self, epoch: int) -> tuple[float, float]:
        """w and b as epoch `epoch`'s forward pass saw them (before its update)."""
        if 1 <= epoch <= len(self.history):
            return (float(self.history.column("w")[epoch - 1]),
                    float(self.history.column("b")[epoch - 1]))
        first = self.segments[0][1]
        return first.w0, first.b0

    def params_before_last(self) -> tuple[float, float]:
        """w and b as the last epoch's forward pass saw them (before its update)."""
        return self.params_before(len(self.history) - 1)

    # ----- rewind and branch ------------------------------------------------------------------
    def state_after(self, epoch: int) -> Checkpoint:
        """The exact state after `epoch` (to continue from); ValueError if it cannot be."""
        assert self.checkpoints is not None
        return state_after(self.segments, self.checkpoints, self.history.column("lr"), epoch)

    def last_step(self, epoch: int) -> StepState:
        """Epoch `epoch`'s last update, the state before and after it."""
        known = self.known_step
        if known is not None and known.epoch == epoch:
            return known
        assert self.checkpoints is not None
        return last_step(self.segments, self.checkpoints, self.history.column("lr"), epoch)

    def update_text(self, epoch: int) -> str:
        """Epoch `epoch`'s update as formulas with torch's numbers ("" when there are none:
        the out-of-place pitfall, or an epoch not recorded)."""
        return self._update_text(epoch, self.checkpoints)

    def _update_text(self, epoch: int, store: CheckpointStore | None) -> str:
        known = self.known_step
        try:
            if known is not None and known.epoch == epoch:
                step = known
            else:
                assert store is not None
                step = last_step(self.segments, store, self.history.column("lr"), epoch)
        except ValueError:
            return ""
        return update_text(self.config_at(epoch).optimizer, step.lr, step.before, step.after,
                           epoch)

    def update_text_later(self, epoch: int) -> Callable[[], str] | None:
        """None when update_text(epoch) is cheap now (its step is known, or the replay is
        short); else a function writing the same text from what is kept now, safe to call on
        another thread (it replays from the nearest checkpoint into a store of its own)."""
        known = self.known_step
        if (known is not None and known.epoch == epoch) or not 0 <= epoch < len(self.history):
            return None
        assert self.checkpoints is not None
        nearest = self.checkpoints.nearest(epoch - 1)
        if (epoch - nearest.epoch) * len(self.config.dataset.x) <= SYNC_REPLAY_POINTS:
            return None
        store = CheckpointStore(nearest)
        return lambda: self._update_text(epoch, store)

    def branch(self, epoch: int, config: TrainConfig) -> tuple[Run, Checkpoint]:
        """A new run continuing this one after `epoch` with `config`, and the state it starts
        from. ValueError if it cannot (another problem, or no epoch left to train)."""
        a = self.segments[0][1]
        if (a.dataset, a.loss, a.w0, a.b0) != (config.dataset, config.loss, config.w0,
                                               config.b0):
            raise ValueError("a branch continues the same problem: the data, loss and start "
                             "must be those of the run it continues")
        if config.epochs <= epoch + 1:
            raise ValueError(f"the run already has epochs 0 .. {epoch}: set Epochs above "
                             f"{epoch + 1} to continue it")
        state = self.state_after(epoch)
        assert self.checkpoints is not None
        store = self.checkpoints.upto(epoch)
        store.add(state, pin=True)
        segments = tuple((first, c) for first, c in self.segments if first <= epoch)
        run = Run(config, self.history.prefix(epoch + 1), None,
                  [(e, lr) for e, lr in self.lr_changes if e <= epoch], epoch, self,
                  segments, store)
        return run, state

    # ----- plain data ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        rows = self.history.json_rows()  # NaN (a missing grad): None
        data: dict[str, Any] = {
            "config": self.config.to_dict(),
            "records": rows,
            "end": None if self.end is None else self.end.to_dict(),
            "lr_changes": [[e, lr] for e, lr in self.lr_changes],
        }
        if self.branched_at is not None:
            data["branched_at"] = self.branched_at
            data["segments"] = [[first, c.to_dict()] for first, c in self.earlier_segments]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Run:
        try:
            history = RunHistory(len(data["records"]))
            history.extend([tuple(float("nan") if v is None else float(v) for v in row)
                            for row in data["records"]])
            end = data.get("end")
            branched_at = data.get("branched_at")
            run = cls(
                TrainConfig.from_dict(data["config"]),
                history,
                RunEnd.from_dict(end) if end else RunEnd("stopped", "Loaded unfinished."),
                [(int(e), float(lr)) for e, lr in data.get("lr_changes", [])],
                None if branched_at is None else int(branched_at),
                None,
                tuple((int(first), TrainConfig.from_dict(c))
                      for first, c in data.get("segments", [])),
            )
            run._check_branch()
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"a saved training run is malformed: {exc}") from exc
        return run

    def _check_branch(self) -> None:
        """A loaded branch must be one this program could have made (ValueError if not)."""
        if self.branched_at is None:
            if self.earlier_segments:
                raise ValueError("segments are given for a run that is not a branch")
            return
        firsts = [first for first, _ in self.earlier_segments]
        if not 0 <= self.branched_at < self.epochs_done:
            raise ValueError(f"branched_at {self.branched_at} is not a recorded epoch")
        if not firsts or firsts[0] != 0 or firsts != sorted(set(firsts)) or (
                firsts[-1] > self.branched_at):
            raise ValueError("a branch's segments must start at epoch 0, in order, before "
                             "its branch epoch")
        for _, config in self.segments:
            config.validate()


def runs_to_data(current: Run | None, earlier: list[Run]) -> tuple[Any, list[dict[str, Any]]]:
    """The current and earlier runs as plain data; a branch names its parent by its index
    among the earlier runs (omitted once the parent is no longer kept)."""
    def one(run: Run) -> dict[str, Any]:
        data = run.to_dict()
        if run.parent is not None and run.parent in earlier:
            data["parent"] = earlier.index(run.parent)
        return data

    return (None if current is None else one(current)), [one(run) for run in earlier]


def runs_from_data(current: Any, earlier: list[Any]) -> tuple[Run | None, list[Run]]:
    """runs_to_data()'s output back to runs, branches linked to their parents."""
    saved = [*earlier, *([current] if current else [])]
    runs = [Run.from_dict(data) for data in saved]
    for run, data in zip(runs, saved, strict=True):
        parent = data.get("parent")
        if isinstance(parent, int) and 0 <= parent < len(earlier):
            run.parent = runs[parent]
    return (runs.pop() if current else None), runs
