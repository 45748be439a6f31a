"""The optimisers and losses the Training Lab offers, each defined once.

Training builds them from here, the landscape evaluates the losses from here, the exported script
writes their lines from here, and the combo boxes list their names and tooltips from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class OptimizerSpec:
    """One optimiser: the torch class and keyword arguments (None for "Manual"), its export line."""

    name: str
    factory: Callable[..., torch.optim.Optimizer] | None
    kwargs: dict[str, Any] = field(default_factory=dict)
    tooltip: str = ""

    def make(self, params: list[torch.Tensor], lr: float) -> torch.optim.Optimizer:
        """Build it over `params`; "Manual" has no optimiser object."""
        if self.factory is None:
            raise ValueError("the Manual update has no optimiser object")
        return self.factory(params, lr=lr, **self.kwargs)

    def export_line(self) -> str:
        """The constructor call as the exported script writes it, over [w, b] at `lr`."""
        if self.factory is None:
            raise ValueError("the Manual update has no optimiser object")
        extra = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return f"torch.optim.{self.factory.__name__}([w, b], lr=lr{extra})"


@dataclass(frozen=True)
class LossSpec:
    """One loss: the functional torch callable and how the exported script spells it."""

    name: str
    function: Callable[..., torch.Tensor]
    export_call: str
    tooltip: str = ""

    @property
    def grad_fn_name(self) -> str:
        """The grad_fn class a loss tensor carries (what the notebook's print shows)."""
        return _grad_fn_name(self.name)


OPTIMIZER_SPECS: dict[str, OptimizerSpec] = {
    spec.name: spec
    for spec in (
        OptimizerSpec(
            "Manual", None, {},
            "w -= lr * w.grad under torch.no_grad(), then zero the grads: what optimisers "
            "automate."),
        OptimizerSpec(
            "SGD", torch.optim.SGD, {}, "torch.optim.SGD: a plain step of lr times the gradient."),
        OptimizerSpec(
            "Momentum", torch.optim.SGD, {"momentum": 0.9},
            "SGD with momentum 0.9: steps keep 90% of the previous step, so they build speed."),
        OptimizerSpec(
            "Adam", torch.optim.Adam, {},
            "torch.optim.Adam: per-parameter steps scaled by running averages of the gradient."),
        OptimizerSpec(
            "RMSprop", torch.optim.RMSprop, {},
            "torch.optim.RMSprop: steps divided by a running RMS of recent gradients."),
        OptimizerSpec(
            "Adagrad", torch.optim.Adagrad, {},
            "torch.optim.Adagrad: steps shrink as squared gradients accumulate."),
    )
}

LOSS_SPECS: dict[str, LossSpec] = {
    spec.name: spec
    for spec in (
        LossSpec("MSE", F.mse_loss, "F.mse_loss",
                 "Mean squared error, the notebook's nn.MSELoss: big misses cost quadratically."),
        LossSpec("L1", F.l1_loss, "F.l1_loss",
                 "Mean absolute error: every miss costs in proportion, so outliers pull less."),
        LossSpec("Huber", F.huber_loss, "F.huber_loss",
                 "Squared for small misses, absolute for large ones: MSE's smoothness, L1's "
                 "calm."),
    )
}

OPTIMIZERS: tuple[str, ...] = tuple(OPTIMIZER_SPECS)
LOSSES: tuple[str, ...] = tuple(LOSS_SPECS)


@cache
def _grad_fn_name(loss: str) -> str:
    # Asked of torch itself once per loss: the name differs between losses and torch versions.
    p = torch.ones(2, requires_grad=True)
    with torch.enable_grad():
        out = LOSS_SPECS[loss].function(p * 2.0, torch.zeros(2))
    return type(out.grad_fn).__name__
