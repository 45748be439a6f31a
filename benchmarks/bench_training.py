"""Training Lab benchmark: throughput, GUI lateness, learning-rate latency and long loss curves.

All in one process, so every ratio is measured side by side:
  throughput   the TrainingLab at "Full speed" (worker thread, every plot live, shown offscreen)
               against a plain torch loop doing the same per-epoch work (forward, loss, backward,
               reading the grads, step, zero_grad, reading loss/w/b as floats), paired and
               interleaved: each lab run is divided by the plain run just before it, median kept.
               Two workloads: the notebook's two points (full batch) and a 10,000-point noisy
               line in mini-batches of 100 (100 steps per epoch). On the notebook data also
               against a bare loop that records nothing (forward, loss, backward, step,
               zero_grad: no .item()), paired the same way.
  CPU          the CPU time (time.thread_time) of the lab's worker and GUI threads per epoch
               over the plain loop's: the same comparison as the throughput, but one a loaded
               machine hardly moves (the GUI thread's share counts in full, as if it all held
               the GIL).
  lateness     a 10 ms PreciseTimer on the GUI thread during those lab runs, from just before
               start() until 50 ms after runFinished (so the final paint counts): p99 and max.
  lr latency   during a full-speed run, `lrSpin` is changed 10 times; for each change: the time
               to the first epoch recorded with the new rate, and how many epochs finished with
               the old rate after the change (the epoch already under way may; no later one).
  long curves  one redraw (set_current, then a full paint) of the LossPlot with a 1,000,000-epoch
               run against a 1,000-epoch one, steady state (the run grows by 100 epochs).
Prints its detail and a FIGURES line (see common.py). Run alone or through run_all.py.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from common import at_least, at_most, emit, figure, make_heartbeat, percentile  # noqa: E402
from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from playground.core.training import loop  # noqa: E402
from playground.core.training.config import TrainConfig  # noqa: E402
from playground.core.training.datasets import noisy_line  # noqa: E402
from playground.core.training.session import TrainingSession  # noqa: E402
from playground.core.training.worker import TrainingWorker, warm_up_in_background  # noqa: E402
from playground.ui.training.lab import TrainingLab  # noqa: E402
from playground.ui.training.plots import LossPlot  # noqa: E402

GUI_CPU: list[tuple[float, float]] = []  # (GUI thread CPU s, wall s) of each lab run
WORKER_CPU: list[float] = []  # CPU s of each training worker thread, start to end
CPU_PER_EPOCH: dict[str, list[float]] = {}  # label: (lab worker + GUI) / plain, CPU per epoch
AFTER_RUN_S = 0.05  # the heartbeat goes on this long after runFinished: the final paint counts


def _time_worker_threads() -> None:
    """Wrap TrainingWorker._run to note each worker thread's CPU time (threads look their
    target up when built, so every worker made afterwards is timed)."""
    real_run = TrainingWorker._run

    def timed_run(self) -> None:
        began = time.thread_time()
        try:
            real_run(self)
        finally:
            WORKER_CPU.append(time.thread_time() - began)

    TrainingWorker._run = timed_run


def idle_lateness(app: QtWidgets.QApplication, seconds: float = 3.0) -> list[float]:
    """The heartbeat with a lab shown and nothing training: what the machine alone costs."""
    lab = new_lab(app, TrainConfig())
    beat = make_heartbeat()
    beat.start()
    wait(app, seconds)
    beat.stop()
    lab.close()
    return beat.late_ms


def plain_loop(config: TrainConfig) -> float:
    """Epochs per second of the core's per-epoch work written out in plain torch (SGD, MSE)."""
    x = torch.tensor(config.dataset.x, dtype=torch.float32)
    y = torch.tensor(config.dataset.y, dtype=torch.float32)
    w = torch.tensor([config.w0], requires_grad=True)
    b = torch.tensor([config.b0], requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=config.lr)
    n = x.shape[0]
    batch = config.batch_size if config.batch_size and config.batch_size < n else None
    gen = torch.Generator().manual_seed(config.seed)
    rows = []
    began = time.perf_counter()
    with torch.enable_grad():
        for epoch in range(config.epochs):
            if batch is None:
                loss = F.mse_loss(w * x + b, y)
                loss.backward()
                wg, bg = w.grad.item(), b.grad.item()
                opt.step()
                opt.zero_grad()
                value = loss.item()
            else:
                perm = torch.randperm(n, generator=gen)
                value = 0.0
                for start in range(0, n, batch):
                    idx = perm[start:start + batch]
                    loss = F.mse_loss(w * x[idx] + b, y[idx])
                    loss.backward()
                    wg, bg = w.grad.item(), b.grad.item()
                    opt.step()
                    opt.zero_grad()
                    value += loss.item() * idx.shape[0]
                value /= n
            rows.append((epoch, value, w.item(), b.item(), config.lr, wg, bg))
    return config.epochs / (time.perf_counter() - began)


