"""The default pace: the notebook's run lasts long enough to act on, full speed stays offered."""

from __future__ import annotations

from playground.core.training.config import TrainConfig
from playground.core.training.session import (
    DEFAULT_SPEED,
    NOTEBOOK_RUN_SECONDS,
    SPEEDS,
    TrainingSession,
)


def test_the_notebooks_run_lasts_at_least_15_s_at_the_default_speed() -> None:
    session = TrainingSession()
    assert session.speed == DEFAULT_SPEED and DEFAULT_SPEED in SPEEDS
    assert session.config == TrainConfig() and session.config.epochs == 100  # the notebook's
    assert session.config.epochs / session.speed >= NOTEBOOK_RUN_SECONDS >= 15
    assert None in SPEEDS  # full speed is still offered


def test_a_saved_session_without_a_speed_opens_at_the_default() -> None:
    data = TrainingSession(speed=None).to_dict()
    del data["speed"]
    assert TrainingSession.from_dict(data).speed == DEFAULT_SPEED
