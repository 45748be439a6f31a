"""The one guarded reader of the JSON files a learner opens: session files of every version.

A file may come from someone else, so reading never trusts it: only regular files (a FIFO,
device or folder is refused without blocking), at most a given number of bytes, UTF-8 (a
byte-order mark from some editors is fine), nested at most MAX_JSON_DEPTH deep, and numbers
Python refuses to convert (a 5,000-digit integer) caught. Every failure is a one-line
ValueError naming the file, so it can go in a status bar or on stderr as it is.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from playground.core.limits import MAX_JSON_DEPTH


def read_bytes(path: Path, limit: int) -> bytes:
    """At most `limit` bytes of a regular file, without ever blocking on a FIFO or device."""
    try:
        info = os.stat(path)  # follows symlinks: a link to /dev/zero is judged by its target
    except OSError as exc:
        raise ValueError(f"Could not open {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise ValueError(f"Could not open {path}: it is {kind}.")
    if info.st_size > limit:
        raise ValueError(f"Could not open {path}: it is {info.st_size:,} bytes; a session is at "
                         f"most {limit:,}.")
    try:
        # O_NONBLOCK: if the file was swapped for a FIFO after the stat, open still returns.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ValueError(f"Could not open {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError(f"Could not open {path}: it is not a regular file.")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"Could not open {path}: it is over {limit:,} bytes.")
    return data


def json_depth(value: object) -> int:
    """How deeply lists and dicts nest in a parsed document (measured without recursion)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_json(path: Path, data: bytes) -> object:
    """UTF-8 (a BOM allowed) JSON, depth-capped; ValueError names the file."""
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark from some editors is fine
    except UnicodeDecodeError as exc:
        raise ValueError(f"Could not read {path}: it is not UTF-8 text ({exc.reason}).") from None
    too_deep = ValueError(f"Could not read {path}: its JSON is nested more than "
                          f"{MAX_JSON_DEPTH} levels deep.")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"Could not read {path}: {exc}") from None
    except RecursionError:
        raise too_deep from None
    except (ValueError, MemoryError) as exc:  # e.g. a 5,000-digit number
        raise ValueError(f"Could not read {path}: {exc or type(exc).__name__}") from None
    if json_depth(doc) > MAX_JSON_DEPTH:
        raise too_deep
    return doc

