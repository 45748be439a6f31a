"""Qt-free core of Gradient Playground: torch, numpy and the standard library only."""

from playground.core.training import (
    LOSSES,
    OPTIMIZERS,
    Dataset,
    EpochRecord,
    RunEnd,
    TrainConfig,
    TrainControl,
    configure_worker_thread,
    custom_dataset,
    export_script,
    loss_landscape,
    noisy_line,
    notebook_dataset,
    train,
    warm_up,
)
from playground.core.workspace import GradRecord, Message, RunResult, TensorFacts, Workspace

__all__ = [
    "LOSSES",
    "OPTIMIZERS",
    "Dataset",
    "EpochRecord",
    "GradRecord",
    "Message",
    "RunEnd",
    "RunResult",
    "TensorFacts",
    "TrainConfig",
    "TrainControl",
    "Workspace",
    "configure_worker_thread",
    "custom_dataset",
    "export_script",
    "loss_landscape",
    "noisy_line",
    "notebook_dataset",
    "train",
    "warm_up",
]
