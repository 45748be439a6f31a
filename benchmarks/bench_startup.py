"""Start-up benchmark: process start to main window shown, against the import floor, paired.

Each repeat starts two child processes one after the other (QT_QPA_PLATFORM=offscreen):
  floor    `python -c "import torch, PySide6.QtWidgets, pyqtgraph"`: exec to the imports done;
  launch   `python -m playground`'s main() with a probe: exec to the main window's first paint
           (not a splash), then to `labs_ready` (the statement line takes a statement and Start
           starts a run), with a 10 ms heartbeat on the GUI thread from the first paint on: its
           worst lateness before `labs_ready` (does anything freeze while torch loads and the
           labs are built?) and after it, for AFTER seconds and at least until the Network Lab
           is built and 1 s more (what loads later must not freeze the window either).
Times are taken with time.monotonic(), which is system-wide on Linux, from just before the
child is started. The figure is the median of the paired ratios launch / floor.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from common import at_most, emit, figure

AFTER = 3.0  # seconds of heartbeat after labs_ready

PROBE = r"""
import json, sys, time
AFTER = float(sys.argv[1])
from PySide6 import QtCore, QtWidgets
app = QtWidgets.QApplication(sys.argv[:1])
out = {}
late = []
last = [0.0]

def tick():
    now = time.monotonic()
    late.append(max(0.0, (now - last[0]) * 1000 - 10))
    last[0] = now

beat = QtCore.QTimer()
beat.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
beat.setInterval(10)
beat.timeout.connect(tick)

class Watch(QtCore.QObject):
    def eventFilter(self, obj, event):
        if (event.type() == QtCore.QEvent.Type.Paint and obj.objectName() == "mainWindow"
                and "shown" not in out):
            out["shown"] = time.monotonic()
            out["torch_at_shown"] = "torch" in sys.modules
            last[0] = time.monotonic()
            beat.start()
            # A Python filter on every event of the app would slow the launch it measures.
            QtCore.QTimer.singleShot(0, lambda: app.removeEventFilter(self))
        return False

watch = Watch()
app.installEventFilter(watch)

def after(win):
    beat.stop()
    out["after_max"] = max(late[out["late_ticks"]:], default=0.0)
    out["after_ticks"] = len(late) - out["late_ticks"]
    win.close()

def after_all_loaded(win):
    # The heartbeat goes on until what loads after labs_ready (the Network Lab) is in, 1 s more.
    if getattr(win, "network_lab", True) is None:
        QtCore.QTimer.singleShot(20, lambda: after_all_loaded(win))
    else:
        QtCore.QTimer.singleShot(1000, lambda: after(win))

def poll():
    wins = [w for w in app.topLevelWidgets() if w.objectName() == "mainWindow"]
    if wins and wins[0].labs_ready:
        out["ready"] = time.monotonic()
        tick()  # the lateness up to this moment counts as before ready
        out["late_max"] = max(late, default=0.0)
        out["late_ticks"] = len(late)
        QtCore.QTimer.singleShot(int(AFTER * 1000), lambda: after_all_loaded(wins[0]))
    else:
        QtCore.QTimer.singleShot(2, poll)

QtCore.QTimer.singleShot(0, poll)
from playground.__main__ import main
main([])
print("PROBE " + json.dumps(out), flush=True)
"""


def child(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    began = time.monotonic()
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=300, check=True)
    return began, done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--after", type=float, default=AFTER,
                        help="seconds of heartbeat after labs_ready (default %(default)s)")
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="bench-startup-")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": folder,
           "XDG_DATA_HOME": folder}
    child(["-c", "import torch, PySide6.QtWidgets, pyqtgraph"], env)  # warm the file cache
    ratios, usable, shown, floors, ready, stalls, later = [], [], [], [], [], [], []
    for _ in range(args.repeat):
        began, out = child(["-c", "import time, torch, PySide6.QtWidgets, pyqtgraph; "
                                  "print('DONE', time.monotonic())"], env)
        floor = float(out.split("DONE")[1]) - began
        began, out = child(["-c", PROBE, str(args.after)], env)
        probe = json.loads(out.split("PROBE ", 1)[1])
        assert probe["torch_at_shown"] is False, "torch was imported before the window showed"
        to_shown, to_ready = probe["shown"] - began, probe["ready"] - began
        floors.append(floor)
        shown.append(to_shown)
        ready.append(to_ready)
        stalls.append(probe["late_max"])
        later.append(probe["after_max"])
        ratios.append(to_shown / floor)
        usable.append(to_ready / floor)
        print(f"  floor {floor:6.2f} s   window shown {to_shown:6.2f} s ({to_shown / floor:.2f}x)"
              f"   labs ready {to_ready:6.2f} s ({to_ready / floor:.2f}x)   worst GUI stall "
              f"before ready {probe['late_max']:.0f} ms, after {probe['after_max']:.0f} ms"
              f"   load {os.getloadavg()[0]:.1f}", flush=True)
    ratio = statistics.median(ratios)
    emit([
        at_most("start-up: window shown / import floor (median of paired)", ratio, "x", 0.6),
        figure("start-up: window shown", statistics.median(shown), "s", "", None),
        figure("start-up: import floor (torch, QtWidgets, pyqtgraph)", statistics.median(floors),
               "s", "", None),
        # Usable = the statement line takes a statement and Start starts a run (labsReady).
        at_most("start-up: usable (labs ready) / import floor (median of paired)",
                statistics.median(usable), "x", 1.2),
        figure("start-up: labs ready", statistics.median(ready), "s", "", None),
        at_most("start-up: worst GUI stall while the labs load (median of runs)",
                statistics.median(stalls), "ms", 50),
        at_most(f"start-up: worst GUI stall after labs ready (>= {args.after:g} s, until all "
                "is loaded) (median of runs)", statistics.median(later), "ms", 50),
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
