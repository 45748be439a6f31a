"""Turn a Training Lab run into a plain-torch script that prints what the window showed.

The script runs as many epochs as the run did (a stopped or diverged run stops where it stopped),
switches the learning rate at the epochs where it was changed live, and prints what the window's
log shows: the notebook's `Epoch N` / `Loss tensor(...)` every tenth epoch and its
`print(y_predicted)`, then the final loss, w and b exactly (so a reader can compare them bit for
bit). It calls the loss the way the notebook does, `loss = torch.nn.MSELoss()` then
`L = loss(y, y_predicted)`, so the target comes first, as in the Loss graph. A branched run
(continued from epoch k of another) runs one loop per config it trained with: the parent's up to
k, then its own, switching the optimiser, batch size and generator as the run did.

Everything interpolated into the script is a repr of a float/int or a line from the optimiser and
loss tables (the names are checked by config.validate()), so a dataset name cannot inject code.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

from playground.core.training.config import TrainConfig
from playground.core.training.notebook_log import LOG_EVERY
from playground.core.training.session import Run, TrainingSession
from playground.core.training.tables import OPTIMIZER_SPECS

# The import block every exported training script starts with (a whole session's too): torch
# alone, since a Tensor Lab tensor named `nn` or `F` above the loop would hide an alias.
IMPORTS = ("import torch",)

# The notebook builds its loss as an nn module (`loss = nn.MSELoss()`); the same loss each way.
LOSS_MODULES = {"MSE": "torch.nn.MSELoss()", "L1": "torch.nn.L1Loss()",
                "Huber": "torch.nn.HuberLoss()"}


def _wrap(body: str) -> str:
    return textwrap.fill(body, width=90, initial_indent="    ", subsequent_indent="    ")


def _float_list(name: str, values: Sequence[float]) -> str:
    body = ", ".join(repr(float(v)) for v in values)
    return f"{name} = [\n{_wrap(body)},\n]"


def _changes_dict(changes: Mapping[int, float]) -> str:
    body = ", ".join(f"{int(e)}: {float(v)!r}" for e, v in sorted(changes.items()))
    return f"lr_changes = {{\n{_wrap(body)},\n}}"


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


def to_script(
    config: TrainConfig,
    *,
    epochs: int | None = None,
    lr_changes: Mapping[int, float] | None = None,
    note: str = "",
    branches: Sequence[tuple[int, TrainConfig]] = (),
    header: bool = True,
) -> str:
    """A runnable plain-torch .py reproducing `train(config)` epoch by epoch.

    `epochs` is how many epochs to run (default: the config's); the learning rate starts at
    config.lr and switches at each `lr_changes` epoch. `note` is a comment line (one line).
    `branches` are (first epoch, config) a branched run continued with: the script then runs
    one loop per config, switching where the run did (a new optimiser when it changed, the same
    one with its state otherwise; the generator seeded when mini-batches first start).
    `header=False` leaves out the docstring and imports (a whole session writes its own).
    """
    config.validate()
    for _, later in branches:
        later.validate()
    first_lr = config.lr
    n_epochs = config.epochs if epochs is None else int(epochs)
    changes = {int(e): float(v) for e, v in (lr_changes or {}).items() if 0 < int(e) < n_epochs}
    manual = config.optimizer == "Manual"
    mini = not config.full_batch
    fresh_optimizer = not manual and config.new_optimizer_each_epoch

    head: list[str] = []
    if header:
        head += ['"""Exported from Gradient Playground: fit y_hat = w*x + b with plain torch."""',
                 "", *IMPORTS, ""]
    if note:
        head.append("# " + " ".join(note.split()))
    head += [
        f"# dataset: {config.dataset.name!r}",
        _float_list("x_values", config.dataset.x),
        _float_list("y_values", config.dataset.y),
        "x = torch.tensor(x_values, dtype=torch.float32)",
        "y = torch.tensor(y_values, dtype=torch.float32)",
        f"w = torch.tensor([{float(config.w0)!r}], dtype=torch.float32, requires_grad=True)",
        f"b = torch.tensor([{float(config.b0)!r}], dtype=torch.float32, requires_grad=True)",
        f"epochs = {n_epochs}",
        f"lr = {first_lr!r}",
    ]
    if changes:
        head.append("# The learning rate was changed during the run: {epoch: new rate}.")
        head.append(_changes_dict(changes))
    if mini:
        head.append(f"batch_size = {int(config.batch_size)}")
        head.append(f"generator = torch.Generator().manual_seed({int(config.seed)})")
    if not manual and not fresh_optimizer:
        head.append(f"optimizer = {OPTIMIZER_SPECS[config.optimizer].export_line()}")
    head.append(f"loss = {LOSS_MODULES[config.loss]}")
    head.append("")

    segments = [(0, config), *((int(f), c) for f, c in branches if 0 < int(f) < n_epochs)]
    loops: list[str] = []
    has_generator = mini
    for i, (first, seg) in enumerate(segments):
        last = segments[i + 1][0] if i + 1 < len(segments) else None
        if i:
            before = segments[i - 1][1]
            loops += ["", f"# Branched after epoch {first - 1}: from epoch {first} on the run "
                      f"continued with {seg.optimizer} and the settings chosen then."]
            if not seg.full_batch:
                if seg.batch_size != before.batch_size or before.full_batch:
                    loops.append(f"batch_size = {int(seg.batch_size)}")
                if not has_generator:
                    loops.append(f"generator = torch.Generator().manual_seed({int(seg.seed)})")
                    has_generator = True
            if seg.optimizer != before.optimizer and seg.optimizer != "Manual" and not (
                    seg.new_optimizer_each_epoch):
                loops.append("# A different optimiser starts fresh, with no state.")
                loops.append(f"optimizer = {OPTIMIZER_SPECS[seg.optimizer].export_line()}")
            if seg.loss != before.loss:
                loops.append(f"loss = {LOSS_MODULES[seg.loss]}")
        span = "range(epochs)" if len(segments) == 1 else (
            f"range({first}, {'epochs' if last is None else last})")
        loops += [f"for epoch in {span}:", *("    " + line for line in _body(seg, bool(changes)))]
    tail = [
        "",
        "print(y_predicted)  # the last epoch's forward pass, before its update",
        'print(f"final loss {epoch_loss!r}")',
        'print(f"final w {w.item()!r} b {b.item()!r}")',
        "",
    ]
    return "\n".join(head + loops + tail)


def _body(config: TrainConfig, has_changes: bool) -> list[str]:
    """One epoch of `config`'s loop, as the loop body's lines (unindented)."""
    manual = config.optimizer == "Manual"
    fresh_optimizer = not manual and config.new_optimizer_each_epoch
    body: list[str] = []
    if has_changes:
        body += ["if epoch in lr_changes:", "    lr = lr_changes[epoch]"]
        if not manual and not fresh_optimizer:
            body += ["    for group in optimizer.param_groups:", '        group["lr"] = lr']
    if fresh_optimizer:
        body.append(
            "# Pitfall (as the notebook does): a new optimiser every epoch loses its state."
        )
        body.append(f"optimizer = {OPTIMIZER_SPECS[config.optimizer].export_line()}")
    update = _update_lines(config)
    if not config.full_batch:
        body += [
            "y_predicted = w * x + b  # every point, with w and b before this epoch's steps",
            "perm = torch.randperm(len(x), generator=generator)",
            "total = 0.0",
            "for start in range(0, len(x), batch_size):",
            "    idx = perm[start : start + batch_size]",
            "    L = loss(y[idx], w * x[idx] + b)",
            "    L.backward()",
            *("    " + line for line in update),
            "    total += L.item() * idx.shape[0]",
            "epoch_loss = total / len(x)",
            f"if epoch % {LOG_EVERY} == 0:",
            '    print("Epoch " + str(epoch))',
            "    # an epoch of mini-batches has a mean of batch losses, a number, not a graph",
            '    print("Loss " + str(torch.tensor(epoch_loss)))',
        ]
    else:
        body += [
            "y_predicted = w * x + b",
            "L = loss(y, y_predicted)",
            "L.backward()",
            *update,
            "epoch_loss = L.item()",
            f"if epoch % {LOG_EVERY} == 0:",
            '    print("Epoch " + str(epoch))',
            '    print("Loss " + str(L))',
        ]
    return body


def run_to_script(run: Run, *, header: bool = True) -> str:
    """The plain-torch script of this run as it happened: its epochs, its lr changes."""
    n = run.epochs_done
    status = run.end.status if run.end is not None else "running"
    epochs = n
    note = ""
    if status == "error":
        epochs = n + 1  # the failing epoch, so the script raises what the run reported
        note = f"The run failed at epoch {n}; this script fails there too."
    elif status == "diverged":
        note = f"The run diverged at epoch {n}; this script stops before it, as the run did."
    elif status == "stopped":
        note = f"The run was stopped after {n} epochs; this script stops there too."
    elif status == "running":
        note = f"The run had trained {n} epochs when this script was exported."
    if n == 0 and status != "error":
        epochs, note = run.config.epochs, ""  # nothing ran: the configured run
    first, *branches = run.segments
    config = first[1].replace(lr=run.first_lr)
    changes = {e: lr for e, lr in run.lr_changes if e > 0}
    if branches:
        note = " ".join(filter(None, (note, f"A branch: the run it left up to epoch "
                                             f"{run.branched_at}, then its own settings.")))
    return to_script(config, epochs=epochs, lr_changes=changes, note=note, branches=branches,
                     header=header)


def session_to_script(session: TrainingSession, *, header: bool = True) -> str:
    """The script of the run on screen, or of the setup when no run is shown."""
    if session.current is not None and session.current.epochs_done:
        return run_to_script(session.current, header=header)
    return to_script(session.config, header=header)
