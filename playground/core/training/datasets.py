"""Datasets for the Training Lab: plain tuples of floats, so they cross threads and compare by value.

`DataSetup` is the data part of a Training Lab setup (which kind, the noisy line's size and noise,
the custom points); it builds the `Dataset` a run trains on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from playground.core.limits import MAX_CUSTOM_POINTS, MAX_NOISY_POINTS


@dataclass(frozen=True)
class Dataset:
    """Points (x[i], y[i]) for the 1-input regression; values are float32-representable."""

    name: str
    x: tuple[float, ...]
    y: tuple[float, ...]

    def __len__(self) -> int:
        return len(self.x)

    def validate(self) -> None:
        """Raise ValueError unless x and y are non-empty, equally long and finite."""
        if len(self.x) != len(self.y):
            raise ValueError(f"dataset has {len(self.x)} x values but {len(self.y)} y values")
        if not self.x:
            raise ValueError("dataset has no points; add at least one")
        # numpy, not a Python loop: a 10,000-point line is checked at every Start.
        if not (np.isfinite(np.asarray(self.x, dtype=np.float64)).all()
                and np.isfinite(np.asarray(self.y, dtype=np.float64)).all()):
            raise ValueError("dataset values must be finite numbers")

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a saved session."""
        return {"name": self.name, "x": list(self.x), "y": list(self.y)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Dataset:
        """Rebuild from to_dict()'s output; raises ValueError on anything malformed."""
        try:
            return cls(str(data["name"]), _floats(data["x"]), _floats(data["y"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"a saved dataset is malformed: {exc}") from exc


def _floats(values: Sequence[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _as_float32_tuple(values: Sequence[float]) -> tuple[float, ...]:
    # Round through float32 so the tuple holds exactly the numbers the tensors will hold.
    return tuple(torch.tensor(list(values), dtype=torch.float32).tolist())


def notebook_dataset() -> Dataset:
    """The reference notebook's two points, x = y = [10, 5]."""
    return Dataset("Notebook: two points", (10.0, 5.0), (10.0, 5.0))


def noisy_line(
    n: int = 20, slope: float = 2.0, intercept: float = 1.0, noise: float = 1.0, seed: int = 0
) -> Dataset:
    """n points on y = slope*x + intercept plus seeded Gaussian noise, x evenly spaced in [0, 10]."""
    if n < 1:
        raise ValueError("a noisy line needs at least one point")
    gen = torch.Generator().manual_seed(seed)
    x = torch.linspace(0.0, 10.0, n) if n > 1 else torch.zeros(1)
    y = slope * x + intercept + noise * torch.randn(n, generator=gen)
    return Dataset(f"Noisy line: {n} points", tuple(x.tolist()), tuple(y.tolist()))


def custom_dataset(points: Sequence[tuple[float, float]]) -> Dataset:
    """Points the user placed on the data plot."""
    xs = _as_float32_tuple([float(p[0]) for p in points])
    ys = _as_float32_tuple([float(p[1]) for p in points])
    return Dataset(f"Custom: {len(xs)} points", xs, ys)


DATA_KINDS = ("notebook", "noisy", "custom")
NOTEBOOK_POINTS = ((10.0, 10.0), (5.0, 5.0))


@dataclass(frozen=True)
class DataSetup:
    """Which data the next run trains on; its defaults are the Training Lab's only defaults."""

    kind: str = "notebook"
    points: int = 20  # the noisy line's number of points
    noise: float = 1.0  # the noisy line's noise sigma
    custom: tuple[tuple[float, float], ...] = field(default=NOTEBOOK_POINTS)

    def validate(self) -> None:
        """Raise ValueError naming the first setting that cannot build a dataset."""
        if self.kind not in DATA_KINDS:
            raise ValueError(f"unknown dataset {self.kind!r}; choose one of {', '.join(DATA_KINDS)}")
        if not 1 <= self.points <= MAX_NOISY_POINTS:
            raise ValueError(f"the noisy line needs 1 to {MAX_NOISY_POINTS} points")
        if not (math.isfinite(self.noise) and self.noise >= 0):
            raise ValueError("the noise sigma must be a finite number >= 0")
        if len(self.custom) > MAX_CUSTOM_POINTS:
            raise ValueError(f"at most {MAX_CUSTOM_POINTS:,} custom points (there are "
                             f"{len(self.custom):,}): the loss surface is drawn over every one")
        # Checked here, not only at Start: a NaN point would otherwise sit in the setup.
        if not all(math.isfinite(v) for point in self.custom for v in point):
            raise ValueError("the custom points must be finite numbers")

    def dataset(self, seed: int) -> Dataset:
        """The points a run with this setup (and seed, for the noise) trains on."""
        if self.kind == "noisy":
            return noisy_line(self.points, noise=self.noise, seed=seed)
        if self.kind == "custom":
            return custom_dataset(self.custom)
        return notebook_dataset()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "points": self.points, "noise": self.noise,
                "custom": [list(p) for p in self.custom]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataSetup:
        """Rebuild from to_dict()'s output; missing keys keep their defaults."""
        default = cls()
        try:
            setup = cls(
                kind=str(data.get("kind", default.kind)),
                points=int(data.get("points", default.points)),
                noise=float(data.get("noise", default.noise)),
                custom=tuple((float(x), float(y)) for x, y in data.get("custom", default.custom)),
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"a saved data setup is malformed: {exc}") from exc
        setup.validate()
        return setup
