"""Qt-free core of Gradient Playground: torch, numpy and the standard library only.

The two labs' models: `Workspace` (the Tensor Lab's statement pipe) and `TrainingSession` (the
Training Lab's setup, runs and worker). Everything else is imported from its own module.
"""

from playground.core.tensorlab.workspace import (
    GradRecord,
    Message,
    RunResult,
    TensorFacts,
    Workspace,
)
from playground.core.training.config import TrainConfig
from playground.core.training.session import TrainingSession

__all__ = [
    "GradRecord",
    "Message",
    "RunResult",
    "TensorFacts",
    "TrainConfig",
    "TrainingSession",
    "Workspace",
]
