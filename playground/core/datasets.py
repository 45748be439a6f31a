"""Datasets for the Training Lab: plain tuples of floats, so they cross threads and compare by value."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch


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
        if not all(math.isfinite(v) for v in (*self.x, *self.y)):
            raise ValueError("dataset values must be finite numbers")


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