def bare_loop(config: TrainConfig) -> float:
    """Epochs per second of plain torch recording nothing: forward, loss, backward, step,
    zero_grad (full batch), no .item() and no rows."""
    x = torch.tensor(config.dataset.x, dtype=torch.float32)
    y = torch.tensor(config.dataset.y, dtype=torch.float32)
    w = torch.tensor([config.w0], requires_grad=True)
    b = torch.tensor([config.b0], requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=config.lr)
    began = time.perf_counter()
    with torch.enable_grad():
        for _ in range(config.epochs):
            loss = F.mse_loss(w * x + b, y)
            loss.backward()
            opt.step()
            opt.zero_grad()
    return config.epochs / (time.perf_counter() - began)


def new_lab(app: QtWidgets.QApplication, config: TrainConfig) -> TrainingLab:
    """A shown Full-speed TrainingLab set up with `config`, laid out and painted once."""
    lab = TrainingLab(TrainingSession(config=config, speed=None))
    lab.resize(1280, 800)
    lab.show()
    for _ in range(20):
        app.processEvents()
    return lab


def lab_run(app: QtWidgets.QApplication, config: TrainConfig, beat) -> tuple[float, str]:
    """Epochs per second of one lab run, start() to runFinished, with the heartbeat ticking."""
    lab = new_lab(app, config)
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
    began, cpu = time.perf_counter(), time.thread_time()
    lab.start()
    QtCore.QTimer.singleShot(300_000, loop_.quit)
    loop_.exec()
    wait(app, AFTER_RUN_S)  # what the run's end leaves to the event loop (its paint) counts
    beat.stop()
    GUI_CPU.append((time.thread_time() - cpu, time.perf_counter() - began))
    trained = len(lab.history)
    lab.shutdown()
    lab.close()
    lab.deleteLater()
    if not ended:
        return float("nan"), "timeout"
    return trained / (ended[0][0] - began), ended[0][1]


def throughput(app, label: str, config: TrainConfig, repeat: int, beat,
               reference=plain_loop) -> float:
    """Median over `repeat` of (lab run / `reference` run just before it)."""
    ratios, statuses = [], []
    name = "plain" if reference is plain_loop else "bare"
    for _ in range(repeat):
        cpu = time.thread_time()
        plain = reference(config)
        cpu = (time.thread_time() - cpu) / config.epochs
        gui_before, workers_before = len(GUI_CPU), len(WORKER_CPU)
        lab, status = lab_run(app, config, beat)
        ratios.append(lab / plain)
        statuses.append(status)
        if len(GUI_CPU) > gui_before and len(WORKER_CPU) > workers_before and status == \
                "completed":
            lab_cpu = (GUI_CPU[-1][0] + WORKER_CPU[-1]) / config.epochs
            CPU_PER_EPOCH.setdefault(f"{label} / {name}", []).append(lab_cpu / cpu)
        print(f"  {label:34} {name} {plain:9,.1f}  lab {lab:9,.1f} epochs/s  "
              f"ratio {lab / plain:.2f}  ({status})", flush=True)
    if any(s != "completed" for s in statuses):
        return float("nan")
    return statistics.median(ratios)


