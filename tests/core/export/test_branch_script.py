"""A branched run's script replays the run it left up to the branch epoch, then continues with
its own settings; run in a subprocess it prints exactly the branched run's losses, w and b. A
racer's script is an ordinary run's."""

from __future__ import annotations

from pathlib import Path

from playground.core.export.training_script import run_to_script
from playground.core.training import DataSetup, TrainConfig
from playground.core.training.notebook_log import log_lines
from playground.core.training.session import TrainingSession
from playground.testing import run_python

TIMEOUT = 30.0


def branched(first: dict, then: list[tuple[int, dict]]):
    """Train `first`, then for each (k, changes) show epoch k and Start with the changes."""
    s = TrainingSession(TrainConfig(lr=0.01, epochs=40, seed=3),
                        DataSetup(kind="noisy", points=9, noise=0.5), speed=None)
    s.update(**first)
    s.start()
    assert s.wait(TIMEOUT)
    for k, changes in then:
        s.show_epoch(k)
        s.update(**changes)
        s.start()
        assert s.wait(TIMEOUT) and s.current.epochs_done > k + 1
    return s


def expected_output(run) -> list[str]:
    """The window's log (each epoch logged with the settings it trained with), then the
    final numbers exactly."""
    rows = run.history.rows()
    lines = []
    for e, loss, *_ in rows:
        config = next(c for first, c in reversed(run.segments) if first <= int(e))
        lines += log_lines(config, [int(e)], [loss])
    _, loss, w, b, *_ = rows[-1]
    return [*lines, f"final loss {loss!r}", f"final w {w!r} b {b!r}"]


def test_branched_runs_export_as_they_happened(tmp_path: Path) -> None:
    cases = {
        "new_optimiser": branched({}, [(15, {"optimizer": "Adam", "lr": 0.02})]),
        "same_optimiser_new_batches": branched(
            {"optimizer": "Adam", "batch_size": 3}, [(20, {"lr": 0.03, "batch_size": 4})]),
        "to_mini_batches_no_zero_grad": branched(
            {"optimizer": "Momentum", "lr": 0.0001, "forget_zero_grad": True},
            [(9, {"batch_size": 2})]),
        "manual_then_sgd": branched({"optimizer": "Manual"}, [(5, {"optimizer": "SGD"})]),
        "branch_of_a_branch": branched({}, [(10, {"optimizer": "Momentum", "lr": 0.002,
                                                  "epochs": 50}),
                                            (30, {"optimizer": "Adam", "lr": 0.05,
                                                  "epochs": 60})]),
    }
    race_session = TrainingSession(speed=None)
    race = race_session.start_race([("RMSprop", 0.01), ("Adagrad", 0.5)])
    assert race_session.wait(TIMEOUT)
    runs = {name: s.current for name, s in cases.items()}
    runs["racer"] = race.runs[1]

    for name, run in runs.items():
        source = run_to_script(run)
        if run.branched_at is not None:
            assert f"Branched after epoch {run.branched_at}:" in source
        path = tmp_path / f"{name}.py"
        path.write_text(source)
        proc = run_python([str(path)], timeout=120)
        assert proc.returncode == 0, (name, proc.stderr)
        lines = [line for line in proc.stdout.splitlines()
                 if line.startswith(("Epoch ", "Loss ", "final "))]
        assert lines == expected_output(runs[name]), name
