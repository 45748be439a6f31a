"""Sessions on disk: the statement log as a small JSON document (never pickle).

Reading is defensive because a session may come from someone else: only regular files, at
most MAX_SESSION_BYTES, JSON nested at most MAX_JSON_DEPTH deep, a known format version, and
every failure is a ValueError whose text names the file. Writing is atomic (fileio).
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from playground.core.files import atomic
from playground.core.limits import MAX_JSON_DEPTH, MAX_SESSION_BYTES, MAX_SESSION_STATEMENTS
from playground.paths import resources_dir

SESSION_FORMAT = "gradient-playground-session"
SESSION_VERSION = 1  # the newest format this build reads and the one it writes
SESSIONS_DIR = resources_dir() / "sessions"

def read_session(path: str | Path) -> list[str]:
    """Return a session file's statements; ValueError with a readable reason if it is bad."""
    return _read(path)["statements"]


def _read_bytes(path: Path, limit: int = MAX_SESSION_BYTES) -> bytes:
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


def _json_depth(value: object) -> int:
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
    """UTF-8 (a BOM allowed) JSON of a session file, depth-capped; ValueError names the file."""
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
    if _json_depth(doc) > MAX_JSON_DEPTH:
        raise too_deep
    return doc


def _read(path: str | Path) -> dict:
    """The whole session document, checked to hold a list of statements."""
    path = Path(path)
    doc = parse_json(path, _read_bytes(path))
    if not isinstance(doc, dict) or doc.get("format") != SESSION_FORMAT:
        raise ValueError(f"{path} is not a Gradient Playground session file.")
    _check_version(path, doc.get("version"))
    statements = doc.get("statements")
    if not isinstance(statements, list) or not all(isinstance(s, str) for s in statements):
        raise ValueError(f"{path} has no list of statements.")
    if len(statements) > MAX_SESSION_STATEMENTS:
        raise ValueError(f"{path} has {len(statements):,} statements; a session holds at most "
                         f"{MAX_SESSION_STATEMENTS:,}.")
    return doc


def _check_version(path: Path, version: object) -> None:
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(f"{path} has no valid format version (found {_short(version)}); "
                         f"this build reads version {SESSION_VERSION}.")
    if not 1 <= version <= SESSION_VERSION:
        newer = " (made by a newer Gradient Playground?)" if version > SESSION_VERSION else ""
        raise ValueError(f"{path} is session format version {version}{newer}; this build "
                         f"reads version {SESSION_VERSION}.")


def _short(value: object) -> str:
    text = json.dumps(value) if value is not None else "none"
    return text if len(text) <= 20 else text[:17] + "..."


def write_session(path: str | Path, statements: list[str]) -> None:
    """Write the log so a person can read and diff it; atomic, so a failed save keeps the old."""
    doc = {"format": SESSION_FORMAT, "version": SESSION_VERSION, "statements": statements}
    atomic.write_text(path, json.dumps(doc, indent=2) + "\n")


@dataclass(frozen=True)
class Example:
    """A bundled session, as File > Open Example lists it."""

    title: str
    summary: str
    path: Path


def bundled_examples(directory: Path = SESSIONS_DIR) -> list[Example]:
    """The sessions shipped in resources/sessions, ordered by title; unreadable files skipped."""
    examples = []
    for path in sorted(directory.glob("*.json")):
        try:
            data = _read(path)
        except ValueError:
            continue
        title = data.get("title") if isinstance(data.get("title"), str) else path.stem
        summary = data.get("summary") if isinstance(data.get("summary"), str) else ""
        examples.append(Example(title, summary, path))
    return sorted(examples, key=lambda e: e.title)
