"""The notebook's own prints for a Training Lab run: its every-10-epochs log and `print(y_predicted)`.

The notebook prints `"Epoch " + str(i)` and `"Loss " + str(L)` every tenth epoch, then
`print(y_predicted)`: the prediction of the last epoch's forward pass, made with w and b as they
were *before* that epoch's update. `predictions_text` computes it the way the notebook does (a
forward pass on leaves that require grad, printed by torch); `loss_text` spells a loss the way
`str(L)` does, without building a tensor per line (the log must stay cheap during a fast run).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from playground.core.training.config import TrainConfig
from playground.core.training.tables import LOSS_SPECS

LOG_EVERY = 10
_PRECISION = 4  # torch's default print precision


def _scalar_text(value: float) -> str:
    """torch's default spelling of a 0-d float32 tensor's value (as in `tensor(0.1568)`).

    Follows torch's _Formatter for one finite element: an integral value prints as `1.`, values
    at or above 1e8 or below 1e-4 in scientific notation with 4 decimals, others with 4 decimals.
    Checked against str(torch.tensor(v)) in tests/core/test_training_notebook.py.
    """
    return _float32_text(float(np.float32(value)))  # the tensor would hold float32


def _float32_text(value: float) -> str:
    """_scalar_text of a value already rounded to float32."""
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    magnitude = abs(value)
    if value == math.ceil(value):
        if magnitude > 1e8:
            return f"{value:.{_PRECISION}e}"
        return f"{value:.0f}."
    if magnitude > 1e8 or magnitude < 1e-4:
        return f"{value:.{_PRECISION}e}"
    return f"{value:.{_PRECISION}f}"


def loss_text(loss: float, grad_fn_name: str | None) -> str:
    """What `str(L)` prints for a loss tensor holding `loss` (with its grad_fn, if it has one)."""
    suffix = f", grad_fn=<{grad_fn_name}>" if grad_fn_name else ""
    return f"tensor({_scalar_text(loss)}{suffix})"


def log_lines(config: TrainConfig, epochs: list[int], losses: list[float]) -> list[str]:
    """The notebook's lines for the given epochs (those divisible by LOG_EVERY are printed).

    With mini-batches the epoch's loss is a mean of batch losses, a plain number, so it is
    printed as a tensor without a grad_fn.
    """
    grad_fn = LOSS_SPECS[config.loss].grad_fn_name if config.full_batch else None
    suffix = f", grad_fn=<{grad_fn}>)" if grad_fn else ")"
    # Rounded to float32 in one numpy call (one np.float32 per value cost more than its text).
    rounded = np.asarray(losses, dtype=np.float32).astype(np.float64).tolist()
    lines: list[str] = []
    for epoch, loss in zip(epochs, rounded, strict=True):
        if epoch % LOG_EVERY == 0:
            lines.append(f"Epoch {epoch}")
            lines.append(f"Loss tensor({_float32_text(loss)}{suffix}")
    return lines


# The last text and what it was made from: a run's end asks twice (the readouts and the log),
# and over 10,000 points one text costs ~7 ms of the GUI thread. Keyed on the config object
# itself (hashing its points would cost a millisecond) and the exact bits of w and b.
_last_predictions: tuple[TrainConfig, str, str, str] | None = None


def predictions_text(config: TrainConfig, w: float, b: float) -> str:
    """`print(y_predicted)` for a forward pass `w * x + b` over every point, as torch prints it."""
    global _last_predictions
    w, b = float(w), float(b)
    last = _last_predictions
    if last is not None and last[0] is config and last[1:3] == (w.hex(), b.hex()):
        return last[3]
    x = torch.tensor(config.dataset.x, dtype=torch.float32)
    wt = torch.tensor([w], dtype=torch.float32, requires_grad=True)
    bt = torch.tensor([b], dtype=torch.float32, requires_grad=True)
    with torch.enable_grad():
        y_predicted = wt * x + bt
    text = str(y_predicted)
    _last_predictions = (config, w.hex(), b.hex(), text)
    return text
