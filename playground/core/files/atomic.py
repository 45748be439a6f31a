"""Atomic file writes: every file the app writes goes through here.

A save writes a temporary file in the target's own folder, flushes it to disk, then renames it
over the target (`os.replace` is atomic on one file system). A full disk, a quota or a crash
therefore leaves either the old file or the new one, never a truncated mix.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; if the body succeeds it becomes `path` atomically.

    For writers that want a file name rather than a handle (pyqtgraph's exporters, QPixmap).
    The temporary keeps `path`'s suffix so such writers pick the same format.
    """
    target = Path(path)
    folder = target.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{target.suffix}",
                                    dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if not tmp.exists():  # a writer that reports success without writing anything
            raise OSError(f"Nothing was written for {target}")
        _fsync(tmp)
        _keep_mode(target, tmp)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _keep_mode(target: Path, tmp: Path) -> None:
    # mkstemp creates 0600; a replaced file keeps its permissions, a new one gets the usual 0644.
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)


def write_with(path: str | Path, write: Callable[[IO[str]], None], *, newline: str | None = None
               ) -> None:
    """Atomically write text that `write(handle)` produces (UTF-8)."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline=newline) as handle:
        write(handle)


def write_text(path: str | Path, text: str) -> None:
    """Atomically replace `path` with `text` (UTF-8); OSError says why it could not."""
    write_with(path, lambda handle: handle.write(text))


def write_bytes(path: str | Path, data: bytes) -> None:
    """Atomically replace `path` with `data`; OSError says why it could not."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