def lr_latency(app, changes: int = 10) -> tuple[list[float], list[int]]:
    """(ms to the first epoch with the new rate, old-rate epochs finished after the change)."""
    stamps: list[tuple[float, float]] = []
    real_train = loop.train

    def timed_train(config, control=None, *rest):
        generator = real_train(config, control, *rest)
        try:
            while True:
                record = next(generator)
                stamps.append((time.perf_counter(), record.lr))
                yield record
        except StopIteration as stop:
            return stop.value

    loop.train = timed_train  # the worker looks it up at run time
    lab = new_lab(app, TrainConfig(epochs=2_000_000))
    spin = lab.findChild(QtWidgets.QDoubleSpinBox, "lrSpin")
    latencies: list[float] = []
    late_epochs: list[int] = []
    try:
        lab.start()
        wait(app, 0.3)
        rates = (0.0011, 0.001)
        for i in range(changes):
            new = rates[i % 2]
            seen = len(stamps)
            changed_at = time.perf_counter()
            spin.setValue(new)
            deadline = changed_at + 2.0
            while time.perf_counter() < deadline:
                app.processEvents()
                hits = [t for t, lr in stamps[seen:] if lr == new]
                if hits:
                    break
            after = [(t, lr) for t, lr in stamps[seen:] if t > changed_at]
            first_new = next((t for t, lr in after if abs(lr - new) < 1e-12), None)
            latencies.append((first_new - changed_at) * 1000 if first_new else float("inf"))
            late_epochs.append(sum(1 for t, lr in after
                                   if abs(lr - new) > 1e-12 and (first_new is None or t < first_new)))
            wait(app, 0.1)
    finally:
        lab.stop()
        lab.shutdown()
        lab.close()
        loop.train = real_train
    return latencies, late_epochs


def wait(app: QtWidgets.QApplication, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)


