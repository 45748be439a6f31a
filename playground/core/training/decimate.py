"""A run's curve reduced for drawing: (min, max) per bucket of epochs, kept up to date as it grows.

Plain numpy (no Qt), so it is tested in tests/core; the Training Lab's plots draw from it.
"""

from __future__ import annotations

import numpy as np

# A live curve is drawn from at most 2 points per bucket: the loss plot is well under 2,000 px
# wide even on a large screen, so this loses nothing visible.
DISPLAY_BUCKETS = 1000


class PeakDecimator:
    """A run's curve reduced to (min, max) per bucket of epochs, extended as the run grows.

    The bucket size is fixed from the run's length when it starts, so finished buckets are
    computed once and only the partial last bucket is redone per update. Min and max are kept,
    so spikes and the curve's y bounds survive the reduction exactly.
    """

    def __init__(self, target_buckets: int = DISPLAY_BUCKETS) -> None:
        self.target = target_buckets
        self.bucket = 1
        self._x = np.empty(0)
        self._y = np.empty(0)
        self._done = 0  # finished buckets already in _x/_y

    def reset(self, expected_length: int) -> None:
        """Start over for a run of about `expected_length` points."""
        self.bucket = max(1, -(-expected_length // self.target))
        self._x = np.empty(2 * (self.target + 2))
        self._y = np.empty_like(self._x)
        self._done = 0

    def update(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The reduced (x, y) for the run so far; x, y are its full, append-only columns."""
        b, n = self.bucket, len(x)
        if b == 1:
            return x, y
        full = n // b
        while full + 1 > len(self._x) // 2:  # the run outgrew its expected length
            self._x = np.concatenate((self._x, np.empty_like(self._x)))
            self._y = np.concatenate((self._y, np.empty_like(self._y)))
        if full > self._done:
            lo, hi = self._done * b, full * b
            block = y[lo:hi].reshape(-1, b)
            self._y[2 * self._done:2 * full:2] = block.min(axis=1)
            self._y[2 * self._done + 1:2 * full:2] = block.max(axis=1)
            self._x[2 * self._done:2 * full] = np.repeat(x[lo:hi:b], 2)
            self._done = full
        end = 2 * full
        if n > full * b:  # the partial last bucket
            tail = y[full * b:]
            self._x[end:end + 2] = x[full * b]
            self._y[end], self._y[end + 1] = tail.min(), tail.max()
            end += 2
        return self._x[:end], self._y[:end]


def decimate(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A finished run's (min, max)-per-bucket reduction, for overlays drawn many times."""
    reducer = PeakDecimator()
    reducer.reset(len(x))
    return tuple(a.copy() for a in reducer.update(x, y))
