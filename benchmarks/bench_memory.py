"""Memory and threads benchmark: does repeating what a class does all lesson leak?

Three loops, each on real widgets shown offscreen, RSS (VmRSS) and threads (OS threads, from
/proc/self/status) taken after a warm-up round and again at the end, both after gc.collect():
  training     200 start/stop cycles of a Full-speed TrainingLab run (Start, a few epochs, Stop,
               wait for the run to end);
  statements   5,000 statements typed into the Tensor Lab's statement line (Return), cycling
               through creating, deriving and overwriting small tensors;
  backward     50 clicks on Backward (retain_graph checked) for s = (big * 2).sum() with big a
               1,000,000-element leaf: the grads accumulate in one 4 MB tensor.
Targets: RSS growth <= 10 MiB for training and backward, thread count back to its
baseline; statements must stay bounded: the statement log and its undo history grow with
every statement, so the figure is the growth per statement.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from common import at_most, emit, figure  # noqa: E402
from PySide6 import QtCore, QtTest, QtWidgets  # noqa: E402

MIB = 1024 * 1024


def status(field: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def snapshot(app: QtWidgets.QApplication) -> tuple[float, int]:
    """(RSS in bytes, OS threads) once pending deletes and garbage are gone."""
    for _ in range(3):
        app.processEvents()
        QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    gc.collect()
    return status("VmRSS") * 1024.0, status("Threads")


def spin_until(app: QtWidgets.QApplication, done, timeout_s: float = 10.0) -> bool:
    end = time.perf_counter() + timeout_s
    while time.perf_counter() < end:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)
        if done():
            return True
    return False


def training_cycles(app: QtWidgets.QApplication, cycles: int) -> tuple[float, int, int]:
    from playground.core.training.session import TrainingSession
    from playground.ui.training.lab import TrainingLab

    session = TrainingSession(speed=None)
    lab = TrainingLab(session)
    lab.resize(1280, 800)
    lab.show()
    lab.controls.epochs_spin.setValue(1_000_000)

    def cycle() -> None:
        lab.start()
        spin_until(app, lambda: len(lab.history) >= 20)
        lab.stop()
        if not spin_until(app, lambda: not session.is_running()):
            raise SystemExit("a stopped run did not end")

    for _ in range(5):  # warm-up: first-run imports, plot buffers, the earlier-runs list fills
        cycle()
    rss0, threads0 = snapshot(app)
    for _ in range(cycles):
        cycle()
    rss1, threads1 = snapshot(app)
    lab.shutdown()
    lab.close()
    return rss1 - rss0, threads0, threads1


def statements(app: QtWidgets.QApplication, count: int) -> tuple[float, int, int]:
    from playground.core.tensorlab.workspace import Workspace
    from playground.ui.tensor.lab import TensorLab

    lab = TensorLab(Workspace())
    lab.resize(1280, 720)
    lab.show()
    edit = lab.findChild(QtWidgets.QLineEdit, "statementEdit")
    cycle = ["a = torch.randn(4, 3, requires_grad=True)", "b = a * 2 + 1", "c = b.sum()",
             "c.backward()", "d = a.detach()", "a.grad.zero_()", "e = torch.ones(8) * 3",
             "f = e.mean()"]

    def run(n: int, offset: int) -> None:
        for i in range(n):
            edit.setText(cycle[(i + offset) % len(cycle)])
            QtTest.QTest.keyClick(edit, QtCore.Qt.Key.Key_Return)
            if i % 25 == 0:
                app.processEvents()

    run(200, 0)
    rss0, threads0 = snapshot(app)
    run(count, 200)
    rss1, threads1 = snapshot(app)
    logged = len(lab.workspace.log)
    lab.close()
    print(f"  statement log holds {logged} entries after {count + 200} typed", flush=True)
    return rss1 - rss0, threads0, threads1


def backward_clicks(app: QtWidgets.QApplication, clicks: int) -> tuple[float, int, int]:
    from playground.core.tensorlab.workspace import Workspace
    from playground.ui.tensor.lab import TensorLab

    lab = TensorLab(Workspace())
    lab.resize(1280, 720)
    lab.show()
    for source in ("big = torch.randn(1000000, requires_grad=True)", "s = (big * 2).sum()"):
        result = lab.run_source(source)
        assert result.ok, result.messages
    lab.workspace.current = "s"
    lab.findChild(QtWidgets.QCheckBox, "retainGraphCheck").setChecked(True)
    button = lab.findChild(QtWidgets.QPushButton, "backwardButton")

    def click(n: int) -> None:
        for _ in range(n):
            button.click()
            app.processEvents()

    click(3)
    rss0, threads0 = snapshot(app)
    click(clicks)
    rss1, threads1 = snapshot(app)
    grad = lab.workspace.tensor("big").grad
    assert grad is not None and float(grad[0]) == 2.0 * (clicks + 3), "backward did not run"
    lab.close()
    return rss1 - rss0, threads0, threads1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--statements", type=int, default=5000)
    parser.add_argument("--clicks", type=int, default=50)
    args = parser.parse_args(argv)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    figures = []
    for label, run, n in (("training start/stop", training_cycles, args.cycles),
                          ("statements", statements, args.statements),
                          ("backward clicks, 1M leaf", backward_clicks, args.clicks)):
        began = time.perf_counter()
        grown, threads0, threads1 = run(app, n)
        print(f"  {label:26} x{n:<5} RSS {grown / MIB:+7.2f} MiB   threads {threads0} -> "
              f"{threads1}   ({time.perf_counter() - began:.1f} s)", flush=True)
        if label == "statements":
            figures.append(figure(f"memory: {n} statements, RSS growth per statement",
                                  grown / n / 1024, "KiB", "bounded (reported)", None))
            figures.append(at_most(f"memory: {n} statements, RSS growth", grown / MIB, "MiB",
                                   10))
        else:
            figures.append(at_most(f"memory: {n} {label}, RSS growth", grown / MIB, "MiB", 10))
        figures.append(at_most(f"threads after {label} (above baseline)", threads1 - threads0,
                               "threads", 0))
    emit(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
