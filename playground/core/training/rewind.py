"""Rewind: the exact state after any recorded epoch, replayed from the nearest checkpoint.

Showing epoch k needs only the records; continuing from k (a branch) or writing epoch k's update
with the optimiser's numbers needs the state the records do not hold. That state is rebuilt by
loading the nearest checkpoint at or before k into a `loop.Model` and training the epochs in
between again with the learning rates the records say they used: the same code on the same
inputs, so the numbers are the run's own, bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from playground.core.training.checkpoints import Checkpoint, CheckpointStore
from playground.core.training.config import TrainConfig
from playground.core.training.loop import Model

Segments = Sequence[tuple[int, TrainConfig]]  # (first epoch, the config from there on)


@dataclass(frozen=True)
class StepState:
    """Epoch k's last parameter update: the state just before it and just after (epoch k's
    end), and the rate it used."""

    epoch: int
    lr: float
    before: Checkpoint
    after: Checkpoint


def segment_index(segments: Segments, epoch: int) -> int:
    """Which segment trained `epoch` (a branched run has one per config it ran with)."""
    index = 0
    for i, (first, _) in enumerate(segments):
        if first <= epoch:
            index = i
    return index


def _replay(
    segments: Segments,
    store: CheckpointStore,
    lrs: Sequence[float],
    epoch: int,
    from_epoch: int,
    capture_last: bool,
) -> tuple[Checkpoint, Checkpoint | None]:
    start = store.nearest(from_epoch)
    if start.epoch == epoch and not capture_last:
        return start, None
    model: Model | None = None
    segment = -1
    for e in range(start.epoch + 1, epoch + 1):
        lr = float(lrs[e])
        if segment_index(segments, e) != segment:
            # A branch point inside the replay (a loaded run keeps only its start): continue
            # with the next config exactly as the branch did, from the state just reached.
            segment = segment_index(segments, e)
            ckpt = start if model is None else model.checkpoint(e - 1)
            model = Model(segments[segment][1], lr, ckpt)
        model.capture_steps = capture_last and e == epoch
        model.run_epoch(e, lr)
        if (e + 1) % store.interval == 0:
            store.add(model.checkpoint(e))  # the next rewind near here starts closer
    assert model is not None
    reached = model.checkpoint(epoch)
    store.remember(reached)  # the next rewind to here (or just past it) starts from it
    return reached, model.before_step


def state_after(
    segments: Segments,
    store: CheckpointStore,
    lrs: Sequence[float],
    epoch: int,
) -> Checkpoint:
    """The state after `epoch` (-1: before epoch 0), given the run's segments, checkpoints and
    per-epoch rates. ValueError if the run cannot be continued from there."""
    if epoch < -1 or epoch >= len(lrs):
        raise ValueError(f"epoch {epoch} was not recorded (0 .. {len(lrs) - 1})")
    if _out_of_place(segments, epoch):
        raise ValueError("a run with the out-of-place update cannot be continued: its w and b "
                         "are no longer leaf tensors")
    return _replay(segments, store, lrs, epoch, epoch, False)[0]


def last_step(
    segments: Segments,
    store: CheckpointStore,
    lrs: Sequence[float],
    epoch: int,
) -> StepState:
    """Epoch `epoch`'s last update, before and after (for the update formula)."""
    if not 0 <= epoch < len(lrs):
        raise ValueError(f"epoch {epoch} was not recorded (0 .. {len(lrs) - 1})")
    if _out_of_place(segments, epoch):
        raise ValueError("the out-of-place update has no optimiser state to show")
    after, before = _replay(segments, store, lrs, epoch, epoch - 1, True)
    assert before is not None
    return StepState(epoch, float(lrs[epoch]), before, after)


def _out_of_place(segments: Segments, epoch: int) -> bool:
    config = segments[segment_index(segments, max(epoch, 0))][1]
    return epoch >= 0 and config.optimizer == "Manual" and config.out_of_place_update
