"""An exported script, run with plain python, prints exactly what the workspace shows."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from playground.core import Workspace
from playground.core.export.tensorlab_script import to_script
from playground.testing import run_python

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
    done = run_python([str(path)], timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_script_prints_what_the_workspace_shows(tmp_path: Path) -> None:
    ws = Workspace()
    for line in SESSION:
        assert ws.run(line).ok, line
    ws.run("y.grad")  # a warning in the log must not change stdout
    script = to_script(ws)
    assert script.startswith('"""Exported from Gradient Playground') and "\nimport torch\n" in script
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
    assert run_script(to_script(ws), tmp_path) == ws.printout()


def test_printout_includes_the_logs_prints_like_the_script(tmp_path: Path) -> None:
    ws = Workspace()
    for line in ["x = torch.ones(2, requires_grad=True)", "print(x)", "y = (x * 3).sum()",
                 "y.backward()", "print(x.grad, y)", "x.grad"]:
        assert ws.run(line).ok, line
    out = run_script(to_script(ws), tmp_path)
    assert out == ws.printout()
    x = torch.ones(2, requires_grad=True)
    first = f"{x}\n"
    y = (x * 3).sum()
    y.backward()
    assert out.startswith(first + f"{x.grad!s} {y!s}\n")
    # A refused print leaves nothing behind, and undo takes a print back out.
    assert not ws.run("print(x); q = x @ torch.ones(3)").ok
    assert ws.printout() == out
    ws.undo()
    ws.undo()
    assert run_script(to_script(ws), tmp_path) == ws.printout()
