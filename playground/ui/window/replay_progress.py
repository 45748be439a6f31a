"""Long replays of the Tensor Lab's log off the GUI thread, with a progress bar and Cancel.

Undo, Open, Restore Previous Session, a lesson step and the repair after a failed line all
rebuild the workspace by replaying its log; each entry is within the one-line budget, but
twenty heavy entries take seconds. The workspace hands every replay to its `replayer`
(core/tensorlab/workspace.py); this one runs it on a plain thread (it builds a fresh state and
touches nothing live, and only ints and a bool cross between the threads) and waits in a local
event loop, so the window keeps painting. A replay that ends within GRACE_S is simply waited
for; a longer one shows a window-modal progress dialog (`replayProgress`, with Cancel where the
replay can stop), which also keeps every other action out until the state is applied.
"""

from __future__ import annotations

import threading
import time

from PySide6 import QtCore, QtWidgets

from playground.core.tensorlab.workspace import Replay, Workspace

# A replay shorter than this is waited for without a dialog (a click's worth of delay).
GRACE_S = 0.15
POLL_MS = 50


class ReplayProgress(QtCore.QObject):
    """The window's replayer: `install(workspace)` once; then every replay goes through `run`."""

    def __init__(self, parent: QtWidgets.QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self.dialog: QtWidgets.QProgressDialog | None = None  # while one is up (tests look)

    def install(self, workspace: Workspace) -> None:
        """Make this the workspace's replayer."""
        workspace.replayer = self.run

    def run(self, replay: Replay) -> None:
        """Run `replay` on a worker thread; return once it has finished (or was cancelled)."""
        errors: list[BaseException] = []

        def work() -> None:
            try:
                replay.run()
            except BaseException as exc:  # handed back to the GUI thread below
                errors.append(exc)

        worker = threading.Thread(target=work, name="playground-replay", daemon=True)
        worker.start()
        worker.join(GRACE_S)
        if worker.is_alive():
            self._wait_with_dialog(replay, worker)
        worker.join()
        if errors:
            raise errors[0]

    def _wait_with_dialog(self, replay: Replay, worker: threading.Thread) -> None:
        dialog = QtWidgets.QProgressDialog(
            "Replaying the Tensor Lab's statements…", "Cancel", 0, max(replay.total, 1),
            self._parent)
        dialog.setObjectName("replayProgress")
        dialog.setWindowTitle("Replaying")
        dialog.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        if not replay.cancellable:
            dialog.setCancelButton(None)
        dialog.canceled.connect(replay.cancel)
        loop = QtCore.QEventLoop()
        timer = QtCore.QTimer(self)
        timer.setInterval(POLL_MS)
        started = time.perf_counter()

        def poll() -> None:
            if not worker.is_alive():
                loop.quit()
                return
            dialog.setValue(min(replay.done, replay.total))
            dialog.setLabelText(f"Replaying the Tensor Lab's statements: entry {replay.done + 1} "
                                f"of {replay.total} ({time.perf_counter() - started:.0f} s)…")

        timer.timeout.connect(poll)
        self.dialog = dialog
        dialog.show()
        timer.start()
        loop.exec()
        timer.stop()
        self.dialog = None
        dialog.canceled.disconnect(replay.cancel)  # closing a QProgressDialog emits canceled
        dialog.close()
        dialog.deleteLater()
