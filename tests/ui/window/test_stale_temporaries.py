"""A save killed mid-write leaves its temporary beside the autosave; the next start removes it.

The temporary is made by a child process that kills itself inside `atomic_path` (as a SIGKILL
during a save would), so the name tested is the name the app really writes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from playground.core.files import atomic

KILLED_SAVE = """
import os, signal, sys
from playground.core.files import atomic
with atomic.atomic_path(sys.argv[1]) as tmp:
    tmp.write_bytes(b"x" * 100_000)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def _killed_save(target: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(target)], timeout=120,
                          check=False)
    assert proc.returncode == -9


def test_temporaries_of_killed_saves_are_removed_at_the_next_start(
        playground_window, tmp_path: Path) -> None:
    folder = tmp_path / "autosave"
    folder.mkdir()
    _killed_save(folder / "autosave-1-0.gradplay.json")
    _killed_save(folder / "autosave-2-0.gradplay.json")
    left = sorted(p.name for p in folder.iterdir())
    assert len(left) == 2 and all(atomic.is_temporary(name) for name in left), left
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True, timeout=60)
    older = f".autosave-{int(dead.stdout)}-0.gradplay.json.k3j2h1.tmp.json"  # earlier naming
    (folder / older).write_text("{}")
    mine = f"{atomic.TEMP_PREFIX}{os.getpid()}-abc123.tmp.json"  # a save still going
    alive = f"{atomic.TEMP_PREFIX}1-abc123.tmp.json"  # pid 1 always runs
    for name in (mine, alive, "notes.tmp.json"):
        (folder / name).write_text("{}")

    playground_window(autosave_dir=folder, show=False)

    assert sorted(p.name for p in folder.iterdir()) == sorted([mine, alive, "notes.tmp.json"])
