"""The Network Lab's colours: TensorFlow Playground's orange (negative, class 0) to blue
(positive, class 1), through a pale middle in light mode and a dark one in dark mode."""

from __future__ import annotations

import numpy as np
from PySide6 import QtGui

ORANGE = (245, 147, 34)
BLUE = (8, 119, 189)
MID_LIGHT = (232, 234, 235)
MID_DARK = (48, 50, 54)
POSITIVE = QtGui.QColor(*BLUE)
NEGATIVE = QtGui.QColor(*ORANGE)


def lookup_table(dark: bool, n: int = 256) -> np.ndarray:
    """(n, 3) uint8 colours from orange through the middle to blue."""
    mid = np.array(MID_DARK if dark else MID_LIGHT, dtype=np.float64)
    t = np.linspace(-1.0, 1.0, n)[:, None]
    lo = np.array(ORANGE, dtype=np.float64)
    hi = np.array(BLUE, dtype=np.float64)
    rgb = np.where(t < 0, mid + (lo - mid) * -t, mid + (hi - mid) * t)
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8)


def to_rgb(values: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] (clipped) painted through `lut`, as a contiguous (h, w, 3) array."""
    idx = np.clip(((values + 1.0) * 0.5 * (len(lut) - 1)).round(), 0, len(lut) - 1)
    return np.ascontiguousarray(lut[idx.astype(np.intp)])


def to_index(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] (clipped) as uint8 indices into a 256-entry table (as the worker's)."""
    return np.clip(np.rint((np.asarray(values) + 1.0) * 127.5), 0, 255).astype(np.uint8)
