"""Where the GUI thread's time goes during a Full-speed Training Lab run (cProfile).

Not part of `make bench`: the tool behind the explanations in docs/performance.md. cProfile
sees only the thread it is enabled on, here the GUI thread, so the listing is what delays the
heartbeat (and, through the GIL, the worker). It counts the thread's CPU time
(time.thread_time), not wall time: waiting for the GIL or for the next event is left out, so
the figures hold on a loaded machine. Prints the top functions by cumulative and by own time,
the GUI thread's CPU share of the run, and its CPU per epoch next to the run's own.
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/profile_training_gui.py [--noisy]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench_training import new_lab  # noqa: E402
from PySide6 import QtCore, QtWidgets  # noqa: E402

from playground.core.training.config import TrainConfig  # noqa: E402
from playground.core.training.datasets import noisy_line  # noqa: E402
from playground.core.training.worker import warm_up_in_background  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noisy", action="store_true", help="10,000-point line, batch 100")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    warm_up_in_background().join()
    config = (TrainConfig(dataset=noisy_line(10_000, seed=0), batch_size=100, epochs=30)
              if args.noisy else TrainConfig(epochs=10_000))
    lab = new_lab(app, config)
    loop = QtCore.QEventLoop()
    lab.runFinished.connect(lambda _status: loop.quit())
    profile = cProfile.Profile(time.thread_time)
    wall, cpu = time.perf_counter(), time.thread_time()
    profile.enable()
    lab.start()
    loop.exec()
    profile.disable()
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    epochs = len(lab.history)
    print(f"run {wall:.2f} s, {epochs} epochs, GUI thread CPU {cpu:.3f} s ({100 * cpu / wall:.1f}% "
          f"of the run, {1e6 * cpu / max(epochs, 1):.1f} us per epoch)")
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(key).print_stats(args.top)
        print(out.getvalue())
    lab.shutdown()
    lab.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
