"""Datasets and the loss landscape, checked against direct torch evaluation."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from playground.core.training import (
    LOSSES,
    custom_dataset,
    loss_landscape,
    noisy_line,
    notebook_dataset,
)

LOSS_FNS = {"MSE": F.mse_loss, "L1": F.l1_loss, "Huber": F.huber_loss}


def test_notebook_dataset() -> None:
    data = notebook_dataset()
    assert (data.name, data.x, data.y) == ("Notebook: two points", (10.0, 5.0), (10.0, 5.0))


def test_noisy_line_is_seeded_and_follows_its_line() -> None:
    data = noisy_line(n=200, slope=3.0, intercept=-2.0, noise=0.5, seed=4)
    assert data == noisy_line(n=200, slope=3.0, intercept=-2.0, noise=0.5, seed=4)
    assert data.y != noisy_line(n=200, slope=3.0, intercept=-2.0, noise=0.5, seed=5).y
    assert len(data.x) == len(data.y) == 200
    slope, intercept = np.polyfit(data.x, data.y, 1)
    assert slope == pytest.approx(3.0, abs=0.1) and intercept == pytest.approx(-2.0, abs=0.3)
    clean = noisy_line(n=5, slope=2.0, intercept=1.0, noise=0.0)
    assert clean.y == tuple(2.0 * x + 1.0 for x in clean.x)


def test_custom_dataset_keeps_the_points_as_float32() -> None:
    data = custom_dataset([(1, 2), (3.5, -1.0), (0.1, 0.2)])
    assert data.x == (1.0, 3.5, float(np.float32(0.1)))
    assert data.y == (2.0, -1.0, float(np.float32(0.2)))
    assert data.name == "Custom: 3 points"


@pytest.mark.parametrize("loss", LOSSES)
def test_loss_landscape_equals_direct_torch_evaluation(loss: str) -> None:
    data = noisy_line(n=7, seed=1)
    ws, bs, losses = loss_landscape(data, loss, (-1.0, 4.0), (-3.0, 3.0), n=25)
    assert ws.shape == bs.shape == (25,) and losses.shape == (25, 25)
    assert ws[0] == -1.0 and ws[-1] == 4.0 and bs[0] == -3.0 and bs[-1] == 3.0
    x = torch.tensor(data.x)
    y = torch.tensor(data.y)
    for i, j in [(0, 0), (3, 17), (12, 12), (24, 5), (24, 24)]:
        w = torch.tensor([ws[i]], dtype=torch.float32)
        b = torch.tensor([bs[j]], dtype=torch.float32)
        direct = LOSS_FNS[loss](w * x + b, y).item()
        assert losses[i, j] == pytest.approx(direct, rel=1e-6)


def test_loss_landscape_minimum_is_the_notebook_fit() -> None:
    _, _, losses = loss_landscape(notebook_dataset(), "MSE", (0.0, 2.0), (-1.0, 1.0), n=41)
    # y = x exactly: w = 1, b = 0 sits at grid index (20, 20) with zero loss.
    assert losses[20, 20] == 0.0 and np.unravel_index(losses.argmin(), losses.shape) == (20, 20)


def test_loss_landscape_refuses_unknown_losses() -> None:
    with pytest.raises(ValueError, match="unknown loss"):
        loss_landscape(notebook_dataset(), "Hinge", (0, 1), (0, 1))


def test_a_whole_training_session_runs_without_loading_qt() -> None:
    code = (
        "import sys\n"
        "from playground.core.training.session import TrainingSession\n"
        "s = TrainingSession(speed=None)\n"
        "s.start()\n"
        "assert s.wait(60) and s.current.end.status == 'completed'\n"
        "print([m for m in sys.modules if m.startswith(('PySide', 'shiboken', 'pyqtgraph',"
        " 'superqt'))])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "[]"
