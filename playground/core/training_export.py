"""Turn a Training Lab run into a plain-torch script that prints the same loss per epoch.

Everything interpolated into the script is a repr of a float/int or one of the fixed optimiser and
loss names (checked by config.validate()), so a dataset name or value cannot inject code.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playground.core.training import TrainConfig

_LOSS_CALLS = {"MSE": "F.mse_loss", "L1": "F.l1_loss", "Huber": "F.huber_loss"}
_OPTIMIZER_CALLS = {
    "SGD": "torch.optim.SGD([w, b], lr=lr)",
    "Momentum": "torch.optim.SGD([w, b], lr=lr, momentum=0.9)",
    "Adam": "torch.optim.Adam([w, b], lr=lr)",
    "RMSprop": "torch.optim.RMSprop([w, b], lr=lr)",
    "Adagrad": "torch.optim.Adagrad([w, b], lr=lr)",
}


def _float_list(name: str, values: Sequence[float]) -> str:
    body = ", ".join(repr(float(v)) for v in values)
    wrapped = textwrap.fill(body, width=90, initial_indent="    ", subsequent_indent="    ")
    return f"{name} = [\n{wrapped},\n]"


def _schedule(config: TrainConfig, lr_schedule: Sequence[float] | None) -> list[float] | None:
    """The per-epoch learning rates, or None when the run used one constant rate."""
    if not lr_schedule:
        return None
    lrs = [float(v) for v in lr_schedule[: config.epochs]]
    # Epochs the run never reached keep the last rate it used.
    lrs += [lrs[-1]] * (config.epochs - len(lrs))
    return None if all(v == lrs[0] for v in lrs) else lrs


def _update_lines(config: TrainConfig) -> list[str]:
    """The update step after backward, as the loop body's lines (unindented)."""
    zero = not config.forget_zero_grad
    if config.optimizer == "Manual":
        if config.out_of_place_update:
            return [
                "# Pitfall: rebinding w makes it a new non-leaf tensor; its .grad is None from",
                "# now on, so next epoch `lr * w.grad` raises (and torch warns about .grad).",
                "w = w - lr * w.grad",
                "b = b - lr * b.grad",
            ]
        lines = ["with torch.no_grad():", "    w -= lr * w.grad", "    b -= lr * b.grad"]
        if zero:
            return [*lines, "w.grad.zero_()", "b.grad.zero_()"]
        return [*lines, "# Pitfall: no w.grad.zero_(), so gradients accumulate across epochs."]
    lines = ["optimizer.step()"]
    if zero:
        return [*lines, "optimizer.zero_grad()"]
    return [*lines, "# Pitfall: no optimizer.zero_grad(), so gradients accumulate across epochs."]


def export_script(config: TrainConfig, lr_schedule: Sequence[float] | None = None) -> str:
    """A runnable plain-torch .py reproducing `train(config)` epoch by epoch.

    lr_schedule[i] is the learning rate epoch i used (live changes included); epochs past its end
    use its last value. Prints "epoch i loss L" per epoch, then the final w and b exactly.
    """
    config.validate()
    lrs = _schedule(config, lr_schedule)
    first_lr = lrs[0] if lrs else (float(lr_schedule[0]) if lr_schedule else config.lr)
    loss_call = _LOSS_CALLS[config.loss]
    manual = config.optimizer == "Manual"
    n_points = len(config.dataset.x)
    mini = config.batch_size is not None and config.batch_size < n_points

    head = [
        '"""Exported from Gradient Playground: fit y_hat = w*x + b with plain torch."""',
        "",
        "import torch",
        "import torch.nn.functional as F",
        "",
        f"# dataset: {config.dataset.name!r}",
        _float_list("x_values", config.dataset.x),
        _float_list("y_values", config.dataset.y),
        "x = torch.tensor(x_values, dtype=torch.float32)",
        "y = torch.tensor(y_values, dtype=torch.float32)",
        f"w = torch.tensor([{float(config.w0)!r}], dtype=torch.float32, requires_grad=True)",
        f"b = torch.tensor([{float(config.b0)!r}], dtype=torch.float32, requires_grad=True)",
        f"epochs = {int(config.epochs)}",
        f"lr = {first_lr!r}",
    ]
    if lrs is not None:
        head.append("# The learning rate each epoch used (it was changed during the run).")
        head.append(_float_list("lrs", lrs))
    if mini:
        head.append(f"batch_size = {int(config.batch_size)}")
        head.append(f"generator = torch.Generator().manual_seed({int(config.seed)})")
    fresh_optimizer = not manual and config.new_optimizer_each_epoch
    if not manual and not fresh_optimizer:
        head.append(f"optimizer = {_OPTIMIZER_CALLS[config.optimizer]}")
    head.append("")

    body: list[str] = []
    if lrs is not None:
        body.append("lr = lrs[epoch]")
        if not manual and not fresh_optimizer:
            body += ["for group in optimizer.param_groups:", '    group["lr"] = lr']
    if fresh_optimizer:
        body.append(
            "# Pitfall (as the notebook does): a new optimiser every epoch loses its state."
        )
        body.append(f"optimizer = {_OPTIMIZER_CALLS[config.optimizer]}")
    update = _update_lines(config)
    if mini:
        body += [
            "perm = torch.randperm(len(x), generator=generator)",
            "total = 0.0",
            "for start in range(0, len(x), batch_size):",
            "    idx = perm[start : start + batch_size]",
            f"    loss = {loss_call}(w * x[idx] + b, y[idx])",
            "    loss.backward()",
            *("    " + line for line in update),
            "    total += loss.item() * idx.shape[0]",
            'print(f"epoch {epoch} loss {total / len(x):.6f}")',
        ]
    else:
        body += [
            f"loss = {loss_call}(w * x + b, y)",
            "loss.backward()",
            *update,
            'print(f"epoch {epoch} loss {loss.item():.6f}")',
        ]
    loop = ["for epoch in range(epochs):", *("    " + line for line in body)]
    tail = ["", 'print(f"final w {w.item()!r} b {b.item()!r}")', ""]
    return "\n".join(head + loop + tail)