def curve_redraw_ms(app, epochs: int, repeat: int = 7) -> float:
    """Median ms of one steady-state redraw of a LossPlot holding an `epochs`-long run."""
    plot = LossPlot()
    plot.resize(900, 400)
    plot.show()
    image = QtGui.QImage(plot.size(), QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    total = epochs + 100 * (repeat + 1)
    plot.set_epochs(total)
    x = np.arange(total, dtype=float)
    y = 5.0 * np.exp(-x / (total / 5)) + 0.05 * np.abs(np.sin(x))
    n = epochs
    plot.set_current(x[:n], y[:n])  # the reducer catches up once, as during a long run
    for _ in range(5):
        app.processEvents()
    times = []
    for _ in range(repeat):
        n += 100
        began = time.perf_counter()
        plot.set_current(x[:n], y[:n])
        painter = QtGui.QPainter(image)
        plot.render(painter)
        painter.end()
        times.append((time.perf_counter() - began) * 1000)
    plot.close()
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10_000, help="notebook-data epochs")
    parser.add_argument("--noisy-epochs", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--switch-interval", type=float, default=None, metavar="S",
                        help="sys.setswitchinterval(S) first (an experiment; Python's is 0.005)")
    args = parser.parse_args(argv)
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    _time_worker_threads()
    warm_up_in_background().join()
    plain_loop(TrainConfig(epochs=300))
    bare_loop(TrainConfig(epochs=300))
    gc.freeze()  # the lab freezes at run start; the plain loop gets the same collector state

    notebook = TrainConfig(epochs=args.epochs)
    noisy = TrainConfig(dataset=noisy_line(10_000, seed=0), batch_size=100,
                        epochs=args.noisy_epochs, lr=0.001)
    idle = idle_lateness(app)
    print(f"heartbeat, lab shown, nothing training: {len(idle)} ticks, p99 "
          f"{percentile(idle, 99):.2f} ms, max {max(idle, default=0):.2f} ms")
    print("throughput (paired, lab / plain run just before it):")
    beat_notebook, beat_noisy = make_heartbeat(), make_heartbeat()
    ratio_notebook = throughput(app, f"notebook, {args.epochs} epochs", notebook, args.repeat,
                                beat_notebook)
    ratio_bare = throughput(app, f"notebook, {args.epochs} epochs", notebook, args.repeat,
                            beat_notebook, reference=bare_loop)
    ratio_noisy = throughput(app, f"10,000 points, batch 100, {args.noisy_epochs} epochs", noisy,
                             args.repeat, beat_noisy)
    lateness = {}
    for label, beat in (("notebook", beat_notebook), ("10k line", beat_noisy)):
        late = beat.late_ms
        lateness[label] = (percentile(late, 99), max(late, default=0.0))
        print(f"heartbeat during {label} runs: {len(late)} ticks, p50 {percentile(late, 50):.2f}"
              f" ms, p99 {lateness[label][0]:.2f} ms, max {lateness[label][1]:.2f} ms")
    share = sum(c for c, _ in GUI_CPU) / sum(w for _, w in GUI_CPU)
    print(f"GUI thread CPU time during the lab runs: {100 * share:.0f}% of their wall time")
    cpu_ratio = {key: statistics.median(v) for key, v in CPU_PER_EPOCH.items()}
    for key, value in cpu_ratio.items():
        print(f"CPU per epoch, lab (worker + GUI thread) / reference loop, {key}: {value:.3f} "
              f"(pairs {[round(v, 3) for v in CPU_PER_EPOCH[key]]})")
    cpu_notebook = cpu_ratio.get(f"notebook, {args.epochs} epochs / plain", float("nan"))
    cpu_noisy = cpu_ratio.get(f"10,000 points, batch 100, {args.noisy_epochs} epochs / plain",
                              float("nan"))
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    latencies, late_epochs = lr_latency(app)
    print(f"lr changes: ms to first new-rate epoch {[round(v, 2) for v in latencies]}; "
          f"old-rate epochs after the change {late_epochs}")
    long_ms, short_ms = curve_redraw_ms(app, 1_000_000), curve_redraw_ms(app, 1_000)
    print(f"loss curve redraw: 1,000,000 epochs {long_ms:.2f} ms, 1,000 epochs {short_ms:.2f} ms")
    emit([
        at_least("training throughput, notebook data (lab / plain torch)", ratio_notebook, "x",
                 0.95),
        at_least("training throughput, notebook data (lab / bare torch, nothing recorded)",
                 ratio_bare, "x", 0.9),
        at_least("training throughput, 10k-point line, batch 100 (lab / plain)", ratio_noisy,
                 "x", 0.95),
        figure("CPU per epoch, notebook data (lab worker + GUI thread / plain)", cpu_notebook,
               "x", "", None),
        figure("CPU per epoch, 10k-point line (lab worker + GUI thread / plain)", cpu_noisy,
               "x", "", None),
        at_most("GUI heartbeat lateness, notebook runs, p99", lateness["notebook"][0], "ms", 16),
        at_most("GUI heartbeat lateness, notebook runs, max", lateness["notebook"][1], "ms", 50),
        at_most("GUI heartbeat lateness, 10k-line runs, p99", lateness["10k line"][0], "ms", 16),
        at_most("GUI heartbeat lateness, 10k-line runs, max", lateness["10k line"][1], "ms", 50),
        figure("GUI heartbeat lateness, nothing training (machine baseline), p99",
               percentile(idle, 99), "ms", "", None),
        figure("GUI thread CPU share during the lab runs", 100 * share, "%", "", None),
        at_most("lr change to first epoch at the new rate, max of 10", max(latencies), "ms", 20),
        at_most("old-rate epochs after an lr change, max of 10", max(late_epochs), "epochs", 1),
        at_most("loss curve redraw, 1,000,000-epoch run", long_ms, "ms", 16),
        figure("loss curve redraw, 1,000-epoch run (reference)", short_ms, "ms", "", None),
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
