"""The Training Lab's core: the notebook's linear regression as a generator of epoch records.

`train(config, control)` runs on a worker thread and yields one plain `EpochRecord` per epoch
(floats only, never live tensors: only plain data crosses threads); when it ends, the generator returns a
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
import time
from collections.abc import Generator
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import torch

from playground.core.limits import DIVERGENCE_FACTOR
from playground.core.training.checkpoints import (
    Checkpoint,
    CheckpointSink,
    capture,
    restore_generator,
    restore_optimizer,
    restore_params,
    start_checkpoint,
)
from playground.core.training.config import TrainConfig, check_lr
from playground.core.training.tables import LOSS_SPECS, OPTIMIZER_SPECS

DIVERGED_EXPLANATION = (
    "Each step overshoots the minimum by more than it corrects, so w and b swing ever wider; "
    "lower the learning rate (try x0.1)."
)
OUT_OF_PLACE_EXPLANATION = (
    "w = w - lr * w.grad made w a new non-leaf tensor, so its .grad stays None; "
    "update in place under torch.no_grad()"
)


class TrainControl:
    """Thread-safe live controls, read by train() between epochs.

    Plain values the loop reads (a worker's slots would never run while its loop is busy, so
    the controls cannot be Qt signals). A Condition wakes a paused or pacing loop at once; `held` is set while
    the loop is parked by a pause, so a caller can wait for "paused" instead of sleeping.
    `epochs_per_second` paces the loop (None: full speed, no waiting at all).
    """

    def __init__(self, lr: float, epochs_per_second: float | None = None) -> None:
        self._lr = check_lr(lr)
        self._cond = threading.Condition()
        self._paused = False
        self._stopped = False
        self._steps = 0
        self._rate = _check_rate(epochs_per_second)
        self._next_at = 0.0  # time.monotonic() before which a paced epoch may not start
        self.held = threading.Event()  # set while the loop waits, paused, between epochs
        # Written by the loop: (epoch, lr, state before its last step, state after the epoch)
        # of the latest epoch whose step it kept (Model.capture_steps); None before any.
        self.last_step: tuple[int, float, Checkpoint, Checkpoint] | None = None

    @property
    def lr(self) -> float:
        """The learning rate the next epoch will use."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        # A single float assignment is atomic in CPython, so the loop reads it without a lock.
        self._lr = check_lr(value)

    @property
    def epochs_per_second(self) -> float | None:
        return self._rate

    @epochs_per_second.setter
    def epochs_per_second(self, value: float | None) -> None:
        with self._cond:
            self._rate = _check_rate(value)
            self._next_at = 0.0  # the new speed applies from the next epoch, not after a wait
            self._cond.notify_all()

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stopped(self) -> bool:
        return self._stopped

    def pause(self) -> None:
        """Hold the loop before its next epoch."""
        with self._cond:
            self._paused = True
            self._cond.notify_all()

    def resume(self) -> None:
        """Let the loop run freely again (pending single steps are dropped)."""
        with self._cond:
            self._paused = False
            self._steps = 0
            self.held.clear()
            self._cond.notify_all()

    def step(self) -> None:
        """Run exactly one more epoch, then stay paused (pauses a running loop too)."""
        with self._cond:
            self._paused = True
            self._steps += 1
            self.held.clear()  # held again only once that epoch is done
            self._cond.notify_all()

    def stop(self) -> None:
        """End the run before its next epoch with RunEnd("stopped")."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def wait_paused(self, timeout: float) -> bool:
        """Block until the loop is parked by a pause (True), or the timeout passes (False)."""
        return self.held.wait(timeout)

    def wait_for_epoch(self) -> bool:
        """Block while paused or pacing; True when the next epoch may run, False once stopped."""
        if not (self._paused or self._stopped or self._rate):
            return True  # full speed: no lock on the hot path
        with self._cond:
            while True:
                if self._stopped:
                    self.held.clear()
                    return False
                if self._paused:
                    if self._steps > 0:
                        self._steps -= 1
                        return True  # a single step is never paced
                    self.held.set()
                    self._cond.wait()
                    continue
                self.held.clear()
                if not self._rate:
                    return True
                now = time.monotonic()
                if now < self._next_at:
                    self._cond.wait(self._next_at - now)  # stop, pause or a new speed wake it
                    continue
                # Late by a wake-up's jitter: keep the rhythm; late by more: no burst to catch up.
                period = 1.0 / self._rate
                self._next_at = max(self._next_at, now - 0.5 * period) + period
                return True


def _check_rate(rate: float | None) -> float | None:
    if rate is None or rate == 0:
        return None
    rate = float(rate)
    if not (math.isfinite(rate) and rate > 0):
        raise ValueError(f"epochs per second must be a finite number > 0 (or None), got {rate}")
    return rate


class EpochRecord(NamedTuple):  # a tuple: ~3x cheaper to build than a frozen dataclass
    """One epoch, as plain floats: loss before the update, w and b after it.

    Its fields, in order, are the columns of a run's history (RunHistory); immutable.
    """

    epoch: int
    loss: float
    w: float
    b: float
    lr: float
    w_grad: float | None
    b_grad: float | None


RECORD_COLUMNS: tuple[str, ...] = EpochRecord._fields


@dataclass(frozen=True)
class RunEnd:
    """Why a run ended: "completed", "stopped", "diverged" or "error"."""

    status: str
    reason: str
    explanation: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"status": self.status, "reason": self.reason, "explanation": self.explanation}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunEnd:
        return cls(str(data["status"]), str(data.get("reason", "")),
                   str(data.get("explanation", "")))


@dataclass(frozen=True)
class PointEval:
    """The loss and its gradients at one (w, b), over every point (a full-batch forward)."""

    loss: float
    w_grad: float
    b_grad: float


def evaluate(config: TrainConfig, w: float, b: float) -> PointEval:
    """Loss, dL/dw and dL/db at (w, b) on the config's data and loss, by torch autograd.

    What the readouts show before any run: the real gradients of the starting point.
    """
    config.dataset.validate()
    x = torch.tensor(config.dataset.x, dtype=torch.float32)
    y = torch.tensor(config.dataset.y, dtype=torch.float32)
    wt = torch.tensor([float(w)], dtype=torch.float32, requires_grad=True)
    bt = torch.tensor([float(b)], dtype=torch.float32, requires_grad=True)
    with torch.enable_grad():
        loss = LOSS_SPECS[config.loss].function(wt * x + bt, y)
        loss.backward()
    return PointEval(loss.item(), wt.grad.item(), bt.grad.item())


def warm_up() -> None:
    """Build and step one optimiser so torch._dynamo's ~1 s import happens at start-up, off the
    GUI thread, instead of stalling the first Start click."""
    p = torch.zeros(1, requires_grad=True)
    with torch.enable_grad():
        (p * 2.0).sum().backward()
    torch.optim.SGD([p], lr=0.1).step()


def train(
    config: TrainConfig,
    control: TrainControl | None = None,
    start: Checkpoint | None = None,
    checkpoints: CheckpointSink | None = None,
) -> Generator[EpochRecord, None, RunEnd]:
    """Train y_hat = w*x + b as configured, yielding an EpochRecord after every epoch.

    The generator's return value (StopIteration.value) is the RunEnd. Pass a TrainControl to
    change the learning rate, pause, step or stop between epochs from another thread. `start`
    continues from a checkpoint (epoch start.epoch + 1 on, the optimiser's state kept when the
    optimiser is the same, a fresh one otherwise); `checkpoints` receives the state every
    `checkpoints.every` epochs so the run can later be rewound and continued exactly.
    """
    try:
        config.validate()
    except ValueError as exc:
        return RunEnd(
            "error", str(exc), "The run's settings are invalid; fix them and start again."
        )
    out_of_place = config.optimizer == "Manual" and config.out_of_place_update
    try:
        return (yield from _run(config, control, start, checkpoints))
    except Exception as exc:  # any torch/Python failure ends the run with torch's own text
        explanation = OUT_OF_PLACE_EXPLANATION if out_of_place else ""
        return RunEnd("error", str(exc) or type(exc).__name__, explanation)


def _run(
    config: TrainConfig,
    control: TrainControl | None,
    start: Checkpoint | None,
    sink: CheckpointSink | None,
) -> Generator[EpochRecord, None, RunEnd]:
    lr = config.lr if control is None else control.lr
    model = Model(config, lr, start)
    if model.out_of_place:
        sink = None  # w and b become non-leaf tensors: nothing to continue from

    last = config.epochs - 1
    for epoch in range(model.next_epoch, config.epochs):
        if control is not None:
            if not control.wait_for_epoch():
                return RunEnd("stopped", f"Stopped by the user before epoch {epoch}.")
            lr = control._lr
            # The update formula shows the last step of the epoch on screen: keep it for the
            # run's last epoch, and for every epoch of a paced or single-stepped run, so the
            # window never replays epochs to write it (one capture a run at full speed).
            model.capture_steps = epoch == last or control._paused or bool(control._rate)
        loss_value, w_grad_value, b_grad_value = model.run_epoch(epoch, lr)
        w_value = model.w.item()
        b_value = model.b.item()
        finite = math.isfinite(loss_value) and math.isfinite(w_value) and math.isfinite(b_value)
        if not (finite and loss_value <= model.limit):
            return RunEnd(
                "diverged",
                f"The loss blew up at epoch {epoch} (loss {loss_value:.3g}) with learning "
                f"rate {lr:g}.",
                DIVERGED_EXPLANATION,
            )
        if sink is not None and (epoch + 1) % sink.every == 0:
            sink.put(model.checkpoint(epoch))
        if model.capture_steps and model.before_step is not None and control is not None:
            control.last_step = (epoch, lr, model.before_step, model.checkpoint(epoch))
        yield EpochRecord(epoch, loss_value, w_value, b_value, lr, w_grad_value, b_grad_value)
    return RunEnd("completed", f"Trained {config.epochs} epochs.")


class Model:
    """The live objects of one run: w, b, the optimiser and the mini-batch generator.

    Built from a Checkpoint (the start by default), so a rewound run continues bit for bit;
    train() drives it on the worker thread, rewind.py replays it to reach any epoch's state.
    With `capture_steps` set, `before_step` holds the state just before the latest step (what
    an update formula is written from).
    """

    def __init__(self, config: TrainConfig, lr: float, start: Checkpoint | None = None) -> None:
        self.config = config
        if start is None:
            start = start_checkpoint(config.w0, config.b0, config.optimizer)
        self.x = torch.tensor(config.dataset.x, dtype=torch.float32)
        self.y = torch.tensor(config.dataset.y, dtype=torch.float32)
        self.w, self.b = restore_params(start)
        self.loss_fn = LOSS_SPECS[config.loss].function
        manual = config.optimizer == "Manual"
        self.out_of_place = manual and config.out_of_place_update
        self.optimizer = None if manual else OPTIMIZER_SPECS[config.optimizer].make(
            [self.w, self.b], lr)
        if self.optimizer is not None and start.optimizer == config.optimizer and start.layout:
            restore_optimizer(start, self.optimizer)  # same optimiser: its state carries on
        self.opt_lr = lr
        n_points = self.x.shape[0]
        batch_size = config.batch_size
        self.mini_batches = batch_size is not None and batch_size < n_points
        self.generator = restore_generator(start, config.seed) if self.mini_batches else None
        self._gen_state = start.gen_state  # carried unchanged through full-batch epochs
        self.zero_grads = not config.forget_zero_grad
        self.limit = start.limit
        self.next_epoch = start.epoch + 1
        self.capture_steps = False
        self.before_step: Checkpoint | None = None

    def checkpoint(self, epoch: int) -> Checkpoint:
        """The state now, taken as the state after `epoch` (plain data)."""
        ckpt = capture(epoch, self.w, self.b, self.config.optimizer, self.optimizer,
                       self.generator, self.limit)
        if self.generator is None and self._gen_state is not None:
            ckpt = replace(ckpt, gen_state=self._gen_state)
        return ckpt

    def run_epoch(self, epoch: int, lr: float) -> tuple[float, float | None, float | None]:
        """Train one epoch at `lr`: (its loss, the grads of w and b its last step used)."""
        config = self.config
        optimizer = self.optimizer
        if optimizer is not None:
            if config.new_optimizer_each_epoch:
                # The notebook's mistake: a fresh optimiser forgets momentum / Adam state.
                optimizer = OPTIMIZER_SPECS[config.optimizer].make([self.w, self.b], lr)
                self.optimizer = optimizer
                self.opt_lr = lr
            elif lr != self.opt_lr:
                for group in optimizer.param_groups:
                    group["lr"] = lr
                self.opt_lr = lr
        x, y, loss_fn = self.x, self.y, self.loss_fn
        # Grad mode is thread-local, and a generator must not leak it into its consumer
        # between yields, so switch it on just for the epoch's work (a check is cheaper
        # than a context manager per epoch).
        grad_was_off = not torch.is_grad_enabled()
        if grad_was_off:
            torch.set_grad_enabled(True)
        try:
            if self.mini_batches:
                n_points = x.shape[0]
                batch_size = config.batch_size
                perm = torch.randperm(n_points, generator=self.generator)
                total = 0.0
                for start in range(0, n_points, batch_size):
                    idx = perm[start : start + batch_size]
                    loss = loss_fn(self.w * x[idx] + self.b, y[idx])
                    loss.backward()
                    w_grad_value, b_grad_value = self._update(lr, start + batch_size >= n_points)
                    total += loss.item() * idx.shape[0]
                loss_value = total / n_points
            else:
                loss = loss_fn(self.w * x + self.b, y)
                loss.backward()
                w_grad_value, b_grad_value = self._update(lr)
                loss_value = loss.item()
        finally:
            if grad_was_off:
                torch.set_grad_enabled(False)
        if epoch == 0 and math.isfinite(loss_value):
            self.limit = DIVERGENCE_FACTOR * max(loss_value, 1.0)
        return loss_value, w_grad_value, b_grad_value

    def _update(self, lr: float, last: bool = True) -> tuple[float | None, float | None]:
        """One parameter update after backward; returns the grads it used as floats when it is
        the epoch's `last` step (the ones an epoch records), else None for both."""
        w, b = self.w, self.b
        if self.capture_steps and last and not self.out_of_place:
            self.before_step = capture(-1, w, b, self.config.optimizer, self.optimizer, None,
                                       self.limit)
        if self.out_of_place:
            # Once rebound, w is a non-leaf whose .grad is None; reading it would only add
            # torch's warning, and warnings.catch_warnings is process-global (unsafe from a
            # worker thread).
            w_grad = w.grad if w.is_leaf else None
            b_grad = b.grad if b.is_leaf else None
        else:
            w_grad, b_grad = w.grad, b.grad
        # Only the epoch's last step's grads are recorded: an earlier mini-batch reads none.
        w_grad_value = None if w_grad is None or not last else w_grad.item()
        b_grad_value = None if b_grad is None or not last else b_grad.item()
        optimizer = self.optimizer
        if optimizer is not None:
            optimizer.step()
            if self.zero_grads:
                optimizer.zero_grad()
            return w_grad_value, b_grad_value
        if self.out_of_place:
            # The notebook's warning, done for real: these rebind w and b to new non-leaf
            # tensors. Once w is a non-leaf, w.grad is None and `lr * w.grad` raises a TypeError.
            self.w = w - lr * w_grad
            self.b = b - lr * b_grad
            w, b = self.w, self.b
        else:
            with torch.no_grad():
                w -= lr * w_grad
                b -= lr * b_grad
        if self.zero_grads:
            # Like optimizer.zero_grad(), skip a grad that is None (the non-leaf case above).
            if w.is_leaf and w.grad is not None:
                w.grad.zero_()
            if b.is_leaf and b.grad is not None:
                b.grad.zero_()
        return w_grad_value, b_grad_value
