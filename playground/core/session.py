"""Sessions on disk: the statement log as a small JSON document (never pickle)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from playground.paths import resources_dir

SESSION_FORMAT = "gradient-playground-session"
SESSIONS_DIR = resources_dir() / "sessions"


def read_session(path: str | Path) -> list[str]:
    """Return a session file's statements; ValueError with a readable reason if it is bad."""
    return _read(path)["statements"]


def _read(path: str | Path) -> dict:
    """The whole session document, checked to hold a list of statements."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"Could not read {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != SESSION_FORMAT:
        raise ValueError(f"{path} is not a Gradient Playground session file.")
    statements = data.get("statements")
    if not isinstance(statements, list) or not all(isinstance(s, str) for s in statements):
        raise ValueError(f"{path} has no list of statements.")
    return data


def write_session(path: str | Path, statements: list[str]) -> None:
    """Write the log so a person can read and diff it."""
    doc = {"format": SESSION_FORMAT, "version": 1, "statements": statements}
    Path(path).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


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
