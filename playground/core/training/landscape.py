"""The exact loss surface of the 2-parameter model y_hat = w*x + b, and the window to show it in."""

from __future__ import annotations

import numpy as np
import torch

from playground.core.training.datasets import Dataset
from playground.core.training.tables import LOSS_SPECS, LOSSES


def least_squares_fit(x: tuple[float, ...], y: tuple[float, ...]) -> tuple[float, float] | None:
    """The MSE optimum (w*, b*); None when the x values are all equal (no unique line)."""
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    if len(xs) < 2:
        return None
    var = float(np.mean((xs - xs.mean()) ** 2))
    if var == 0.0:
        return None
    w = float(np.mean((xs - xs.mean()) * (ys - ys.mean()))) / var
    return w, float(ys.mean() - w * xs.mean())


def landscape_window(
    start: tuple[float, float], optimum: tuple[float, float] | None
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(w range, b range) covering the start point and the optimum with a margin on each side."""
    ranges = []
    for i in (0, 1):
        values = [start[i]] if optimum is None else [start[i], optimum[i]]
        lo, hi = min(values), max(values)
        margin = max(0.4 * (hi - lo), 0.5)
        ranges.append((lo - margin, hi + margin))
    return ranges[0], ranges[1]


def loss_landscape(
    dataset: Dataset,
    loss: str,
    w_range: tuple[float, float],
    b_range: tuple[float, float],
    n: int = 60,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (w values [n], b values [n], losses [n, n] indexed [i_w, j_b]).

    Evaluated with torch's own loss functions in float32, as training computes them, so the
    parameter path drawn over it sits on the same surface.
    """
    if loss not in LOSS_SPECS:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    if n < 2:
        raise ValueError("the landscape needs at least 2 samples per axis")
    dataset.validate()
    with torch.no_grad():
        x = torch.tensor(dataset.x, dtype=torch.float32)
        y = torch.tensor(dataset.y, dtype=torch.float32)
        w = torch.linspace(float(w_range[0]), float(w_range[1]), n, dtype=torch.float32)
        b = torch.linspace(float(b_range[0]), float(b_range[1]), n, dtype=torch.float32)
        # Broadcast to [n_w, n_b, points]; the per-point losses are then averaged like "mean".
        y_hat = w[:, None, None] * x + b[None, :, None]
        per_point = LOSS_SPECS[loss].function(y_hat, y.expand_as(y_hat), reduction="none")
        losses = per_point.mean(dim=-1)
    return (
        w.numpy().astype(np.float64),
        b.numpy().astype(np.float64),
        losses.numpy().astype(np.float64),
    )
