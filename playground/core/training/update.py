"""The update an epoch made, written out with torch's own numbers in it.

For the epoch shown, each parameter's last step as a formula, e.g. for SGD
`w <- w - lr * dL/dw = 0.90844 - 0.001 * (-2.4109) = 0.91085`, and for the optimisers with
state the state's update too: Momentum's buffer, Adam's m and v with their bias-corrected m-hat
and v-hat, RMSprop's running average of squares, Adagrad's sum of squares. Every state value is
read from what torch's optimiser held (a replayed checkpoint), never recomputed by hand; only
m-hat and v-hat, which torch does not store, are derived from the stored m, v and step. The
hyperparameters (momentum, betas, eps, alpha) are read from a torch optimiser built from the
same table the loop uses, so they cannot drift from torch's defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import torch

from playground.core.training.checkpoints import Checkpoint, optimizer_state
from playground.core.training.tables import OPTIMIZER_SPECS

PARAMS = ("w", "b")  # the optimiser's param index is the position here


@dataclass(frozen=True)
class ParamUpdate:
    """One parameter's step: its value before and after, the gradient used, and the optimiser's
    named values (`state` as torch holds it after the step; `derived`: m_hat, v_hat)."""

    name: str
    before: float
    grad: float
    after: float
    state: dict[str, float] = field(default_factory=dict)
    previous: dict[str, float] = field(default_factory=dict)  # the state before the step
    derived: dict[str, float] = field(default_factory=dict)
    lines: tuple[str, ...] = ()


def _g(value: float) -> str:
    return f"{value:.5g}"


def _p(value: float) -> str:
    """A number as a formula operand: negatives in parentheses."""
    text = _g(value)
    return f"({text})" if value < 0 or text.startswith("-") else text


@cache
def hyperparameters(optimizer: str) -> dict[str, Any]:
    """The optimiser's param-group settings as torch fills them in (lr aside)."""
    spec = OPTIMIZER_SPECS[optimizer]
    if spec.factory is None:
        return {}
    group = spec.make([torch.zeros(1, requires_grad=True)], 0.1).param_groups[0]
    return {k: v for k, v in group.items() if k not in ("params", "lr")}


def _values(ckpt: Checkpoint, index: int) -> dict[str, float]:
    entry = optimizer_state(ckpt).get(index, {})
    out: dict[str, float] = {}
    for key, value in entry.items():
        if isinstance(value, torch.Tensor):
            out[key] = float(value.reshape(-1)[0])
        elif value is not None:
            out[key] = float(value)
    return out


def describe(optimizer: str, lr: float, before: Checkpoint, after: Checkpoint,
             index: int) -> ParamUpdate:
    """Parameter `index` (0: w, 1: b)'s last step with every number filled in."""
    name = PARAMS[index]
    p0 = before.w if index == 0 else before.b
    p1 = after.w if index == 0 else after.b
    grad = before.w_grad if index == 0 else before.b_grad
    g = float("nan") if grad is None else float(grad)
    d = f"dL/d{name}"
    hp = hyperparameters(optimizer) if optimizer != "Manual" else {}
    state = _values(after, index) if optimizer != "Manual" else {}
    prev = _values(before, index) if optimizer != "Manual" else {}
    derived: dict[str, float] = {}
    lines: list[str]
    plain = f"{name} <- {name} - lr * {d} = {_g(p0)} - {_g(lr)} * {_p(g)} = {_g(p1)}"
    if optimizer in ("Manual", "SGD") or (optimizer == "Momentum" and "momentum_buffer" not in
                                          state):
        lines = [plain]
    elif optimizer == "Momentum":
        mu = float(hp["momentum"])
        buf = state["momentum_buffer"]
        if "momentum_buffer" in prev:
            lines = [f"buf <- {_g(mu)} * buf + {d} = {_g(mu)} * {_p(prev['momentum_buffer'])}"
                     f" + {_p(g)} = {_g(buf)}"]
        else:
            lines = [f"buf <- {d} = {_g(buf)} (the first step starts the buffer)"]
        lines.append(f"{name} <- {name} - lr * buf = {_g(p0)} - {_g(lr)} * {_p(buf)} = {_g(p1)}")
    elif optimizer == "Adam":
        b1, b2 = (float(v) for v in hp["betas"])
        eps = float(hp["eps"])
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m_prev, v_prev = prev.get("exp_avg", 0.0), prev.get("exp_avg_sq", 0.0)
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        derived = {"m_hat": m_hat, "v_hat": v_hat}
        lines = [
            f"m <- {_g(b1)} * m + {_g(1 - b1)} * {d} = {_g(b1)} * {_p(m_prev)} + "
            f"{_g(1 - b1)} * {_p(g)} = {_g(m)}",
            f"v <- {_g(b2)} * v + {_g(1 - b2)} * ({d})^2 = {_g(b2)} * {_p(v_prev)} + "
            f"{_g(1 - b2)} * {_p(g)}^2 = {_g(v)}",
            f"step {t:g}: m_hat = m / (1 - {_g(b1)}^{t:g}) = {_g(m_hat)}, "
            f"v_hat = v / (1 - {_g(b2)}^{t:g}) = {_g(v_hat)}",
            f"{name} <- {name} - lr * m_hat / (sqrt(v_hat) + eps) = {_g(p0)} - {_g(lr)} * "
            f"{_p(m_hat)} / (sqrt({_g(v_hat)}) + {_g(eps)}) = {_g(p1)}",
        ]
    elif optimizer == "RMSprop":
        alpha, eps = float(hp["alpha"]), float(hp["eps"])
        sq = state["square_avg"]
        lines = [
            f"s <- {_g(alpha)} * s + {_g(1 - alpha)} * ({d})^2 = {_g(alpha)} * "
            f"{_p(prev.get('square_avg', 0.0))} + {_g(1 - alpha)} * {_p(g)}^2 = {_g(sq)}",
            f"{name} <- {name} - lr * {d} / (sqrt(s) + eps) = {_g(p0)} - {_g(lr)} * {_p(g)} / "
            f"(sqrt({_g(sq)}) + {_g(eps)}) = {_g(p1)}",
        ]
    elif optimizer == "Adagrad":
        eps = float(hp["eps"])
        total = state["sum"]
        lines = [
            f"sum <- sum + ({d})^2 = {_p(prev.get('sum', 0.0))} + {_p(g)}^2 = {_g(total)}",
            f"{name} <- {name} - lr * {d} / (sqrt(sum) + eps) = {_g(p0)} - {_g(lr)} * {_p(g)} / "
            f"(sqrt({_g(total)}) + {_g(eps)}) = {_g(p1)}",
        ]
    else:  # an optimiser this module does not know how to write: the plain step's numbers
        lines = [plain]
    return ParamUpdate(name, p0, g, p1, state, prev, derived, tuple(lines))


def update_text(optimizer: str, lr: float, before: Checkpoint, after: Checkpoint,
                epoch: int | None = None) -> str:
    """Both parameters' updates, one formula per line (what `updateText` shows)."""
    head = [] if epoch is None else [f"Epoch {epoch}'s last update ({optimizer}, lr {_g(lr)}):"]
    body = [line for i in range(len(PARAMS))
            for line in describe(optimizer, lr, before, after, i).lines]
    if not all(math.isfinite(v) for v in (before.w, before.b, after.w, after.b)):
        body.append("(a value is not finite: the run is diverging)")
    return "\n".join(head + body)
