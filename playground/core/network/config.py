"""NetConfig: the Network Lab's model and training settings, and the model they build.

The model is the training rule's (docs/network_lab.md): the selected input features computed
from the raw (x1, x2) in FEATURES' order, then an `nn.Sequential` of `nn.Linear` layers with the
activation between them and none after the last `nn.Linear(..., 1)`, built right after
`torch.manual_seed(seed)`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from playground.core.training.config import check_lr
from playground.core.training.tables import OPTIMIZERS

# name -> (how the exported script computes it from x1, x2; the function on a (n, 2) tensor)
FEATURES: dict[str, tuple[str, Callable[[torch.Tensor], torch.Tensor]]] = {
    "x1": ("x[:, 0]", lambda x: x[:, 0]),
    "x2": ("x[:, 1]", lambda x: x[:, 1]),
    "x1²": ("x[:, 0] ** 2", lambda x: x[:, 0] ** 2),
    "x2²": ("x[:, 1] ** 2", lambda x: x[:, 1] ** 2),
    "x1·x2": ("x[:, 0] * x[:, 1]", lambda x: x[:, 0] * x[:, 1]),
    "sin x1": ("torch.sin(x[:, 0])", lambda x: torch.sin(x[:, 0])),
    "sin x2": ("torch.sin(x[:, 1])", lambda x: torch.sin(x[:, 1])),
}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES)
ACTIVATIONS: dict[str, type[nn.Module] | None] = {
    "ReLU": nn.ReLU, "Tanh": nn.Tanh, "Sigmoid": nn.Sigmoid, "Linear": None,
}
REGULARIZATIONS = ("None", "L1", "L2")
NET_OPTIMIZERS: tuple[str, ...] = tuple(name for name in OPTIMIZERS if name != "Manual")
MAX_LAYERS = 6
MAX_NEURONS = 16


@dataclass(frozen=True)
class NetConfig:
    """Everything about the model and its training except the data (DataSettings)."""

    features: tuple[str, ...] = ("x1", "x2")
    layers: tuple[int, ...] = (4, 2)
    activation: str = "Tanh"
    regularization: str = "None"
    reg_rate: float = 0.001
    optimizer: str = "SGD"
    lr: float = 0.03
    batch_size: int = 10  # 0 (or >= the train size) = the whole train set, unshuffled
    epochs: int = 200

    def validate(self) -> None:
        """Raise ValueError naming the first setting that cannot be trained."""
        if not self.features:
            raise ValueError("select at least one input feature")
        for name in self.features:
            if name not in FEATURES:
                raise ValueError(f"unknown feature {name!r}")
        if len(set(self.features)) != len(self.features):
            raise ValueError("a feature is selected twice")
        if len(self.layers) > MAX_LAYERS:
            raise ValueError(f"at most {MAX_LAYERS} hidden layers")
        for size in self.layers:
            if not 1 <= size <= MAX_NEURONS:
                raise ValueError(f"a hidden layer has 1-{MAX_NEURONS} neurons, got {size}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}")
        if self.regularization not in REGULARIZATIONS:
            raise ValueError(f"unknown regularization {self.regularization!r}")
        if not (math.isfinite(self.reg_rate) and self.reg_rate >= 0):
            raise ValueError("the regularization rate must be a finite number >= 0")
        if self.optimizer not in NET_OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}")
        check_lr(self.lr)
        if self.batch_size < 0:
            raise ValueError("the batch size must be >= 0 (0: the whole train set)")
        if self.epochs < 1:
            raise ValueError("epochs must be at least 1")

    @property
    def ordered_features(self) -> tuple[str, ...]:
        """The selected features in FEATURES' order (the order the model sees them)."""
        return tuple(name for name in FEATURE_NAMES if name in self.features)

    def replace(self, **changes: Any) -> NetConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["features"] = list(self.features)
        data["layers"] = list(self.layers)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetConfig:
        """Rebuild from to_dict(); missing settings keep their defaults."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown network settings: {', '.join(sorted(unknown))}")
        try:
            values: dict[str, Any] = {}
            for name, value in data.items():
                if name == "features":
                    values[name] = tuple(str(v) for v in value)
                elif name == "layers":
                    values[name] = tuple(int(v) for v in value)
                elif name in ("activation", "regularization", "optimizer"):
                    values[name] = str(value)
                elif name in ("batch_size", "epochs"):
                    values[name] = int(value)
                else:
                    values[name] = float(value)
            config = cls(**values)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"a saved network setting is malformed: {exc}") from exc
        config.validate()
        return config


def parse_layers(text: str) -> tuple[int, ...]:
    """"4, 2" -> (4, 2); empty text is no hidden layer; ValueError says what is wrong."""
    parts = [p.strip() for p in text.replace(";", ",").replace(" ", ",").split(",")]
    sizes = []
    for part in parts:
        if not part:
            continue
        if not part.isdigit():
            raise ValueError(f"{part!r} is not a whole number of neurons")
        sizes.append(int(part))
    NetConfig(layers=tuple(sizes)).validate()
    return tuple(sizes)


def layers_text(layers: tuple[int, ...]) -> str:
    return ", ".join(str(n) for n in layers)


def feature_matrix(x: torch.Tensor, features: tuple[str, ...]) -> torch.Tensor:
    """The model's input: the selected features of the raw (n, 2) points, one column each."""
    names = tuple(name for name in FEATURE_NAMES if name in features)
    return torch.stack([FEATURES[name][1](x) for name in names], dim=1)


def build_model(config: NetConfig, seed: int) -> nn.Sequential:
    """The network, built right after torch.manual_seed(seed) (so a seed names its weights).

    The global seed is put back afterwards: building a model must not disturb anyone else.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        sizes = [len(config.ordered_features), *config.layers, 1]
        activation = ACTIVATIONS[config.activation]
        modules: list[nn.Module] = []
        for i in range(len(sizes) - 1):
            modules.append(nn.Linear(sizes[i], sizes[i + 1]))
            if activation is not None and i < len(sizes) - 2:
                modules.append(activation())
        return nn.Sequential(*modules)


def linear_layers(model: nn.Sequential) -> list[nn.Linear]:
    return [m for m in model if isinstance(m, nn.Linear)]
