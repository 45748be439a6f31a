"""The Network Lab's data: TensorFlow Playground's 2-D sets, custom points and imported files.

Every generated set follows TensorFlow Playground's definitions (its dataset.ts): inputs in
[-6, 6], noise given in percent (0-50) and scaled as there. Labels are 0/1 for classification
(TensorFlow Playground's -1 becomes 0) and a number in [-1, 1] for regression. Points are made
with a numpy Generator seeded with the seed, shuffled with it, and the first `train_ratio` of
them are the train split, as TensorFlow Playground splits its shuffled points.

Imports are parsed here, never evaluated: columns x1, x2, label separated by a comma, a tab or
a semicolon, an optional header, at most MAX_IMPORT_ROWS rows, every value finite. A refused
file raises ImportRefused naming the line and the reason.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from playground.core.limits import MAX_CUSTOM_POINTS

CLASSIFICATION_KINDS = ("Circle", "XOR", "Gaussian", "Spiral")
REGRESSION_KINDS = ("Plane", "Multi-Gaussian")
CUSTOM = "Custom points"
IMPORTED = "Imported"
DATA_KINDS = CLASSIFICATION_KINDS + REGRESSION_KINDS + (CUSTOM, IMPORTED)
MAX_IMPORT_ROWS = 10_000
MAX_IMPORT_BYTES = 2_000_000
MIN_POINTS, MAX_POINTS = 10, 2000
NOISE_RANGE = (0, 50)  # percent
RATIO_RANGE = (10, 90)  # percent of the points used for training
Point = tuple[float, float, float]  # (x1, x2, label)


class ImportRefused(ValueError):
    """An import that cannot be used; `line` is 1-based (0 when the whole file is at fault)."""

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}" if line else reason)


@dataclass(frozen=True)
class Split:
    """The points a run trains and tests on, as float32 arrays; `task` says which loss."""

    x_train: np.ndarray  # (n_train, 2)
    y_train: np.ndarray  # (n_train,)
    x_test: np.ndarray
    y_test: np.ndarray
    task: str  # "classification" or "regression"

    @property
    def classification(self) -> bool:
        return self.task == "classification"


@dataclass(frozen=True)
class DataSettings:
    """Everything that decides the points: a set and its knobs, or points placed or imported."""

    kind: str = "Circle"
    noise: int = 0  # percent, 0-50
    train_ratio: int = 50  # percent, 10-90
    n_points: int = 500
    seed: int = 0
    custom: tuple[Point, ...] = ()  # placed by clicking (labels 0/1)
    imported: tuple[Point, ...] = ()  # from a file or pasted text
    imported_task: str = "classification"

    def validate(self) -> None:
        """Raise ValueError naming the first setting that gives no usable split."""
        if self.kind not in DATA_KINDS:
            raise ValueError(f"unknown data set {self.kind!r}; choose one of {', '.join(DATA_KINDS)}")
        if not NOISE_RANGE[0] <= self.noise <= NOISE_RANGE[1]:
            raise ValueError(f"noise must be 0-50 %, got {self.noise}")
        if not RATIO_RANGE[0] <= self.train_ratio <= RATIO_RANGE[1]:
            raise ValueError(f"the train ratio must be 10-90 %, got {self.train_ratio}")
        if not MIN_POINTS <= self.n_points <= MAX_POINTS:
            raise ValueError(f"the number of points must be {MIN_POINTS}-{MAX_POINTS}")
        if len(self.custom) > MAX_CUSTOM_POINTS:
            raise ValueError(f"at most {MAX_CUSTOM_POINTS:,} custom points")
        if len(self.imported) > MAX_IMPORT_ROWS:
            raise ValueError(f"at most {MAX_IMPORT_ROWS:,} imported points")
        points = self.points()
        if len(points) < 2:
            raise ValueError("at least two points are needed (one to train on, one to test)")
        if not np.isfinite(points).all():
            raise ValueError("every point must be finite")

    @property
    def task(self) -> str:
        if self.kind in REGRESSION_KINDS:
            return "regression"
        if self.kind == IMPORTED:
            return self.imported_task
        return "classification"

    def points(self) -> np.ndarray:
        """All points as an (n, 3) float64 array of x1, x2, label, before the shuffle."""
        if self.kind == CUSTOM:
            return np.asarray(self.custom, dtype=np.float64).reshape(-1, 3)
        if self.kind == IMPORTED:
            return np.asarray(self.imported, dtype=np.float64).reshape(-1, 3)
        rng = np.random.default_rng(self.seed)
        return _GENERATORS[self.kind](rng, self.n_points, self.noise / 100.0)

    def split(self) -> Split:
        """The shuffled points cut into train and test (both non-empty)."""
        self.validate()
        points = self.points()
        order = np.random.default_rng(self.seed).permutation(len(points))
        points = points[order].astype(np.float32)
        n_train = min(max(int(len(points) * self.train_ratio / 100), 1), len(points) - 1)
        x, y = points[:, :2].copy(), points[:, 2].copy()
        return Split(x[:n_train], y[:n_train], x[n_train:], y[n_train:], self.task)

    def replace(self, **changes: Any) -> DataSettings:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["custom"] = [list(p) for p in self.custom]
        data["imported"] = [list(p) for p in self.imported]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataSettings:
        """Rebuild from to_dict(); ValueError names what is malformed."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown data settings: {', '.join(sorted(unknown))}")
        try:
            values: dict[str, Any] = {}
            for name, value in data.items():
                if name in ("custom", "imported"):
                    values[name] = tuple(_point(p) for p in value)
                elif name in ("kind", "imported_task"):
                    values[name] = str(value)
                else:
                    values[name] = int(value)
            settings = cls(**values)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"the saved network data is malformed: {exc}") from exc
        if settings.imported_task not in ("classification", "regression"):
            raise ValueError(f"unknown task {settings.imported_task!r}")
        settings.validate()
        return settings


