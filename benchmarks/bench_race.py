"""Race benchmark: five optimisers raced in the Training Lab against five plain loops in a row.

  throughput  a TrainingLab (shown offscreen, every plot live) races SGD, Momentum, Adam, RMSprop
              and Adagrad at full speed on the notebook's data (`raceButton` to `runFinished`),
              against the same five optimisers as plain torch loops run one after another on
              this thread (forward, loss, backward, reading the grads, step, zero_grad, reading
              loss/w/b as floats): racer-epochs per second over plain epochs per second, paired
              and interleaved, median kept.
  lateness    a 10 ms PreciseTimer on the GUI thread during the races: p99 and max; and for
              scale, the same with a lab shown and nothing training (what the machine alone
              costs: on a shared machine this is far from zero).
Targets: throughput >= 0.9x, lateness p99 <= 16 ms.
Prints its detail and a FIGURES line (see common.py). Run alone or through run_all.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from common import at_least, at_most, emit, figure, make_heartbeat, percentile  # noqa: E402
from PySide6 import QtCore, QtWidgets  # noqa: E402

from playground.core.training.config import TrainConfig  # noqa: E402
from playground.core.training.session import TrainingSession  # noqa: E402
from playground.core.training.tables import OPTIMIZER_SPECS  # noqa: E402
from playground.core.training.worker import warm_up_in_background  # noqa: E402
from playground.ui.training.lab import TrainingLab  # noqa: E402

RACERS = ("SGD", "Momentum", "Adam", "RMSprop", "Adagrad")


def plain_loops(config: TrainConfig) -> float:
    """Epochs per second of the five optimisers as plain torch loops, one after another."""
    x = torch.tensor(config.dataset.x, dtype=torch.float32)
    y = torch.tensor(config.dataset.y, dtype=torch.float32)
    began = time.perf_counter()
    for name in RACERS:
        w = torch.tensor([config.w0], requires_grad=True)
        b = torch.tensor([config.b0], requires_grad=True)
        optimizer = OPTIMIZER_SPECS[name].make([w, b], config.lr)
        rows = []
        for epoch in range(config.epochs):
            loss = F.mse_loss(w * x + b, y)
            loss.backward()
            wg, bg = w.grad.item(), b.grad.item()
            optimizer.step()
            optimizer.zero_grad()
            rows.append((epoch, loss.item(), w.item(), b.item(), config.lr, wg, bg))
    return len(RACERS) * config.epochs / (time.perf_counter() - began)


def lab_race(app: QtWidgets.QApplication, config: TrainConfig, beat) -> tuple[float, str]:
    """Racer-epochs per second of one race in a shown lab, with the heartbeat ticking."""
    lab = TrainingLab(TrainingSession(config=config, speed=None))
    lab.resize(1280, 800)
    lab.show()
    for _ in range(20):
        app.processEvents()
    panel = lab.race_panel
    for i in range(panel.race_list.count()):
        item = panel.race_list.item(i)
        item.setCheckState(QtCore.Qt.CheckState.Checked if item.text() in RACERS
                           else QtCore.Qt.CheckState.Unchecked)
    loop_ = QtCore.QEventLoop()
    ended: list[tuple[float, str]] = []

    class Finish(QtCore.QObject):
        @QtCore.Slot(str)
        def done(self, status: str) -> None:
            ended.append((time.perf_counter(), status))
            loop_.quit()

    finish = Finish()
    lab.runFinished.connect(finish.done)
    beat.start()
    began = time.perf_counter()
    panel.race_button.click()
    QtCore.QTimer.singleShot(300_000, loop_.quit)
    loop_.exec()
    beat.stop()
    race = lab.session.race
    trained = sum(len(run.history) for run in race.runs) if race is not None else 0
    lab.shutdown()
    lab.close()
    lab.deleteLater()
    if not ended:
        return float("nan"), "timeout"
    return trained / (ended[0][0] - began), ended[0][1]


def idle_lateness(app: QtWidgets.QApplication, seconds: float = 3.0) -> list[float]:
    lab = TrainingLab(TrainingSession(speed=None))
    lab.resize(1280, 800)
    lab.show()
    beat = make_heartbeat()
    loop_ = QtCore.QEventLoop()
    beat.start()
    QtCore.QTimer.singleShot(int(seconds * 1000), loop_.quit)
    loop_.exec()
    beat.stop()
    lab.close()
    lab.deleteLater()
    return beat.late_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4000, help="epochs per racer")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv)
    warm_up_in_background().join()
    config = TrainConfig(epochs=args.epochs, lr=0.001)
    idle = idle_lateness(app)
    beat = make_heartbeat()
    ratios = []
    for _ in range(args.repeat):
        plain = plain_loops(config)
        raced, status = lab_race(app, config, beat)
        ratios.append(raced / plain)
        print(f"  plain {plain:9,.1f}  race {raced:9,.1f} epochs/s  ratio {raced / plain:.2f}"
              f"  ({status})", flush=True)
    late = beat.late_ms
    print(f"  GUI lateness p99 {percentile(late, 99):.1f} ms, max {max(late, default=0):.1f} ms "
          f"over {len(late)} ticks")
    print(f"  idle lateness p99 {percentile(idle, 99):.1f} ms (a lab shown, nothing training)")
    emit([
        at_least("race of five / five plain loops", statistics.median(ratios), "x", 0.9),
        at_most("GUI lateness during a race p99", percentile(late, 99), "ms", 16),
        figure("GUI lateness during a race max", max(late, default=0.0), "ms", "", None),
        figure("GUI lateness idle p99 (for scale)", percentile(idle, 99), "ms", "", None),
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
