"""The one guarded reader of the JSON files a learner opens: session files and lessons.

A file may come from someone else, so reading never trusts it: only regular files (a FIFO,
device or folder is refused without blocking), at most a given number of bytes, UTF-8 (a
byte-order mark from some editors is fine), and numbers Python refuses to convert (a
5,000-digit integer) caught. Before json builds a single object, the brackets outside strings
are counted from the bytes (C-speed `re`, `bytes.translate` and numpy): nesting deeper than
MAX_JSON_DEPTH, more than MAX_JSON_CONTAINERS lists and objects, or more than
MAX_JSON_CHILDREN of them inside one, is refused in a fraction of a second instead of after
gigabytes of empty lists. While json parses, `caps` bounds how many items a list under a given
key may hold, so a million lr changes stop the parse rather than the program that follows.
Every failure is a one-line ValueError naming the file, so it can go in a status bar or on
stderr as it is.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from playground.core.limits import MAX_JSON_CHILDREN, MAX_JSON_CONTAINERS, MAX_JSON_DEPTH


class FileRefused(ValueError):
    """A file that cannot be read: `reason` says why, the text also names the file."""

    def __init__(self, verb: str, path: Path, reason: str) -> None:
        super().__init__(f"Could not {verb} {path}: {reason}")
        self.path = path
        self.reason = reason


# A JSON string (escapes included): its brackets are text, not structure.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
# Keys of capped lists are marked in the bytes only in documents of more containers than this.
_MARK_KEYS_ABOVE = 10_000
# A \uD800-\uDFFF escape that is not half of a pair (after an even run of backslashes, so
# an escaped backslash followed by "ud800" is text): json accepts it, but no file can hold it.
_LONE_SURROGATE = re.compile(
    rb"(?<!\\)(?:\\\\)*(\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})")


def read_bytes(path: Path, limit: int, kind: str = "a session") -> bytes:
    """At most `limit` bytes of a regular file, without ever blocking on a FIFO or device;
    `kind` names what such a file is in the message ("a lesson")."""
    try:
        info = os.stat(path)  # follows symlinks: a link to /dev/zero is judged by its target
    except OSError as exc:
        raise FileRefused("open", path, f"{exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise FileRefused("open", path, f"it is {what}.")
    if info.st_size > limit:
        raise FileRefused("open", path, f"it is {info.st_size:,} bytes; {kind} is at "
                         f"most {limit:,}.")
    try:
        # O_NONBLOCK: if the file was swapped for a FIFO after the stat, open still returns.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise FileRefused("open", path, f"{exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise FileRefused("open", path, "it is not a regular file.")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileRefused("open", path, f"it is over {limit:,} bytes.")
    return data


def check_structure(path: Path, data: bytes, caps: Mapping[str, int] | None = None) -> None:
    """Refuse a document nested too deep or holding too many lists and objects, from its bytes
    alone (before parsing builds any of them); invalid JSON is left for the parser to name.

    In a document of many containers, a list under a key of `caps` holding more lists or
    objects than its cap is refused here too (each such key is marked in the bytes first), so
    200,000 custom points cost a count, not a parse.
    """
    rough = data.count(b"[") + data.count(b"{")  # brackets inside strings too: an upper bound
    keys = list(caps or {})[:31] if rough > _MARK_KEYS_ABOVE else []
    marked = data
    if keys:  # a key becomes one byte (1, 2, ...) in the stream, just before its value
        marks = {key.encode(): bytes([code]) for code, key in enumerate(keys, start=1)}
        pattern = re.compile(rb'"(' + b"|".join(map(re.escape, marks)) + rb')"\s*:\s*')
        marked = pattern.sub(lambda m: marks[m.group(1)], data)
    stripped = _STRING.sub(b"", marked)
    containers = stripped.count(b"[") + stripped.count(b"{")
    if containers > MAX_JSON_CONTAINERS:
        raise FileRefused("read", path, f"it holds {containers:,} lists and objects; "
                          f"a file may hold at most {MAX_JSON_CONTAINERS:,}.")
    if not containers:
        return
    codes = np.frombuffer(stripped.translate(None, _deleted(len(keys))), dtype=np.uint8)
    opens = (codes == ord("[")) | (codes == ord("{"))
    closes = (codes == ord("]")) | (codes == ord("}"))
    depth = np.cumsum(opens.astype(np.int32) - closes, dtype=np.int32)  # after each byte
    open_depth = depth[opens]  # 1 for a top-level container
    deepest = int(open_depth.max())
    if deepest > MAX_JSON_DEPTH:
        raise FileRefused("read", path, f"its JSON is nested more than "
                          f"{MAX_JSON_DEPTH} levels deep.")
    # A container at depth k + 1 belongs to the last one opened at depth k before it.
    where = np.flatnonzero(opens)
    children = np.zeros(len(where), dtype=np.int64)
    for level in range(1, deepest):
        parent_ids = np.flatnonzero(open_depth == level)
        child_ids = np.flatnonzero(open_depth == level + 1)
        if len(parent_ids) and len(child_ids):
            owners = np.searchsorted(where[parent_ids], where[child_ids], side="right") - 1
            owners = owners[owners >= 0]
            children[parent_ids] += np.bincount(owners, minlength=len(parent_ids))
    most = int(children.max(initial=0))
    if most > MAX_JSON_CHILDREN:
        raise FileRefused("read", path, f"one of its lists holds {most:,} lists or objects; "
                          f"at most {MAX_JSON_CHILDREN:,} are read.")
    for code, key in enumerate(keys, start=1):
        after = np.flatnonzero(codes == code) + 1  # where each marked key's value starts
        found = np.searchsorted(where, after)
        valid = found < len(where)
        found, after = found[valid], after[valid]
        listed = found[where[found] == after]  # the values that are lists or objects
        if len(listed) and int(children[listed].max()) > caps[key]:
            raise FileRefused("read", path, f'its "{key}" list holds '
                              f"{int(children[listed].max()):,} items; at most "
                              f"{caps[key]:,} are read.")


def _deleted(marks: int) -> bytes:
    """Every byte but the brackets and the first `marks` key marks."""
    return bytes(b for b in range(256) if b not in b"[]{}" and not 1 <= b <= marks)


class _TooMany(ValueError):
    """A capped list was longer than its cap (raised from inside the parse)."""


def _capped(caps: Mapping[str, int]) -> Callable[[list[tuple[str, object]]], dict]:
    def hook(pairs: list[tuple[str, object]]) -> dict:
        for key, value in pairs:
            cap = caps.get(key)
            if cap is not None and isinstance(value, list) and len(value) > cap:
                raise _TooMany(f'its "{key}" list holds {len(value):,} items; at most '
                               f"{cap:,} are read")
        return dict(pairs)
    return hook


def parse_json(path: Path, data: bytes, caps: Mapping[str, int] | None = None) -> object:
    """UTF-8 (a BOM allowed) JSON, its structure bounded before it is built and the lists
    under the keys in `caps` bounded while it is; ValueError names the file."""
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark from some editors is fine
    except UnicodeDecodeError as exc:
        raise FileRefused("read", path, f"it is not UTF-8 text ({exc.reason}).") from None
    check_structure(path, data, caps)
    lone = _LONE_SURROGATE.search(data) if b"\\u" in data else None
    if lone is not None:
        raise FileRefused("read", path, f"it holds {lone.group(1).decode('ascii')}, half of a "
                          f"UTF-16 pair, which no text file can hold.")
    try:
        doc = json.loads(text, object_pairs_hook=_capped(caps) if caps else None)
    except json.JSONDecodeError as exc:
        raise FileRefused("read", path, f"not valid JSON ({exc})") from None
    except _TooMany as exc:
        raise FileRefused("read", path, f"{exc}.") from None
    except RecursionError:  # check_structure stops this first; kept as a second guard
        raise FileRefused("read", path, f"its JSON is nested more than "
                         f"{MAX_JSON_DEPTH} levels deep.") from None
    except (ValueError, MemoryError) as exc:  # e.g. a 5,000-digit number
        raise FileRefused("read", path, f"{exc or type(exc).__name__}") from None
    return doc


def read_json(path: Path, limit: int, kind: str, caps: Mapping[str, int] | None = None) -> object:
    """A JSON document from a regular file of at most `limit` bytes, read with every guard."""
    return parse_json(path, read_bytes(path, limit, kind), caps)
