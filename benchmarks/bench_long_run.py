"""Long-run benchmark: a 10,000,000-epoch run keeps every figure, and what its memory is.

Two parts, said apart in the output:
  real    a TrainingLab (shown offscreen, every plot live) trains `--real-epochs` epochs of SGD
          on the notebook's data at Full speed, its worker feeding the lab as in use: epochs
          per second, the GUI heartbeat's lateness (p99, max), and that the curve, the path and
          the slider hold every epoch at the end (the live path keeps up).
  10M     a 10,000,000-epoch Adam run built *synthetically* through the real structures, as
          the worker feeds them: its records go into the Run's RunHistory with `extend` (in
          100,000-row blocks: tuples at 10M epochs would take minutes to build) and its
          checkpoints into its CheckpointStore with `add` at the interval the store asks for
          (copies of one real checkpoint, epochs renumbered: a replay from them is the real
          replay's cost). The values follow a plausible curve, not torch: only the costs are
          measured here. Then, through the real widgets of a shown lab:
            redraw   records arriving (`extend` of 200 worker rows + records_arrived) and one
                     lab redraw with its paint (each side plot on its turn), p99 and max; the
                     loss curve alone (set_current + a full paint, median of 7, as
                     bench_training measures the 1M curve); points the loss curve and the
                     landscape path are drawn from;
            rewind   epochSlider set to 100 seeded epochs (readouts, line, path, marker, the
                     update formula, the paint) plus the exact state after the epoch
                     (Run.state_after: what Start continues from), p99 and max; every readout
                     is checked against the records;
            memory   records (RunHistory.nbytes) + checkpoints (CheckpointStore.nbytes) + the
                     arrays the plots hold that are not views of the records, and the process's
                     RSS growth for the whole 10M part beside it;
            thinning the run's checkpoint store once (on a copy: past ~10.8M epochs the
                     store doubles its interval), timed.
Targets: redraw <= 16 ms, rewind p99 <= 50 ms, a checkpoint add or thinning <= 50 ms, memory
<= 1 GiB at 10M (56 bytes per epoch of records, checkpoints within a fixed 128 MiB budget,
plots bounded by their reductions).
Prints its detail and a FIGURES line (see common.py). Run alone or through run_all.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from common import at_most, emit, figure, make_heartbeat, percentile  # noqa: E402
from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from playground.core.training.checkpoints import Checkpoint  # noqa: E402
from playground.core.training.config import TrainConfig  # noqa: E402
from playground.core.training.history import RunHistory  # noqa: E402
from playground.core.training.loop import Model, RunEnd  # noqa: E402
from playground.core.training.run import Run  # noqa: E402
from playground.core.training.session import TrainingSession  # noqa: E402
from playground.core.training.worker import warm_up_in_background  # noqa: E402
from playground.ui.training.lab import TrainingLab  # noqa: E402
from playground.ui.training.landscape import MAX_PATH_POINTS  # noqa: E402

MIB = 1024 * 1024
BLOCK = 100_000  # rows per extend while building the synthetic run
LIVE_ROWS = 200  # rows per poll at Full speed (a few thousand epochs/s at ~30 polls/s)
WORST_ADD = [0.0]  # the slowest CheckpointStore.add (s): where a store thins, if it does


def rss() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return float(line.split()[1]) * 1024.0
    return float("nan")


def shown_lab(app: QtWidgets.QApplication, session: TrainingSession) -> TrainingLab:
    lab = TrainingLab(session)
    lab.resize(1280, 800)
    lab.show()
    for _ in range(20):
        app.processEvents()
    return lab


def settle(app: QtWidgets.QApplication) -> None:
    app.processEvents()
    app.processEvents()


# ----- real --------------------------------------------------------------------------------------
def real_run(app: QtWidgets.QApplication, epochs: int) -> list[dict]:
    print(f"real: SGD on the notebook's data, {epochs:,} epochs at Full speed in a shown lab")
    lab = shown_lab(app, TrainingSession(TrainConfig(epochs=epochs), speed=None))
    beat = make_heartbeat()
    loop_ = QtCore.QEventLoop()
    ended: list[str] = []
    lab.runFinished.connect(lambda status: (ended.append(status), loop_.quit()))
    cpu0 = time.thread_time()
    beat.start()
    began = time.perf_counter()
    lab.start()
    QtCore.QTimer.singleShot(600_000, loop_.quit)
    loop_.exec()
    seconds = time.perf_counter() - began
    beat.stop()
    gui = (time.thread_time() - cpu0) / seconds
    run = lab.session.current
    assert ended == ["completed"] and run is not None and run.epochs_done == epochs, ended
    curve = len(lab.loss_plot.current.shown()[0])
    path = len(lab.landscape_plot.path.getData()[0])
    slider = lab.timeline.slider
    assert slider.maximum() == epochs - 1 and slider.value() == epochs - 1
    late = beat.late_ms
    print(f"  {epochs / seconds:,.0f} epochs/s; GUI thread busy {100 * gui:.1f} % of the run; "
          f"heartbeat p99 {percentile(late, 99):.1f} ms, max {max(late):.1f} ms; curve drawn "
          f"from {curve:,} points, path from {path:,}; slider 0..{slider.maximum():,}")
    lab.close()
    lab.deleteLater()
    return [
        figure(f"real {epochs:,}-epoch run in a shown lab", epochs / seconds, "epochs/s", "",
               None),
        at_most(f"real {epochs:,}-epoch run: GUI heartbeat lateness p99",
                percentile(late, 99), "ms", 16),
        at_most(f"real {epochs:,}-epoch run: GUI heartbeat lateness max", max(late), "ms", 50),
    ]


# ----- 10M, synthetic ----------------------------------------------------------------------------
def synthetic_columns(lo: int, hi: int, total: int) -> np.ndarray:
    """Rows lo..hi-1 of a plausible run (epoch, loss, w, b, lr, w_grad, b_grad)."""
    e = np.arange(lo, hi, dtype=np.float64)
    decay = np.exp(-e / (total / 8))
    rows = np.empty((hi - lo, 7))
    rows[:, 0] = e
    rows[:, 1] = 0.02 + 2.0 * decay + 0.01 * np.abs(np.sin(e / 997.0))
    rows[:, 2] = 2.0 - decay
    rows[:, 3] = 1.0 + 0.5 * decay
    rows[:, 4] = 0.001
    rows[:, 5] = -0.5 * decay
    rows[:, 6] = -0.25 * decay
    return rows.astype(np.float32).astype(np.float64)  # float32 values, as torch's are


def checkpoint_like(config: TrainConfig) -> Checkpoint:
    """A real checkpoint of `config` (Adam's state layout), to be copied with other epochs."""
    model = Model(config, config.lr)
    for e in range(3):
        model.run_epoch(e, config.lr)
    return model.checkpoint(2)


def feed(run: Run, rows: list | np.ndarray, real: Checkpoint) -> None:
    """Records in, and the checkpoints the worker's sink sends with them (every `interval`)."""
    store = run.checkpoints
    assert store is not None
    lo = len(run.history)
    run.history.extend(rows)
    hi = len(run.history)
    e = lo + (-(lo + 1)) % store.interval  # the first epoch e >= lo with (e + 1) % interval == 0
    while e < hi:
        ckpt = dataclasses.replace(real, epoch=e)
        began = time.perf_counter()
        store.add(ckpt)  # on the GUI thread in poll(); thinning happens inside
        WORST_ADD[0] = max(WORST_ADD[0], time.perf_counter() - began)
        e += store.interval - (e + 1) % store.interval  # the interval may have doubled


def build_run(config: TrainConfig, total: int, real: Checkpoint) -> Run:
    """The run as the session would hold it after `total` of its `config.epochs` epochs."""
    run = Run(config)  # reserves its records for every epoch, as a run started by the session
    for lo in range(0, total, BLOCK):
        feed(run, synthetic_columns(lo, min(lo + BLOCK, total), total), real)
    return run


def live_ticks(app: QtWidgets.QApplication, lab: TrainingLab, run: Run, ticks: int,
               real: Checkpoint) -> list[float]:
    """ms per tick: LIVE_ROWS records arrive (as poll does), the lab redraws, Qt paints."""
    session = lab.session
    n = len(run.history)
    rows = [tuple(r) for r in synthetic_columns(n, n + LIVE_ROWS * ticks, n + LIVE_ROWS * ticks)
            .tolist()]
    times = []
    for t in range(ticks):
        batch = rows[t * LIVE_ROWS:(t + 1) * LIVE_ROWS]
        began = time.perf_counter()
        first = len(run.history)
        feed(run, batch, real)
        session.events.records_arrived.emit(run, first)
        lab._redraw()
        settle(app)
        times.append((time.perf_counter() - began) * 1000)
    return times


def curve_redraw_ms(app: QtWidgets.QApplication, lab: TrainingLab, run: Run) -> float:
    """The loss curve alone: set_current + a full paint into an image, median of 7."""
    plot = lab.loss_plot
    image = QtGui.QImage(plot.size(), QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    h = run.history
    times = []
    for _ in range(7):
        began = time.perf_counter()
        plot.set_current(h.column("epoch"), h.column("loss"))
        painter = QtGui.QPainter(image)
        plot.render(painter)
        painter.end()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def plot_bytes(lab: TrainingLab, history: RunHistory) -> int:
    """Bytes of the arrays the plots hold that are not views of the run's records."""
    records = history.column("epoch").base
    seen: dict[int, int] = {}
    items: list[object] = [lab.loss_plot._reducer, lab.lr_plot._reducer]
    for plot in (lab.loss_plot, lab.lr_plot, lab.landscape_plot, lab.data_plot):
        for item in plot.getPlotItem().listDataItems():
            items += [item, getattr(item, "curve", None), getattr(item, "scatter", None)]
            for name in ("_dataset", "_datasetMapped", "_datasetDisplay"):
                items.append(getattr(item, name, None))
    for obj in items:
        for value in vars(obj).values() if obj is not None else ():
            for array in value if isinstance(value, tuple) else (value,):
                if isinstance(array, np.ndarray) and not np.shares_memory(array, records):
                    base = array if array.base is None else array.base
                    seen[id(base)] = getattr(base, "nbytes", array.nbytes)
    return sum(seen.values())


def live_run(app: QtWidgets.QApplication, epochs: int) -> tuple[TrainingLab, Run, Checkpoint]:
    """A shown lab whose current run holds `epochs` epochs and is still going."""
    config = TrainConfig(optimizer="Adam", epochs=epochs + LIVE_ROWS * 40)
    session = TrainingSession(config, speed=None)
    lab = shown_lab(app, session)
    real = checkpoint_like(config)
    run = build_run(config, epochs, real)  # still going: the live ticks add to it
    session.current = run
    lab._on_run_started(run)  # the plots as a run starts: x over its epochs, reducers reset
    return lab, run, real


def reference_ticks(app: QtWidgets.QApplication, epochs: int) -> list[float]:
    """The same live ticks on a short run: what a redraw costs when nothing is long."""
    lab, run, real = live_run(app, epochs)
    lab._redraw(everything=True)
    settle(app)
    ticks = live_ticks(app, lab, run, 30, real)
    lab.close()
    lab.deleteLater()
    return ticks


def ten_million(app: QtWidgets.QApplication, epochs: int, samples: int, seed: int) -> list[dict]:
    print(f"10M (synthetic, see the doc): Adam on the notebook's data, {epochs:,} epochs")
    short = reference_ticks(app, 10_000)
    rss0 = rss()
    began = time.perf_counter()
    lab, run, real = live_run(app, epochs)
    session = lab.session
    print(f"  built in {time.perf_counter() - began:.1f} s; slowest checkpoint add (on the GUI "
          f"thread in use) {WORST_ADD[0] * 1000:.0f} ms")
    began = time.perf_counter()
    lab._redraw(everything=True)  # the reducers catch up once, as during the run
    settle(app)
    print(f"  first redraw (reducers catch up on {epochs:,} epochs): "
          f"{(time.perf_counter() - began) * 1000:.0f} ms")
    cpu = time.thread_time()
    ticks = live_ticks(app, lab, run, 30, real)
    cpu = (time.thread_time() - cpu) * 1000 / 30
    curve_ms = curve_redraw_ms(app, lab, run)
    curve_points = len(lab.loss_plot.current.shown()[0])
    path_points = len(lab.landscape_plot.path.getData()[0])
    print(f"  live tick (200 rows in, redraw, paint): p50 {percentile(ticks, 50):.1f} ms, "
          f"p99 {percentile(ticks, 99):.1f} ms, max {max(ticks):.1f} ms, {cpu:.1f} ms CPU "
          f"(10,000-epoch run: p50 {percentile(short, 50):.1f} ms, p99 "
          f"{percentile(short, 99):.1f} ms); loss curve alone {curve_ms:.2f} ms from "
          f"{curve_points:,} points; path from {path_points:,} points")

    run.end = RunEnd("completed", f"Trained {len(run.history)} epochs.")
    session.events.run_ended.emit(run)  # the lab and the timeline settle as at a run's end
    settle(app)
    slider = lab.timeline.slider
    n = len(run.history)
    assert slider.maximum() == n - 1 and slider.isEnabled(), (slider.maximum(), n)
    rng = random.Random(seed)
    rewind, show = [], []
    h = run.history
    for k in [rng.randrange(n - 1) for _ in range(samples)]:
        t0 = time.perf_counter()
        slider.setValue(k)
        settle(app)
        t1 = time.perf_counter()
        run.state_after(k)
        t2 = time.perf_counter()
        show.append((t1 - t0) * 1000)
        rewind.append((t2 - t0) * 1000)
        readout = session.readout()
        assert readout is not None and readout.epoch == k and readout.w == float(
            h.column("w")[k]) and readout.loss == float(h.column("loss")[k])
    print(f"  rewind over {samples} epochs: slider + paint p99 {percentile(show, 99):.1f} ms; "
          f"+ exact state p50 {percentile(rewind, 50):.1f} ms, p99 {percentile(rewind, 99):.1f} "
          f"ms, max {max(rewind):.1f} ms (checkpoints every {run.checkpoints.interval} epochs)")

    store = run.checkpoints.upto(n)  # a copy: thinned as the store would be past ~10.8M epochs
    began = time.perf_counter()
    store._thin()
    thin_ms = (time.perf_counter() - began) * 1000
    print(f"  thinning the store once ({len(run.checkpoints):,} checkpoints, on the GUI thread "
          f"in use): {thin_ms:.0f} ms")
    del store

    records = h.nbytes / MIB
    ckpts = run.checkpoints.nbytes / MIB
    plots = plot_bytes(lab, h) / MIB
    grown = (rss() - rss0) / MIB
    total = records + ckpts + plots
    print(f"  memory: records {records:.1f} MiB + checkpoints {ckpts:.1f} MiB "
          f"({len(run.checkpoints):,} kept) + plots {plots:.2f} MiB = {total:.1f} MiB "
          f"({total * MIB / n:.1f} bytes per epoch); process RSS grew {grown:.0f} MiB")
    lab.close()
    lab.deleteLater()
    return [
        at_most("10M epochs: lab tick (records in, redraw, paint) p99", percentile(ticks, 99),
                "ms", 16),
        figure("10M epochs: lab tick max", max(ticks), "ms", "", None),
        figure("lab tick p99, 10,000-epoch run (reference)", percentile(short, 99), "ms", "",
               None),
        at_most("10M epochs: loss curve redraw", curve_ms, "ms", 16),
        at_most("10M epochs: landscape path points drawn", path_points, "points",
                MAX_PATH_POINTS),
        at_most("10M epochs: rewind (slider, paint, exact state) p99", percentile(rewind, 99),
                "ms", 50),
        figure("10M epochs: rewind max", max(rewind), "ms", "", None),
        at_most("10M epochs: slowest checkpoint add", WORST_ADD[0] * 1000, "ms", 50),
        at_most("10M epochs: the checkpoint store thinning once", thin_ms, "ms", 50),
        at_most("10M epochs: records + checkpoints + plots", total, "MiB", 1024),
        figure("10M epochs: process RSS growth", grown, "MiB", "", None),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-epochs", type=int, default=200_000)
    parser.add_argument("--epochs", type=int, default=10_000_000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=23)
    args = parser.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv)
    warm_up_in_background().join()
    figures = ten_million(app, args.epochs, args.samples, args.seed)
    if args.real_epochs:
        figures = real_run(app, args.real_epochs) + figures
    emit(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
