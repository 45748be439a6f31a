"""One run's epoch records in growing numpy columns, the shape pyqtgraph wants for setData."""

from __future__ import annotations

import mmap
from collections.abc import Sequence
from operator import attrgetter

import numpy as np

from playground.core.training.loop import RECORD_COLUMNS, EpochRecord

FIELDS = RECORD_COLUMNS  # a row's column order: EpochRecord's fields
_COLUMN = {name: i for i, name in enumerate(FIELDS)}
_NAN = float("nan")
_as_tuple = attrgetter(*FIELDS)
# Buffers from this size on are anonymous memory maps: numpy asks the OS for transparent huge
# pages on its big arrays, and one 2 MB page per column touched would make a 20-epoch run of a
# million-epoch setup hold 12 MB. A plain map is backed 4 KB at a time, as rows are written.
_MAPPED_BYTES = 1 << 20


def record_row(record: EpochRecord) -> tuple[float, ...]:
    """An EpochRecord as a row of floats in FIELDS order; a None grad becomes NaN."""
    row = _as_tuple(record)
    if None in row:  # the out-of-place pitfall: torch has no grad to show
        row = tuple(_NAN if v is None else v for v in row)
    return row


def _buffer(capacity: int) -> np.ndarray:
    """An uninitialised (len(FIELDS), capacity) float64 buffer, backed only where written."""
    shape = (len(FIELDS), capacity)
    size = len(FIELDS) * capacity * 8
    if size < _MAPPED_BYTES:
        return np.empty(shape, dtype=np.float64)
    return np.frombuffer(mmap.mmap(-1, size), dtype=np.float64).reshape(shape)


class RunHistory:
    """Columns named by EpochRecord's fields (epoch, loss, w, b, lr, w_grad, b_grad).

    Rows are stored column-major so each column is a contiguous view (no copy per redraw). A
    run going reserves its full length once (`reserve`, from its epochs), so a long run never
    copies its buffer while it trains: a doubling copy of a 10,000,000-epoch run moves 300+ MB
    on the GUI thread, and the plots' views of the old buffer would keep it alive beside the
    new one. The reserved tail costs address space only until rows are written into it (the
    OS backs pages when first touched), so `nbytes` counts the rows filled. Beyond a
    reservation, capacity doubles (appends stay O(1) amortised).
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._data = _buffer(max(capacity, 16))
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def clear(self) -> None:
        self._n = 0

    @property
    def capacity(self) -> int:
        """Rows it can hold before its buffer is copied into a bigger one."""
        return int(self._data.shape[1])

    def reserve(self, capacity: int) -> None:
        """Make room for `capacity` rows at once (a run about to train that many epochs)."""
        if capacity > self._data.shape[1]:
            self._grow(capacity)

    def _grow(self, capacity: int) -> None:
        grown = _buffer(capacity)
        grown[:, : self._n] = self._data[:, : self._n]
        self._data = grown

    def extend(self, rows: Sequence[tuple[float, ...]] | np.ndarray) -> None:
        """Append a batch of record tuples (in FIELDS order), or an array of such rows."""
        if len(rows) == 0:
            return
        block = np.asarray(rows, dtype=np.float64).T
        k = block.shape[1]
        need = self._n + k
        if need > self._data.shape[1]:
            capacity = self._data.shape[1]
            while capacity < need:
                capacity *= 2
            self._grow(capacity)
        self._data[:, self._n : need] = block
        self._n = need

    def column(self, name: str) -> np.ndarray:
        """A read-only view of one column's filled part (valid until the next extend)."""
        view = self._data[_COLUMN[name], : self._n]
        view.flags.writeable = False
        return view

    def last(self, name: str) -> float:
        """The newest value of a column; NaN when the run has no records yet."""
        return float(self._data[_COLUMN[name], self._n - 1]) if self._n else float("nan")

    def rows(self) -> list[tuple[float, ...]]:
        """Every row as plain floats (for saving; NaN stands for a missing grad)."""
        return [tuple(row) for row in self._data[:, : self._n].T.tolist()]

    def json_rows(self) -> list[list[float | None]]:
        """Every row as a list of plain floats, None for NaN (a missing grad): what a session
        file holds. Built by numpy, with a Python pass only over rows holding a NaN (a
        1,000,000-epoch run took 11 s on the GUI thread value by value)."""
        block = self._data[:, : self._n].T
        rows = block.tolist()
        for i in np.flatnonzero(np.isnan(block).any(axis=1)).tolist():
            rows[i] = [None if v != v else v for v in rows[i]]
        return rows

    def copy(self) -> RunHistory:
        """An independent copy (an earlier run keeps its own columns)."""
        other = RunHistory(self._n)
        other._data[:, : self._n] = self._data[:, : self._n]
        other._n = self._n
        return other

    @property
    def nbytes(self) -> int:
        """The memory its rows occupy: the filled part of the buffer (a reserved tail never
        written is not backed by memory; see the class doc)."""
        return self._n * len(FIELDS) * self._data.itemsize

    def prefix(self, n: int) -> RunHistory:
        """An independent copy of the first n rows (a branch starts with its parent's)."""
        n = max(0, min(n, self._n))
        other = RunHistory(n)
        other._data[:, :n] = self._data[:, :n]
        other._n = n
        return other
