"""to_script: the exported plain-torch script, run in a subprocess, prints train()'s losses."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from playground.core.export.training_script import run_to_script, to_script
from playground.core.training import (
    EpochRecord,
    TrainConfig,
    TrainControl,
    custom_dataset,
    noisy_line,
    train,
)


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
    """Run each script in its own interpreter, all at once (torch's import dominates the time)."""
    procs = {}
    for name, source in sources.items():
        path = tmp_path / f"{name}.py"
        path.write_text(source)
        procs[name] = subprocess.Popen(
            [sys.executable, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    results = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=120)
        results[name] = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    return results


def check_matches(records: list[EpochRecord], stdout: str) -> None:
    lines = stdout.splitlines()
    expected = [f"epoch {r.epoch} loss {r.loss:.6f}" for r in records]
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
    check_matches(records, result.stdout)
    if CASES[case][1]:
        assert "lr_changes = {" in sources[case]


def test_out_of_place_script_fails_the_way_train_reports(exported) -> None:
    runs, _, results = exported
    (records, end), result = runs["out-of-place"], results["out-of-place"]
    assert end.status == "error"
    assert result.returncode != 0
    assert result.stdout.splitlines() == [f"epoch 0 loss {records[0].loss:.6f}"]
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
    assert imported == ["torch", "torch.nn.functional"]


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
        check_matches(records, result.stdout)
        assert sum(line.startswith("epoch ") for line in result.stdout.splitlines()) == len(
            records)
    assert results["failed"].returncode != 0
    assert f"TypeError: {runs['failed'].end.reason}" in results["failed"].stderr
