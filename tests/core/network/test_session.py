"""NetworkSession: runs on the worker, resets that say so, imports that change nothing when
refused, the plain-data round trip and the exported script's printed losses."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import torch

from playground.core.network.config import NetConfig
from playground.core.network.datasets import DataSettings, ImportRefused
from playground.core.network.session import NetworkSession


def small(**config) -> NetworkSession:
    return NetworkSession(DataSettings(kind="XOR", n_points=80, seed=2),
                          NetConfig(epochs=5, **config), speed=None)


def test_a_run_on_the_worker_records_every_epoch_and_a_final_snapshot():
    s = small()
    pictures = []
    s.events.snapshot.connect(pictures.append)
    s.start()
    assert s.wait(30)
    run = s.current
    assert run.end.status == "completed" and [r.epoch for r in run.records] == list(range(5))
    assert pictures and pictures[-1].epoch == 4 and s.picture() is pictures[-1]


def test_data_returns_float32_tensors_and_initial_state_is_the_seeded_model():
    s = small()
    x_train, y_train, x_test, y_test = s.data()
    assert x_train.dtype == torch.float32 and x_train.shape == (40, 2) and y_test.shape == (40,)
    torch.manual_seed(2)
    first = torch.nn.Linear(2, 4)
    assert torch.equal(s.initial_state()["0.weight"], first.weight.detach())


def test_changing_data_or_layers_resets_and_says_so_lr_does_not():
    s = small()
    notes = []
    s.events.notice.connect(notes.append)
    s.start()
    s.wait(30)
    s.set_lr(0.1)
    assert s.current is not None and notes == []
    s.update(layers=(3,))
    assert s.current is None and notes == ["The layers changed: the run was reset."]
    s.start()
    s.wait(30)
    s.set_data(noise=10)
    assert s.current is None and notes[-1] == "The data changed: the run was reset."


def test_the_live_lr_reaches_the_running_loop_at_its_next_epoch():
    s = small(lr=0.01)
    s.step()
    assert s.wait_paused(10)
    s.set_lr(0.2)
    s.step()
    assert s.wait_paused(10)
    s.stop()
    s.wait(10)
    assert [r.lr for r in s.current.records] == [0.01, 0.2]
    assert s.current.lr_changes == [(1, 0.2)]


def test_a_refused_import_changes_nothing(tmp_path):
    s = small()
    before = s.data()
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n1,2,1\n1,2,oops\n")
    with pytest.raises(ImportRefused, match="line 3"):
        s.import_file(bad)
    assert s.data_settings.kind == "XOR" and torch.equal(s.data()[0], before[0])
    s.import_text("1,2,1\n3,4,0\n5,6,1\n7,8,0\n")
    assert s.data_settings.kind == "Imported" and len(s.data()[0]) == 2


def test_round_trip_keeps_settings_points_and_runs():
    s = small(regularization="L1")
    s.set_custom_points([(1, 1, 1), (-1, -1, 0), (2, -2, 1)])
    s.start()
    s.wait(30)
    copy = NetworkSession.from_dict(s.to_dict())
    assert copy.config == s.config and copy.data_settings == s.data_settings
    assert [r.train_loss for r in copy.current.records] == [
        r.train_loss for r in s.current.records]
    with pytest.raises(ValueError):
        NetworkSession.from_dict({"version": 1, "data": {"kind": "Moons"}, "config": {}})


@pytest.mark.parametrize("changes", [dict(), dict(batch_size=0, regularization="L2",
                                                   optimizer="Adam", layers=())])
def test_the_exported_script_prints_the_same_losses(tmp_path, changes):
    s = small(**changes)
    s.step()
    s.wait_paused(10)
    s.set_lr(0.3)  # a live change the script must replay
    s.resume()
    s.wait(30)
    path = tmp_path / "net.py"
    path.write_text(s.to_script())
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    printed = [tuple(float(v) for v in m) for m in
               re.findall(r"train loss ([\d.e-]+), test loss ([\d.e-]+)", out)]
    assert printed == [(r.train_loss, r.test_loss) for r in s.current.records]
