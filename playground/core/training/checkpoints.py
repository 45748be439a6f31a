"""Checkpoints: the exact state a run can continue from, kept sparsely so memory stays bounded.

A run's records (loss, w, b, grads per epoch) already let any epoch be *shown* exactly. To
*continue* from epoch k (or to read the optimiser's state there) the loop also needs what the
records do not hold: the optimiser's state (momentum buffers, Adam's moments and step count),
the mini-batch generator's state and any gradient left on w and b (it accumulates when zero_grad
is forgotten). A `Checkpoint` holds all of that as plain floats, a numpy array and bytes (so it
may cross from the worker thread), and `restore_*` turn it back into torch objects bit for bit.

The loop writes one every `CheckpointSink.every` epochs; a run's `CheckpointStore` keeps them
under a memory budget by doubling its interval and thinning (keeping every other one) when the
budget would be passed. Replaying from the nearest checkpoint (rewind.py) then costs at most
`interval - 1` epochs: with the budget below a run keeps an interval of 32 epochs up to
10,000,000 full-batch epochs (119 MiB there) or 1,000,000 mini-batch ones (whose generator
state is ~3 KB). Replay time is that many epochs of the run's own cost, so it grows with the
data: a rewind into a run over thousands of points in small batches replays epochs that each
take milliseconds. The last few states a replay reached are kept too (`remember`), so showing
an epoch and then continuing from it replays once.
"""

from __future__ import annotations

import bisect
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

BASE_EVERY = 32  # the loop's first checkpoint interval (epochs): ~1 us per epoch to take them
# Per run: a 10,000,000-epoch full-batch run keeps one every 32 epochs in it (119 MiB beside
# its 534 MiB of records), so a rewind replays at most 31 epochs (with 64, a rewind's p99 was
# 64 ms on this 2-core machine at load 3; target 50).
BUDGET_BYTES = 128 * 1024 * 1024
# A Checkpoint object, its floats, its array's header and its place in the store's lists, as
# tracemalloc measures them (about 310 bytes without optimiser state).
_OVERHEAD_BYTES = 350
RECENT = 8  # replayed states kept beside the interval's (see CheckpointStore.remember)

# One optimiser-state layout entry: (param index, state key, kind, shape, dtype name), where
# kind is "tensor" (values in the flat array), "float" (a Python number) or "none".
LayoutEntry = tuple[int, str, str, tuple[int, ...], str]
_layouts: dict[tuple[LayoutEntry, ...], tuple[LayoutEntry, ...]] = {}  # shared, not per copy


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The state after `epoch` (-1: before epoch 0): what the loop needs to carry on exactly."""

    epoch: int
    w: float
    b: float
    w_grad: float | None  # the .grad left on w (None: no grad tensor)
    b_grad: float | None
    optimizer: str  # whose state `layout`/`values` are ("Manual": none)
    layout: tuple[LayoutEntry, ...]
    values: np.ndarray  # float64, every state tensor flattened in layout order
    gen_state: bytes | None  # zlib-compressed torch.Generator state; None: no generator yet
    limit: float  # the divergence limit set by epoch 0's loss (inf before epoch 0)

    @property
    def nbytes(self) -> int:
        """Roughly what keeping it costs, for the store's budget."""
        return _OVERHEAD_BYTES + self.values.nbytes + len(self.gen_state or b"")


def start_checkpoint(w0: float, b0: float, optimizer: str) -> Checkpoint:
    """The state before epoch 0: the initial w and b, no grads, no optimiser state."""
    return Checkpoint(-1, float(w0), float(b0), None, None, optimizer, (), np.empty(0), None,
                      float("inf"))


