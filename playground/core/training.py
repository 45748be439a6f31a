"""The Training Lab's core: the notebook's linear regression as a generator of epoch records.

`train(config, control)` runs on a worker thread and yields one plain `EpochRecord` per epoch
(floats only, never live tensors, DESIGN.md section 3); when it ends, the generator returns a
`RunEnd` saying why. `TrainControl` carries the live learning rate, pause, step and stop.

Divergence rule (documented choice): an epoch diverges when its loss, w or b is not finite, or
its loss exceeds 1e6 x max(first epoch's loss, 1). The max(..., 1) keeps a run that starts near a
perfect fit from "diverging" at a harmless 1e-3. A diverged epoch is NOT yielded: the last record
the UI sees is the last finite one, and the run returns RunEnd("diverged").

Other choices: with mini-batches an epoch's loss is the size-weighted mean of its batch losses
and its grads are the last batch's; batch_size >= the number of points means full batch (no
shuffle). The out-of-place pitfall runs epoch 0 (zeroing, like optimizer.zero_grad(), skips a
None grad), then epoch 1 fails on `lr * w.grad` with Python's own TypeError. An invalid config
ends at once with RunEnd("error") rather than raising, so the UI has one path for failures.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from playground.core.datasets import Dataset, custom_dataset, noisy_line, notebook_dataset
from playground.core.landscape import loss_landscape
from playground.core.training_export import export_script

__all__ = [
    "LOSSES",
    "OPTIMIZERS",
    "Dataset",
    "EpochRecord",
    "RunEnd",
    "TrainConfig",
    "TrainControl",
    "configure_worker_thread",
    "custom_dataset",
    "export_script",
    "loss_landscape",
    "noisy_line",
    "notebook_dataset",
    "train",
    "warm_up",
]

OPTIMIZERS = ("Manual", "SGD", "Momentum", "Adam", "RMSprop", "Adagrad")
LOSSES = ("MSE", "L1", "Huber")

DIVERGENCE_FACTOR = 1e6
OUT_OF_PLACE_EXPLANATION = (
    "w = w - lr * w.grad made w a new non-leaf tensor, so its .grad stays None; "
    "update in place under torch.no_grad()"
)

_LOSS_FUNCTIONS: dict[str, Callable[..., torch.Tensor]] = {
    "MSE": F.mse_loss,
    "L1": F.l1_loss,
    "Huber": F.huber_loss,
}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run; frozen so a finished run's config can be kept beside it."""

    dataset: Dataset = field(default_factory=notebook_dataset)
    w0: float = 1.0
    b0: float = 1.0
    loss: str = "MSE"
    optimizer: str = "SGD"
    lr: float = 0.001
    epochs: int = 100
    batch_size: int | None = None  # None (or >= the number of points) = full batch, no shuffle
    seed: int = 0
    forget_zero_grad: bool = False
    out_of_place_update: bool = False  # only used by "Manual"; ignored for torch optimisers
    new_optimizer_each_epoch: bool = False  # no effect on "Manual", which has no optimiser

    def validate(self) -> None:
        """Raise ValueError naming the first setting that cannot be trained."""
        self.dataset.validate()
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}"
            )
        _check_lr(self.lr)
        if not (math.isfinite(self.w0) and math.isfinite(self.b0)):
            raise ValueError("initial w and b must be finite numbers")
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch size must be at least 1 (or None), got {self.batch_size}")


def _check_lr(lr: float) -> float:
    lr = float(lr)
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"learning rate must be a finite number > 0, got {lr}")
    return lr


