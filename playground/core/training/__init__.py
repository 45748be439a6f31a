"""The Training Lab's core: the notebook's linear regression, trained on a plain worker thread.

    tables.py     the optimisers and losses, each defined once
    config.py     TrainConfig (its defaults are the only defaults)
    datasets.py   Dataset, DataSetup and the datasets offered
    loop.py       train() (a generator of EpochRecords), TrainControl, evaluate(), Model
    worker.py     the plain thread that runs train() and hands records over in batches
    history.py    RunHistory: a run's records as growing numpy columns
    checkpoints.py  the state to continue from (optimiser, generator), kept within a budget
    rewind.py     the exact state after any recorded epoch, replayed from a checkpoint
    update.py     an epoch's update written out with torch's numbers
    run.py        Run: one run as it happened (a branch: where it left its parent)
    race.py       several optimisers in lockstep on one worker, and their ranking
    session.py    TrainingSession: the lab's model (setup, runs, lifecycle, events)
    landscape.py  the exact loss surface and the window it is shown in
    notebook_log.py  the notebook's prints (log lines, print(y_predicted))

A run as a plain-torch script is core/export/training_script.py (export sits above training).

Its public names are importable from here; submodules import each other directly.
"""

from playground.core.training.config import TrainConfig
from playground.core.training.datasets import (
    Dataset,
    DataSetup,
    custom_dataset,
    noisy_line,
    notebook_dataset,
)
from playground.core.training.landscape import landscape_window, least_squares_fit, loss_landscape
from playground.core.training.loop import (
    OUT_OF_PLACE_EXPLANATION,
    RECORD_COLUMNS,
    EpochRecord,
    RunEnd,
    TrainControl,
    evaluate,
    train,
    warm_up,
)
from playground.core.training.session import Run, TrainingSession
from playground.core.training.tables import LOSS_SPECS, LOSSES, OPTIMIZER_SPECS, OPTIMIZERS

__all__ = [
    "LOSSES",
    "LOSS_SPECS",
    "OPTIMIZERS",
    "OPTIMIZER_SPECS",
    "OUT_OF_PLACE_EXPLANATION",
    "RECORD_COLUMNS",
    "DataSetup",
    "Dataset",
    "EpochRecord",
    "Run",
    "RunEnd",
    "TrainConfig",
    "TrainControl",
    "TrainingSession",
    "custom_dataset",
    "evaluate",
    "landscape_window",
    "least_squares_fit",
    "loss_landscape",
    "noisy_line",
    "notebook_dataset",
    "train",
    "warm_up",
]