def capture(
    epoch: int,
    w: torch.Tensor,
    b: torch.Tensor,
    optimizer_name: str,
    optimizer: torch.optim.Optimizer | None,
    generator: torch.Generator | None,
    limit: float,
) -> Checkpoint:
    """Copy the live state into plain data (called on the worker thread, between epochs)."""
    layout: list[LayoutEntry] = []
    values: list[float] = []
    if optimizer is not None:
        for index, entry in sorted(optimizer.state_dict()["state"].items()):
            for key in sorted(entry):
                value = entry[key]
                if isinstance(value, torch.Tensor):
                    layout.append((index, key, "tensor", tuple(value.shape),
                                   str(value.dtype).removeprefix("torch.")))
                    values.extend(value.detach().reshape(-1).tolist())
                elif value is None:
                    layout.append((index, key, "none", (), ""))
                else:
                    layout.append((index, key, "float", (), ""))
                    values.append(float(value))
    key = tuple(layout)
    shared = _layouts.setdefault(key, key)
    gen_state = None
    if generator is not None:
        gen_state = zlib.compress(generator.get_state().numpy().tobytes(), 1)
    return Checkpoint(epoch, w.item(), b.item(), _grad(w), _grad(b), optimizer_name, shared,
                      np.asarray(values, dtype=np.float64), gen_state, limit)


def _grad(t: torch.Tensor) -> float | None:
    return None if t.grad is None else t.grad.item()


def restore_params(ckpt: Checkpoint) -> tuple[torch.Tensor, torch.Tensor]:
    """Fresh leaf tensors w, b holding the checkpoint's values and grads."""
    w = torch.tensor([ckpt.w], dtype=torch.float32, requires_grad=True)
    b = torch.tensor([ckpt.b], dtype=torch.float32, requires_grad=True)
    if ckpt.w_grad is not None:
        w.grad = torch.tensor([ckpt.w_grad], dtype=torch.float32)
    if ckpt.b_grad is not None:
        b.grad = torch.tensor([ckpt.b_grad], dtype=torch.float32)
    return w, b


def optimizer_state(ckpt: Checkpoint) -> dict[int, dict[str, Any]]:
    """The optimiser's `state` as torch holds it (fresh tensors, safe to load and mutate)."""
    state: dict[int, dict[str, Any]] = {}
    at = 0
    for index, key, kind, shape, dtype in ckpt.layout:
        if kind == "tensor":
            n = int(np.prod(shape)) if shape else 1
            chunk = ckpt.values[at : at + n]
            at += n
            value: Any = torch.tensor(chunk, dtype=getattr(torch, dtype)).reshape(shape)
        elif kind == "none":
            value = None
        else:
            value = float(ckpt.values[at])
            at += 1
        state.setdefault(index, {})[key] = value
    return state


def restore_optimizer(ckpt: Checkpoint, optimizer: torch.optim.Optimizer) -> None:
    """Load the checkpoint's state into a freshly built optimiser of the same kind (its
    param_groups, and so the learning rate, stay the new optimiser's)."""
    groups = optimizer.state_dict()["param_groups"]
    optimizer.load_state_dict({"state": optimizer_state(ckpt), "param_groups": groups})


def restore_generator(ckpt: Checkpoint, seed: int) -> torch.Generator:
    """The mini-batch generator as it was; seeded afresh when the run had none yet."""
    generator = torch.Generator()
    if ckpt.gen_state is None:
        return generator.manual_seed(seed)
    raw = bytearray(zlib.decompress(ckpt.gen_state))
    generator.set_state(torch.frombuffer(raw, dtype=torch.uint8).clone())
    return generator


class CheckpointSink:
    """Where the worker's loop leaves checkpoints (thread-safe); `every` is read by the loop and
    raised by the store on the GUI thread (a plain int: reading it needs no lock)."""

    def __init__(self, every: int = BASE_EVERY) -> None:
        self.every = every
        self._lock = threading.Lock()
        self._items: list[Checkpoint] = []

    def put(self, ckpt: Checkpoint) -> None:
        with self._lock:
            self._items.append(ckpt)

    def drain(self) -> list[Checkpoint]:
        with self._lock:
            items, self._items = self._items, []
        return items