class TrainControl:
    """Thread-safe live controls, read by train() between epochs.

    Plain values the loop reads (a worker's slots would never run while its loop is busy,
    DESIGN.md section 3); an Event wakes a paused loop at once instead of waiting a poll.
    """

    _POLL_SECONDS = 0.05

    def __init__(self, lr: float) -> None:
        self._lr = _check_lr(lr)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._paused = False
        self._stopped = False
        self._steps = 0

    @property
    def lr(self) -> float:
        """The learning rate the next epoch will use."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        # A single float assignment is atomic in CPython, so the loop reads it without a lock.
        self._lr = _check_lr(value)

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stopped(self) -> bool:
        return self._stopped

    def pause(self) -> None:
        """Hold the loop before its next epoch."""
        with self._lock:
            self._paused = True
            self._wake.clear()

    def resume(self) -> None:
        """Let the loop run freely again (pending single steps are dropped)."""
        with self._lock:
            self._paused = False
            self._steps = 0
            self._wake.set()

    def step(self) -> None:
        """Run exactly one more epoch, then stay paused (pauses a running loop too)."""
        with self._lock:
            self._paused = True
            self._steps += 1
            self._wake.set()

    def stop(self) -> None:
        """End the run before its next epoch with RunEnd("stopped")."""
        with self._lock:
            self._stopped = True
            self._wake.set()

    def wait_for_epoch(self) -> bool:
        """Block while paused; True when the next epoch may run, False once stopped."""
        while True:
            if self._stopped:
                return False
            if not self._paused:
                return True
            with self._lock:
                if self._steps > 0:
                    self._steps -= 1
                    return True
                self._wake.clear()
            self._wake.wait(self._POLL_SECONDS)


@dataclass(frozen=True, slots=True)  # slots: ~4x cheaper to build, one per epoch
class EpochRecord:
    """One epoch, as plain floats: loss before the update, w and b after it."""

    epoch: int
    loss: float
    w: float
    b: float
    lr: float
    w_grad: float | None
    b_grad: float | None


@dataclass(frozen=True)
class RunEnd:
    """Why a run ended: "completed", "stopped", "diverged" or "error"."""

    status: str
    reason: str
    explanation: str = ""


def configure_worker_thread() -> None:
    """Call once from the training worker: one intra-op thread is faster for this tiny model and
    leaves the second core to the GUI (DESIGN.md section 3). Process-wide, so never at import."""
    torch.set_num_threads(1)


def warm_up() -> None:
    """Build and step one optimiser so torch._dynamo's ~1 s import happens at start-up, off the
    GUI thread, instead of stalling the first Start click."""
    p = torch.zeros(1, requires_grad=True)
    with torch.enable_grad():
        (p * 2.0).sum().backward()
    torch.optim.SGD([p], lr=0.1).step()


def _make_optimizer(name: str, params: list[torch.Tensor], lr: float) -> torch.optim.Optimizer:
    if name == "SGD":
        return torch.optim.SGD(params, lr=lr)
    if name == "Momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "Adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "RMSprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "Adagrad":
        return torch.optim.Adagrad(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}")


def train(
    config: TrainConfig, control: TrainControl | None = None
) -> Generator[EpochRecord, None, RunEnd]:
    """Train y_hat = w*x + b as configured, yielding an EpochRecord after every epoch.

    The generator's return value (StopIteration.value) is the RunEnd. Pass a TrainControl to
    change the learning rate, pause, step or stop between epochs from another thread.
    """
    try:
        config.validate()
    except ValueError as exc:
        return RunEnd(
            "error", str(exc), "The run's settings are invalid; fix them and start again."
        )
    manual = config.optimizer == "Manual"
    out_of_place = manual and config.out_of_place_update
    try:
        return (yield from _run(config, control, manual, out_of_place))
    except Exception as exc:  # any torch/Python failure ends the run with torch's own text
        explanation = OUT_OF_PLACE_EXPLANATION if out_of_place else ""
        return RunEnd("error", str(exc) or type(exc).__name__, explanation)


def _run(
    config: TrainConfig, control: TrainControl | None, manual: bool, out_of_place: bool
) -> Generator[EpochRecord, None, RunEnd]:
    x = torch.tensor(config.dataset.x, dtype=torch.float32)
    y = torch.tensor(config.dataset.y, dtype=torch.float32)
    n_points = x.shape[0]
    w = torch.tensor([config.w0], dtype=torch.float32, requires_grad=True)
    b = torch.tensor([config.b0], dtype=torch.float32, requires_grad=True)
    loss_fn = _LOSS_FUNCTIONS[config.loss]
    lr = config.lr if control is None else control.lr
    optimizer = None if manual else _make_optimizer(config.optimizer, [w, b], lr)
    opt_lr = lr
    batch_size = config.batch_size
    mini_batches = batch_size is not None and batch_size < n_points
    gen = torch.Generator().manual_seed(config.seed) if mini_batches else None
    zero_grads = not config.forget_zero_grad
    limit = math.inf

    for epoch in range(config.epochs):
        if control is not None:
            if not control.wait_for_epoch():
                return RunEnd("stopped", f"Stopped by the user before epoch {epoch}.")
            lr = control._lr
        if optimizer is not None:
            if config.new_optimizer_each_epoch:
                # The notebook's mistake: a fresh optimiser forgets momentum / Adam state.
                optimizer = _make_optimizer(config.optimizer, [w, b], lr)
                opt_lr = lr
            elif lr != opt_lr:
                for group in optimizer.param_groups:
                    group["lr"] = lr
                opt_lr = lr

        # Grad mode is thread-local, and a generator must not leak it into its consumer
        # between yields, so switch it on just for the epoch's work (a check is cheaper
        # than a context manager per epoch).
        grad_was_off = not torch.is_grad_enabled()
        if grad_was_off:
            torch.set_grad_enabled(True)
        try:
            if mini_batches:
                perm = torch.randperm(n_points, generator=gen)
                total = 0.0
                for start in range(0, n_points, batch_size):
                    idx = perm[start : start + batch_size]
                    loss = loss_fn(w * x[idx] + b, y[idx])
                    loss.backward()
                    w_grad_value, b_grad_value, w, b = _update(
                        w, b, lr, optimizer, zero_grads, out_of_place
                    )
                    total += loss.item() * idx.shape[0]
                loss_value = total / n_points
            else:
                loss = loss_fn(w * x + b, y)
                loss.backward()
                w_grad_value, b_grad_value, w, b = _update(
                    w, b, lr, optimizer, zero_grads, out_of_place
                )
                loss_value = loss.item()
        finally:
            if grad_was_off:
                torch.set_grad_enabled(False)

        w_value = w.item()
        b_value = b.item()
        if epoch == 0 and math.isfinite(loss_value):
            limit = DIVERGENCE_FACTOR * max(loss_value, 1.0)
        finite = math.isfinite(loss_value) and math.isfinite(w_value) and math.isfinite(b_value)
        if not (finite and loss_value <= limit):
            return RunEnd(
                "diverged",
                f"The loss blew up at epoch {epoch} (loss {loss_value:.3g}) with learning "
                f"rate {lr:g}.",
                "Each step overshoots the minimum by more than it corrects, so w and b swing "
                "ever wider; lower the learning rate (try x0.1).",
            )
        yield EpochRecord(epoch, loss_value, w_value, b_value, lr, w_grad_value, b_grad_value)
    return RunEnd("completed", f"Trained {config.epochs} epochs.")


def _update(
    w: torch.Tensor,
    b: torch.Tensor,
    lr: float,
    optimizer: torch.optim.Optimizer | None,
    zero_grads: bool,
    out_of_place: bool,
) -> tuple[float | None, float | None, torch.Tensor, torch.Tensor]:
    """One parameter update after backward; returns the grads as floats and the (new) w, b."""
    if out_of_place:
        # Once rebound, w is a non-leaf whose .grad is None; reading it would only add torch's
        # warning, and warnings.catch_warnings is process-global (unsafe from a worker thread).
        w_grad = w.grad if w.is_leaf else None
        b_grad = b.grad if b.is_leaf else None
    else:
        w_grad, b_grad = w.grad, b.grad
    w_grad_value = None if w_grad is None else w_grad.item()
    b_grad_value = None if b_grad is None else b_grad.item()
    if optimizer is not None:
        optimizer.step()
        if zero_grads:
            optimizer.zero_grad()
        return w_grad_value, b_grad_value, w, b
    if out_of_place:
        # The notebook's warning, done for real: these rebind w and b to new non-leaf tensors.
        # Once w is a non-leaf, w.grad is None and `lr * w.grad` raises a TypeError.
        w = w - lr * w_grad
        b = b - lr * b_grad
    else:
        with torch.no_grad():
            w -= lr * w_grad
            b -= lr * b_grad
    if zero_grads:
        # Like optimizer.zero_grad(), skip a grad that is None (the non-leaf case above).
        if w.is_leaf and w.grad is not None:
            w.grad.zero_()
        if b.is_leaf and b.grad is not None:
            b.grad.zero_()
    return w_grad_value, b_grad_value, w, b
