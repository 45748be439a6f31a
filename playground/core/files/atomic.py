"""Atomic file writes: every file the app writes goes through here.

A save writes a temporary file in the target's own folder, flushes it to disk, then renames it
over the target (`os.replace` is atomic on one file system). A full disk, a quota or a crash
therefore leaves either the old file or the new one, never a truncated mix.

A rename would also replace things a plain write never could, so the target is checked first
(`check_target`): an existing target must be a regular file the user may write (a character
device, a FIFO or a read-only file is refused, not replaced), and must not be one of the files
being read to make it (same path or same inode: exporting a session over itself). A symlink
named as the target is the user's explicit choice: the file it points to is written and the
link kept. Temporary names are short (`.gp-<pid>-<random>.tmp<suffix>`), so any legal target
name works, and carry the writer's process id, so the temporaries a killed save left behind
can be found and removed (`stale_temporaries`).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

TEMP_PREFIX = ".gp-"
_TEMP_NAME = re.compile(r"\.gp-(\d+)-[A-Za-z0-9_]{1,16}\.tmp[^/]{0,16}\Z")
_MAX_KEPT_SUFFIX = 16  # writers that choose a format by suffix need ".png", not a long tail


class TargetRefused(OSError):
    """A target that must not be replaced; the text names it and says why."""


def check_target(path: str | Path, inputs: Iterable[str | Path] = ()) -> Path:
    """The file a write to `path` really replaces (a symlink's target); TargetRefused if it
    must not be: not a regular file, read-only, a folder, or the same file as one of `inputs`."""
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))  # explicit: write through it, keep the link
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise TargetRefused(f"Could not write {path}: {exc.strerror or exc}") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise TargetRefused(f"Could not write {path}: it is a folder; give a file name.")
        if not stat.S_ISREG(info.st_mode):
            raise TargetRefused(f"Could not write {path}: it is not a regular file (a device "
                                f"or a pipe), so it is left alone.")
        # Mode bits too: root may write anywhere, but a file made read-only says "keep me".
        if not (info.st_mode & 0o222) or not os.access(target, os.W_OK):
            raise TargetRefused(f"Could not write {path}: it is read-only, so it is left as "
                                f"it was.")
        for source in inputs:
            try:
                same = os.path.samefile(source, target)  # by inode: hard links and links too
            except OSError:
                same = False
            if same:
                raise TargetRefused(f"Could not write {path}: it is {source}, the file being "
                                    f"read; choose another name.")
    return target


def temporary_name(target: Path) -> tuple[str, str]:
    """(prefix, suffix) for mkstemp: short whatever the target's name, the pid inside."""
    suffix = target.suffix if len(target.suffix) <= _MAX_KEPT_SUFFIX else ""
    return f"{TEMP_PREFIX}{os.getpid()}-", f".tmp{suffix}"


def is_temporary(name: str) -> bool:
    """True for a name atomic_path gives its temporaries."""
    return _TEMP_NAME.match(name) is not None


def stale_temporaries(folder: str | Path, alive: Callable[[int], bool]) -> list[Path]:
    """Temporaries in `folder` left by a save whose process is gone (`alive(pid)` is False)."""
    found = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            match = _TEMP_NAME.match(entry.name)
            if match and entry.is_file(follow_symlinks=False):
                pid = int(match.group(1))
                if pid != os.getpid() and not alive(pid):
                    found.append(Path(entry.path))
    return found


@contextlib.contextmanager
def atomic_path(path: str | Path, inputs: Iterable[str | Path] = ()) -> Iterator[Path]:
    """Yield a temporary path beside `path`; if the body succeeds it becomes `path` atomically.

    For writers that want a file name rather than a handle (pyqtgraph's exporters, QPixmap).
    The temporary keeps `path`'s suffix so such writers pick the same format. `inputs` are
    files the content is made from, which the write must never replace.
    """
    target = check_target(path, inputs)
    prefix, suffix = temporary_name(target)
    fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if not tmp.exists():  # a writer that reports success without writing anything
            raise OSError(f"Nothing was written for {path}")
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


def write_with(path: str | Path, write: Callable[[IO[str]], None], *, newline: str | None = None,
               inputs: Iterable[str | Path] = ()) -> None:
    """Atomically write text that `write(handle)` produces (UTF-8)."""
    with atomic_path(path, inputs) as tmp, open(tmp, "w", encoding="utf-8",
                                                 newline=newline) as handle:
        write(handle)


def write_text(path: str | Path, text: str, inputs: Iterable[str | Path] = ()) -> None:
    """Atomically replace `path` with `text` (UTF-8); OSError says why it could not."""
    write_with(path, lambda handle: handle.write(text), inputs=inputs)


def write_bytes(path: str | Path, data: bytes, inputs: Iterable[str | Path] = ()) -> None:
    """Atomically replace `path` with `data`; OSError says why it could not."""
    with atomic_path(path, inputs) as tmp:
        tmp.write_bytes(data)
