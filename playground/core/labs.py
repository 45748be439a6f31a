"""The labs of the window, named once: session files, lessons and the views all use these.

A `Lab` is a plain string too ("tensor"), so files and lessons keep their JSON spelling.
"""

from __future__ import annotations

from enum import StrEnum


class Lab(StrEnum):
    """One tab of the window, each with its own core model."""

    TENSOR = "tensor"
    TRAINING = "training"
    NETWORK = "network"


# Labs whose state a session file holds and whose tab it may bring forward.
SAVED_LABS: tuple[Lab, ...] = (Lab.TENSOR, Lab.TRAINING, Lab.NETWORK)
# The Tensor Lab's graph panel: not a lab, but a lesson step may bring it forward too.
GRAPH_VIEW = "graph"
