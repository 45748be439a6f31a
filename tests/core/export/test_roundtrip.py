"""Exported sessions run with plain Python and print the numbers the session holds.

The .py is run in a subprocess; the notebook's code cells are written, in order, to a .py of
their own and run the same way (nothing is exec'd in the test process). The Tensor Lab part must
print exactly `Workspace.printout()`; the training part prints each epoch's loss, which must
match the run's records, and its final loss, w and b bit for bit.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import nbformat
import torch

from playground import export_cli
from playground.core.export import whole_session
from playground.core.files.session_file import SUFFIX, session_document, write_session_file
from playground.core.tensorlab.workspace import Workspace
from playground.core.training.session import TrainingSession
from playground.testing import run_python as run_child

TIMEOUT = 30.0  # only reached when something is broken
STATEMENTS = [
    "x = torch.randn(2, 4, requires_grad=True)",
    "y = x + 2",
    "z = (y * y * 3).mean()",
    "z.backward()",
    "g1 = x.grad.clone()",
    "x.grad.zero_()",
    "w = torch.tensor([1.5, -2.0], requires_grad=True)",
    "q = (w ** 3).sum()",
    "q.backward()",
]


def session() -> tuple[Workspace, TrainingSession]:
    ws = Workspace()
    for statement in STATEMENTS:
        assert ws.run(statement).ok, statement
    training = TrainingSession(speed=None)
    training.set_data(kind="noisy", points=12, noise=0.5)
    training.update(optimizer="Momentum", lr=0.01, epochs=30, batch_size=4, seed=3)
    training.start()
    assert training.wait(TIMEOUT) and training.current.end.status == "completed"
    return ws, training


def run_python(path: Path) -> str:
    proc = run_child([str(path)], timeout=120, cwd=path.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def check_output(out: str, ws: Workspace, training: TrainingSession) -> None:
    tensor_part = ws.printout()
    assert out.startswith(tensor_part)  # every tensor and grad exactly as the window prints them
    # The numbers are torch's: the same statements in plain torch, here.
    torch.manual_seed(0)
    x = torch.randn(2, 4, requires_grad=True)
    ((x + 2) * (x + 2) * 3).mean().backward()
    assert f"g1 = {x.grad.clone()!s}\n" in tensor_part
    assert f"x.grad = {torch.zeros(2, 4)!s}\n" in tensor_part  # zeroed, as in the log
    w = torch.tensor([1.5, -2.0], requires_grad=True)
    (w**3).sum().backward()
    assert f"w.grad = {w.grad!s}\n" in tensor_part
    rest = out[len(tensor_part):]
    history = training.current.history
    assert len(history) == 30
    # the window's notebook-style log, line for line, then the final numbers exactly
    window_log = training.log_lines()
    assert "\n".join(window_log) + "\nfinal loss " in rest
    final = re.search(r"^final loss (\S+)$", rest, re.MULTILINE)
    assert final is not None and float(final.group(1)) == history.last("loss")
    params = re.search(r"^final w (\S+) b (\S+)$", rest, re.MULTILINE)
    assert params is not None
    assert (float(params.group(1)), float(params.group(2))) == (history.last("w"),
                                                                history.last("b"))


def test_the_exported_script_prints_the_sessions_grads_and_losses(tmp_path: Path) -> None:
    ws, training = session()
    path = tmp_path / "session.py"
    source = whole_session.to_script(ws, training)
    whole_session.write_script(path, source)
    check_output(run_python(path), ws, training)
    # as a person writes it: one docstring, then one import block, then the code
    assert source.count('"""') == 2 and source.startswith('"""')
    assert source.count("import torch\n") == 1
    assert all(not line.startswith(("import ", "from ")) for line in
               source.split("import torch\n", 1)[1].splitlines())


def test_the_notebooks_code_cells_run_in_order_to_the_same_numbers(tmp_path: Path) -> None:
    ws, training = session()
    path = tmp_path / "session.ipynb"
    whole_session.write_notebook(path, whole_session.to_notebook(ws, training))
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    markdown = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    # One cell per step a learner looks at: each backward and each grad reset ends a cell.
    assert code[0].startswith("import torch") and code[0].rstrip().endswith("z.backward()")
    assert code[1] == "g1 = x.grad.clone()\nx.grad.zero_()"
    assert code[2].rstrip().endswith("q.backward()")
    assert "for epoch in range(epochs):" in code[-1]
    assert any("backward()" in m for m in markdown) and any("Training Lab" in m for m in markdown)
    script = tmp_path / "cells.py"
    script.write_text("\n\n".join(code) + "\n", encoding="utf-8")
    check_output(run_python(script), ws, training)


def test_an_untouched_training_lab_is_left_out() -> None:
    ws = Workspace()
    assert ws.run("a = torch.ones(2, requires_grad=True)").ok
    text = whole_session.to_script(ws, TrainingSession())
    assert "Training Lab" not in text and "optimizer" not in text
    cells = whole_session.to_notebook(ws, TrainingSession()).cells
    assert not any("for epoch" in c.source for c in cells)


def test_the_open_lesson_step_becomes_markdown() -> None:
    note = whole_session.lesson_note("02-backward-scalar", 1)
    assert note is not None and note.step_number == 2
    cells = whole_session.to_notebook(Workspace(), None, note).cells
    assert cells[1].cell_type == "markdown" and note.text in cells[1].source
    assert note.lesson_title in whole_session.to_script(Workspace(), None, note)
    assert whole_session.lesson_note("no-such-lesson", 0) is None


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return run_child(["-m", "playground", "export", *args], timeout=120, cwd=cwd)


def test_command_line_export_writes_both_formats_without_qt(tmp_path: Path) -> None:
    ws, training = session()
    saved = tmp_path / f"s{SUFFIX}"
    write_session_file(saved, session_document(ws.log, training))
    for fmt in ("py", "ipynb"):
        out = tmp_path / f"out.{fmt}"
        proc = cli(str(saved), "--to", fmt, "-o", str(out), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert out.exists()
    check_output(run_python(tmp_path / "out.py"), ws, training)
    notebook = json.loads((tmp_path / "out.ipynb").read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4 and len(notebook["cells"]) >= 6
    # The export path never loads Qt: it works where no display or Qt plugin exists.
    probe = run_child(
        ["-c", "import sys; from playground.export_cli import main; "
         f"rc = main([{str(saved)!r}, '--to', 'py', '-o', {str(tmp_path / 'again.py')!r}]); "
         "assert rc == 0; print(sorted(m for m in sys.modules if 'PySide' in m or 'Qt' in m))"],
        timeout=120)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip().splitlines()[-1] == "[]"


def test_command_line_export_refuses_bad_input_with_exit_2_and_one_line(
        tmp_path: Path, capsys, monkeypatch) -> None:
    good = tmp_path / f"good{SUFFIX}"
    write_session_file(good, session_document(["a = torch.ones(2)"], None))
    bad_statements = tmp_path / f"bad{SUFFIX}"
    write_session_file(bad_statements, session_document(["import os"], None))
    (tmp_path / "junk.json").write_text("[" * 1000, encoding="utf-8")
    (tmp_path / "folder").mkdir()
    cases = [
        [str(tmp_path / "missing.json"), "--to", "py", "-o", "o.py"],
        [str(tmp_path / "junk.json"), "--to", "py", "-o", "o.py"],
        [str(bad_statements), "--to", "ipynb", "-o", "o.ipynb"],
        [str(good), "--to", "pdf", "-o", "o.pdf"],
        [str(good), "--to", "py"],
        [str(good), "-o", "o.py"],
        [str(good), "--to", "py", "-o", str(tmp_path / "nope" / "o.py")],
        [str(good), "--to", "py", "-o", str(tmp_path / "folder")],
        [str(tmp_path / "folder"), "--to", "py", "-o", "o.py"],
        [],
    ]
    monkeypatch.chdir(tmp_path)
    for args in cases:  # in this process (a new one costs seconds of imports each)
        assert export_cli.main(args) == 2, args
        err = capsys.readouterr().err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("gradient-playground export: error:"), (
            args, err)
    for args in (cases[0], cases[3]):  # and through `python -m playground`, end to end
        proc = cli(*args, cwd=tmp_path)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (tmp_path / "o.py").exists() and not (tmp_path / "o.ipynb").exists()


def test_a_tensor_named_nn_or_f_does_not_break_the_training_loop(tmp_path: Path) -> None:
    """The loop spells its loss torch.nn.MSELoss(), so Tensor Lab names above it hide nothing."""
    ws = Workspace()
    for statement in ("nn = torch.ones(2)", "F = nn * 2"):
        assert ws.run(statement).ok, statement
    training = TrainingSession(speed=None)
    training.update(epochs=12)  # a changed setup: the loop is exported, not run here
    path = tmp_path / "named.py"
    whole_session.write_script(path, whole_session.to_script(ws, training))
    out = run_python(path)
    x = torch.tensor([10.0, 5.0])
    w = torch.ones(1, requires_grad=True)
    b = torch.ones(1, requires_grad=True)
    loss = torch.nn.MSELoss()(x, w * x + b)  # epoch 0 of the notebook's run, plain torch
    assert f"Epoch 0\nLoss {loss!s}\n" in out