def _point(p: Any) -> Point:
    x1, x2, label = (float(v) for v in p)
    if not all(math.isfinite(v) for v in (x1, x2, label)):
        raise ValueError("a point is not finite")
    return (x1, x2, label)


# ----- TensorFlow Playground's generators ------------------------------------------------------


def _circle(rng: np.random.Generator, n: int, noise: float) -> np.ndarray:
    radius = 5.0
    out = []
    for count, (lo, hi) in ((n // 2, (0.0, radius * 0.5)), (n - n // 2, (radius * 0.7, radius))):
        r = rng.uniform(lo, hi, count)
        angle = rng.uniform(0.0, 2 * math.pi, count)
        x, y = r * np.sin(angle), r * np.cos(angle)
        nx = rng.uniform(-radius, radius, count) * noise
        ny = rng.uniform(-radius, radius, count) * noise
        label = (np.hypot(x + nx, y + ny) < radius * 0.5).astype(np.float64)
        out.append(np.column_stack([x, y, label]))
    return np.concatenate(out)


def _xor(rng: np.random.Generator, n: int, noise: float) -> np.ndarray:
    padding = 0.3
    x = rng.uniform(-5.0, 5.0, n)
    y = rng.uniform(-5.0, 5.0, n)
    x += np.where(x > 0, padding, -padding)
    y += np.where(y > 0, padding, -padding)
    nx = rng.uniform(-5.0, 5.0, n) * noise
    ny = rng.uniform(-5.0, 5.0, n) * noise
    label = ((x + nx) * (y + ny) >= 0).astype(np.float64)
    return np.column_stack([x, y, label])


def _gaussian(rng: np.random.Generator, n: int, noise: float) -> np.ndarray:
    variance = 0.5 + noise / 0.5 * 3.5  # TensorFlow Playground: noise 0..0.5 -> 0.5..4
    out = []
    for count, (cx, cy, label) in ((n // 2, (2.0, 2.0, 1.0)), (n - n // 2, (-2.0, -2.0, 0.0))):
        x = rng.normal(cx, variance, count)
        y = rng.normal(cy, variance, count)
        out.append(np.column_stack([x, y, np.full(count, label)]))
    return np.concatenate(out)


def _spiral(rng: np.random.Generator, n: int, noise: float) -> np.ndarray:
    out = []
    for count, (delta, label) in ((n // 2, (0.0, 1.0)), (n - n // 2, (math.pi, 0.0))):
        i = np.arange(count)
        r = i / count * 5.0
        t = 1.75 * i / count * 2 * math.pi + delta
        x = r * np.sin(t) + rng.uniform(-1.0, 1.0, count) * noise
        y = r * np.cos(t) + rng.uniform(-1.0, 1.0, count) * noise
        out.append(np.column_stack([x, y, np.full(count, label)]))
    return np.concatenate(out)


def _plane(rng: np.random.Generator, n: int, noise: float) -> np.ndarray:
    radius = 6.0
    x = rng.uniform(-radius, radius, n)
    y = rng.uniform(-radius, radius, n)
    nx = rng.uniform(-radius, radius, n) * noise
    ny = rng.uniform(-radius, radius, n) * noise
    label = (x + nx + y + ny) / 10.0  # linear [-10, 10] -> [-1, 1]
    return np.column_stack([x, y, label])


_GAUSSIANS = ((-4.0, 2.5, 1.0), (0.0, 2.5, -1.0), (4.0, 2.5, 1.0),
              (-4.0, -2.5, -1.0), (0.0, -2.5, 1.0), (4.0, -2.5, -1.0))


def _multi_gaussian(rng: np.random.Generator, n: int, noise: float) -> np.ndarray:
    radius = 6.0
    x = rng.uniform(-radius, radius, n)
    y = rng.uniform(-radius, radius, n)
    nx = rng.uniform(-radius, radius, n) * noise
    ny = rng.uniform(-radius, radius, n) * noise
    px, py = x + nx, y + ny
    label = np.zeros(n)
    for cx, cy, sign in _GAUSSIANS:
        # linear [0, 2] -> [1, 0], clamped; the strongest bump wins
        value = sign * np.clip(1.0 - np.hypot(px - cx, py - cy) / 2.0, 0.0, 1.0)
        label = np.where(np.abs(value) > np.abs(label), value, label)
    return np.column_stack([x, y, label])


_GENERATORS = {"Circle": _circle, "XOR": _xor, "Gaussian": _gaussian, "Spiral": _spiral,
               "Plane": _plane, "Multi-Gaussian": _multi_gaussian}


# ----- imports ------------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[,\t;]")


def parse_points(text: str) -> tuple[tuple[Point, ...], str]:
    """(points, task) from CSV/TSV text; ImportRefused names the first bad line and why.

    Labels all in {0, 1} or all in {-1, 1} make a classification set (-1 becomes 0); any
    other finite labels make a regression set.
    """
    rows: list[Point] = []
    header_allowed = True
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        cells = [c.strip() for c in _SEPARATORS.split(line)]
        if len(cells) != 3:
            raise ImportRefused(number, f"expected 3 columns (x1, x2, label), found {len(cells)}")
        try:
            values = tuple(float(c) for c in cells)
        except ValueError:
            if header_allowed:  # a header: only the first non-empty line may be one
                header_allowed = False
                continue
            bad = next(c for c in cells if not _is_float(c))
            raise ImportRefused(number, f"{bad!r} is not a number") from None
        if not all(math.isfinite(v) for v in values):
            raise ImportRefused(number, "every value must be finite (no nan or inf)")
        header_allowed = False
        rows.append(values)  # type: ignore[arg-type]
        if len(rows) > MAX_IMPORT_ROWS:
            raise ImportRefused(number, f"more than {MAX_IMPORT_ROWS:,} rows")
    if len(rows) < 2:
        raise ImportRefused(0, "at least two rows of x1, x2, label are needed")
    labels = {p[2] for p in rows}
    if labels <= {0.0, 1.0} or labels <= {-1.0, 1.0}:
        return tuple((x1, x2, 1.0 if label > 0 else 0.0) for x1, x2, label in rows), \
            "classification"
    return tuple(rows), "regression"


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_points(path: str | Path) -> tuple[tuple[Point, ...], str]:
    """parse_points() of a file, refused when unreadable, too large or not UTF-8 text."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise ImportRefused(0, f"the file is larger than {MAX_IMPORT_BYTES // 1_000_000} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise ImportRefused(0, f"cannot read the file: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRefused(line, "not UTF-8 text") from exc
    return parse_points(text)


