"""An exported script, run with plain python, prints exactly what the workspace shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from playground.core import Workspace

SESSION = [
    "x = torch.randn(2, 4, requires_grad=True)",
    "y = x + 2",
    "z = (y * y).mean()",
    "z.backward(retain_graph=True)",
    "z.backward()",
    "v = torch.randn(3)",
    "torch.manual_seed(7)",
    "w = torch.rand(2, 2, dtype=torch.float64, requires_grad=True)",
    "s = (w ** 2).sum(); s.backward()",
    "with torch.no_grad():\n    w -= 0.1 * w.grad",
    "d = x.detach()",
    "n = torch.randn_like(x)",
    "k = torch.arange(6).reshape(2, 3)",
    "x.grad.zero_()",
    "e = torch.tensor(3.5)",
]


def run_script(text: str, tmp_path: Path) -> str:
    path = tmp_path / "session.py"
    path.write_text(text)
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_script_prints_what_the_workspace_shows(tmp_path: Path) -> None:
    ws = Workspace()
    for line in SESSION:
        assert ws.run(line).ok, line
    ws.run("y.grad")  # a warning in the log must not change stdout
    script = ws.to_script()
    assert script.startswith("import torch\n")
    assert "torch.manual_seed(0)" in script
    expected = ws.printout()
    assert "x.grad = tensor([[0., 0., 0., 0.]" in expected
    assert "w.grad = tensor(" in expected
    assert "y.grad" not in expected  # only leaves with a grad
    assert "e = tensor(3.5000)" in expected
    assert run_script(script, tmp_path) == expected


@pytest.mark.parametrize(
    "lines",
    [
        [],
        ["a = torch.ones(2)"],
        ["a = torch.randn((), requires_grad=True)", "b = a * 3", "b.backward()"],
    ],
)
def test_small_sessions_round_trip(lines: list[str], tmp_path: Path) -> None:
    ws = Workspace()
    for line in lines:
        assert ws.run(line).ok
    assert run_script(ws.to_script(), tmp_path) == ws.printout()
