"""A replay of the statement log (Undo, Open, Restore, a lesson's earlier steps, the repair after
a failed line), as an object another thread can run and the caller can cancel.

The workspace makes a Replay, hands it to its `replayer` and applies the state it built. The
replay builds a fresh state and touches nothing live, so the window's replayer runs it on a
worker thread behind a progress dialog (ui/window/replay_progress.py) while the command line
and the tests run it where they are (`run_here`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playground.core.language.interpreter import Env

CANCELLED = "Cancelled: the session was left as it was."


class Replay:
    """Rebuilding the state from `entries`: `done` of `total` entries have run; `cancel()`
    stops it at its next operation when it is `cancellable` (a repair after a failed line
    must finish, the old state being gone)."""

    def __init__(self, replay: Callable[[Replay], tuple[Any, Any]], entries: list[str],
                 cancellable: bool) -> None:
        self.entries = entries
        self.total = len(entries)
        self.done = 0
        self.cancellable = cancellable
        self.cancelled = False
        self.finished = False
        self.env: Env | None = None  # the state being built, once it exists
        self.state: Any = None  # the workspace's rebuilt state, once run
        self.failure: Any = None  # or why it could not be rebuilt
        self._replay = replay

    def run(self) -> None:
        """Replay every entry into a fresh state (state, or failure, is set when it returns)."""
        self.state, self.failure = self._replay(self)
        self.finished = True

    def cancel(self) -> None:
        """Ask the replay to stop (only a cancellable one that has not finished stops)."""
        if self.cancellable and not self.finished:
            self.cancelled = True
            if self.env is not None:
                self.env.cancelled = True


def run_here(replay: Replay) -> None:
    """The default replayer: run on the calling thread (the command line, tests, lessons)."""
    replay.run()