class CheckpointStore:
    """A run's checkpoints, sorted by epoch, within BUDGET_BYTES.

    Kept: the start, every "pinned" one (where a branch began) and those whose epochs done
    (epoch + 1) are a multiple of `interval`; the interval doubles when the budget is passed.
    """

    def __init__(self, start: Checkpoint, budget: int = BUDGET_BYTES) -> None:
        self.interval = BASE_EVERY
        self.budget = budget
        self._epochs: list[int] = []
        self._items: list[Checkpoint] = []
        self._sizes: list[int] = []  # each item's nbytes, so thinning sums them in numpy
        self._pinned: set[int] = set()
        self._recent: list[Checkpoint] = []  # states replays reached, newest last
        self.nbytes = 0
        self.add(start, pin=True)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Checkpoint]:
        """Oldest first (a copy: adding while iterating is safe)."""
        return iter(list(self._items))

    @property
    def start(self) -> Checkpoint:
        return self._items[0]

    def add(self, ckpt: Checkpoint, pin: bool = False) -> None:
        """Keep a checkpoint if it falls on the interval (or is pinned); thin when over budget."""
        if not pin and (ckpt.epoch + 1) % self.interval:
            return
        i = bisect.bisect_left(self._epochs, ckpt.epoch)
        size = ckpt.nbytes
        if i < len(self._epochs) and self._epochs[i] == ckpt.epoch:
            self.nbytes -= self._sizes[i]
            self._items[i] = ckpt
            self._sizes[i] = size
        else:
            self._epochs.insert(i, ckpt.epoch)
            self._items.insert(i, ckpt)
            self._sizes.insert(i, size)
        if pin:
            self._pinned.add(ckpt.epoch)
        self.nbytes += size
        while self.nbytes > self.budget and len(self._items) > len(self._pinned) + 1:
            self._thin()

    def _thin(self) -> None:
        """Double the interval and keep every checkpoint on it (and the pinned ones).

        In numpy: it runs on the GUI thread (poll) over up to ~190,000 checkpoints, where a
        Python loop over them stalled the window for 150-550 ms."""
        self.interval *= 2
        epochs = np.asarray(self._epochs, dtype=np.int64)
        keep = (epochs + 1) % self.interval == 0
        if self._pinned:
            keep |= np.isin(epochs, np.fromiter(self._pinned, dtype=np.int64))
        idx = np.flatnonzero(keep)
        sizes = np.asarray(self._sizes, dtype=np.int64)[idx]
        self._items = [self._items[i] for i in idx.tolist()]
        self._epochs = epochs[idx].tolist()
        self._sizes = sizes.tolist()
        self.nbytes = int(sizes.sum())

    def remember(self, ckpt: Checkpoint) -> None:
        """Keep a state a replay reached, off the interval, among the last RECENT: showing an
        epoch and then continuing from it (or stepping on from it) replays only once."""
        recent = [c for c in self._recent if c.epoch != ckpt.epoch]
        recent.append(ckpt)
        self._recent = recent[-RECENT:]

    def nearest(self, epoch: int) -> Checkpoint:
        """The latest checkpoint at or before `epoch` (the start for any epoch before the
        first), a remembered one included."""
        i = bisect.bisect_right(self._epochs, epoch) - 1
        best = self._items[max(i, 0)]
        for c in self._recent:
            if best.epoch < c.epoch <= epoch:
                best = c
        return best

    def upto(self, epoch: int, budget: int | None = None) -> CheckpointStore:
        """A copy holding the checkpoints at or before `epoch` (a branch inherits them)."""
        other = CheckpointStore(self.start, self.budget if budget is None else budget)
        other.interval = self.interval
        for c in self._items[1:]:
            if c.epoch <= epoch:
                other.add(c, pin=c.epoch in self._pinned)
        return other
