"""The exact loss surface of the 2-parameter model y_hat = w*x + b, for the landscape plot."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from playground.core.datasets import Dataset

_ELEMENTWISE = {"MSE": F.mse_loss, "L1": F.l1_loss, "Huber": F.huber_loss}


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
    if loss not in _ELEMENTWISE:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(_ELEMENTWISE)}")
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
        per_point = _ELEMENTWISE[loss](y_hat, y.expand_as(y_hat), reduction="none")
        losses = per_point.mean(dim=-1)
    return (
        w.numpy().astype(np.float64),
        b.numpy().astype(np.float64),
        losses.numpy().astype(np.float64),
    )
