"""to_script: the exported plain-torch script, run in a subprocess, prints train()'s losses."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

from playground.core.export.training_script import LOSS_MODULES, run_to_script, to_script
from playground.core.training import (
    EpochRecord,
    TrainConfig,
    TrainControl,
    custom_dataset,
    noisy_line,
    train,
)
from playground.core.training.notebook_log import log_lines
from playground.core.training.tables import LOSS_SPECS
from playground.testing import run_python


def run_recording_lrs(config: TrainConfig, changes: dict[int, float] | None = None):
    """Train with live lr changes after the given epochs; return (records, RunEnd)."""
    control = TrainControl(config.lr)
    records: list[EpochRecord] = []
    gen = train(config, control)
    while True:
        try:
            record = next(gen)
        except StopIteration as stop:
            return records, stop.value
        records.append(record)
        if changes and record.epoch in changes:
            control.lr = changes[record.epoch]


def run_scripts(sources: dict[str, str], tmp_path: Path) -> dict[str, subprocess.CompletedProcess]:
    """Run each script by plain Python in a process of its own (forked from a warm one:
    torch's import would otherwise dominate the time)."""
    results = {}
    for name, source in sources.items():
        path = tmp_path / f"{name}.py"
        path.write_text(source)
        results[name] = run_python([str(path)], timeout=120)
    return results


def check_matches(config: TrainConfig, records: list[EpochRecord], stdout: str) -> None:
    """The script prints the window's notebook-style log, then the final numbers exactly."""
    lines = stdout.splitlines()
    expected = log_lines(config, [r.epoch for r in records], [r.loss for r in records])
    assert lines[: len(expected)] == expected
    w, b = records[-1].w, records[-1].b
    assert lines[-2] == f"final loss {records[-1].loss!r}"
    assert lines[-1] == f"final w {w!r} b {b!r}"


CASES = {
    "notebook": (TrainConfig(), None),
    "manual-live-lr": (TrainConfig(optimizer="Manual"), {30: 0.003, 60: 0.0005}),
    "momentum-minibatch-live-lr": (
        TrainConfig(
            dataset=noisy_line(9, seed=2),
            optimizer="Momentum",
            lr=0.002,
            epochs=40,
            batch_size=4,
            seed=5,
        ),
        {10: 0.0005},
    ),
    "adam-huber-pitfalls": (
        TrainConfig(
            dataset=custom_dataset([(0, 1), (1, 3), (2, 4.5)]),
            optimizer="Adam",
            loss="Huber",
            lr=0.05,
            epochs=50,
            new_optimizer_each_epoch=True,
            forget_zero_grad=True,
        ),
        None,
    ),
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory):
    """Train every case (plus the out-of-place pitfall), export it and run the scripts."""
    cases = {
        **CASES,
        "out-of-place": (TrainConfig(optimizer="Manual", out_of_place_update=True), None),
    }
    runs = {name: run_recording_lrs(config, changes) for name, (config, changes) in cases.items()}
    sources = {
        # a change made after epoch e is the rate from epoch e + 1 on
        name: to_script(cases[name][0], lr_changes={e + 1: lr for e, lr in
                                                    (cases[name][1] or {}).items()})
        for name in runs
    }
    results = run_scripts(sources, tmp_path_factory.mktemp("exported"))
    return runs, sources, results


@pytest.mark.parametrize("case", CASES)
def test_exported_script_prints_the_same_losses(case: str, exported) -> None:
    runs, sources, results = exported
    records, end = runs[case]
    assert end.status == "completed"
    ast.parse(sources[case])
    result = results[case]
    assert result.returncode == 0, result.stderr
    check_matches(CASES[case][0], records, result.stdout)
    if CASES[case][1]:
        assert "lr_changes = {" in sources[case]


def test_out_of_place_script_fails_the_way_train_reports(exported) -> None:
    runs, _, results = exported
    (records, end), result = runs["out-of-place"], results["out-of-place"]
    assert end.status == "error"
    assert result.returncode != 0
    assert result.stdout.splitlines() == log_lines(TrainConfig(), [0], [records[0].loss])
    assert f"TypeError: {end.reason}" in result.stderr


def test_one_lr_change_keeps_its_rate_to_the_end() -> None:
    source = to_script(TrainConfig(epochs=4, lr=0.001), lr_changes={1: 0.002})
    assert "lr_changes = {\n    1: 0.002,\n}" in source and "epochs = 4\n" in source
    constant = to_script(TrainConfig(epochs=4, lr=0.01), lr_changes={})
    assert "lr_changes" not in constant and "lr = 0.01\n" in constant


def test_dataset_name_cannot_inject_code() -> None:
    config = TrainConfig(dataset=custom_dataset([(1.0, 2.0)]))
    evil = TrainConfig(dataset=type(config.dataset)('x"""\nimport os\n', (1.0,), (2.0,)))
    tree = ast.parse(to_script(evil))
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert imported == ["torch"]


def test_scripts_of_runs_as_they_ended(tmp_path: Path) -> None:
    """A stopped run with a live lr change, a diverged run and a failed run, exported through
    the session: each script stops (or fails) where its run did and prints what it showed."""
    from playground.core.training.session import TrainingSession

    stopped = TrainingSession(speed=None)
    stopped.update(epochs=100_000)
    for _ in range(30):
        stopped.step()
    assert stopped.wait_paused(30)
    stopped.set_lr(0.004)
    for _ in range(25):
        stopped.step()
    assert stopped.wait_paused(30)
    stopped.stop()
    assert stopped.wait(30)

    diverged = TrainingSession(TrainConfig(optimizer="Momentum", forget_zero_grad=True),
                               speed=None)
    diverged.start()
    assert diverged.wait(30)
    failed = TrainingSession(TrainConfig(optimizer="Manual", out_of_place_update=True),
                             speed=None)
    failed.start()
    assert failed.wait(30)

    run_session = {"stopped": stopped, "diverged": diverged}
    runs = {"stopped": stopped.current, "diverged": diverged.current, "failed": failed.current}
    assert [r.end.status for r in runs.values()] == ["stopped", "diverged", "error"]
    assert runs["stopped"].lr_changes == [(30, 0.004)]
    sources = {name: run_to_script(run) for name, run in runs.items()}
    assert len(sources["stopped"]) < 5_000  # no per-epoch list of 100,000 rates
    results = run_scripts(sources, tmp_path)
    for name in ("stopped", "diverged"):
        run, result = runs[name], results[name]
        assert result.returncode == 0, result.stderr
        records = [EpochRecord(int(e), loss, w, b, lr, None, None)
                   for e, loss, w, b, lr, *_ in run.history.rows()]
        check_matches(run.config, records, result.stdout)
        assert sum(line.startswith("Epoch ") for line in result.stdout.splitlines()) == len(
            [r for r in records if r.epoch % 10 == 0])
        # then the notebook's print(y_predicted), as the window's log ends
        assert result.stdout.endswith(run_session[name].log_lines()[-1] + "\n" + "\n".join(
            result.stdout.splitlines()[-2:]) + "\n")
    assert results["failed"].returncode != 0
    assert f"TypeError: {runs['failed'].end.reason}" in results["failed"].stderr


def test_script_reads_like_a_person_wrote_it() -> None:
    """One docstring, one import block at the top, and the loss called as the notebook does."""
    source = to_script(TrainConfig())
    tree = ast.parse(source)
    docstrings = [n for n in tree.body if isinstance(n, ast.Expr)
                  and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)]
    assert len(docstrings) == 1 and tree.body[0] is docstrings[0]
    imports = [i for i, n in enumerate(tree.body) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert imports == [1]
    assert "loss = torch.nn.MSELoss()" in source and "L = loss(y, y_predicted)" in source
    assert "F." not in source


@pytest.mark.parametrize("name", sorted(LOSS_SPECS))
def test_every_loss_module_is_the_losss_function_the_target_first(name: str) -> None:
    """`loss(y, y_predicted)` with the nn module gives the loss and grads train() uses."""
    import torch

    x = torch.tensor([0.0, 1.0, 2.0, 5.0])
    y = torch.tensor([1.0, 2.5, 3.0, -1.0])
    grads = []
    for order in ("table", "notebook"):
        w = torch.tensor([0.7], requires_grad=True)
        b = torch.tensor([0.2], requires_grad=True)
        y_hat = w * x + b
        module = eval(LOSS_MODULES[name], {"torch": torch})  # a constant of our own table
        out = LOSS_SPECS[name].function(y_hat, y) if order == "table" else module(y, y_hat)
        out.backward()
        grads.append((out.item(), w.grad.item(), b.grad.item()))
    assert grads[0] == grads[1]
