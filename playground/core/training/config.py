"""TrainConfig: everything that defines a Training Lab run; its defaults are the notebook's."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from playground.core.limits import (
    BATCH_RANGE,
    EPOCHS_RANGE,
    LR_RANGE,
    MAX_NOISY_POINTS,
    NOISE_RANGE,
    PARAM_RANGE,
    SEED_RANGE,
    SPEED_RANGE,
)
from playground.core.training.datasets import Dataset, notebook_dataset
from playground.core.training.tables import LOSSES, OPTIMIZERS

# What each number a file may set has to be for its control to show it: (range, whole number?,
# the control's label). Sessions and lessons are checked against this before anything changes.
CONTROL_RANGES: dict[str, tuple[tuple[float, float], bool, str]] = {
    "seed": (SEED_RANGE, True, "Seed"),
    "epochs": (EPOCHS_RANGE, True, "Epochs"),
    "batch_size": (BATCH_RANGE, True, "Batch size"),
    "w0": (PARAM_RANGE, False, "Initial w"),
    "b0": (PARAM_RANGE, False, "Initial b"),
    "lr": (LR_RANGE, False, "Learning rate"),
    "noise": (NOISE_RANGE, False, "Noise"),
    "points": ((1, MAX_NOISY_POINTS), True, "Points"),
    "speed": (SPEED_RANGE, False, "Speed (epochs per second)"),
}


def check_lr(lr: float) -> float:
    """The learning rate as a float; ValueError unless it is finite and > 0."""
    lr = float(lr)
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"learning rate must be a finite number > 0, got {lr}")
    return lr


def out_of_range(name: str, value: object) -> str | None:
    """Why `value` cannot be the setting `name` as its control shows it, or None if it can.

    Judged on the value as read (before any conversion), so 1e30 epochs, a 4,000-digit seed or
    3.5 epochs are refused rather than rounded, clamped or overflowing inside Qt.
    """
    (low, high), whole, label = CONTROL_RANGES[name]
    span = f"{low:,} to {high:,}" if whole else f"{low:g} to {high:g}"
    kind = "a whole number" if whole else "a number"
    allowed = f"the {label} box accepts {kind} from {span}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"is not a number; {allowed}"
    if whole and isinstance(value, float) and not value.is_integer():
        return f"is {_brief(value)}, not a whole number; {allowed}"
    if not (low <= value <= high):  # NaN fails too; ints compare exactly, whatever their size
        return f"is {_brief(value)}; {allowed}"
    return None


def _brief(value: float) -> str:
    if isinstance(value, int) and abs(value) >= 10**24:  # str() of a huge int is slow or refused
        digits = int(abs(value).bit_length() * 0.30103) + 1
        if 10 ** (digits - 1) > abs(value):  # the estimate is one too many
            digits -= 1
        return f"a {digits:,}-digit integer"
    return repr(value) if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run; frozen so a finished run's config can be kept beside it.

    These defaults are the only defaults: the Training Lab's widgets start from them.
    """

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
        check_lr(self.lr)
        if not (math.isfinite(self.w0) and math.isfinite(self.b0)):
            raise ValueError("initial w and b must be finite numbers")
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch size must be at least 1 (or None), got {self.batch_size}")

    @property
    def full_batch(self) -> bool:
        """True when every epoch is one step over all points (no shuffle)."""
        return self.batch_size is None or self.batch_size >= len(self.dataset.x)

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some settings changed (unknown names raise TypeError)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready) for a saved session."""
        data = dataclasses.asdict(self)
        data["dataset"] = self.dataset.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Rebuild from to_dict()'s output; missing settings keep their defaults."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = set(data) - set(known)
        if unknown:
            raise ValueError(f"unknown training settings: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        try:
            for name, value in data.items():
                if name == "dataset":
                    values[name] = Dataset.from_dict(value)
                elif name == "batch_size":
                    values[name] = None if value is None else int(value)
                elif name in ("loss", "optimizer"):
                    values[name] = str(value)
                elif name in ("epochs", "seed"):
                    values[name] = int(value)
                elif known[name].type == "bool":
                    values[name] = bool(value)
                else:
                    values[name] = float(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"a saved training setting is malformed: {exc}") from exc
        return cls(**values)
