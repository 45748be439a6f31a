"""Each leaf's .grad over the statement log, kept within bounds in bytes and in records.

A record copies .grad when it is small (the plot draws one curve per element of a grad of up to
eight); every record keeps the step, shape and mean. Retained backward on many float64 leaves
once copied 4 MB a line into the history (500 lines: +1.9 GiB), so the copies and the records
are bounded per tensor and in all (core/limits.py): past a bound the oldest copies are dropped
(their point stays as shape and mean) and the older half of a history is thinned, well below
the bound so the work is spread over many lines. Replaying the log rebuilds the same history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from playground.core.limits import (
    HISTORY_BYTES,
    HISTORY_BYTES_PER_TENSOR,
    HISTORY_FULL_ELEMENTS,
    HISTORY_RECORDS,
    HISTORY_RECORDS_PER_TENSOR,
)


def to_numpy(tensor: torch.Tensor, copy: bool = True) -> np.ndarray:
    """A numpy copy of `tensor`, or with `copy=False` a read-only view of its memory."""
    flat = tensor.dim() > 64  # numpy's limit: show such a tensor flattened rather than fail
    array = (tensor.detach().reshape(-1) if flat else tensor.detach()).cpu().numpy()
    if copy:
        return array.copy()
    array.flags.writeable = False  # a window onto the live tensor: nobody writes through it
    return array


@dataclass(frozen=True)
class GradRecord:
    """A leaf's .grad right after the log entry `step` changed it.

    `shape` is None when .grad was set to None. `grad` is a copy of .grad, or None when .grad
    was None, too big to keep (over HISTORY_FULL_ELEMENTS) or dropped by the history's bounds;
    `mean` is always there.
    """

    step: int
    grad: np.ndarray | None
    shape: tuple[int, ...] | None = None
    mean: float | None = None

    def __post_init__(self) -> None:
        if self.grad is not None:  # derive the summary from the copy
            object.__setattr__(self, "shape", tuple(self.grad.shape))
            with np.errstate(invalid="ignore", over="ignore"):  # inf and -inf: NaN, as torch
                mean = float(np.mean(self.grad)) if self.grad.size else 0.0
            object.__setattr__(self, "mean", mean)

    @classmethod
    def of(cls, step: int, grad: torch.Tensor | None) -> GradRecord:
        """Record `grad` (a leaf's .grad, or None), copying it only when it is small."""
        if grad is None:
            return cls(step, None)
        if grad.numel() <= HISTORY_FULL_ELEMENTS:
            return cls(step, to_numpy(grad))
        mean = float(grad.detach().double().mean())
        return cls(step, None, tuple(grad.shape), mean)

    @property
    def is_none(self) -> bool:
        """True when the step left .grad as None."""
        return self.shape is None

    @property
    def nbytes(self) -> int:
        """Bytes of the copy this record keeps (0 for a summary)."""
        return 0 if self.grad is None else int(self.grad.nbytes)

    def summary(self) -> GradRecord:
        """The same record without its copy: step, shape and mean stay."""
        if self.grad is None:
            return self
        return GradRecord(self.step, None, self.shape, self.mean)


_GradKey = tuple[object, int]  # (the .grad object or None, its _version)


def _grad_key(tensor: torch.Tensor) -> _GradKey:
    grad = tensor.grad
    return (grad, -1 if grad is None else grad._version)


def _grad_tracked(tensor: torch.Tensor) -> bool:
    # Only leaves accumulate .grad; reading it on them never warns.
    return tensor.is_leaf and (tensor.requires_grad or tensor.grad is not None)


@dataclass
class GradHistories:
    """Every tracked leaf's records, by name, within the bounds."""

    records: dict[str, list[GradRecord]] = field(default_factory=dict)
    seen: dict[str, _GradKey] = field(default_factory=dict)
    # The tensor each history belongs to: history follows the tensor, not the name.
    owners: dict[str, torch.Tensor] = field(default_factory=dict)
    nbytes: dict[str, int] = field(default_factory=dict)  # bytes of copies, per history
    total_bytes: int = 0
    total_records: int = 0

    def of(self, name: str) -> list[GradRecord]:
        """A copy of `name`'s records (empty when it has none)."""
        return list(self.records.get(name, []))

    def record(self, tensors: dict[str, torch.Tensor], step: int) -> None:
        """Append a GradRecord for every tracked leaf whose .grad changed during `step`."""
        for name, tensor in tensors.items():
            if self.owners.get(name) is not tensor:  # the name was (re)bound: a new history
                self.owners[name] = tensor
                self._drop(name)
                self.seen.pop(name, None)
            if not _grad_tracked(tensor):
                continue
            key = _grad_key(tensor)
            before = self.seen.get(name, (None, -1))
            if key[0] is before[0] and key[1] == before[1]:
                continue
            self.seen[name] = key
            record = GradRecord.of(step, tensor.grad)
            self.records.setdefault(name, []).append(record)
            self.nbytes[name] = self.nbytes.get(name, 0) + record.nbytes
            self.total_bytes += record.nbytes
            self.total_records += 1
            self._bound(name)

    def _drop(self, name: str) -> None:
        self.total_records -= len(self.records.pop(name, []))
        self.total_bytes -= self.nbytes.pop(name, 0)

    def _strip(self, name: str, target: int) -> None:
        """Drop the oldest copies of `name`'s history until it keeps at most `target` bytes."""
        records = self.records[name]
        for i, record in enumerate(records):
            if self.nbytes[name] <= target:
                break
            if record.grad is not None:
                self.nbytes[name] -= record.nbytes
                self.total_bytes -= record.nbytes
                records[i] = record.summary()

    def _thin(self, name: str) -> None:
        """Drop every other record of the older half of `name`'s history."""
        records = self.records[name]
        half = len(records) // 2
        dropped = records[1:half:2]
        self.records[name] = records[:half][::2] + records[half:]
        gone = sum(r.nbytes for r in dropped)
        self.nbytes[name] -= gone
        self.total_bytes -= gone
        self.total_records -= len(dropped)

    def _bound(self, name: str) -> None:
        if self.nbytes[name] > HISTORY_BYTES_PER_TENSOR:
            self._strip(name, HISTORY_BYTES_PER_TENSOR // 2)
        if len(self.records[name]) > HISTORY_RECORDS_PER_TENSOR:
            self._thin(name)
        if self.total_bytes > HISTORY_BYTES:
            for other in sorted(self.records, key=lambda n: -self.nbytes[n]):
                self._strip(other, self.nbytes[other] // 2)
                if self.total_bytes <= HISTORY_BYTES // 2:
                    break
        while self.total_records > HISTORY_RECORDS:
            self._thin(max(self.records, key=lambda n: len(self.records[n])))
