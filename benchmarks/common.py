"""What every benchmark shares: the figure format `run_all.py` collects, and the GUI heartbeat.

A benchmark prints its own detail, then one line `FIGURES [...]`: a JSON list of
{"name", "value", "unit", "target", "met"} objects (see `figure`), which run_all.py gathers into
one table, benchmarks/results/latest.json and docs/performance.md.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

HEARTBEAT_MS = 10


def figure(name: str, value: float, unit: str, target: str, met: bool | None) -> dict[str, Any]:
    """One measured figure; `target` is text such as "<= 16" or ">= 0.9", `met` None = no target."""
    value = float(value)
    return {"name": name, "value": round(value, 3) if math.isfinite(value) else None,
            "unit": unit, "target": target, "met": met}


def at_most(name: str, value: float, unit: str, limit: float) -> dict[str, Any]:
    return figure(name, value, unit, f"<= {limit:g}", bool(value <= limit))


def at_least(name: str, value: float, unit: str, limit: float) -> dict[str, Any]:
    return figure(name, value, unit, f">= {limit:g}", bool(value >= limit))


def emit(figures: list[dict[str, Any]]) -> None:
    """The line run_all.py reads."""
    print("FIGURES " + json.dumps(figures), flush=True)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank), 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank]


def make_heartbeat():
    """A 10 ms PreciseTimer on the GUI thread recording how late each tick fires, in ms."""
    from PySide6 import QtCore

    class Heartbeat(QtCore.QObject):
        def __init__(self) -> None:
            super().__init__()
            self.timer = QtCore.QTimer(self)
            self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
            self.timer.setInterval(HEARTBEAT_MS)
            self.timer.timeout.connect(self.tick)
            self.late_ms: list[float] = []
            self._last = 0.0

        def start(self) -> None:
            self._last = time.perf_counter()
            self.timer.start()

        def stop(self) -> None:
            self.timer.stop()

        @QtCore.Slot()
        def tick(self) -> None:
            now = time.perf_counter()
            self.late_ms.append(max(0.0, (now - self._last) * 1000.0 - HEARTBEAT_MS))
            self._last = now

    return Heartbeat()
