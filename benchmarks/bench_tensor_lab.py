"""Tensor Lab benchmark: what selecting a row and running a statement cost with big tensors.

Measures, on a TensorLab shown offscreen (painting included, via processEvents):
  1. selecting a row while three 9-million-element tensors are named (1-D, then 3000x3000; one
     of them with a .grad of the same size), median over every row clicked several times;
  2. a statement making a 1000x1000 tensor (and 3000x3000, and 9M 1-D) with the inspector
     refreshed, against torch alone making the same tensor: the lab's overhead beyond torch.
Prints a table, one JSON line and the FIGURES line run_all.py collects. Run:
`QT_QPA_PLATFORM=offscreen python benchmarks/bench_tensor_lab.py`. Targets: selection < 20 ms,
a 1000x1000 statement with the inspector refreshed <= 50 ms beyond torch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch  # noqa: E402
from common import at_most, emit  # noqa: E402
from PySide6 import QtCore, QtWidgets  # noqa: E402

BIG = 9_000_000


def make_lab():
    from playground.core.tensorlab.workspace import Workspace
    from playground.ui.tensor.lab import TensorLab

    lab = TensorLab(Workspace())
    lab.resize(1280, 720)
    lab.show()
    settle()
    return lab


def settle() -> None:
    """Let Qt lay out and paint what changed (offscreen painting still runs)."""
    app = QtWidgets.QApplication.instance()
    for _ in range(3):
        app.processEvents()


def run(lab, source: str) -> None:
    result = lab.run_source(source)
    if not result.ok:
        raise SystemExit(f"{source}: {result.messages}")


class Clock:
    """Wall and CPU time of one measured block, in ms: CPU time is what this process spent,
    so it stays meaningful when other processes share the two cores."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self) -> Clock:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall.append((time.perf_counter() - self._wall) * 1000)
        self.cpu.append((time.process_time() - self._cpu) * 1000)


def select_ms(lab, shape: str, repeats: int) -> Clock:
    """Milliseconds to click each row (current changes, inspector and plot redraw, paint)."""
    from playground.ui.tensor.lab import TensorLab

    assert isinstance(lab, TensorLab)
    lab.workspace.reset()
    run(lab, f"a = torch.ones({shape}, requires_grad=True)")
    run(lab, "s = a.sum()")
    run(lab, "s.backward()")
    run(lab, f"b = torch.ones({shape})")
    run(lab, f"c = torch.rand({shape})")
    settle()
    view = lab.tensor_list
    model = view.model()
    rows = [model.row_of(n) for n in ("a", "b", "c", "s")]
    clock = Clock()
    for _ in range(repeats):
        for row in rows:
            with clock:
                view.setCurrentIndex(model.index(row, 0))  # what a click on the row does
                settle()
    return clock


def statement_ms(lab, shape: str, repeats: int) -> tuple[Clock, Clock]:
    """(lab, torch alone) for `t = torch.ones(shape)` with the inspector showing t."""
    lab.workspace.reset()
    settle()
    in_lab, alone = Clock(), Clock()
    for _ in range(repeats):
        with alone:
            torch.ones(*eval_shape(shape))
        with in_lab:
            run(lab, f"t = torch.ones({shape})")
            settle()
    return in_lab, alone


def eval_shape(shape: str) -> tuple[int, ...]:
    return tuple(int(part) for part in shape.split(","))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv)
    lab = make_lab()
    results: dict[str, float] = {}
    rows = []
    for label, shape in (("1-D 9M", str(BIG)), ("3000x3000", "3000, 3000")):
        clock = select_ms(lab, shape, args.repeats)
        key = f"select_{label.replace(' ', '_').replace('-', '')}"
        results[f"{key}_median_ms"] = statistics.median(clock.wall)
        results[f"{key}_max_ms"] = max(clock.wall)
        results[f"{key}_cpu_median_ms"] = statistics.median(clock.cpu)
        rows.append((f"select a row, three {label} tensors", statistics.median(clock.wall),
                     max(clock.wall), statistics.median(clock.cpu), 20.0))
    for label, shape in (("1000x1000", "1000, 1000"), ("3000x3000", "3000, 3000"),
                         ("1-D 9M", str(BIG))):
        in_lab, alone = statement_ms(lab, shape, args.repeats)
        over = [a - b for a, b in zip(in_lab.wall, alone.wall, strict=True)]
        over_cpu = [a - b for a, b in zip(in_lab.cpu, alone.cpu, strict=True)]
        key = f"statement_{label.replace(' ', '_').replace('-', '')}"
        results[f"{key}_lab_median_ms"] = statistics.median(in_lab.wall)
        results[f"{key}_torch_median_ms"] = statistics.median(alone.wall)
        results[f"{key}_overhead_median_ms"] = statistics.median(over)
        results[f"{key}_overhead_cpu_median_ms"] = statistics.median(over_cpu)
        rows.append((f"statement t = torch.ones({shape}) beyond torch", statistics.median(over),
                     max(over), statistics.median(over_cpu), 50.0))
    print(f"Tensor Lab benchmark  (python {platform.python_version()}, torch {torch.__version__},"
          f" {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    print(f"{'measure':56} {'median ms':>9} {'max ms':>7} {'cpu ms':>7} {'target':>6}")
    for name, median, worst, cpu, target in rows:
        print(f"{name:56} {median:9.1f} {worst:7.1f} {cpu:7.1f} {target:6.0f}")
    print(json.dumps({k: round(v, 2) for k, v in results.items()}))
    emit([
        at_most("Tensor Lab: t = torch.ones(1000, 1000), inspector refreshed, beyond torch",
                results["statement_1000x1000_overhead_median_ms"], "ms", 50),
        at_most("Tensor Lab: t = torch.ones(3000, 3000), beyond torch",
                results["statement_3000x3000_overhead_median_ms"], "ms", 50),
        at_most("Tensor Lab: select a row among three 3000x3000 tensors",
                results["select_3000x3000_median_ms"], "ms", 20),
    ])
    lab.close()
    QtCore.QCoreApplication.processEvents()


if __name__ == "__main__":
    main()
