"""How often a live run is redrawn: on a budget of the GUI thread's time.

Every GUI-thread millisecond (Python, and PySide's C++ calls too) holds the GIL the worker
needs, so a live run gets a budget: the redraw interval stretches until redrawing takes at most
REDRAW_BUDGET of the wall time, between 60 Hz and 10 Hz (the curve must still visibly grow).
At Full speed the point is the training's own speed: the budget is FULL_SPEED_BUDGET and the
floor 5 Hz (a curve still visibly growing, a fifth of a second at a time).
docs/performance.md has the measurements.
"""

from __future__ import annotations

import time

REDRAW_BUDGET = 0.08
FULL_SPEED_BUDGET = 0.02
MIN_REDRAW_INTERVAL_MS = 16
MAX_REDRAW_INTERVAL_MS = 100
FULL_SPEED_MAX_INTERVAL_MS = 200
REDRAW_INTERVAL_MS = 50  # the first tick of a run, before any frame has been measured


class FramePacer:
    """The smoothed cost of a redraw, and the interval to the next one it allows."""

    def __init__(self) -> None:
        self.frame_cost = 0.0  # smoothed GUI-thread CPU seconds per redraw, paint included
        self._cpu_mark = 0.0  # time.thread_time() at the previous redraw

    def start(self) -> None:
        """A run starts: forget the last run's costs."""
        self.frame_cost = 0.0
        self._cpu_mark = time.thread_time()

    def measure(self, *, first: bool) -> None:
        """Fold the GUI thread's CPU time since the last redraw into the frame cost.

        That span holds the previous redraw's Python work and the paint it caused (which runs
        later, in the event loop), so it is what a redraw really costs; thread time leaves out
        the waits for the GIL and the idle event loop. The `first` span is the run's start-up,
        not a redraw.
        """
        now = time.thread_time()
        spent, self._cpu_mark = now - self._cpu_mark, now
        if not first:
            self.frame_cost = spent if not self.frame_cost else (
                0.7 * self.frame_cost + 0.3 * spent)

    def next_interval_ms(self, full_speed: bool = False) -> int:
        """The wait before the next redraw: its measured cost over the budget, within the
        rates allowed (Full speed: a smaller budget and a lower floor)."""
        budget = FULL_SPEED_BUDGET if full_speed else REDRAW_BUDGET
        longest = FULL_SPEED_MAX_INTERVAL_MS if full_speed else MAX_REDRAW_INTERVAL_MS
        budgeted = 1000.0 * self.frame_cost / budget
        return int(min(max(budgeted, MIN_REDRAW_INTERVAL_MS), longest))
