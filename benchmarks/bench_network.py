"""Network Lab benchmark: live redraw rate, training throughput and GUI lateness.

All in one process, side by side:
  redraws      a 6x8 Tanh network (6 hidden layers of 8) trains at "Full speed" on 500 Circle
               points (train 50 %, batch 10) in a shown NetworkLab: how many times a second the
               heatmap AND every neuron thumbnail were repainted from a new worker snapshot.
  throughput   that lab run's epochs per second against a plain torch loop of the training
               rule (same data, model, batches and per-epoch measures) run just before it,
               paired; the median ratio is kept. The machine's load is printed with each pair,
               and the CPU time per epoch (all threads), which the load does not change.
  lateness     a 10 ms PreciseTimer on the GUI thread during the lab runs: p99 and max.
Prints its detail and a FIGURES line (see common.py). Run alone or through run_all.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from common import at_least, at_most, emit, make_heartbeat, percentile  # noqa: E402
from PySide6 import QtCore, QtWidgets  # noqa: E402

from playground.core.network.config import NetConfig, build_model, feature_matrix  # noqa: E402
from playground.core.network.datasets import DataSettings  # noqa: E402
from playground.core.network.session import NetworkSession  # noqa: E402
from playground.core.training.worker import warm_up_in_background  # noqa: E402
from playground.ui.network.lab import NetworkLab  # noqa: E402

DATA = DataSettings(kind="Circle", n_points=500, noise=10)


def config(epochs: int) -> NetConfig:
    return NetConfig(layers=(8,) * 6, activation="Tanh", batch_size=10, epochs=epochs)


# CPU ms per epoch: all threads, and the lab's GUI thread alone (its Python holds the GIL)
CPU_MS: dict[str, list[float]] = {"plain": [], "lab": [], "gui": []}


def plain_loop(cfg: NetConfig) -> float:
    """Epochs per second of the rule written out with torch alone, on a plain thread as the
    lab's worker is (torch's main thread runs its small reductions through the intra-op pool,
    which on a loaded 2-core machine made the same loop several times slower)."""
    result: list[float] = []
    thread = threading.Thread(target=lambda: result.append(_plain_loop(cfg)))
    thread.start()
    thread.join()
    return result[0]


def _plain_loop(cfg: NetConfig) -> float:
    cpu = time.process_time()
    split = DATA.split()
    x = feature_matrix(torch.from_numpy(split.x_train), cfg.ordered_features)
    y = torch.from_numpy(split.y_train)
    xt = feature_matrix(torch.from_numpy(split.x_test), cfg.ordered_features)
    yt = torch.from_numpy(split.y_test)
    model = build_model(cfg, DATA.seed)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr)
    g = torch.Generator().manual_seed(DATA.seed)
    began = time.perf_counter()
    for _ in range(cfg.epochs):
        perm = torch.randperm(len(y), generator=g)
        for s in range(0, len(y), cfg.batch_size):
            idx = perm[s:s + cfg.batch_size]
            opt.zero_grad()
            F.binary_cross_entropy_with_logits(model(x[idx]).squeeze(1), y[idx]).backward()
            opt.step()
        with torch.no_grad():
            o, ot = model(x).squeeze(1), model(xt).squeeze(1)
            F.binary_cross_entropy_with_logits(o, y).item()
            F.binary_cross_entropy_with_logits(ot, yt).item()
            ((o > 0) == (y > 0.5)).float().mean().item()
            ((ot > 0) == (yt > 0.5)).float().mean().item()
    CPU_MS["plain"].append((time.process_time() - cpu) * 1000 / cfg.epochs)
    return cfg.epochs / (time.perf_counter() - began)


def lab_run(app: QtWidgets.QApplication, cfg: NetConfig, beat) -> tuple[float, float, str]:
    """(epochs per second, full repaints per second, status) of one full-speed lab run."""
    lab = NetworkLab(NetworkSession(DATA, cfg, speed=None))
    lab.resize(1280, 680)
    lab.show()
    for _ in range(20):
        app.processEvents()
    painted = [0]
    original = lab._show_snapshot

    def counted(snapshot) -> None:
        original(snapshot)
        painted[0] += 1

    lab.session.events.snapshot.disconnect(original)
    lab.session.events.snapshot.connect(counted)
    loop = QtCore.QEventLoop()
    ended: list[tuple[float, str]] = []
    lab.runFinished.connect(lambda status: (ended.append((time.perf_counter(), status)),
                                            loop.quit()))
    beat.start()
    cpu, gui = time.process_time(), time.thread_time()
    began = time.perf_counter()
    lab.start_button.click()
    QtCore.QTimer.singleShot(300_000, loop.quit)
    loop.exec()
    beat.stop()
    trained = lab.session.current.epochs_done if lab.session.current else 0
    CPU_MS["lab"].append((time.process_time() - cpu) * 1000 / max(trained, 1))
    CPU_MS["gui"].append((time.thread_time() - gui) * 1000 / max(trained, 1))
    lab.shutdown()
    lab.close()
    lab.deleteLater()
    if not ended:
        return float("nan"), float("nan"), "timeout"
    seconds = ended[0][0] - began
    return trained / seconds, painted[0] / seconds, ended[0][1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    # One torch thread by default: the loss enters an OpenMP region on every call, whatever the
    # batch size, and on 2 cores its second thread waits for the core the lab's GUI thread uses,
    # which would measure the scheduler rather than the lab (docs/network_lab.md, Speed).
    parser.add_argument("--threads", type=int, default=1,
                        help="torch.set_num_threads for both loops (0: torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch threads: {torch.get_num_threads()}; load {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    warm_up_in_background().join()
    cfg = config(args.epochs)
    plain_loop(config(20))
    beat = make_heartbeat()
    ratios, rates = [], []
    for _ in range(args.repeat):
        plain = plain_loop(cfg)
        lab, redraws, status = lab_run(app, cfg, beat)
        ratios.append(lab / plain)
        rates.append(redraws)
        load = os.getloadavg()[0]
        print(f"  6x8 net, 500 points: plain {plain:7.1f}  lab {lab:7.1f} epochs/s  ratio "
              f"{lab / plain:.2f}  repaints {redraws:5.1f}/s  ({status}; load {load:.1f} on "
              f"{os.cpu_count()} cores)", flush=True)
    # CPU per epoch (both threads for the lab) does not depend on how busy the machine is.
    print(f"CPU per epoch: plain {statistics.median(CPU_MS['plain'][1:]):.1f} ms, lab (worker "
          f"+ GUI) {statistics.median(CPU_MS['lab']):.1f} ms, of which the GUI thread "
          f"{statistics.median(CPU_MS['gui']):.1f} ms")
    late = beat.late_ms
    print(f"heartbeat during lab runs: {len(late)} ticks, p99 {percentile(late, 99):.2f} ms, "
          f"max {max(late, default=0):.2f} ms")
    emit([
        at_least("Network Lab heatmap + thumbnails repaints, 6x8 net at full speed", min(rates),
                 "per s", 30),
        at_least("Network Lab throughput vs plain loop", statistics.median(ratios), "x", 0.9),
        at_most("Network Lab GUI heartbeat lateness, p99", percentile(late, 99), "ms", 16),
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
