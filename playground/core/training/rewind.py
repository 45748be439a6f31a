"""Rewind: the exact state after any recorded epoch, replayed from the nearest checkpoint.

Showing epoch k needs only the records; continuing from k (a branch) or writing epoch k's update
with the optimiser's numbers needs the state the records do not hold. That state is rebuilt by
loading the nearest checkpoint at or before k into a `loop.Model` and training the epochs in
between again with the learning rates the records say they used: the same code on the same
inputs, so the numbers are the run's own, bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from playground.core.training.checkpoints import Checkpoint, CheckpointStore
from playground.core.training.config import TrainConfig
from playground.core.training.loop import Model


@dataclass(frozen=True)
class StepState:
    """Epoch k's last parameter update: the state just before it and just after (epoch k's
    end), and the rate it used."""

    epoch: int
    lr: float
    before: Checkpoint
    after: Checkpoint


def _replay(
    config_at: Callable[[int], TrainConfig],
    store: CheckpointStore,
    lrs: Sequence[float],
    epoch: int,
    from_epoch: int,
    capture_last: bool,
) -> tuple[Checkpoint, Checkpoint | None]:
    start = store.nearest(from_epoch)
    if start.epoch == epoch and not capture_last:
        return start, None
    first = start.epoch + 1
    config = config_at(epoch)
    model = Model(config, float(lrs[first]), start)
    for e in range(first, epoch + 1):
        model.capture_steps = capture_last and e == epoch
        model.run_epoch(e, float(lrs[e]))
    return model.checkpoint(epoch), model.before_step


def state_after(
    config_at: Callable[[int], TrainConfig],
    store: CheckpointStore,
    lrs: Sequence[float],
    epoch: int,
) -> Checkpoint:
    """The state after `epoch` (-1: before epoch 0). `config_at(e)` is the config epoch e
    trained with, `lrs[e]` its rate. ValueError if the run cannot be continued from there."""
    if epoch < -1 or epoch >= len(lrs):
        raise ValueError(f"epoch {epoch} was not recorded (0 .. {len(lrs) - 1})")
    if epoch >= 0 and _out_of_place(config_at(epoch)):
        raise ValueError("a run with the out-of-place update cannot be continued: its w and b "
                         "are no longer leaf tensors")
    return _replay(config_at, store, lrs, epoch, epoch, False)[0]


def last_step(
    config_at: Callable[[int], TrainConfig],
    store: CheckpointStore,
    lrs: Sequence[float],
    epoch: int,
) -> StepState:
    """Epoch `epoch`'s last update, before and after (for the update formula)."""
    if not 0 <= epoch < len(lrs):
        raise ValueError(f"epoch {epoch} was not recorded (0 .. {len(lrs) - 1})")
    if _out_of_place(config_at(epoch)):
        raise ValueError("the out-of-place update has no optimiser state to show")
    after, before = _replay(config_at, store, lrs, epoch, epoch - 1, True)
    assert before is not None
    return StepState(epoch, float(lrs[epoch]), before, after)


def _out_of_place(config: TrainConfig) -> bool:
    return config.optimizer == "Manual" and config.out_of_place_update
