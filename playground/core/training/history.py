"""One run's epoch records in growing numpy columns, the shape pyqtgraph wants for setData."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

import numpy as np

from playground.core.training.loop import RECORD_COLUMNS, EpochRecord

FIELDS = RECORD_COLUMNS  # a row's column order: EpochRecord's fields
_COLUMN = {name: i for i, name in enumerate(FIELDS)}
_NAN = float("nan")
_as_tuple = attrgetter(*FIELDS)


def record_row(record: EpochRecord) -> tuple[float, ...]:
    """An EpochRecord as a row of floats in FIELDS order; a None grad becomes NaN."""
    row = _as_tuple(record)
    if None in row:  # the out-of-place pitfall: torch has no grad to show
        row = tuple(_NAN if v is None else v for v in row)
    return row


class RunHistory:
    """Columns named by EpochRecord's fields (epoch, loss, w, b, lr, w_grad, b_grad); capacity
    doubles so appends are O(1) amortised.

    Rows are stored column-major so each column is a contiguous view (no copy per redraw).
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._data = np.empty((len(FIELDS), max(capacity, 16)), dtype=np.float64)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def clear(self) -> None:
        self._n = 0

    def extend(self, rows: Sequence[tuple[float, ...]]) -> None:
        """Append a batch of record tuples (in FIELDS order)."""
        if not rows:
            return
        block = np.asarray(rows, dtype=np.float64).T
        k = block.shape[1]
        need = self._n + k
        if need > self._data.shape[1]:
            capacity = self._data.shape[1]
            while capacity < need:
                capacity *= 2
            grown = np.empty((len(FIELDS), capacity), dtype=np.float64)
            grown[:, : self._n] = self._data[:, : self._n]
            self._data = grown
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

    def copy(self) -> RunHistory:
        """An independent copy (an earlier run keeps its own columns)."""
        other = RunHistory(self._n)
        other._data[:, : self._n] = self._data[:, : self._n]
        other._n = self._n
        return other

    @property
    def nbytes(self) -> int:
        """The memory its buffer holds (capacity, not just the rows filled)."""
        return self._data.nbytes

    def prefix(self, n: int) -> RunHistory:
        """An independent copy of the first n rows (a branch starts with its parent's)."""
        n = max(0, min(n, self._n))
        other = RunHistory(n)
        other._data[:, :n] = self._data[:, :n]
        other._n = n
        return other
