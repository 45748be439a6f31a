"""The Training Lab's tests share one fixture: a shown lab at Full speed, checked at teardown
for a run left going."""

import pytest

from playground.testing import full_speed
from playground.ui.training.lab import TrainingLab


@pytest.fixture
def lab(qtbot):
    widget = TrainingLab()
    qtbot.addWidget(widget)
    full_speed(widget)
    widget.resize(1280, 800)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    left_running = widget.is_running()
    assert widget.shutdown(1000)
    assert not left_running, "the test left a training run going"
