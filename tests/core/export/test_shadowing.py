"""An exported session still runs when the Tensor Lab's names hide Python's builtins.

The Tensor Lab may name a tensor `range`, `len`, `sum` or `min` (they are ordinary names to
it), and its statements come first in the exported script and notebook; the Training Lab's
loop after them calls `range(epochs)`, and `len(...)` with mini-batches. Each export is run by
plain Python in a child process with a deadline; its final loss, w and b must be the run's own.
"""

from __future__ import annotations

import builtins
from pathlib import Path

import nbformat
import pytest

from playground.core.export import whole_session
from playground.core.tensorlab.workspace import Workspace
from playground.core.training.session import TrainingSession
from playground.testing import run_python

TIMEOUT = 30.0  # only reached when something is broken


def _every_builtin_the_lab_accepts() -> list[str]:
    names = []
    for name in sorted(vars(builtins)):
        usable = name.isidentifier() and not name.startswith("_") and name[0].islower()
        if usable and Workspace().run(f"{name} = torch.ones(2)").ok:
            names.append(name)
    return names


def _run(path: Path) -> str:
    proc = run_python([str(path)], timeout=120, cwd=path.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _session(names: list[str], batch_size: int | None) -> tuple[Workspace, TrainingSession]:
    workspace = Workspace()
    result = workspace.load(["torch.manual_seed(0)",
                             *(f"{name} = torch.ones(2, requires_grad=True)" for name in names)])
    assert result.ok, result.messages
    training = TrainingSession(speed=None)
    training.set_data(kind="noisy", points=6)
    training.update(epochs=4, batch_size=batch_size)
    training.start()
    assert training.wait(TIMEOUT)
    return workspace, training


@pytest.mark.parametrize(("names", "batch_size"), [
    (["range"], None),
    (["len"], 2),
    (["range", "len", "sum", "min", "max", "float", "print_", "zip", "enumerate"], 2),
    ("every", 2),
], ids=["range", "len-with-mini-batches", "several", "every-builtin-the-lab-accepts"])
def test_the_exported_script_and_notebook_run_whatever_the_names(
        tmp_path: Path, names: list[str] | str, batch_size: int | None) -> None:
    chosen = _every_builtin_the_lab_accepts() if names == "every" else list(names)
    assert "range" in chosen and "len" in chosen or names != "every"
    workspace, training = _session(chosen, batch_size)
    history = training.current.history
    final = (f"final loss {float(history.column('loss')[-1])!r}\n"
             f"final w {float(history.column('w')[-1])!r} b {float(history.column('b')[-1])!r}")

    script = tmp_path / "session.py"
    script.write_text(whole_session.to_script(workspace, training), encoding="utf-8")
    notebook = whole_session.to_notebook(workspace, training)
    cells = tmp_path / "cells.py"
    cells.write_text("\n\n".join(cell.source for cell in notebook.cells
                                 if cell.cell_type == "code"), encoding="utf-8")
    nbformat.validate(notebook)
    for path in (script, cells):
        assert final in _run(path)  # the run's own numbers, bit for bit
