"""TrainConfig: everything that defines a Training Lab run; its defaults are the notebook's."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from playground.core.training.datasets import Dataset, notebook_dataset
from playground.core.training.tables import LOSSES, OPTIMIZERS


def check_lr(lr: float) -> float:
    """The learning rate as a float; ValueError unless it is finite and > 0."""
    lr = float(lr)
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"learning rate must be a finite number > 0, got {lr}")
    return lr


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
